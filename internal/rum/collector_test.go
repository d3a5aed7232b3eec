package rum_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/rum"
)

const origin = "https://app.example.com"

func setup(t *testing.T, extra string) (*rum.Collector, *report.Engine) {
	t.Helper()
	cfg, st, eng := headroomtest.Open(t, fmt.Sprintf(`
services:
  - name: web-frontend
    rum: {origins: [%q], rate_limit: 5%s}
slos:
  - {name: frontend-lcp, service: web-frontend, objective: 75, window: 28d, sli: {type: web_vital, vital: LCP, threshold: 2.5s}}
  - {name: frontend-cls, service: web-frontend, objective: 75, window: 28d, sli: {type: web_vital, vital: CLS, score: 0.1}}
  - {name: frontend-errors, service: web-frontend, objective: 99, window: 28d, sli: {type: js_errors}}
  - {name: frontend-api, service: web-frontend, objective: 99, window: 28d, sli: {type: browser_api}}
  - name: journey
    service: web-frontend
    objective: 95
    window: 28d
    sli: {type: composite, components: [{slo: frontend-errors, weight: 2}, {slo: frontend-api}]}
`, origin, extra))
	return rum.New(cfg, st, nil), eng
}

func beacon(pv string, events ...string) []byte {
	return []byte(fmt.Sprintf(`{"v":1,"app":"web-frontend","page":"/deals/%s","nav":"navigate","dev":"desktop","pv":%q,"ev":[%s]}`,
		pv, pv, strings.Join(events, ",")))
}

func TestBeaconsCountExactly(t *testing.T) {
	c, eng := setup(t, "")
	ctx := context.Background()
	// 10 page views: LCP 1s..10s (3 good ≤ 2.5s... 1000, 2000, 2500), CLS
	// 0.05 or 0.2, errors in 2, API calls ok in 7, failed in 3.
	for i := 1; i <= 10; i++ {
		pv := fmt.Sprintf("pv%d", i)
		ev := []string{
			fmt.Sprintf(`{"t":"pageview","id":%q}`, pv),
			fmt.Sprintf(`{"t":"vital","id":"%s-lcp","n":"LCP","v":%d}`, pv, []int{1000, 2000, 2500, 2501, 3000, 4000, 5000, 6000, 7000, 8000}[i-1]),
			fmt.Sprintf(`{"t":"vital","id":"%s-cls","n":"CLS","v":%v}`, pv, []float64{0.05, 0.2}[i%2]),
			fmt.Sprintf(`{"t":"api","id":"%s-api","route":"/api/deals/%d","ok":%v,"status":%d}`, pv, i, i <= 7, []int{200, 503}[btoi(i > 7)]),
		}
		if i <= 2 {
			ev = append(ev, fmt.Sprintf(`{"t":"error","id":"%s:err"}`, pv))
		}
		if err := c.Accept(beacon(pv, ev...), origin, fmt.Sprintf("10.0.0.%d", i)); err != nil {
			t.Fatalf("beacon %d: %v", i, err)
		}
		// The same beacon again (sendBeacon retried, a page re-hidden):
		// counted once.
		if err := c.Accept(beacon(pv, ev...), origin, "10.0.1.1"); err != nil {
			t.Fatalf("repeat %d: %v", i, err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	slos, err := eng.SLOs(ctx, time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{ // total, good
		"frontend-lcp":    {10, 3},
		"frontend-cls":    {10, 5},
		"frontend-errors": {10, 8},
		"frontend-api":    {10, 7},
		// A composite: the weighted mean of the SLIs, (2×0.8 + 1×0.7)/3,
		// over all the components' events.
		"journey": {20, 20 * (2*0.8 + 0.7) / 3},
	}
	if len(slos) != len(want) {
		t.Fatalf("%d SLOs, want %d", len(slos), len(want))
	}
	for _, o := range slos {
		w, ok := want[o.Name]
		if !ok {
			t.Errorf("unexpected SLO %s", o.Name)
			continue
		}
		if o.Total != w[0] || math.Abs(o.Good-w[1]) > 1e-6 {
			t.Errorf("%s: %v good of %v, want %v of %v", o.Name, o.Good, o.Total, w[1], w[0])
		}
	}
	if s := c.Stats(); s.Accepted != 20 || s.Duplicates != 42 || s.Events != 42 {
		t.Errorf("stats %+v: want 20 accepted, 42 events (4 a page view, 2 errors), 42 duplicates", s)
	}
	ser, err := eng.Series(ctx, "journey", time.Now().Add(-time.Hour), time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var tot float64
	for _, p := range ser.Points {
		tot += p.Total
	}
	if tot != 20 {
		t.Errorf("composite series: %v events, want 20", tot)
	}
	// The alert evaluator sees the composite the same way.
	ms, err := eng.Measures(ctx, time.Now(), []time.Duration{time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, m := range ms {
		if m.SLO == "journey" {
			seen = true
			if h := m.Windows[time.Hour]; m.WindowEvents != 20 || math.Abs(h.SLI()-(2*0.8+0.7)/3) > 1e-9 || h.Total != 20 {
				t.Errorf("composite measures: %+v", m)
			}
		}
	}
	if !seen {
		t.Error("the alert evaluator's measures have no composite")
	}
	if _, err := eng.Breakdown(ctx, "journey", time.Now().Add(-time.Hour), time.Now(), "route", 0); err == nil {
		t.Error("a composite has a breakdown")
	}
	// Pages and API routes are templated like Nginx routes.
	b, err := eng.Breakdown(ctx, "frontend-api", time.Now().Add(-time.Hour), time.Now(), "route", 0)
	if err != nil || len(b.Rows) != 1 || b.Rows[0].Key != "/api/deals/:id" || b.Rows[0].Bad != 3 {
		t.Errorf("API breakdown: %+v %v", b, err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestBadBeaconsAreRefusedWhole(t *testing.T) {
	c, eng := setup(t, "")
	ok := `{"t":"pageview","id":"a"}`
	for _, tc := range []struct {
		name   string
		body   []byte
		origin string
		status int
		reason string
	}{
		{"too large", []byte(`{"v":1,"pad":"` + strings.Repeat("x", rum.MaxBody) + `"}`), origin, 413, "too_large"},
		{"not json", []byte(`{"v":1,`), origin, 400, "malformed"},
		{"unknown field", []byte(`{"v":1,"app":"web-frontend","cookie":"x"}`), origin, 400, "malformed"},
		{"unknown app", []byte(`{"v":1,"app":"nope","page":"/","nav":"navigate","dev":"desktop","pv":"p","ev":[` + ok + `]}`), origin, 404, "unknown_app"},
		{"wrong origin", beacon("p1", ok), "https://evil.example", 403, "origin"},
		{"no origin", beacon("p1", ok), "", 403, "origin"},
		{"bad vital", beacon("p2", ok, `{"t":"vital","id":"x","n":"FID","v":3}`), origin, 400, "malformed"},
		{"negative vital", beacon("p3", ok, `{"t":"vital","id":"y","n":"LCP","v":-1}`), origin, 400, "malformed"},
		{"api without ok", beacon("p4", ok, `{"t":"api","id":"z","route":"/x"}`), origin, 400, "malformed"},
		{"no events", beacon("p5"), origin, 400, "malformed"},
	} {
		err := c.Accept(tc.body, tc.origin, "10.9.9.9")
		var rej *rum.Rejection
		if !errors.As(err, &rej) || rej.Status != tc.status || rej.Reason != tc.reason {
			t.Errorf("%s: %v, want %d %s", tc.name, err, tc.status, tc.reason)
		}
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Nothing of them is stored: the good page views of p2..p4 were in
	// refused beacons.
	slos, err := eng.SLOs(context.Background(), time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(slos) != 5 {
		t.Fatalf("%d SLOs, want the 5 configured", len(slos))
	}
	for _, o := range slos {
		if o.Total != 0 {
			t.Errorf("%s counts %v events from refused beacons", o.Name, o.Total)
		}
	}
	s := c.Stats()
	if s.Rejected["malformed"] != 6 || s.Rejected["origin"] != 2 || s.Rejected["too_large"] != 1 || s.Rejected["unknown_app"] != 1 {
		t.Errorf("rejections counted: %v", s.Rejected)
	}
}

func TestRateLimitPerClient(t *testing.T) {
	c, _ := setup(t, "")
	// rate_limit 5: a burst of 10, then refused; another client is not.
	var refused int
	for i := range 30 {
		err := c.Accept(beacon(fmt.Sprintf("f%d", i), fmt.Sprintf(`{"t":"pageview","id":"f%d"}`, i)), origin, "10.1.1.1")
		var rej *rum.Rejection
		if errors.As(err, &rej) && rej.Status == 429 {
			refused++
		}
	}
	if refused < 15 || refused > 20 {
		t.Errorf("%d of 30 refused from one client at 5/s (burst 10), want about 20", refused)
	}
	if err := c.Accept(beacon("other", `{"t":"pageview","id":"other"}`), origin, "10.2.2.2"); err != nil {
		t.Errorf("another client: %v", err)
	}
}

func TestSampling(t *testing.T) {
	c, eng := setup(t, ", sample_rate: 0.5")
	for i := range 2000 {
		pv := fmt.Sprintf("s%d", i)
		if err := c.Accept(beacon(pv, fmt.Sprintf(`{"t":"pageview","id":%q}`, pv)), origin, fmt.Sprintf("10.3.%d.%d", i/250, i%250)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	o, err := eng.SLO(context.Background(), "frontend-errors", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if o.Total < 900 || o.Total > 1100 {
		t.Errorf("sample_rate 0.5 kept %v of 2000 page views", o.Total)
	}
}
