package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/rum"
)

// pagesServer is a server over a day of web traffic, with some 5xx on
// /checkout, evaluated at a fixed instant.
func pagesServer(t *testing.T, opts Options) (http.Handler, time.Time) {
	t.Helper()
	eng, st := newMetricsEngine(t)
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var events []testEvent
	for m := range 24 * 60 {
		ts := at.Add(-time.Duration(m) * time.Minute)
		events = append(events, testEvent{t: ts, route: "/", status: 200, n: 3})
		if m%7 == 0 {
			events = append(events, testEvent{t: ts, route: "/checkout", status: 503, n: 1})
		}
		if m%3 == 0 {
			events = append(events, testEvent{t: ts, route: "/checkout", status: 200, n: 2})
		}
	}
	writeEvents(t, st, events)
	opts.Listen, opts.Engine = "127.0.0.1:0", eng
	opts.Now = func() time.Time { return at }
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.ln.Close() })
	return s.Handler(), at
}

func get(h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestPagesWithoutJavaScript: the numbers are in the HTML as the API gives
// them, the pages carry no inline script or style, and the CSP says so.
func TestPagesWithoutJavaScript(t *testing.T) {
	h, _ := pagesServer(t, Options{})
	var api slosResponse
	rec := get(h, "/api/v1/slos")
	if rec.Code != 200 {
		t.Fatalf("GET /api/v1/slos: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil {
		t.Fatal(err)
	}
	if len(api.SLOs) != 3 || api.SLOs[0].Name != "checkout" {
		t.Fatalf("SLOs %+v: want 3, checkout (the worst) first", api.SLOs)
	}
	page := get(h, "/")
	if page.Code != 200 {
		t.Fatalf("GET /: %d", page.Code)
	}
	html := page.Body.String()
	for _, o := range api.SLOs {
		row := regexp.MustCompile(`(?s)<tr data-slo="` + o.Name + `".*?</tr>`).FindString(html)
		if row == "" {
			t.Fatalf("no row for %s", o.Name)
		}
		for field, want := range map[string]float64{"sli": o.SLI, "budget": o.BudgetRemaining, "burn-1h": *o.BurnRates["1h"]} {
			m := regexp.MustCompile(`data-field="` + field + `" data-value="([^"]+)"`).FindStringSubmatch(row)
			if m == nil {
				t.Fatalf("%s: no %s in %s", o.Name, field, row)
			}
			if got, err := strconv.ParseFloat(m[1], 64); err != nil || !near(got, want) {
				t.Errorf("%s: %s %q in the page (%v), %v in the API", o.Name, field, m[1], err, want)
			}
		}
		if !o.NoData && !strings.Contains(row, report.FormatSLI(o.SLI, o.Objective)) {
			t.Errorf("%s: the SLI %s is not written in the row", o.Name, report.FormatSLI(o.SLI, o.Objective))
		}
	}
	for _, path := range []string{"/", "/slo/checkout", "/slo/web-avail?range=7d", "/service/web", "/service/api?range=1h"} {
		rec := get(h, path)
		body := rec.Body.String()
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		if m := regexp.MustCompile(`<script>|<script [^>]*>[^<]|\sstyle="|<style|\son[a-z]+="`).FindString(body); m != "" {
			t.Errorf("GET %s: inline script, style or handler in the page: %q", path, m)
		}
	}
	slo := get(h, "/slo/checkout").Body.String()
	for _, want := range []string{`data-chart="sli"`, `data-chart="burndown"`, `data-chart="burn"`, `data-chart="volume"`,
		`class="breakdown" data-by="route"`, `data-by="status"`, `data-by="host"`, `data-by="method"`, "Show the math", "/checkout", "503"} {
		if !strings.Contains(slo, want) {
			t.Errorf("SLO page lacks %s", want)
		}
	}
	// Until app.js draws them, charts say they are loading.
	charts := regexp.MustCompile(`<div class="chart"[^>]*>(<p[^>]*>[^<]*</p>)?`).FindAllStringSubmatch(slo, -1)
	if len(charts) != 4 {
		t.Errorf("SLO page: %d charts, want 4", len(charts))
	}
	for _, c := range charts {
		if !strings.Contains(c[0], `aria-busy="true"`) || !strings.Contains(c[1], "Loading the chart") {
			t.Errorf("a chart without its loading state: %s", c[0])
		}
	}
	// The refresh asks for <main> only.
	part := get(h, "/", partialHeader, "1").Body.String()
	if strings.Contains(part, "<html") || !strings.Contains(part, `data-slo="checkout"`) {
		t.Errorf("partial page: %.200s", part)
	}
}

func TestAPIErrorsAndParams(t *testing.T) {
	h, at := pagesServer(t, Options{})
	for _, tc := range []struct {
		path, code string
		status     int
	}{
		{"/api/v1/slos/nope", "not_found", 404},
		{"/api/v1/slos/checkout/breakdown?by=colour", "bad_request", 400},
		{"/api/v1/slos/checkout/series?from=yesterday", "bad_request", 400},
		{"/api/v1/slos/checkout/series?step=10s", "bad_request", 400},
		{"/api/v1/slos/checkout/series?from=-1h&to=-2h", "bad_request", 400},
		{"/api/v1/slos/checkout/series?range=1000d", "bad_request", 400},
		{"/api/v1/services/nope", "not_found", 404},
		{"/api/v2/x", "not_found", 404},
	} {
		rec := get(h, tc.path)
		var e apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != tc.status || e.Error.Code != tc.code || e.Error.Status != tc.status || e.Error.Message == "" {
			t.Errorf("GET %s: %d %s, want %d %s", tc.path, rec.Code, rec.Body, tc.status, tc.code)
		}
	}
	// at= everywhere, and relative from/to.
	var s struct {
		From, To time.Time
		Points   []struct{ Total float64 }
	}
	rec := get(h, "/api/v1/slos/web-avail/series?at="+at.Add(-6*time.Hour).Format(time.RFC3339)+"&from=-2h&step=1h")
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || rec.Code != 200 {
		t.Fatalf("series: %d %s", rec.Code, rec.Body)
	}
	if !s.To.Equal(at.Add(-6*time.Hour)) || !s.From.Equal(at.Add(-8*time.Hour)) || len(s.Points) != 2 || s.Points[0].Total == 0 {
		t.Errorf("series as of 6 h ago from -2h: %v → %v, %d points", s.From, s.To, len(s.Points))
	}
	var b struct {
		Bad  float64
		Rows []struct {
			Key string
			Bad float64
		}
	}
	want := 0.0 // the 503s in [at−24h, at): every 7th minute before at
	for m := 1; m < 24*60; m++ {
		if m%7 == 0 {
			want++
		}
	}
	rec = get(h, "/api/v1/slos/checkout/breakdown?by=status&range=24h")
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || len(b.Rows) != 1 || b.Rows[0].Key != "503" || b.Rows[0].Bad != b.Bad || b.Bad != want {
		t.Errorf("breakdown by status: %s", rec.Body)
	}
}

// TestAuth: everything but /healthz needs the credentials; the scheme of
// the Authorization header is case-insensitive (RFC 7235), for a bearer
// token as for basic auth.
func TestAuth(t *testing.T) {
	for _, tc := range []struct {
		name    string
		auth    Auth
		ok, bad []string // Authorization headers
	}{
		{"bearer", Auth{BearerToken: "s3cret"},
			[]string{"Bearer s3cret", "bearer s3cret", "BEARER s3cret", "Bearer  s3cret"},
			[]string{"Bearer nope", "Bearer", "Bearer ", "Bearers3cret", "Token s3cret", "s3cret", "Basic s3cret", "Bearer s3cret2"}},
		{"basic", Auth{Username: "sre", Password: "pw"},
			[]string{basic("sre", "pw"), strings.Replace(basic("sre", "pw"), "Basic", "basic", 1), strings.Replace(basic("sre", "pw"), "Basic", "BASIC", 1)},
			[]string{basic("sre", "no"), basic("ops", "pw"), strings.Replace(basic("sre", "pw"), "Basic", "Bearer", 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := pagesServer(t, Options{Auth: tc.auth})
			for _, path := range []string{"/", "/api/v1/slos", "/metrics", "/assets/app.js", "/slo/checkout"} {
				if rec := get(h, path); rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("GET %s without credentials: %d", path, rec.Code)
				}
				for _, a := range tc.bad {
					if rec := get(h, path, "Authorization", a); rec.Code != 401 {
						t.Errorf("GET %s with Authorization: %s: %d, want 401", path, a, rec.Code)
					}
				}
				for _, a := range tc.ok {
					if rec := get(h, path, "Authorization", a); rec.Code != 200 {
						t.Errorf("GET %s with Authorization: %s: %d, want 200", path, a, rec.Code)
					}
				}
			}
			if rec := get(h, "/healthz"); rec.Code != 200 {
				t.Errorf("GET /healthz: %d, want it open", rec.Code)
			}
		})
	}
}

func basic(u, p string) string {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(u, p)
	return req.Header.Get("Authorization")
}

func TestPinnedServerDoesNotRefresh(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	h, _ := pagesServer(t, Options{})
	if body := get(h, "/").Body.String(); !strings.Contains(body, `data-refresh-ms="3000"`) {
		t.Errorf("live page does not refresh every 3 s")
	}
	eng, _ := newMetricsEngine(t)
	s, err := New(Options{Listen: "127.0.0.1:0", Engine: eng, Pinned: at})
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	body := get(s.Handler(), "/").Body.String()
	if !strings.Contains(body, `data-refresh-ms="0"`) || !strings.Contains(body, fmt.Sprintf(`datetime="%s"`, at.Format(time.RFC3339))) {
		t.Errorf("pinned page refreshes or is not as of %v", at)
	}
}

// TestPartialStep: the last step of a series is marked partial when the
// range asked for ends inside it (at= between step boundaries: the step is
// still filling), and no step is when the range ends on a boundary.
func TestPartialStep(t *testing.T) {
	h, at := pagesServer(t, Options{})
	type point struct {
		T       time.Time `json:"t"`
		Total   float64   `json:"total"`
		Partial *bool     `json:"partial"`
	}
	var body struct {
		Points []point `json:"points"`
	}
	for _, tc := range []struct {
		name, path string
		at         time.Time
		partial    bool
	}{
		{"series within a step", "/api/v1/slos/web-avail/series", at.Add(-9*time.Minute - 30*time.Second), true},
		{"series on a boundary", "/api/v1/slos/web-avail/series", at.Add(-10 * time.Minute), false},
		{"service within a step", "/api/v1/services/web", at.Add(-9*time.Minute - 30*time.Second), true},
		{"service on a boundary", "/api/v1/services/web", at.Add(-10 * time.Minute), false},
	} {
		rec := get(h, tc.path+"?range=1h&step=5m&at="+tc.at.Format(time.RFC3339))
		body.Points = nil
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 || len(body.Points) == 0 {
			t.Fatalf("%s: %d %.300s", tc.name, rec.Code, rec.Body)
		}
		for i, p := range body.Points {
			last := i == len(body.Points)-1
			switch {
			case p.Partial == nil:
				t.Errorf("%s: point %v has no partial", tc.name, p.T)
			case *p.Partial != (last && tc.partial):
				t.Errorf("%s: point %d of %d (%v–%v, at %v) partial %v", tc.name, i, len(body.Points), p.T, p.T.Add(5*time.Minute), tc.at, *p.Partial)
			}
		}
	}
}

// TestBrowserServicePage: a frontend app's service page and API show its
// page views, JavaScript errors and API calls as its beacons said, and
// nothing of Nginx; its SLOs' breakdowns name the events.
func TestBrowserServicePage(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, `
services:
  - name: web-frontend
    rum: {origins: ["*"]}
slos:
  - {name: frontend-errors, service: web-frontend, objective: 99, window: 28d, sli: {type: js_errors}}
  - {name: frontend-api, service: web-frontend, objective: 99, window: 28d, sli: {type: browser_api}}
`)
	c := rum.New(cfg, st, nil)
	// 4 page views of /app/:id, one with an error; 6 calls to /api/fail
	// (all 503) and 3 to /api/ok.
	for i := range 4 {
		ev := fmt.Sprintf(`{"t":"pageview","id":"p%d"}`, i)
		for k := range 3 {
			ok := i == 0
			ev += fmt.Sprintf(`,{"t":"api","id":"p%d-%d","route":"/api/%s","ok":%v,"status":%d}`, i, k, map[bool]string{true: "ok", false: "fail"}[ok], ok, map[bool]int{true: 200, false: 503}[ok])
		}
		if i == 3 {
			ev += `,{"t":"error","id":"p3:err"},{"t":"vital","id":"p3-lcp","n":"LCP","v":1800}`
		}
		body := fmt.Sprintf(`{"v":1,"app":"web-frontend","page":"/app/%d","nav":"navigate","dev":"desktop","pv":"p%d","ev":[%s]}`, 100+i, i, ev)
		if err := c.Accept([]byte(body), "https://app.example.com", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	s, err := New(Options{Listen: "127.0.0.1:0", Engine: eng, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.ln.Close() })
	h := s.Handler()

	var api map[string]any
	rec := get(h, "/api/v1/services/web-frontend")
	if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil || rec.Code != 200 {
		t.Fatalf("GET /api/v1/services/web-frontend: %d %s", rec.Code, rec.Body)
	}
	for _, k := range []string{"requests", "classes", "error_rate", "p50_ms", "top_routes", "points"} {
		if _, ok := api[k]; ok {
			t.Errorf("a frontend app's service has Nginx's %q", k)
		}
	}
	b, _ := api["browser"].(map[string]any)
	want := map[string]float64{"page_views": 4, "error_page_views": 1, "error_rate": 0.25, "api_calls": 12, "api_failed": 9, "api_failure_rate": 0.75}
	for k, w := range want {
		if b[k] != w {
			t.Errorf("browser.%s = %v, want %v", k, b[k], w)
		}
	}
	if rec := get(h, "/api/v1/services"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"page_views":4`) {
		t.Errorf("GET /api/v1/services: %d %.300s", rec.Code, rec.Body)
	}

	page := get(h, "/service/web-frontend")
	html := page.Body.String()
	if page.Code != 200 {
		t.Fatalf("GET /service/web-frontend: %d %s", page.Code, html)
	}
	for _, w := range []string{`data-field="page-views" data-value="4"`, `data-field="error-page-views" data-value="1"`,
		`data-field="api-calls" data-value="12"`, `data-field="api-failed" data-value="9"`, `data-field="device-desktop" data-value="4"`,
		`data-chart="pageviews"`, `data-chart="apicalls"`, `<tr data-page="/app/:id">`, `<tr data-path="/api/fail">`, `data-field="vital-LCP" data-value="`} {
		if !strings.Contains(html, w) {
			t.Errorf("the service page lacks %s", w)
		}
	}
	for _, nginx := range []string{"By status class", "<h2>5xx</h2>", "Top routes by 5xx", `data-chart="classes"`, `data-chart="latency"`, "p99"} {
		if strings.Contains(html, nginx) {
			t.Errorf("a frontend app's service page shows Nginx's %q", nginx)
		}
	}

	var bd struct {
		Rows []struct {
			Key string  `json:"key"`
			Bad float64 `json:"bad"`
		} `json:"rows"`
	}
	rec = get(h, "/api/v1/slos/frontend-api/breakdown?by=status")
	if err := json.Unmarshal(rec.Body.Bytes(), &bd); err != nil || len(bd.Rows) != 1 || bd.Rows[0].Key != "api failed" || bd.Rows[0].Bad != 9 {
		t.Errorf("frontend-api by status: %s", rec.Body)
	}
	slo := get(h, "/slo/frontend-api").Body.String()
	for _, w := range []string{`<td class="key">api failed</td>`, `<th>event</th>`, `<th>API path</th>`, `<th>device</th>`, `<th>navigation</th>`,
		"share of bad", "of range budget", "Good and bad API calls"} {
		if !strings.Contains(slo, w) {
			t.Errorf("the SLO page of frontend-api lacks %s", w)
		}
	}
}
