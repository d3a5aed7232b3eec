package rum_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
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

// TestServiceCountsBeacons checks what a frontend app's service page and
// /api/v1/services/{name} show against the beacons sent, recounted here: page
// views and those with an error, API calls and failures by path, page views
// by device, vitals by page; a service with logs as well keeps its requests
// apart from its beacons. Breakdowns and alerts name the browser events.
func TestServiceCountsBeacons(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, fmt.Sprintf(`
services:
  - name: web-frontend
    rum: {origins: [%[1]q]}
  - name: shop
    logs: [{path: /dev/null}]
    rum: {origins: [%[1]q]}
slos:
  - {name: frontend-errors, service: web-frontend, objective: 99, window: 28d, sli: {type: js_errors}}
  - {name: frontend-api, service: web-frontend, objective: 99, window: 28d, sli: {type: browser_api}}
  - {name: frontend-lcp, service: web-frontend, objective: 75, window: 28d, sli: {type: web_vital, vital: LCP, threshold: 2.5s}}
`, origin))
	c := rum.New(cfg, st, nil)
	ctx := context.Background()

	// 24 page views over three pages, two devices and two navigations;
	// errors on every fifth; each calls /api/deals/N (failing on every
	// third) and the even ones /api/cart too (always ok).
	type pageCount struct{ views, errors, lcps float64 }
	type apiCount struct{ calls, failed float64 }
	pages := map[string]*pageCount{}
	apis := map[string]*apiCount{}
	devices := map[string]float64{}
	var views, errs, calls, failed float64
	for i := range 24 {
		path, tmpl := fmt.Sprintf("/deals/%d", 100+i), "/deals/:id"
		switch i % 4 {
		case 1:
			path, tmpl = "/", "/"
		case 2:
			path, tmpl = "/help", "/help"
		}
		dev := []string{"desktop", "mobile"}[i%2]
		pv := fmt.Sprintf("c%d", i)
		ev := []string{
			fmt.Sprintf(`{"t":"pageview","id":%q}`, pv),
			fmt.Sprintf(`{"t":"vital","id":"%s-lcp","n":"LCP","v":%d}`, pv, 1000+200*i),
			fmt.Sprintf(`{"t":"api","id":"%s-a","route":"/api/deals/%d?x=1","ok":%v,"status":%d}`, pv, i, i%3 != 0, []int{503, 200, 200}[i%3]),
		}
		if pages[tmpl] == nil {
			pages[tmpl] = &pageCount{}
		}
		pages[tmpl].views++
		pages[tmpl].lcps++
		views++
		devices[dev]++
		count := func(route string, ok bool) {
			if apis[route] == nil {
				apis[route] = &apiCount{}
			}
			apis[route].calls++
			calls++
			if !ok {
				apis[route].failed++
				failed++
			}
		}
		count("/api/deals/:id", i%3 != 0)
		if i%2 == 0 {
			ev = append(ev, fmt.Sprintf(`{"t":"api","id":"%s-b","route":"/api/cart","ok":true,"status":200}`, pv))
			count("/api/cart", true)
		}
		if i%5 == 0 {
			ev = append(ev, fmt.Sprintf(`{"t":"error","id":"%s:err"}`, pv))
			pages[tmpl].errors++
			errs++
		}
		body := fmt.Sprintf(`{"v":1,"app":"web-frontend","page":%q,"nav":%q,"dev":%q,"pv":%q,"ev":[%s]}`,
			path, []string{"navigate", "reload"}[i%3/2], dev, pv, strings.Join(ev, ","))
		if err := c.Accept([]byte(body), origin, fmt.Sprintf("10.4.0.%d", i)); err != nil {
			t.Fatalf("beacon %d: %v", i, err)
		}
	}
	// The shop takes beacons and has Nginx logs: 3 page views, 2 API
	// calls (1 failed), and 50 requests a minute (5 of them 503) for 10
	// minutes.
	for i := range 3 {
		body := fmt.Sprintf(`{"v":1,"app":"shop","page":"/","nav":"navigate","dev":"tablet","pv":"s%d","ev":[{"t":"pageview","id":"s%d"}%s]}`,
			i, i, []string{"", `,{"t":"api","id":"s-a","route":"/api/pay","ok":false,"status":0}`, `,{"t":"api","id":"s-b","route":"/api/pay","ok":true,"status":200}`}[i])
		if err := c.Accept([]byte(body), origin, "10.5.0.1"); err != nil {
			t.Fatalf("shop beacon %d: %v", i, err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	headroomtest.Traffic(t, st, "shop", now.Truncate(time.Minute).Add(-20*time.Minute), 10, 50, func(time.Time) int { return 5 })

	from, to := now.Add(-time.Hour), now.Add(time.Minute)
	s, err := eng.Service(ctx, "web-frontend", from, to, 5*time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if s.Traffic != nil {
		t.Errorf("a frontend app without logs has Nginx traffic: %+v", *s.Traffic)
	}
	b := s.Browser
	if b == nil {
		t.Fatal("a frontend app has no browser traffic")
	}
	if b.PageViews != views || b.ErrorViews != errs || b.ErrorRate != errs/views ||
		b.APICalls != calls || b.APIFailed != failed || b.APIFailureRate != failed/calls {
		t.Errorf("page views %v (errors %v, %v), API calls %v (failed %v, %v); want %v (%v), %v (%v)",
			b.PageViews, b.ErrorViews, b.ErrorRate, b.APICalls, b.APIFailed, b.APIFailureRate, views, errs, calls, failed)
	}
	if len(b.Devices) != len(devices) || b.Devices["desktop"] != devices["desktop"] || b.Devices["mobile"] != devices["mobile"] {
		t.Errorf("page views by device %v, want %v", b.Devices, devices)
	}
	if b.PageCount != len(pages) || len(b.Pages) != len(pages) || b.Pages[0].Page != "/deals/:id" {
		t.Errorf("pages %+v (of %d), want %d, /deals/:id (the most viewed) first", b.Pages, b.PageCount, len(pages))
	}
	for _, p := range b.Pages {
		w := pages[p.Page]
		if w == nil || p.PageViews != w.views || p.ErrorViews != w.errors || p.Vitals["LCP"].Count != w.lcps {
			t.Errorf("page %s: %v views, %v with errors, %v LCPs; want %+v", p.Page, p.PageViews, p.ErrorViews, p.Vitals["LCP"].Count, w)
		}
	}
	if b.APIPathCount != len(apis) || len(b.API) != len(apis) || b.API[0].Path != "/api/deals/:id" {
		t.Errorf("API paths %+v (of %d), want %d, /api/deals/:id (with failures) first", b.API, b.APIPathCount, len(apis))
	}
	for _, a := range b.API {
		w := apis[a.Path]
		if w == nil || a.Calls != w.calls || a.Failed != w.failed || a.FailureRate != w.failed/w.calls {
			t.Errorf("API path %s: %v calls, %v failed (%v); want %+v", a.Path, a.Calls, a.Failed, a.FailureRate, w)
		}
	}
	if v := b.Vitals["LCP"]; v.Count != views || v.Rating == "" {
		t.Errorf("LCP of all pages %+v, want %v page views rated", v, views)
	}
	var sum [4]float64
	for i, p := range b.Points {
		sum[0] += p.PageViews
		sum[1] += p.ErrorViews
		sum[2] += p.APICalls
		sum[3] += p.APIFailed
		if last := i == len(b.Points)-1; p.Partial != last {
			t.Errorf("point %d of %d (%v): partial %v", i, len(b.Points), p.T, p.Partial)
		}
	}
	if sum != [4]float64{views, errs, calls, failed} {
		t.Errorf("the points add up to %v, want %v", sum, [4]float64{views, errs, calls, failed})
	}

	// Breakdowns, and so alerts, name the events.
	for _, tc := range []struct {
		slo, by string
		want    map[string]float64
	}{
		{"frontend-errors", "status", map[string]float64{"js error": errs}},
		{"frontend-api", "status", map[string]float64{"api failed": failed}},
		{"frontend-errors", "host", map[string]float64{"desktop": 3, "mobile": 2}},
	} {
		top, err := eng.TopBad(ctx, tc.slo, from, to, tc.by, 3)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, r := range top {
			got[r.Key] = r.Bad
		}
		if len(got) != len(tc.want) || !maps.Equal(got, tc.want) {
			t.Errorf("%s by %s: top bad %v, want %v", tc.slo, tc.by, got, tc.want)
		}
	}

	// The shop's requests and beacons, apart.
	shop, err := eng.Service(ctx, "shop", from, to, 5*time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if shop.Traffic == nil || shop.Requests != 500 || shop.Classes["5xx"] != 50 || shop.Classes["-"] != 0 || shop.Browser == nil ||
		shop.Browser.PageViews != 3 || shop.Browser.APICalls != 2 || shop.Browser.APIFailed != 1 || shop.Browser.Devices["tablet"] != 3 {
		t.Errorf("shop: traffic %+v, browser %+v; want 500 requests (50 5xx), 3 page views and 2 API calls (1 failed)", shop.Traffic, shop.Browser)
	}
}

// forged is a step of forgedBeacons: beacons, answered 204, the events of
// them the collector ignores, by reason, and those left waiting for a page
// view (ignored as no_page_view when it does not come within 30 s).
type forged struct {
	name    string
	beacons [][]byte
	ignored map[string]int64
	waiting int
}

// forgedBeacons is what no rum.js sends, after 100 good page views g0…g99:
// errors of page views never seen, a page view's second error, page view,
// vital, and API calls past its limits. A page view counts once, errored
// or not; its vitals once each; its API calls up to 1,000.
func forgedBeacons() []forged {
	api := func(pv string, from, n int) []string {
		var out []string
		for k := range n {
			out = append(out, fmt.Sprintf(`{"t":"api","id":"%s:api:%d","route":"/api/x","ok":false,"status":503}`, pv, from+k))
		}
		return out
	}
	var views, unseen [][]byte
	for i := range 100 {
		views = append(views, beacon(fmt.Sprintf("g%d", i), fmt.Sprintf(`{"t":"pageview","id":"g%d"}`, i)))
	}
	for i := range 300 {
		unseen = append(unseen, beacon(fmt.Sprintf("n%d", i), fmt.Sprintf(`{"t":"error","id":"n%d:err"}`, i)))
	}
	return []forged{
		{"100 good page views", views, nil, 0},
		{"errors of 300 page views never seen", unseen, nil, 300},
		{"an error of a page view seen", [][]byte{beacon("g1", `{"t":"error","id":"g1:err"}`)}, nil, 0},
		{"its second error", [][]byte{beacon("g1", `{"t":"error","id":"g1:err2"}`)}, map[string]int64{"over_limit": 1}, 0},
		{"its second page view", [][]byte{beacon("g1", `{"t":"pageview","id":"g1-again"}`)}, map[string]int64{"over_limit": 1}, 0},
		{"an LCP", [][]byte{beacon("g2", `{"t":"vital","id":"g2-lcp","n":"LCP","v":9000}`)}, nil, 0},
		{"a second LCP", [][]byte{beacon("g2", `{"t":"vital","id":"g2-lcp2","n":"LCP","v":9000}`)}, map[string]int64{"over_limit": 1}, 0},
		{"vitals and API calls of a page view never seen", [][]byte{beacon("n1", append(api("n1", 0, 3), `{"t":"vital","id":"n1-lcp","n":"LCP","v":9000}`)...)}, nil, 4},
		{"1,000 failed API calls", [][]byte{beacon("g3", api("g3", 0, 500)...), beacon("g3", api("g3", 500, 500)...)}, nil, 0},
		{"a page view's 1,001st", [][]byte{beacon("g3", api("g3", 1000, 1)...)}, map[string]int64{"over_limit": 1}, 0},
	}
}

// sendForged sends the steps of forgedBeacons, each beacon from its own
// address, calling after (if set) after each step.
func sendForged(t *testing.T, c *rum.Collector, after func(forged)) {
	t.Helper()
	sent := 0
	for _, f := range forgedBeacons() {
		for _, b := range f.beacons {
			sent++
			if err := c.Accept(b, origin, fmt.Sprintf("10.7.%d.%d", sent/250, sent%250)); err != nil {
				t.Errorf("%s: %v, want accepted", f.name, err)
			}
		}
		if after != nil {
			after(f)
		}
	}
}

// TestForgedBeaconsCannotMoveAnSLO sends the beacon (500 errors
// without a page view) and forgedBeacons: each SLO counts what the 100
// page views did, and no more.
func TestForgedBeaconsCannotMoveAnSLO(t *testing.T) {
	c, eng := setup(t, "")
	errs := make([]string, 500)
	for i := range errs {
		errs[i] = fmt.Sprintf(`{"t":"error","id":"x%d"}`, i)
	}
	var rej *rum.Rejection
	if err := c.Accept(beacon("forged", errs...), origin, "10.7.99.1"); !errors.As(err, &rej) || rej.Status != 400 {
		t.Errorf("500 errors in a beacon: %v, want 400 (one error a beacon)", err)
	}
	sendForged(t, c, nil)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{
		"frontend-errors": {100, 99},
		"frontend-lcp":    {1, 0},
		"frontend-cls":    {0, 0},
		"frontend-api":    {1000, 0},
		// (2 × 0.99 + 1 × 0) / 3 of all 1,100 events.
		"journey": {1100, 1100 * 2 * 0.99 / 3},
	}
	got := rum.SLOCounts(t, eng, time.Now())
	for name, w := range want {
		if g := got[name]; g[0] != w[0] || math.Abs(g[1]-w[1]) > 1e-6 {
			t.Errorf("%s: %v good of %v, want %v of %v", name, g[1], g[0], w[1], w[0])
		}
	}
}

// TestFailedCommitKeepsBeacons fails a flush (its context is cancelled, as
// a full disk fails a commit): the beacons answered 204 before it are
// committed by the next flush, none lost and none twice.
func TestFailedCommitKeepsBeacons(t *testing.T) {
	c, eng := setup(t, "")
	for i := range 100 {
		pv := fmt.Sprintf("k%d", i)
		ev := []string{fmt.Sprintf(`{"t":"pageview","id":%q}`, pv), fmt.Sprintf(`{"t":"api","id":"%s:api:1","route":"/api/x","ok":true,"status":200}`, pv)}
		if i%10 == 0 {
			ev = append(ev, fmt.Sprintf(`{"t":"error","id":"%s:err"}`, pv))
		}
		if err := c.Accept(beacon(pv, ev...), origin, fmt.Sprintf("10.8.0.%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	failing, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Flush(failing); err == nil {
		t.Fatal("a flush with a cancelled context succeeded")
	}
	if got := rum.SLOCounts(t, eng, time.Now())["frontend-errors"]; got[0] != 0 {
		t.Fatalf("a failed flush stored %v page views", got[0])
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rum.SLOCounts(t, eng, time.Now())
	if g := got["frontend-errors"]; g != [2]float64{100, 90} {
		t.Errorf("js_errors after the store recovered: %v good of %v, want 90 of the 100 page views answered 204", g[1], g[0])
	}
	if g := got["frontend-api"]; g != [2]float64{100, 100} {
		t.Errorf("browser_api after the store recovered: %v good of %v, want 100 of 100", g[1], g[0])
	}
}
