package export

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

func testConfig(t testing.TB) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(`
services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - name: api-latency
    service: web
    objective: 99
    window: 28d
    filter: {route: ^/api/, method: GET}
    sli: {type: latency, threshold: 300ms}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// traffic commits random requests to minutes [from, to) of st and returns
// how many it added.
func traffic(t testing.TB, st *store.Store, rng *rand.Rand, from, to time.Time) uint64 {
	t.Helper()
	layout := cells.NewLayout(300)
	routes := []string{"/", "/api/users/:id", "/api/deals"}
	statuses := []int{200, 200, 201, 404, 500, 502}
	var b store.Batch
	var n uint64
	for m := from.Unix(); m < to.Unix(); m += 60 {
		for range rng.IntN(4) {
			d := store.DimValue{Host: "a", Route: routes[rng.IntN(len(routes))], Method: []string{"GET", "POST"}[rng.IntN(2)],
				Status: statuses[rng.IntN(len(statuses))], Node: []string{"", "n1"}[rng.IntN(2)]}
			us := int64(rng.ExpFloat64() * 200000)
			if rng.IntN(20) == 0 {
				us = -1
			}
			w := 1 + uint64(rng.IntN(3))
			b.Add("web", m, d, layout.Bucket(us), w)
			n += w
		}
	}
	if err := st.Commit(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return n
}

// check compares s's totals with the engine's counts and n requests.
func check(t *testing.T, cfg *config.Config, st *store.Store, s *Series, n uint64) {
	t.Helper()
	ctx := context.Background()
	eng, err := report.New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"avail", "api-latency"} {
		want, err := eng.Counts(ctx, name, time.Unix(0, 0), s.At())
		if err != nil {
			t.Fatal(err)
		}
		good := s.totals[key(SLOEvents, "slo", name, "service", "web", "result", "good")]
		bad := s.totals[key(SLOEvents, "slo", name, "service", "web", "result", "bad")]
		if good != want.Good || good+bad != want.Total {
			t.Errorf("%s at %s: good %v total %v, engine says good %v total %v", name, s.At(), good, good+bad, want.Good, want.Total)
		}
	}
	var reqs float64
	for k, v := range s.totals {
		if k.Name == HTTPRequests {
			reqs += v
		}
	}
	if reqs != float64(n) {
		t.Errorf("at %s: %v requests exported, %d stored", s.At(), reqs, n)
	}
}

func TestSeriesEqualEngineWithLateData(t *testing.T) {
	for _, watch := range []bool{false, true} {
		t.Run(map[bool]string{false: "horizon", true: "watched"}[watch], func(t *testing.T) { seriesWithLateData(t, watch) })
	}
}

func seriesWithLateData(t *testing.T, watch bool) {
	ctx := context.Background()
	cfg := testConfig(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	// Three days of history: read back from day and hour cells.
	n := traffic(t, st, rng, start, start.Add(72*time.Hour))
	s := New(Options{Config: cfg, Cells: st, Horizon: 10 * time.Minute})
	if watch {
		s.Watch(st)
	}
	now := start.Add(72 * time.Hour)
	if err := s.Rebuild(ctx, now); err != nil {
		t.Fatal(err)
	}
	check(t, cfg, st, s, n)
	for i := range 30 {
		// A new minute, and data arriving late for one within the horizon.
		n += traffic(t, st, rng, now, now.Add(time.Minute))
		n += traffic(t, st, rng, now.Add(-time.Duration(1+rng.IntN(8))*time.Minute), now)
		now = now.Add(time.Minute)
		if err := s.Advance(ctx, now); err != nil {
			t.Fatal(err)
		}
		check(t, cfg, st, s, n)
		if i == 20 {
			// Later than the horizon: counted by the next Rebuild.
			n += traffic(t, st, rng, now.Add(-3*time.Hour), now.Add(-3*time.Hour+time.Minute))
			if err := s.Rebuild(ctx, now); err != nil {
				t.Fatal(err)
			}
			check(t, cfg, st, s, n)
		}
	}
}

func TestBucketsAreCumulative(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	traffic(t, st, rand.New(rand.NewPCG(3, 4)), start, start.Add(2*time.Hour))
	s := New(Options{Config: cfg, Cells: st})
	if err := s.Rebuild(ctx, start.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := []string{"0.05", "0.1", "0.25", "0.3", "0.5", "1", "2.5", "5", "10", "+Inf"}
	for _, route := range []string{"/", "/api/deals"} {
		prev := -1.0
		for _, le := range want {
			v, ok := s.totals[key(HTTPDurationBkt, "service", "web", "route", route, "le", le)]
			if !ok {
				t.Fatalf("%s: no bucket le=%s", route, le)
			}
			if v < prev {
				t.Errorf("%s: bucket le=%s %v below the previous %v", route, le, v, prev)
			}
			prev = v
		}
	}
}
