package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestPushWhenStoreFull: a push to a server whose store has no room (SQLite
// says the disk is full) is answered 507 storage_full, stores nothing and
// leaves the agent's sequence where it was; the same push, sent again once
// there is room, is stored whole, once.
func TestPushWhenStoreFull(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	fi, err := os.Stat(filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	minute := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Unix()
	var entries []push.Entry
	for i := range 2000 { // far more than the pages left
		entries = append(entries, push.Entry{Host: "a", Route: fmt.Sprintf("/r/%d", i), Method: "GET", Status: 200, Count: 3,
			Hist: [][2]uint64{{25, 3}}})
	}
	body, err := push.Encode(&push.Push{Agent: "node-a", Instance: "i1", Sent: time.Now(), Commits: []push.Commit{
		{Seq: 1, Services: []push.Service{{Name: "shop", Minutes: []push.Minute{{Start: minute, Entries: entries}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(st *store.Store) *httptest.ResponseRecorder {
		t.Helper()
		s, err := New(Options{Listen: "127.0.0.1:0", Push: &Push{Token: "tok", Store: st, Known: func(n string) bool { return n == "shop" }}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.ln.Close()
		req := httptest.NewRequest("POST", push.Path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		return w
	}

	full, err := store.Open(dir, store.Options{MaxPages: fi.Size()/4096 + 2})
	if err != nil {
		t.Fatal(err)
	}
	w := send(full)
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != 507 || e.Error.Code != "storage_full" ||
		!strings.Contains(e.Error.Message, "store is full") {
		t.Fatalf("a push into a full store: %d %s, want 507 storage_full", w.Code, w.Body)
	}
	if got := counts(t, full, "shop"); len(got) != 0 {
		t.Errorf("the refused push stored %d cells", len(got))
	}
	agents, err := full.Agents(t.Context())
	if err != nil || len(agents) != 0 {
		t.Errorf("the refused push recorded its agent: %+v %v", agents, err)
	}
	full.Close()

	roomy, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer roomy.Close()
	for range 2 { // sent again, and once more: stored once
		if w := send(roomy); w.Code != 200 {
			t.Fatalf("the push with room: %d %s", w.Code, w.Body)
		}
	}
	got := counts(t, roomy, "shop")
	var sum uint64
	for _, n := range got {
		sum += n
	}
	if len(got) != 2000 || sum != 6000 {
		t.Errorf("stored %d dims, %d requests; want 2000 and 6000", len(got), sum)
	}
}
