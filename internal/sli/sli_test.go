package sli

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// testConfig is a config with SLOs of every kind of filter, read as a
// config file would be.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(`
services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: avail-429, service: web, objective: 99, window: month, sli: {type: availability, bad_status: [5xx, "429"]}}
  - name: api-get-latency
    service: web
    objective: 99
    window: 7d
    filter: {route: ^/api/, method: GET}
    sli: {type: latency, threshold: 300ms}
  - name: host-b-2xx
    service: web
    objective: 95
    window: 30d
    filter: {host: ^b$, status: [2xx, 5xx]}
    sli: {type: availability, bad_status: 5xx}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type event struct {
	t      int64 // Unix seconds
	d      store.DimValue
	lat    int64 // ms, -1 none
	weight uint64
}

// start is where fill's history begins.
var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fill opens a store in a temporary directory holding days of random
// traffic from start, and returns it with the events.
func fill(t *testing.T, days int) (*store.Store, []event) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rng := rand.New(rand.NewPCG(7, 9))
	layout := cells.NewLayout(300)
	routes := []string{"/", "/api/users/:id", "/api/deals", "/static/app.js"}
	hosts := []string{"a", "b"}
	methods := []string{"GET", "POST"}
	statuses := []int{200, 200, 200, 201, 404, 429, 500, 502}
	var events []event
	var b store.Batch
	for m := 0; m < days*24*60; m += 1 + rng.IntN(7) {
		n := 1 + rng.IntN(4)
		for range n {
			e := event{
				t: start.Unix() + int64(m)*60 + rng.Int64N(60),
				d: store.DimValue{
					Host: hosts[rng.IntN(2)], Route: routes[rng.IntN(len(routes))],
					Method: methods[rng.IntN(2)], Status: statuses[rng.IntN(len(statuses))],
				},
				lat:    int64(rng.ExpFloat64() * 200),
				weight: 1 + uint64(rng.IntN(3)),
			}
			if rng.IntN(20) == 0 {
				e.lat = -1
			}
			events = append(events, e)
			us := e.lat * 1000
			if e.lat < 0 {
				us = -1
			}
			b.Add("web", e.t-e.t%60, e.d, layout.Bucket(us), e.weight)
		}
		if len(events)%5000 < n {
			if err := st.Commit(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			b = store.Batch{}
		}
	}
	if err := st.Commit(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return st, events
}

// brute computes an SLO's counts over [from, to) from the raw events.
func brute(s *Spec, events []event, from, to int64) slo.Counts {
	var c slo.Counts
	for _, e := range events {
		minute := e.t - e.t%60
		if minute < from || minute >= to || !s.Matches(e.d) {
			continue
		}
		w := float64(e.weight)
		if s.latency {
			if e.lat < 0 {
				continue
			}
			c.Total += w
			if e.lat <= int64(s.thresholdMs) {
				c.Good += w
			}
			continue
		}
		c.Total += w
		if !s.bad.Contains(e.d.Status) {
			c.Good += w
		}
	}
	return c
}

func TestSumMatchesBruteForce(t *testing.T) {
	st, events := fill(t, 40)
	var specs []*Spec
	for _, c := range testConfig(t).SLOs {
		specs = append(specs, Compile(c))
	}
	ctx := context.Background()
	q, err := NewQuery(ctx, st, specs)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	ranges := []Range{
		{start, start.Add(40 * 24 * time.Hour)},
		{start.Add(-time.Hour), start.Add(90 * 24 * time.Hour)},
		{start.Add(37 * time.Minute), start.Add(37*time.Minute + 5*time.Minute)},
		{start.Add(23*time.Hour + 59*time.Minute), start.Add(25*time.Hour + time.Minute)},
	}
	for range 40 {
		a := start.Add(time.Duration(rng.IntN(40*24*60)) * time.Minute)
		ranges = append(ranges, Range{a, a.Add(time.Duration(rng.IntN(10*24*60)) * time.Minute)})
	}
	for _, r := range ranges {
		got, err := q.Sum(r)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range specs {
			want := brute(s, events, r.From.Unix(), r.To.Unix())
			if got[i] != want {
				t.Errorf("%s over [%s, %s): got %+v, want %+v", s.Name, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), got[i], want)
			}
		}
	}
	// A 40-day range reads about 40 day cells plus edges, not 57,600 minutes.
	q2, err := NewQuery(ctx, st, specs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q2.Sum(Range{start.Add(90 * time.Minute), start.Add(39*24*time.Hour + 30*time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if q2.CellsRead > 38+2*24+2*60 {
		t.Errorf("read %d cells for a 39-day range", q2.CellsRead)
	}
}

func TestEvaluate(t *testing.T) {
	st, events := fill(t, 35)
	specs := CompileAll(testConfig(t))
	now := start.Add(33*24*time.Hour + 7*time.Hour + 12*time.Minute + 30*time.Second)
	got, err := Evaluate(context.Background(), st, specs, now, slo.StatusWindows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(specs) {
		t.Fatalf("%d statuses for %d SLOs", len(got), len(specs))
	}
	end := slo.EndMinute(now).Unix()
	for i, s := range got {
		from, to := specs[i].Window.Bounds(now, time.UTC)
		if to.Unix() != end {
			t.Errorf("%s: window ends %v", s.Spec.Name, to)
		}
		want := brute(specs[i], events, from.Unix(), to.Unix())
		if s.Counts != want {
			t.Errorf("%s: window counts %+v, want %+v", s.Spec.Name, s.Counts, want)
		}
		if r := slo.BudgetRemaining(want, specs[i].Objective); math.Abs(s.Remaining-r) > 1e-12 {
			t.Errorf("%s: remaining %v, want %v", s.Spec.Name, s.Remaining, r)
		}
		for _, w := range slo.StatusWindows {
			wc := brute(specs[i], events, end-int64(w/time.Second), end)
			if s.Burn[w] != wc {
				t.Errorf("%s: %v counts %+v, want %+v", s.Spec.Name, w, s.Burn[w], wc)
			}
			if b := slo.BurnRate(wc, specs[i].Objective); math.Abs(s.BurnRates[w]-b) > 1e-12 {
				t.Errorf("%s: burn %v = %v, want %v", s.Spec.Name, w, s.BurnRates[w], b)
			}
		}
	}
}

func TestFloors(t *testing.T) {
	d := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	// Minutes kept from 10:00 on, hours from day 10 on.
	f := Floors{Minute: at(10, 0).Unix(), Hour: d.Unix()}
	for _, tc := range []struct {
		name     string
		r, want  Range
		exact    bool
		whyWords string
	}{
		{"all minutes kept", Range{at(10, 5), at(11, 7)}, Range{at(10, 5), at(11, 7)}, true, ""},
		{"seconds dropped", Range{at(10, 5).Add(30 * time.Second), at(11, 7).Add(time.Second)}, Range{at(10, 5), at(11, 7)}, true, ""},
		{"start in pruned minutes", Range{at(9, 5), at(11, 7)}, Range{at(9, 0), at(11, 7)}, false, "minute cells before 2026-03-10T10:00:00Z"},
		{"end's minutes pruned", Range{at(3, 0), at(9, 30)}, Range{at(3, 0), at(10, 0)}, false, "storage.retention.minutes"},
		{"end's hour straddles the floor", Range{at(3, 0), at(10, 30)}, Range{at(3, 0), at(10, 30)}, true, ""},
		{"whole hours in pruned minutes", Range{at(3, 0), at(9, 0)}, Range{at(3, 0), at(9, 0)}, true, ""},
		{"start in pruned hours", Range{at(-5, 10), at(11, 0)}, Range{d.Add(-24 * time.Hour), at(11, 0)}, false, "hour cells before 2026-03-10T00:00:00Z"},
		{"nothing pruned", Range{at(-5, 10), at(-1, 1)}, Range{at(-5, 10), at(-1, 1)}, true, ""},
	} {
		ff := f
		if tc.name == "nothing pruned" {
			ff = Floors{}
		}
		got := ff.Covered(tc.r)
		if !got.From.Equal(tc.want.From) || !got.To.Equal(tc.want.To) {
			t.Errorf("%s: Covered = [%v, %v), want [%v, %v)", tc.name, got.From, got.To, tc.want.From, tc.want.To)
		}
		if ff.Exact(tc.r) != tc.exact {
			t.Errorf("%s: Exact = %v, want %v", tc.name, !tc.exact, tc.exact)
		}
		if why := ff.Why(tc.r); (why == "") != tc.exact || !strings.Contains(why, tc.whyWords) {
			t.Errorf("%s: Why = %q, want it to say %q", tc.name, why, tc.whyWords)
		}
	}
}

// TestBrowserSLIsStayInRange reads cells holding what the collector never
// writes (more errors than page views, as a forged beacon stored before
// the collector counted one error a page view): every SLI's good events
// stay within [0, total], a page view dimension's junk errors take nothing
// from another's good page views, and honest cells count as they are.
func TestBrowserSLIsStayInRange(t *testing.T) {
	cfg, err := config.Parse([]byte(`
services: [{name: app, rum: {origins: ["*"]}}]
slos:
  - {name: errors, service: app, objective: 99, window: 28d, sli: {type: js_errors}}
  - {name: errors-b, service: app, objective: 99, window: 28d, filter: {route: ^/b$}, sli: {type: js_errors}}
  - {name: api, service: app, objective: 99, window: 28d, sli: {type: browser_api}}
  - {name: lcp, service: app, objective: 75, window: 28d, sli: {type: web_vital, vital: LCP, threshold: 2.5s}}
  - {name: journey, service: app, objective: 95, window: 28d, sli: {type: composite, components: [{slo: errors}, {slo: api}]}}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	view := func(dev, page string, code int) store.DimValue {
		return store.DimValue{Host: dev, Route: page, Method: "navigate", Status: code}
	}
	m := start.Unix()
	var b store.Batch
	// Minute 0: /a on desktop had 100 page views and 500 errors (junk);
	// /b on mobile 50 page views, 10 of them errored; 20 API calls, 5
	// failed; 4 LCPs, 3 of them good.
	b.Add("app", m, view("desktop", "/a", beacon.CodePageView), cells.NoLatency, 100)
	b.Add("app", m, view("desktop", "/a", beacon.CodeErrorView), cells.NoLatency, 500)
	b.Add("app", m, view("mobile", "/b", beacon.CodePageView), cells.NoLatency, 50)
	b.Add("app", m, view("mobile", "/b", beacon.CodeErrorView), cells.NoLatency, 10)
	b.Add("app", m, view("mobile", "/api/x", beacon.CodeAPIOK), cells.NoLatency, 15)
	b.Add("app", m, view("mobile", "/api/x", beacon.CodeAPIFailed), cells.NoLatency, 5)
	b.Add("app", m, view("mobile", "/b", beacon.CodeLCP), 2000, 3)
	b.Add("app", m, view("mobile", "/b", beacon.CodeLCP), 4000, 1)
	// Minute 1: errors without any page view (junk), and /a's 10 page
	// views, none errored.
	b.Add("app", m+60, view("tablet", "/c", beacon.CodeErrorView), cells.NoLatency, 7)
	b.Add("app", m+60, view("desktop", "/a", beacon.CodePageView), cells.NoLatency, 10)
	if err := st.Commit(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	specs := CompileAll(cfg)
	q, err := NewQuery(context.Background(), st, specs[:4])
	if err != nil {
		t.Fatal(err)
	}
	want := []slo.Counts{
		{Total: 160, Good: 0 + 40 + 10}, // /a's junk errors take /a's page views only
		{Total: 50, Good: 40},
		{Total: 20, Good: 15},
		{Total: 4, Good: 3},
	}
	// Over minutes, and over the hour and day cells they were rolled into
	// (the junk of minute 1 then meets minute 0's /a: still within range).
	for _, r := range []Range{
		{From: start, To: start.Add(2 * time.Minute)},
		{From: start, To: start.Add(24 * time.Hour)},
	} {
		got, err := q.Sum(r)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range got {
			if c.Good < 0 || c.Good > c.Total {
				t.Errorf("%s over %v: %v good of %v", specs[i].Name, r.To.Sub(r.From), c.Good, c.Total)
			}
		}
		if r.To.Sub(r.From) == 2*time.Minute {
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s: %+v, want %+v", specs[i].Name, got[i], want[i])
				}
			}
		}
		journey := Combine(specs[4].Components, []slo.Counts{got[0], got[2]})
		if journey.Good < 0 || journey.Good > journey.Total {
			t.Errorf("composite over %v: %v good of %v", r.To.Sub(r.From), journey.Good, journey.Total)
		}
	}
}

// TestSumExactWithStaleRollups: agents' pushes leave their hours and days
// stale until the store rolls them up (store.Roll); sums over ranges ending
// at and crossing stale hours and days equal the raw events' before, during
// and after the roll-ups, with late pushes into hours rolled up already.
func TestSumExactWithStaleRollups(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var specs []*Spec
	for _, c := range testConfig(t).SLOs {
		specs = append(specs, Compile(c))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	layout := cells.NewLayout(300)
	routes := []string{"/", "/api/users/:id", "/api/deals"}
	statuses := []int{200, 201, 404, 500}
	nodes := []string{"", "node-a", "node-b"}
	seq := map[string]int64{}
	var events []event
	// push stores n random events in [from, to) minutes after start, each
	// from a random node: serve's own (node "") or an agent's push.
	push := func(n int, from, to int) {
		batches := map[string]*store.Batch{}
		for range n {
			m := from + rng.IntN(to-from)
			node := nodes[rng.IntN(len(nodes))]
			e := event{t: start.Unix() + int64(m)*60, lat: int64(rng.ExpFloat64() * 200), weight: 1 + uint64(rng.IntN(3)),
				d: store.DimValue{Host: "a", Route: routes[rng.IntN(len(routes))], Method: "GET", Status: statuses[rng.IntN(len(statuses))], Node: node}}
			events = append(events, e)
			if batches[node] == nil {
				batches[node] = &store.Batch{}
			}
			batches[node].Add("web", e.t, e.d, layout.Bucket(e.lat*1000), e.weight)
		}
		for node, b := range batches {
			if node == "" {
				if err := st.Commit(ctx, b); err != nil {
					t.Fatal(err)
				}
				continue
			}
			seq[node]++
			if _, err := st.CommitPush(ctx, node, "i", "{}", []store.PushedCommit{{Seq: seq[node], Batch: b}}, start); err != nil {
				t.Fatal(err)
			}
		}
	}
	var ranges []Range
	for _, r := range [][2]time.Duration{
		{0, 3 * 24 * time.Hour},          // whole days
		{0, 25 * time.Hour},              // a day and an hour
		{5 * time.Hour, 24 * time.Hour},  // ending at a day
		{23 * time.Hour, 47 * time.Hour}, // crossing a day
		{10*time.Hour + 7*time.Minute, 49 * time.Hour},
		{26 * time.Hour, 26*time.Hour + 59*time.Minute},
		{47 * time.Hour, 5 * 24 * time.Hour}, // past the newest minute
	} {
		ranges = append(ranges, Range{start.Add(r[0]), start.Add(r[1])})
	}
	for range 30 {
		a := start.Add(time.Duration(rng.IntN(3*24*60)) * time.Minute)
		ranges = append(ranges, Range{a, a.Add(time.Duration(rng.IntN(2*24*60)) * time.Minute)})
	}
	check := func(when string) {
		t.Helper()
		q, err := NewQuery(ctx, st, specs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range ranges {
			got, err := q.Sum(r)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range specs {
				if want := brute(s, events, r.From.Unix(), r.To.Unix()); got[i] != want {
					t.Fatalf("%s: %s over [%s, %s): got %+v, want %+v", when, s.Name,
						r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), got[i], want)
				}
			}
		}
	}
	push(3000, 0, 3*24*60)
	check("stale")
	if _, err := st.Roll(ctx, start.Add(30*time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("rolled up to day 2, 06:00")
	push(300, 20*60, 28*60) // late, into hours and a day rolled up
	check("late pushes")
	if _, err := st.Roll(ctx, start.Add(5*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("rolled up")
	if n, err := st.Pending(ctx); err != nil || n != 0 {
		t.Fatalf("%d stale pieces, %v; want 0", n, err)
	}
}
