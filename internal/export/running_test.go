package export

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/store"
)

// TestCounterCountsAsSeries: an agent's Counter, given the cells of a
// store entry by entry, counts what serve's Series counts from the store,
// every series with node added.
func TestCounterCountsAsSeries(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	end := start.Add(2 * time.Hour)
	if n := traffic(t, st, rng, start, end); n == 0 {
		t.Fatal("no traffic")
	}
	s := New(Options{Config: cfg, Cells: st})
	if err := s.Rebuild(ctx, end); err != nil {
		t.Fatal(err)
	}
	// serve's series, with node=node-a where serve has none; an agent's
	// cells all come from one node.
	want := Values{}
	for k, v := range s.Snapshot().Values {
		if k.Name == HTTPRequests {
			p := k.Pairs()
			p[len(p)-1] = "node-a"
			k = key(k.Name, p...)
		} else {
			k = key(k.Name, append(k.Pairs(), "node", "node-a")...)
		}
		want[k] += v
	}
	c := NewCounter(cfg, "node-a")
	got := Values{}
	id, _ := st.ServiceID(ctx, "web", false)
	dims, _ := st.Dims(ctx, id)
	st.ReadCells(ctx, id, store.Minute, 0, math.MaxInt64, func(sp *store.Span) error {
		for i := range sp.Cell.Entries {
			e := &sp.Cell.Entries[i]
			c.Add(got, "web", dims[e.Dim], e)
		}
		return nil
	})
	for k, v := range got { // serve leaves out what is 0 by then
		if v == 0 && want[k] == 0 {
			delete(got, k)
			delete(want, k)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("counter (-serve's series +counter):\n%s", d)
	}
	if !c.Keeps(key(SLOEvents, "slo", "avail", "service", "web", "result", "good", "node", "node-a")) ||
		c.Keeps(key(SLOEvents, "slo", "gone", "service", "web", "result", "good", "node", "node-a")) ||
		c.Keeps(key(HTTPRequests, "service", "gone", "route", "/", "method", "GET", "code", "200", "node", "node-a")) {
		t.Error("Keeps: want the configured SLOs and services only")
	}
}

// TestRunningRoundTrip: the totals stored as JSON read back the same;
// Advance moves only the minutes before the boundary; Prune drops the
// series of what is no longer configured.
func TestRunningRoundTrip(t *testing.T) {
	r := NewRunning(start)
	req := key(HTTPRequests, "service", "web", "route", "/ü\"x", "method", "GET", "code", "200", "node", "node-a")
	slo := key(SLOEvents, "slo", "gone", "service", "web", "result", "bad", "node", "node-a")
	r.Minute(start.Unix())[req] += 3
	r.Minute(start.Unix() + 60)[req] += 2
	r.Minute(start.Unix() + 60)[slo] += 1
	r.Advance(start.Add(time.Minute + 30*time.Second))
	if r.Totals[req] != 3 || r.Step[req] != 3 || len(r.Pending) != 1 || !r.At.Equal(start.Add(time.Minute)) {
		t.Fatalf("after advance: %+v", r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Running
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, &back); d != "" {
		t.Errorf("round trip (-stored +read):\n%s\n%s", d, b)
	}
	if p := back.Previous(); !p.At.Equal(start) || len(p.Values) != 0 {
		t.Errorf("previous %+v: want nothing a minute before", p)
	}
	if n := back.Prune(func(k Key) bool { return k.Label("slo") != "gone" }); n != 0 || back.Pending[start.Unix()+60][slo] != 0 {
		t.Errorf("prune: %d totals dropped, pending %v", n, back.Pending)
	}
	for _, bad := range []string{`{"at":1,"series":[["x","y"]],"totals":[1]}`, `{"at":1,"series":[],"step":[[3,1]]}`, `{"at":1,"series":[],"totals":[1]}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil || !strings.HasPrefix(err.Error(), "export totals") {
			t.Errorf("%s: %v, want an error", bad, err)
		}
	}
}
