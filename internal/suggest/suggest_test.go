package suggest

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/genhist"
	"github.com/headroom-slo/headroom/internal/store"
)

// t0 is a Monday.
var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// testHistory is 42 days of one service with three incidents: errors on
// one route, errors and slowness on the API writes, slowness on a page.
func testHistory(days int) *genhist.History {
	day := func(d, h int) time.Time { return t0.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour) }
	return &genhist.History{
		Start: t0, Days: days, Seed: 7,
		Services: []genhist.Service{{Name: "web", RPS: 5, WeeklyGrowth: 0.03, DailyAmplitude: 0.6, PeakHour: 15, WeekendDip: 0.4, Noise: 0.05}},
		Incidents: []genhist.Incident{
			{Start: day(12, 10), Duration: 2 * time.Hour, Route: "/api/deals", Method: "GET", Status: 503, BadFraction: 0.5},
			{Start: day(30, 14), Duration: 40 * time.Minute, Group: genhist.APIWrite, Status: 502, BadFraction: 0.3, LatencyFactor: 4},
			{Start: day(21, 8), Duration: 3 * time.Hour, Route: "/deals/:id", LatencyFactor: 20},
		},
	}
}

var (
	storeOnce sync.Once
	storeDir  string
	testStore *store.Store
	storeErr  error
)

// TestMain removes the store filled shares between tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if testStore != nil {
		testStore.Close()
	}
	if storeDir != "" {
		os.RemoveAll(storeDir)
	}
	os.Exit(code)
}

// filled returns a store holding testHistory(42), written once per run.
func filled(t testing.TB) *store.Store {
	t.Helper()
	storeOnce.Do(func() {
		storeDir, storeErr = os.MkdirTemp("", "suggest-test")
		if storeErr != nil {
			return
		}
		testStore, storeErr = store.Open(storeDir, store.Options{})
		if storeErr == nil {
			storeErr = testHistory(42).Write(context.Background(), testStore)
		}
	})
	if storeErr != nil {
		t.Fatal(storeErr)
	}
	return testStore
}

func testConfig(t testing.TB) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(`
services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
slos:
  - {name: api, service: web, objective: 99.9, window: 28d, filter: {route: ^/api/}, sli: {type: availability}}
  - {name: everything, service: web, objective: 99, window: 28d, filter: {route: ^/}, sli: {type: availability}}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run analyses the test store with 7-day windows.
func run(t *testing.T) *Result {
	t.Helper()
	res, err := Run(context.Background(), filled(t), Options{Config: testConfig(t), Service: "web", Window: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("SUGGEST_DUMP") != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		os.WriteFile(os.Getenv("SUGGEST_DUMP"), b, 0o644)
	}
	return res
}

func day(d int) time.Time { return t0.Add(time.Duration(d) * 24 * time.Hour) }

func TestFindsIncidents(t *testing.T) {
	res := run(t)
	if len(res.Windows) != 42-7+1 {
		t.Fatalf("%d windows, want 36", len(res.Windows))
	}
	// Incident A: half of GET /api/deals answered 503 for two hours.
	w := res.WorstDays[0]
	if !w.Start.Equal(day(12)) || w.TopRoutes[0].Key != "GET /api/deals" || w.TopRoutes[0].Share < 0.9 || w.TopStatuses[0].Key != "503" {
		t.Errorf("worst day: %s, routes %+v, statuses %+v; want day 12, GET /api/deals, 503", w.Start, w.TopRoutes, w.TopStatuses)
	}
	// Incident B: 30% of the API writes answered 502.
	found := false
	for _, w := range res.WorstDays {
		if w.Start.Equal(day(30)) {
			found = true
			if w.TopStatuses[0].Key != "502" || Classify("POST", w.TopRoutes[0].Key[len("POST "):]) != GroupAPIWrite {
				t.Errorf("day 30: routes %+v, statuses %+v; want the API writes, 502", w.TopRoutes, w.TopStatuses)
			}
		}
	}
	if !found {
		t.Errorf("day 30 (the writes' 502s) is not among the worst days %v", starts(res.WorstDays))
	}
	// The worst window holds incident A; the next one that does not
	// overlap it holds incident B.
	if ww := res.WorstWindows; len(ww) < 2 || !holds(ww[0], day(12)) || !holds(ww[1], day(30)) {
		t.Errorf("worst windows %v: want the first to hold day 12 and the second day 30", starts(res.WorstWindows))
	}
	// Incident C: GET /deals/:id 20 times slower for three hours.
	if len(res.SlowDays) == 0 || !res.SlowDays[0].Start.Equal(day(21)) || res.SlowDays[0].SlowRoutes[0].Key != "GET /deals/:id" {
		t.Errorf("slow days %v: want day 21 first, GET /deals/:id", starts(res.SlowDays))
	}
}

func holds(w Worst, d time.Time) bool { return !d.Before(w.Start) && d.Before(w.End) }

func starts(ws []Worst) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Start.Format("01-02")+"→"+w.End.Format("01-02"))
	}
	return out
}

// TestWindowsMatchTruth checks the windows against the generator's truth
// and against sli.Query, and every candidate's met windows against the
// SLIs sli.Query computes for it.
func TestWindowsMatchTruth(t *testing.T) {
	res := run(t)
	h := testHistory(42)
	for _, i := range []int{0, 8, len(res.Windows) - 1} {
		w := res.Windows[i]
		var bad float64
		total := h.Totals("web", w.Start, w.End, func(_ time.Time, c genhist.Count) {
			if c.Dim.Status >= 500 {
				bad += float64(c.N)
			}
		})
		if total == 0 || w.Requests != float64(total) || w.Bad != bad {
			t.Errorf("window %d: %g requests, %g bad; the generator wrote %d, %g", i, w.Requests, w.Bad, total, bad)
		}
	}
	cfg, err := candidateConfig("web", res.Window, res.Candidates, config.Alerting{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sli.NewQuery(context.Background(), filled(t), sli.CompileAll(cfg))
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range res.Windows {
		sums, err := q.Sum(sli.Range{From: w.Start, To: w.End})
		if err != nil {
			t.Fatal(err)
		}
		if sums[0].Total != w.Requests || sums[0].Bad() != w.Bad {
			t.Errorf("window %d: %g requests, %g bad; sli.Query %+v", i, w.Requests, w.Bad, sums[0])
		}
		for k, c := range res.Candidates {
			met := slo.BudgetRemaining(sums[k], c.Objective/100) >= 0
			if met == slices.ContainsFunc(c.Missed, w.End.Equal) {
				t.Errorf("window %d, candidate %s: met %v by sli.Query, missed %v", i, describe(&c), met, c.Missed)
			}
		}
	}
	for _, c := range res.Candidates {
		if c.Met+len(c.Missed) != c.Windows || len(c.BudgetSpent) != c.Windows {
			t.Errorf("%s: %d met, %d missed, %d budgets of %d windows", describe(&c), c.Met, len(c.Missed), len(c.BudgetSpent), c.Windows)
		}
	}
}

// TestRecommendation loads the suggested YAML with the config loader and
// checks that each recommended SLO was met in the windows it says.
func TestRecommendation(t *testing.T) {
	res := run(t)
	if len(res.Recommended) != 2 {
		t.Fatalf("recommended %+v: want an availability and a latency SLO", res.Recommended)
	}
	cfg, err := config.Parse([]byte("services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]\n"+res.YAML), "suggested.yaml")
	if err != nil {
		t.Fatalf("the suggested YAML does not load: %v\n%s", err, res.YAML)
	}
	specs := sli.CompileAll(cfg)
	q, err := sli.NewQuery(context.Background(), filled(t), specs)
	if err != nil {
		t.Fatal(err)
	}
	met := make([]int, len(specs))
	for _, w := range res.Windows {
		sums, err := q.Sum(sli.Range{From: w.Start, To: w.End})
		if err != nil {
			t.Fatal(err)
		}
		for k, s := range specs {
			if slo.BudgetRemaining(sums[k], s.Objective) >= 0 {
				met[k]++
			}
		}
	}
	for k, r := range res.Recommended {
		c := pick(res.Candidates, r.SLI.Type)
		if c == nil || c.Objective != r.Objective || met[k] != c.Met || float64(met[k]) < MetShare*float64(len(res.Windows)) {
			t.Errorf("%s (%g%%): met in %d of %d windows by sli.Query; the candidate says %+v", r.Name, r.Objective, met[k], len(res.Windows), c)
		}
		if !strings.Contains(r.Description, fmt.Sprintf("met in %d of %d", met[k], len(res.Windows))) {
			t.Errorf("%s: description %q", r.Name, r.Description)
		}
	}
	// Every stricter availability objective fails the rule.
	best := pick(res.Candidates, config.Availability)
	for _, c := range res.Candidates {
		if c.Type == config.Availability && c.Objective > best.Objective && c.Qualifies {
			t.Errorf("%s qualifies too, and is stricter than %s", describe(&c), describe(best))
		}
	}
	if len(res.Reasons) != 2 || !strings.Contains(res.Reasons[0], fmt.Sprintf("%s was met in %d of %d", describe(best), best.Met, best.Windows)) {
		t.Errorf("reasons %q", res.Reasons)
	}
}

func TestNoise(t *testing.T) {
	res := run(t)
	h := testHistory(42)
	var total, health, bots, cerr float64
	h.Totals("web", res.Windows[0].Start, res.Windows[len(res.Windows)-1].End, func(_ time.Time, c genhist.Count) {
		total += float64(c.N)
		switch Classify(c.Dim.Method, c.Dim.Route) {
		case GroupHealth:
			health += float64(c.N)
		case GroupBot:
			bots += float64(c.N)
		}
		if c.Dim.Status >= 400 && c.Dim.Status < 500 {
			cerr += float64(c.N)
		}
	})
	n := res.Noise
	if n.Health != health/total || n.Bots != bots/total || n.ClientErrors != cerr/total {
		t.Errorf("noise %+v; the generator wrote health %g, bots %g, 4xx %g", n, health/total, bots/total, cerr/total)
	}
	if !(n.AvailabilityWithoutHealthBots < n.Availability) || !(n.AvailabilityWithout4xx < n.Availability) {
		t.Errorf("noise %+v: health checks, bots and 4xx all succeed, so without them availability is lower", n)
	}
	groups := map[string]Group{}
	for _, g := range res.Groups {
		groups[g.Name] = g
	}
	if g := groups["api"]; g.Kind != "filter" || g.Requests != groups[GroupAPIRead].Requests+groups[GroupAPIWrite].Requests {
		t.Errorf("the api SLO's filter group: %+v", g)
	}
	// A filter group holding everything has the service's noise.
	if g := groups["everything"]; g.Health != n.Health || g.Bots != n.Bots || g.AvailabilityWithoutHealthBots != n.AvailabilityWithoutHealthBots {
		t.Errorf("the everything SLO's filter group: %+v; the service's noise %+v", g, n)
	}
	if g := groups["api"]; g.Health != 0 || g.Bots != 0 || g.AvailabilityWithoutHealthBots != g.Availability {
		t.Errorf("the api SLO's filter group has health checks or bots: %+v", g)
	}
	if g := groups[GroupBot]; g.ClientErrors < 0.5 || !slices.Contains(g.Routes, "GET /wp-login.php") {
		t.Errorf("bots: %+v", g)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct{ method, route, want string }{
		{"GET", "/api/deals/:id", GroupAPIRead},
		{"HEAD", "/api", GroupAPIRead},
		{"POST", "/api/deals", GroupAPIWrite},
		{"DELETE", "/v2/items/:id", GroupAPIWrite},
		{"POST", "/graphql", GroupAPIWrite},
		{"GET", "/", GroupPage},
		{"POST", "/login", GroupPage},
		{"GET", "/apiary", GroupPage},
		{"GET", "/static/js/app.:id.js", GroupStatic},
		{"GET", "/favicon.ico", GroupStatic},
		{"GET", "/images/logo.PNG", GroupStatic},
		{"GET", "/assets/x", GroupStatic},
		{"GET", "/healthz", GroupHealth},
		{"GET", "/api/health", GroupHealth},
		{"GET", "/a/b/health", GroupPage},
		{"GET", "/robots.txt", GroupBot},
		{"GET", "/sitemap_index.xml", GroupBot},
		{"POST", "/wp-login.php", GroupBot},
		{"GET", "/.env", GroupBot},
		{"GET", "/.git/config", GroupBot},
		{"GET", "/.well-known/openid-configuration", GroupPage},
		{"GET", "/cgi-bin/test", GroupBot},
		{"GET", "-", GroupPage},
	} {
		if got := Classify(c.method, c.route); got != c.want {
			t.Errorf("Classify(%s %s) = %s, want %s", c.method, c.route, got, c.want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want uint32
	}{{0, 1}, {3.2, 4}, {9, 9}, {10, 10}, {87, 90}, {90.5, 95}, {100, 100}, {101, 150}, {143, 150}, {412, 450}, {951, 1000}, {1234, 1500}, {9999, 10000}, {12001, 15000}} {
		if got := NiceCeil(c.in); got != c.want {
			t.Errorf("NiceCeil(%g) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	st := filled(t)
	for _, c := range []struct {
		name string
		opt  Options
		want string
	}{
		{"unknown service", Options{Service: "nope"}, `service "nope": nothing stored yet`},
		{"window too long", Options{Service: "web", Window: 60 * 24 * time.Hour}, "no complete 60d window"},
		{"window not days", Options{Service: "web", Window: 36 * time.Hour}, "window 1d12h: must be whole days"},
		{"objective", Options{Service: "web", Objectives: []float64{100}}, "objective 100: must be a percentage"},
		{"empty range", Options{Service: "web", From: day(3), To: day(2)}, "empty range"},
	} {
		_, err := Run(context.Background(), st, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestRecommendedNamesAvoidTheConfigs: a config that has the names
// already gets numbered ones, and the block still loads beside it.
func TestRecommendedNamesAvoidTheConfigs(t *testing.T) {
	base := "services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]\nslos:\n" +
		"  - {name: web-availability, service: web, objective: 99, window: 28d, sli: {type: availability}}\n"
	cfg, err := config.Parse([]byte(base), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), filled(t), Options{Config: cfg, Service: "web", Window: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Recommended) == 0 || res.Recommended[0].Name != "web-availability-2" {
		t.Fatalf("recommended %+v: want web-availability-2 first", res.Recommended)
	}
	if _, err := config.Parse([]byte(base+strings.TrimPrefix(res.YAML, "slos:\n")), "test.yaml"); err != nil {
		t.Errorf("the block beside the config's SLOs: %v", err)
	}
}

// TestNothingQualifies: with only objectives the history never met,
// nothing of that type is recommended and the reason says which came
// closest.
func TestNothingQualifies(t *testing.T) {
	res, err := Run(context.Background(), filled(t), Options{Service: "web", Window: 7 * 24 * time.Hour,
		Objectives: []float64{99.999}, LatencyObjectives: []float64{99.999}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Recommended) != 0 || res.YAML != "" {
		t.Errorf("recommended %+v", res.Recommended)
	}
	if len(res.Reasons) != 2 || !strings.HasPrefix(res.Reasons[0], "availability: no candidate passes the rule; the best, 99.999%, was met in 0 of 36") {
		t.Errorf("reasons %q", res.Reasons)
	}
}
