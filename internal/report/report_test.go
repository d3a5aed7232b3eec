package report

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

const testConfig = `
storage: {dir: DIR}
services:
  - name: web
    logs: [{path: /dev/null, format: combined}]
  - name: idle
    logs: [{path: /dev/null, format: combined}]
slos:
  - {name: avail, service: web, objective: 99.5, window: 7d, sli: {type: availability}}
  - {name: api-latency, service: web, objective: 95, window: 7d, filter: {route: ^/api/}, sli: {type: latency, threshold: 250ms}}
  - {name: idle-avail, service: idle, objective: 99.9, window: 28d, sli: {type: availability}}
`

// event is one request as written into the store, kept to recount by brute
// force.
type event struct {
	t   int64 // Unix seconds
	d   store.DimValue
	lat int64 // ms
}

var t0 = time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)

func setup(t testing.TB) (*Engine, []event) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(replaceDir(testConfig, dir)), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rng := rand.New(rand.NewPCG(3, 4))
	layout := cells.NewLayout(250)
	routes := []string{"/", "/api/users/:id", "/api/deals", "/login"}
	statuses := []int{200, 200, 200, 200, 201, 302, 404, 429, 500, 503}
	var events []event
	var b store.Batch
	for m := 0; m < 9*24*60; m += 1 + rng.IntN(4) {
		for range 1 + rng.IntN(3) {
			e := event{
				t: t0.Unix() + int64(m)*60 + rng.Int64N(60),
				d: store.DimValue{Host: []string{"a", "b"}[rng.IntN(2)], Route: routes[rng.IntN(len(routes))],
					Method: []string{"GET", "POST"}[rng.IntN(2)], Status: statuses[rng.IntN(len(statuses))]},
				lat: int64(rng.ExpFloat64() * 120),
			}
			events = append(events, e)
			b.Add("web", e.t-e.t%60, e.d, layout.Bucket(e.lat*1000), 1)
		}
		if m%3000 < 4 {
			if err := st.Commit(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			b = store.Batch{}
		}
	}
	if err := st.Commit(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	return e, events
}

func replaceDir(s, dir string) string {
	out := ""
	for i := 0; i < len(s); i++ {
		if i+3 <= len(s) && s[i:i+3] == "DIR" {
			out += strconv.Quote(dir)
			i += 2
			continue
		}
		out += string(s[i])
	}
	return out
}

// brute counts an SLO's events over [from, to) from the raw events, keyed by
// key (nil: one group "").
func brute(events []event, name string, from, to time.Time, key func(store.DimValue) string) (total, bad map[string]float64) {
	total, bad = map[string]float64{}, map[string]float64{}
	for _, e := range events {
		if e.t < from.Unix() || e.t >= to.Unix() {
			continue
		}
		k := ""
		if key != nil {
			k = key(e.d)
		}
		switch name {
		case "avail":
			total[k]++
			if e.d.Status >= 500 {
				bad[k]++
			}
		case "api-latency":
			if len(e.d.Route) < 5 || e.d.Route[:5] != "/api/" {
				continue
			}
			total[k]++
			if e.lat > 250 {
				bad[k]++
			}
		}
	}
	return total, bad
}

func TestBreakdownAddsUpToBadEvents(t *testing.T) {
	e, events := setup(t)
	ctx := context.Background()
	from, to := t0.Add(30*time.Hour+17*time.Minute), t0.Add(4*24*time.Hour+5*time.Hour+3*time.Minute)
	for _, name := range []string{"avail", "api-latency"} {
		c, err := e.Counts(ctx, name, from, to)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range Dimensions {
			for _, limit := range []int{0, 2} {
				b, err := e.Breakdown(ctx, name, from, to, by, limit)
				if err != nil {
					t.Fatal(err)
				}
				var sum, share float64
				for _, r := range b.Rows {
					sum += r.Bad
					share += r.Share
				}
				if b.Other != nil {
					sum += b.Other.Bad
					share += b.Other.Share
				}
				if sum != c.Bad() || b.Bad != c.Bad() {
					t.Errorf("%s by %s (limit %d): rows add up to %v bad, breakdown says %v, the SLO has %v", name, by, limit, sum, b.Bad, c.Bad())
				}
				if math.Abs(share-1) > 1e-9 {
					t.Errorf("%s by %s: shares add up to %v", name, by, share)
				}
				if limit > 0 && len(b.Rows) > limit {
					t.Errorf("%s by %s: %d rows past the limit %d", name, by, len(b.Rows), limit)
				}
				if math.Abs(b.Budget-(1-e.byName[name].Objective)*c.Total) > 1e-6 {
					t.Errorf("%s: budget %v, want ε × %v", name, b.Budget, c.Total)
				}
			}
		}
		// Against the raw events, group by group.
		key, err := dimKeyFunc("route", false)
		if err != nil {
			t.Fatal(err)
		}
		_, bad := brute(events, name, from, to, key)
		b, err := e.Breakdown(ctx, name, from, to, "route", 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, r := range b.Rows {
			got[r.Key] = r.Bad
		}
		for k, n := range bad {
			if got[k] != n {
				t.Errorf("%s: route %s has %v bad events, breakdown says %v", name, k, n, got[k])
			}
		}
		if len(got) != len(bad) {
			t.Errorf("%s: breakdown routes %v, raw %v", name, got, bad)
		}
	}
	if _, err := e.Breakdown(ctx, "avail", from, to, "colour", 0); err == nil {
		t.Error("by=colour accepted")
	}
	if _, err := e.Breakdown(ctx, "nope", from, to, "route", 0); err == nil {
		t.Error("an unknown SLO accepted")
	}
}

func TestSeriesMatchesRawEvents(t *testing.T) {
	e, events := setup(t)
	ctx := context.Background()
	at := t0.Add(8*24*time.Hour + 7*time.Hour + 30*time.Minute)
	for _, step := range []time.Duration{5 * time.Minute, time.Hour, 6 * time.Hour} {
		from := at.Add(-2 * 24 * time.Hour)
		s, err := e.Series(ctx, "avail", from, at, step)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range s.Points {
			total, bad := brute(events, "avail", p.T, p.T.Add(time.Duration(p.Seconds)*time.Second), nil)
			if p.Total != total[""] || p.Bad != bad[""] {
				t.Fatalf("step %v at %v: %v total %v bad, raw %v %v", step, p.T, p.Total, p.Bad, total[""], bad[""])
			}
		}
		// The last point's budget is the SLO's as of the series' end.
		o, err := e.SLO(ctx, "avail", s.To)
		if err != nil {
			t.Fatal(err)
		}
		last := s.Points[len(s.Points)-1]
		if math.Abs(last.BudgetRemaining-o.BudgetRemaining) > 1e-9 {
			t.Errorf("step %v: last budget remaining %v, the SLO at %v says %v", step, last.BudgetRemaining, s.To, o.BudgetRemaining)
		}
		if bd := s.Burndown[len(s.Burndown)-1]; math.Abs(bd.Remaining-o.BudgetRemaining) > 1e-9 || bd.Even > 1e-9 {
			t.Errorf("step %v: burn-down ends at %v (even %v), want %v (0)", step, bd.Remaining, bd.Even, o.BudgetRemaining)
		}
	}
	// Latency percentiles come from the SLO's requests.
	s, err := e.Series(ctx, "api-latency", at.Add(-24*time.Hour), at, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var p50 *float64
	for _, p := range s.Points {
		if p.Total > 0 {
			p50 = p.P50
		}
	}
	if p50 == nil || *p50 < 50 || *p50 > 120 {
		t.Errorf("api-latency p50 %v, want about 120·ln 2 ≈ 83 ms", p50)
	}
}

func TestSLOsWorstFirstAndBudgetMeaning(t *testing.T) {
	e, events := setup(t)
	ctx := context.Background()
	at := t0.Add(8*24*time.Hour + 12*time.Hour)
	list, err := e.SLOs(ctx, at, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[len(list)-1].Name != "idle-avail" || !list[len(list)-1].NoData {
		t.Fatalf("SLOs %v: want the idle SLO (no data) last", names(list))
	}
	if list[0].BudgetRemaining > list[1].BudgetRemaining {
		t.Errorf("not worst first: %v %v", list[0].BudgetRemaining, list[1].BudgetRemaining)
	}
	for _, o := range list[:2] {
		total, bad := brute(events, o.Name, o.WindowStart, o.WindowEnd, nil)
		if o.Total != total[""] || o.Bad != bad[""] {
			t.Errorf("%s: %v total %v bad, raw %v %v", o.Name, o.Total, o.Bad, total[""], bad[""])
		}
		eps := 1 - o.Objective/100
		wantMin := math.Max(o.BudgetRemaining, 0) * eps * 7 * 24 * 60
		if math.Abs(o.BudgetMinutes-wantMin) > 1e-6 {
			t.Errorf("%s: %v minutes of outage, want %v", o.Name, o.BudgetMinutes, wantMin)
		}
		end := slo.EndMinute(at)
		day, _ := brute(events, o.Name, end.Add(-24*time.Hour), end, nil)
		if o.Requests24h != day[""] {
			t.Errorf("%s: %v requests in 24h, raw %v", o.Name, o.Requests24h, day[""])
		}
		if len(o.Sparkline) != 28 {
			t.Errorf("%s: %d sparkline points, want 28", o.Name, len(o.Sparkline))
		}
		if len(o.Tiers) != 4 || o.Tiers[0].Threshold != 0.02*7*24 {
			t.Errorf("%s: tiers %+v, want 4 with page-1h at 0.02 × 168h/1h", o.Name, o.Tiers)
		}
	}
	if only, err := e.SLOs(ctx, at, "idle"); err != nil || len(only) != 1 {
		t.Errorf("service filter: %v %v", names(only), err)
	}
}

func TestServiceTraffic(t *testing.T) {
	e, events := setup(t)
	ctx := context.Background()
	at := t0.Add(5 * 24 * time.Hour)
	s, err := e.Service(ctx, "web", at.Add(-24*time.Hour), at, time.Hour, 3)
	if err != nil {
		t.Fatal(err)
	}
	var n, errs float64
	for _, ev := range events {
		if ev.t >= s.From.Unix() && ev.t < s.To.Unix() {
			n++
			if ev.d.Status >= 500 {
				errs++
			}
		}
	}
	var classes float64
	for _, c := range s.Classes {
		classes += c
	}
	if s.Requests != n || classes != n || s.Classes["5xx"] != errs {
		t.Errorf("requests %v (classes %v, 5xx %v), raw %v (5xx %v)", s.Requests, classes, s.Classes["5xx"], n, errs)
	}
	if len(s.Points) != 24 || len(s.TopRoutes) != 3 || len(s.SLOs) != 2 {
		t.Errorf("%d points, %d top routes, SLOs %v", len(s.Points), len(s.TopRoutes), s.SLOs)
	}
	if _, err := e.Service(ctx, "nope", at.Add(-time.Hour), at, 0, 3); err == nil {
		t.Error("an unknown service accepted")
	}
}

func names(l []SLO) []string {
	var out []string
	for _, o := range l {
		out = append(out, o.Name)
	}
	return out
}

// plain hides the store's change reports, so an engine over it reads every
// cell every time: the reference for the cached engine.
type plain struct{ st *store.Store }

func (p plain) PrunedBefore(ctx context.Context, res int64) (int64, error) {
	return p.st.PrunedBefore(ctx, res)
}

func (p plain) ServiceID(ctx context.Context, name string, create bool) (int64, error) {
	return p.st.ServiceID(ctx, name, create)
}

func (p plain) Dims(ctx context.Context, id int64) ([]store.DimValue, error) {
	return p.st.Dims(ctx, id)
}

func (p plain) ReadCells(ctx context.Context, id, res, from, to int64, fn func(*store.Span) error) error {
	return p.st.ReadCells(ctx, id, res, from, to, fn)
}

func TestCountCacheStaysExact(t *testing.T) {
	e, _ := setup(t)
	st := e.src.(*store.Store)
	if e.counts == nil {
		t.Fatal("no count cache over a store that reports its changes")
	}
	ref, err := New(e.cfg, plain{st})
	if err != nil {
		t.Fatal(err)
	}
	if ref.counts != nil {
		t.Fatal("the reference engine caches")
	}
	ctx := context.Background()
	at := t0.Add(8*24*time.Hour + 12*time.Hour)
	check := func(when string) {
		t.Helper()
		got, err := e.SLOs(ctx, at, "")
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.SLOs(ctx, at, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 3 || len(got) != len(want) {
			t.Fatalf("%s: cached %v, uncached %v: want the 3 SLOs from both", when, names(got), names(want))
		}
		for i := range want {
			if got[i].Name != want[i].Name || got[i].Total != want[i].Total || got[i].Bad != want[i].Bad ||
				!reflect.DeepEqual(got[i].BurnRates["1h"], want[i].BurnRates["1h"]) || sparkString(got[i]) != sparkString(want[i]) {
				t.Fatalf("%s: cached %s: %v total %v bad, uncached %s: %v %v", when, got[i].Name, got[i].Total, got[i].Bad, want[i].Name, want[i].Total, want[i].Bad)
			}
		}
	}
	check("first")
	check("warm")
	// More traffic in the window, written by this process: the hook drops
	// the cells it rewrites.
	add := func(s *store.Store, status int) {
		var b store.Batch
		for m := range 90 {
			b.Add("web", at.Add(-time.Duration(m)*time.Minute).Unix()/60*60, store.DimValue{Host: "a", Route: "/api/deals", Method: "GET", Status: status}, 900, 3)
		}
		if err := s.Commit(ctx, &b); err != nil {
			t.Fatal(err)
		}
	}
	add(st, 503)
	check("after a commit in this process")
	// Then by another process (another handle on the same files): the
	// commit count tells.
	other, err := store.Open(st.Dir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	add(other, 500)
	check("after a commit by another process")
	// Pruning drops everything.
	if _, err := st.Prune(ctx, at, 24*time.Hour, 0, 0); err != nil {
		t.Fatal(err)
	}
	check("after pruning")
}

func sparkString(o SLO) string {
	var b []byte
	for _, p := range o.Sparkline {
		if p.SLI == nil {
			b = append(b, "- "...)
		} else {
			b = fmt.Appendf(b, "%.12f ", *p.SLI)
		}
	}
	return string(b)
}
