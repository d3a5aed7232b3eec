package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestPushIsIdempotent: a push retried 3 times, a replay of every push,
// and a push overlapping stored commits each count once; a new instance of
// the agent (its store made anew) counts afresh. Cells keep the agent as
// their node.
func TestPushIsIdempotent(t *testing.T) {
	st := headroomtest.Store(t, t.TempDir())
	s, err := New(Options{Listen: "127.0.0.1:0", Push: &Push{Token: "tok", Store: st, Known: func(n string) bool { return n == "shop" }}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	minute := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Unix()
	commit := func(seq int64, n uint64) push.Commit {
		return push.Commit{Seq: seq, Services: []push.Service{{Name: "shop", Minutes: []push.Minute{{Start: minute, Entries: []push.Entry{
			{Host: "a", Route: "/x", Method: "GET", Status: 200, Count: n, Hist: [][2]uint64{{25, n - 1}, {uint64(cells.NoLatency), 1}}},
		}}}}}}
	}
	send := func(inst string, commits ...push.Commit) PushResult {
		t.Helper()
		body, err := push.Encode(&push.Push{Agent: "node-a", Instance: inst, Sent: time.Now(), Commits: commits})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", push.Path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("push: %d %s", w.Code, w.Body)
		}
		var r PushResult
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for i := range 3 {
		if r := send("i1", commit(1, 10), commit(2, 20)); r.Applied != 2*boolInt(i == 0) {
			t.Errorf("push %d of commits 1-2: applied %d", i+1, r.Applied)
		}
	}
	if r := send("i1", commit(2, 20), commit(3, 30)); r.Applied != 1 {
		t.Errorf("commits 2-3 after 1-2: applied %d, want 1 (3)", r.Applied)
	}
	if r := send("i1", commit(1, 10), commit(2, 20), commit(3, 30)); r.Applied != 0 {
		t.Errorf("a replay: applied %d", r.Applied)
	}
	if r := send("i2", commit(1, 5)); r.Applied != 1 {
		t.Errorf("a new instance's commit 1: applied %d, want 1", r.Applied)
	}
	got := counts(t, st, "shop")
	d := store.DimValue{Host: "a", Route: "/x", Method: "GET", Status: 200, Node: "node-a"}
	if len(got) != 1 || got[d] != 10+20+30+5 {
		t.Errorf("stored %v, want 65 requests of %+v", got, d)
	}
	agents, err := st.Agents(context.Background())
	if err != nil || len(agents) != 1 || agents[0].Instance != "i2" || agents[0].LastSeq != 1 {
		t.Errorf("agents %+v, %v", agents, err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestBadPushes: a push without the token is 401, a bad one 400 naming
// what is wrong, a too large one 413; none stores anything.
func TestBadPushes(t *testing.T) {
	st := headroomtest.Store(t, t.TempDir())
	s, err := New(Options{Listen: "127.0.0.1:0", Push: &Push{Token: "tok", Store: st, Known: func(n string) bool { return n == "shop" }}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	good := push.Entry{Host: "a", Route: "/x", Method: "GET", Status: 200, Count: 1, Hist: [][2]uint64{{25, 1}}}
	with := func(svc string, start int64, e push.Entry) []byte {
		b, err := push.Encode(&push.Push{Agent: "node-a", Instance: "i", Commits: []push.Commit{{Seq: 1, Services: []push.Service{{Name: svc, Minutes: []push.Minute{{Start: start, Entries: []push.Entry{e}}}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const minute = 1_790_000_040
	bad := good
	bad.Count = 2
	for _, tc := range []struct {
		name, token string
		body        []byte
		code        int
		msg         string
	}{
		{"no token", "", with("shop", minute, good), 401, "push token"},
		{"wrong token", "nope", with("shop", minute, good), 401, "push token"},
		{"unknown service", "tok", with("cart", minute, good), 400, `unknown service \"cart\"`},
		{"not a minute", "tok", with("shop", minute+1, good), 400, "want a minute's start"},
		{"hist does not add up", "tok", with("shop", minute, bad), 400, "add up to 1, count is 2"},
		{"not gzip", "tok", []byte(`{"agent":"x"}`), 400, "not gzip"},
		{"too large", "tok", bytes.Repeat([]byte{0}, push.MaxBody+1), 413, "at most"},
	} {
		req := httptest.NewRequest("POST", push.Path, bytes.NewReader(tc.body))
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.msg) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, w.Code, w.Body, tc.code, tc.msg)
		}
	}
	if got := counts(t, st, "shop"); len(got) != 0 {
		t.Errorf("bad pushes stored %v", got)
	}
	req := httptest.NewRequest("GET", push.Path, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET %s: %d", push.Path, w.Code)
	}
}

// counts sums a service's stored minute cells by dimension.
func counts(t *testing.T, st *store.Store, svc string) map[store.DimValue]uint64 {
	t.Helper()
	ctx := context.Background()
	id, err := st.ServiceID(ctx, svc, false)
	if err != nil || id == 0 {
		return nil
	}
	dims, err := st.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[store.DimValue]uint64{}
	err = st.ReadCells(ctx, id, store.Minute, 0, math.MaxInt64, func(sp *store.Span) error {
		for _, e := range sp.Cell.Entries {
			out[dims[e.Dim]] += e.Count
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// slowStore is a PushStore that holds each push until released, counting
// how many it holds at once.
type slowStore struct {
	release chan struct{}
	mu      sync.Mutex
	now     int
	most    int
}

func (s *slowStore) CommitPush(ctx context.Context, agent, instance, state string, commits []store.PushedCommit, now time.Time) (int, error) {
	s.mu.Lock()
	s.now++
	s.most = max(s.most, s.now)
	s.mu.Unlock()
	<-s.release
	s.mu.Lock()
	s.now--
	s.mu.Unlock()
	return len(commits), nil
}

// TestPushesAtOnce: of many agents pushing at once, maxPushes are read and
// stored at a time, the others wait for their turn; every one is taken.
func TestPushesAtOnce(t *testing.T) {
	st := &slowStore{release: make(chan struct{})}
	s, err := New(Options{Listen: "127.0.0.1:0", Push: &Push{Token: "tok", Store: st, Known: func(n string) bool { return n == "shop" }}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	h := s.Handler()
	const agents = 6
	codes := make(chan int, agents)
	for i := range agents {
		body, err := push.Encode(&push.Push{Agent: fmt.Sprintf("node-%d", i), Instance: "i1", Sent: time.Now(),
			Commits: []push.Commit{{Seq: 1, Services: []push.Service{{Name: "shop"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			req := httptest.NewRequest("POST", push.Path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer tok")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			codes <- w.Code
		}()
	}
	for range agents {
		st.release <- struct{}{} // one push stored at a time, each as the store lets it go
	}
	for range agents {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("a push answered %d", c)
		}
	}
	if st.most > maxPushes {
		t.Errorf("%d pushes stored at once, want at most %d", st.most, maxPushes)
	}
}
