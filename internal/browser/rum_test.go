package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The frontend app of TestRUM and its SLOs.
const (
	rumApp        = "web-frontend"
	sloLCP        = "frontend-lcp"
	sloCLS        = "frontend-cls"
	sloJSErrors   = "frontend-errors"
	sloBrowserAPI = "frontend-api"
)

// Deadlines of TestRUM.
const (
	// rumPageWork bounds the wait for a test page's own script to have
	// shifted, called its APIs and thrown.
	rumPageWork = 10 * time.Second
	// rumArrival bounds the wait for the beacons to be counted: the
	// collector commits every second.
	rumArrival = 10 * time.Second
	// rumSettled is how long the API's counts must stay the same, once they
	// are what the test expects, before they count as final: a repeated or
	// late beacon would change them within a commit or two.
	rumSettled = 2500 * time.Millisecond
)

// stamp formats the times of the log, to compare with the beacons'.
const stamp = "15:04:05.000"

// rumCounts is an SLO's events: {total, good}.
type rumCounts struct {
	Total float64 `json:"total"`
	Good  float64 `json:"good"`
}

func (c rumCounts) String() string { return fmt.Sprintf("total %g, good %g", c.Total, c.Good) }

// TestRUM loads two pages of a test site, on its own origin, that include
// headroom's /rum.js, in headless Chromium: /app/123 shifts its layout,
// calls one API that answers 200 and one that answers 503, and throws an
// uncaught error; /app/456 does none of that but one XHR that answers 200.
// Leaving the pages flushes rum.js's beacons. The frontend SLOs must then
// count exactly those page views, vitals and API calls, and rum.js must have
// written nothing to the console.
func TestRUM(t *testing.T) {
	chrome := requireChromium(t)
	began := time.Now()

	bin := headroomBin(t)
	dir := t.TempDir()
	site := newRUMSite(t) // listening: its origin goes into the config
	cfg := rumConfig(t, dir, site.origin)
	srv := startServe(t, bin, dir, cfg)
	tap := newBeaconTap(t, "http://"+srv.addr)
	site.start(tap.origin)
	srv.waitHealthy(t)
	t.Logf("test site %s, headroom %s (through the beacon tap %s); setup took %v",
		site.origin, srv.addr, tap.origin, time.Since(began).Round(time.Millisecond))

	bctx := newBrowser(t, chrome)
	tab, console := openTab(t, bctx)
	rc := &rumConsole{script: tap.origin + "/rum.js"}
	if err := chromedp.Listen(tab, rc.listen); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, 4*pageTimeout)
	defer cancel()

	// /app/123: a layout shift, two API calls (one fails) and an uncaught
	// error, each without any input; /app/456: one XHR that succeeds. Each
	// page stays open for at least the brief's 1.5 s and 1 s, and until its
	// script has done everything.
	var csp []string
	visit := func(path string, stay time.Duration, done string) {
		t.Helper()
		u := site.origin + path
		start := time.Now()
		t.Logf("%s: open %s", start.Format(stamp), u)
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
		if err != nil {
			t.Fatalf("load %s: %v", u, err)
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("load %s: HTTP %d %s", u, resp.Status, resp.StatusText)
		}
		st := waitPageWork(t, ctx, done)
		if st.RUM != 1 || !st.WebVitals {
			t.Errorf("%s: rum.js did not install itself (window.__headroomRUM = %v, window.webVitals present: %v)", path, st.RUM, st.WebVitals)
		}
		t.Logf("%s: its script done %v after the navigation began: %+v", path, time.Since(start).Round(time.Millisecond), st)
		time.Sleep(time.Until(start.Add(stay)))
		for _, v := range cspViolations(t, ctx) {
			csp = append(csp, path+": "+v)
		}
	}
	visit("/app/123", 1500*time.Millisecond, `s.shifted && s.status.length === 2 && s.thrown`)
	visit("/app/456", time.Second, `s.status.length === 1`)
	// Leaving a page flushes rum.js's queue: Chromium fires pagehide first
	// (a beacon with all but CLS and LCP), then visibilitychange, on which
	// web-vitals reports CLS and LCP and rum.js flushes again (a second
	// beacon).
	left := time.Now()
	t.Logf("%s: open about:blank", left.Format(stamp))
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("leave the page: %v", err)
	}

	want := map[string]rumCounts{
		// Two page views; /app/123's error counts once, whatever beacons
		// carried it.
		sloJSErrors: {Total: 2, Good: 1},
		// /api/ok (200) and /api/fail (503) from /app/123, /api/ok (200, an
		// XHR) from /app/456.
		sloBrowserAPI: {Total: 3, Good: 2},
		// One CLS per page view: /app/123's shift is far above 0.1,
		// /app/456 has none (web-vitals reports CLS 0 when hidden).
		sloCLS: {Total: 2, Good: 1},
		// One LCP per page view (reported when the page is hidden), both
		// well under 2.5 s on a local page.
		sloLCP: {Total: 2, Good: 2},
		// No INP SLO: without an interaction a page has no INP, and
		// web-vitals reports none (TTFB and FCP are sent, and checked
		// below as what rum.js sent, but no SLO here uses them).
	}
	got, reached := waitRUMCounts(t, srv, want, left)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w, g := want[name], got[name]
		if g != w {
			t.Errorf("%s: %v, want %v", name, g, w)
		} else {
			t.Logf("%s: %v, as expected, final %v after leaving the last page", name, g, reached[name].Round(time.Millisecond))
		}
	}

	checkAPIBreakdown(t, srv)
	sent, perPage := tap.check(t, site.origin)
	checkRUMStats(t, srv, sent)
	// What rum.js sent, as distinct event ids: where a count above is off,
	// this says whether rum.js or headroom is.
	wantSent := map[string]map[string]int{
		"/app/123": {"pageview": 1, "error": 1, "api": 2, "LCP": 1, "CLS": 1, "FCP": 1, "TTFB": 1},
		"/app/456": {"pageview": 1, "api": 1, "LCP": 1, "CLS": 1, "FCP": 1, "TTFB": 1},
	}
	for _, page := range slices.Sorted(maps.Keys(wantSent)) {
		for kind, n := range wantSent[page] {
			if perPage[page][kind] != n {
				t.Errorf("rum.js sent %d distinct %s events for %s, want %d", perPage[page][kind], kind, page, n)
			}
		}
	}
	for page, kinds := range perPage {
		for kind, n := range kinds {
			if _, ok := wantSent[page][kind]; !ok {
				// An INP (no interaction here) or an error on /app/456.
				t.Errorf("rum.js sent %d %s events for %s, want none", n, kind, page)
			}
		}
	}
	t.Logf("distinct events rum.js sent, by page: %v", perPage)
	checkBrowserServicePage(t, bctx, srv, tap)
	if len(csp) > 0 {
		t.Errorf("%d Content-Security-Policy violations on the test pages:\n\t%s", len(csp), strings.Join(csp, "\n\t"))
	}
	checkRUMConsole(t, console, rc, site.origin)
	t.Logf("whole test took %v", time.Since(began).Round(time.Millisecond))
}

// rumConfig writes a config with one frontend app, fed from origin, and its
// four SLOs, and returns its path.
func rumConfig(t *testing.T, dir, origin string) string {
	t.Helper()
	cfg := fmt.Sprintf(`storage: {dir: %q}
services:
  - name: %s
    rum: {origins: [%q]}
slos:
  - {name: %[4]s, service: %[2]s, objective: 75, window: 1d, sli: {type: web_vital, vital: LCP, threshold: 2.5s}}
  - {name: %[5]s, service: %[2]s, objective: 75, window: 1d, sli: {type: web_vital, vital: CLS, score: 0.1}}
  - {name: %[6]s, service: %[2]s, objective: 99, window: 1d, sli: {type: js_errors}}
  - {name: %[7]s, service: %[2]s, objective: 99, window: 1d, sli: {type: browser_api}}
`, filepath.Join(dir, "data"), rumApp, origin, sloLCP, sloCLS, sloJSErrors, sloBrowserAPI)
	path := filepath.Join(dir, "headroom.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ---- the test site ----

// rumSite is the site under measurement, on its own origin: two pages that
// include headroom's rum.js, their scripts, and two APIs.
type rumSite struct {
	*httptest.Server
	origin   string
	headroom string // where rum.js is: the beacon tap in front of headroom; set before the site serves
}

// newRUMSite listens on a loopback port, closed when the test ends; start
// serves.
func newRUMSite(t *testing.T) *rumSite {
	s := &rumSite{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.origin = "http://" + s.Listener.Addr().String()
	t.Cleanup(s.Close)
	return s
}

// start serves, with pages that load rum.js from headroom (the origin of
// the beacon tap in front of it).
func (s *rumSite) start(headroom string) {
	s.headroom = headroom
	s.Start()
}

// rumPageHTML is a test page: %[1]s its title, %[2]s rum.js's origin,
// %[3]s its script. Its largest paint is the heading's text; nothing on it is
// an image.
const rumPageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%[1]s</title>
<link rel="stylesheet" href="/static/site.css">
<script src="%[2]s/rum.js" data-app="web-frontend" defer></script>
<script src="/static/%[3]s" defer></script>
</head>
<body>
<main>
<h1>%[1]s: a deal worth reading about</h1>
<p>Every deal on this page is made up. The text is here so that the page has
something to paint and, on one of the pages, something to push down.</p>
<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
tempor incididunt ut labore et dolore magna aliqua.</p>
<p>Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut
aliquip ex ea commodo consequat.</p>
</main>
</body>
</html>
`

const rumSiteCSS = `body { margin: 0; font: 20px/1.5 sans-serif; }
main { padding: 24px; min-height: 800px; }
h1 { font-size: 56px; margin: 0 0 24px; }
.banner { height: 450px; background: #fc6; }
`

// shiftJS is /app/123's script: after the load event, a 450 px banner
// inserted above everything (a layout shift without input: a CLS of about
// 450 / 1366 ≈ 0.33 at most impact), a call to /api/ok and one to /api/fail,
// and an uncaught error.
const shiftJS = `window.__app = {shifted: false, status: [], thrown: false};
window.addEventListener('load', function () {
  setTimeout(function () {
    var b = document.createElement('div');
    b.className = 'banner';
    document.body.insertBefore(b, document.body.firstChild);
    window.__app.shifted = true;
  }, 300);
  ['/api/ok', '/api/fail'].forEach(function (u) {
    fetch(u).then(function (r) { window.__app.status.push(r.status); });
  });
  setTimeout(function () { window.__app.thrown = true; throw new Error('boom'); }, 500);
});
`

// calmJS is /app/456's script: one XHR that succeeds (with a query string,
// which the route must not keep), nothing else.
const calmJS = `window.__app = {shifted: false, status: [], thrown: false};
window.addEventListener('load', function () {
  var x = new XMLHttpRequest();
  x.open('GET', '/api/ok?via=xhr');
  x.addEventListener('loadend', function () { window.__app.status.push(x.status); });
  x.send();
});
`

func (s *rumSite) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// no-store also keeps the pages out of the back/forward cache, so
	// leaving a page unloads it.
	h.Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/app/123", "/app/456":
		script := "shift.js"
		if r.URL.Path == "/app/456" {
			script = "calm.js"
		}
		// A strict policy, as a real site may have: rum.js must need
		// nothing but its own script and a connection to headroom.
		h.Set("Content-Security-Policy", fmt.Sprintf("default-src 'self'; script-src 'self' %[1]s; connect-src 'self' %[1]s", s.headroom))
		h.Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, rumPageHTML, "App "+strings.TrimPrefix(r.URL.Path, "/app/"), s.headroom, script)
	case "/static/site.css":
		h.Set("Content-Type", "text/css; charset=utf-8")
		io.WriteString(w, rumSiteCSS)
	case "/static/shift.js", "/static/calm.js":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		if r.URL.Path == "/static/shift.js" {
			io.WriteString(w, shiftJS)
		} else {
			io.WriteString(w, calmJS)
		}
	case "/api/ok":
		h.Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok": true}`)
	case "/api/fail":
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"ok": false}`)
	case "/favicon.ico":
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// pageWork is what a test page's script did, and whether rum.js installed
// itself.
type pageWork struct {
	Shifted   bool  `json:"shifted"`
	Status    []int `json:"status"`
	Thrown    bool  `json:"thrown"`
	RUM       int   `json:"rum"`
	WebVitals bool  `json:"webVitals"`
}

// waitPageWork waits until done (a JS expression over s, the page's
// window.__app) holds.
func waitPageWork(t *testing.T, ctx context.Context, done string) pageWork {
	t.Helper()
	js := `(() => { const s = window.__app || {shifted: false, status: [], thrown: false};
		return {shifted: s.shifted, status: s.status, thrown: s.thrown, rum: window.__headroomRUM || 0,
			webVitals: typeof window.webVitals === 'object', done: !!(` + done + `)}; })()`
	type state struct {
		pageWork
		Done bool `json:"done"`
	}
	deadline := time.Now().Add(rumPageWork)
	for {
		st, err := chromedp.Run(ctx, chromedp.Evaluate[state](js))
		if err != nil {
			t.Fatalf("read the page's state: %v", err)
		}
		if st.Done {
			return st.pageWork
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page's script has not done its work after %v: %+v", rumPageWork, st.pageWork)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---- headroom's side ----

// getLive fetches an API path as of now (srv.get pins at= to the sample's
// end) and decodes its JSON answer into v.
func getLive(t *testing.T, srv *serveProc, path string, q url.Values, v any) {
	t.Helper()
	u := "http://" + srv.addr + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", u, err, body)
		}
	}
}

// waitRUMCounts polls /api/v1/slos until every SLO of want has its counts
// and they stayed so for rumSettled, or until rumArrival after since. It
// returns the last counts, and when each SLO's last change came, after
// since.
func waitRUMCounts(t *testing.T, srv *serveProc, want map[string]rumCounts, since time.Time) (map[string]rumCounts, map[string]time.Duration) {
	t.Helper()
	got := map[string]rumCounts{}
	changed := map[string]time.Duration{}
	lastChange := time.Now()
	for {
		var api struct {
			SLOs []struct {
				Name string `json:"name"`
				rumCounts
			} `json:"slos"`
		}
		getLive(t, srv, "/api/v1/slos", nil, &api)
		now := time.Now()
		for _, o := range api.SLOs {
			if _, ok := want[o.Name]; ok && got[o.Name] != o.rumCounts {
				got[o.Name] = o.rumCounts
				changed[o.Name] = now.Sub(since)
				lastChange = now
			}
		}
		all := true
		for name, w := range want {
			all = all && got[name] == w
		}
		switch {
		case all && now.Sub(lastChange) >= rumSettled:
			return got, changed
		case now.Sub(since) > rumArrival+rumSettled:
			t.Logf("counts after %v: %v", now.Sub(since).Round(time.Millisecond), got)
			return got, changed
		}
		time.Sleep(pollEvery)
	}
}

// checkAPIBreakdown checks that the one failed API call is /api/fail's.
func checkAPIBreakdown(t *testing.T, srv *serveProc) {
	t.Helper()
	var b struct {
		Total float64  `json:"total"`
		Bad   float64  `json:"bad"`
		Rows  []apiRow `json:"rows"`
		Other *apiRow  `json:"other"`
	}
	getLive(t, srv, "/api/v1/slos/"+sloBrowserAPI+"/breakdown", url.Values{"by": {"route"}, "range": {"1h"}}, &b)
	if b.Total != 3 || b.Bad != 1 || len(b.Rows) != 1 || b.Rows[0].Key != "/api/fail" || b.Rows[0].Bad != 1 || b.Other != nil {
		t.Errorf("%s breakdown by route: total %g, bad %g, rows %+v, other %+v; want total 3, bad 1, one row /api/fail with 1 bad",
			sloBrowserAPI, b.Total, b.Bad, b.Rows, b.Other)
		return
	}
	t.Logf("%s breakdown by route: the bad call is %s (%g of %g)", sloBrowserAPI, b.Rows[0].Key, b.Bad, b.Total)
}

// checkRUMStats checks headroom's beacon counters in /metrics: it accepted
// every beacon the tap passed on, and refused none.
func checkRUMStats(t *testing.T, srv *serveProc, tapped int) {
	t.Helper()
	u := "http://" + srv.addr + "/metrics"
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	var lines []string
	accepted := "none"
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "headroom_rum_") {
			continue
		}
		lines = append(lines, line)
		if v, ok := strings.CutPrefix(line, `headroom_rum_beacons_total{result="accepted"} `); ok {
			accepted = v
		} else if strings.HasPrefix(line, "headroom_rum_beacons_total{") {
			t.Errorf("headroom refused beacons: %s", line)
		}
	}
	t.Logf("headroom's beacon counters:\n\t%s", strings.Join(lines, "\n\t"))
	if accepted != fmt.Sprint(tapped) {
		t.Errorf("headroom accepted %s beacons, want the %d rum.js sent", accepted, tapped)
	}
}

// ---- between the browser and headroom ----

// beaconTap is a reverse proxy in front of headroom that records the beacons
// on their way: the test pages load rum.js through it, so rum.js sends its
// beacons to it. (The browser does not show the DevTools protocol the
// beacons a page sends while it unloads, which are all of them here.) It
// changes nothing: the Origin header, the body and headroom's answer pass as
// they are.
type beaconTap struct {
	*httptest.Server
	origin string

	mu      sync.Mutex
	beacons []tappedBeacon
}

// tappedBeacon is one POST /api/v1/rum and headroom's answer.
type tappedBeacon struct {
	at          time.Time
	origin      string
	contentType string
	cookie      bool
	body        []byte
	status      int
}

func newBeaconTap(t *testing.T, headroom string) *beaconTap {
	t.Helper()
	target, err := url.Parse(headroom)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	tap := &beaconTap{}
	tap.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/rum" || r.Method != http.MethodPost {
			proxy.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		b := tappedBeacon{at: time.Now(), origin: r.Header.Get("Origin"), contentType: r.Header.Get("Content-Type"),
			cookie: r.Header.Get("Cookie") != "", body: body}
		proxy.ServeHTTP(rec, r)
		b.status = rec.status
		tap.mu.Lock()
		tap.beacons = append(tap.beacons, b)
		tap.mu.Unlock()
	}))
	tap.origin = tap.URL
	t.Cleanup(tap.Close)
	return tap
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (tap *beaconTap) list() []tappedBeacon {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	return slices.Clone(tap.beacons)
}

// rumBeacon is a beacon as docs/frontend.md describes it; decoding rejects
// any other field.
type rumBeacon struct {
	V    int    `json:"v"`
	App  string `json:"app"`
	Page string `json:"page"`
	Nav  string `json:"nav"`
	Dev  string `json:"dev"`
	PV   string `json:"pv"`
	Ev   []struct {
		T      string   `json:"t"`
		ID     string   `json:"id"`
		N      string   `json:"n"`
		V      *float64 `json:"v"`
		Route  string   `json:"route"`
		OK     *bool    `json:"ok"`
		Status int      `json:"status"`
	} `json:"ev"`
}

// check logs every beacon with its events, and fails on one that is not as
// docs/frontend.md says (for these pages: a text/plain POST from the site's
// origin, without cookies, v 1, the app, the page's path, a navigation, a
// desktop) or that headroom did not answer 204. It returns how many beacons
// it saw and, over all of them, the distinct event ids of each kind of event
// (pageview, error, api, and each vital by name) of each page.
func (tap *beaconTap) check(t *testing.T, siteOrigin string) (int, map[string]map[string]int) {
	t.Helper()
	ids := map[string]map[string]map[string]bool{} // page → kind → id
	var lines []string
	list := tap.list()
	for i, b := range list {
		where := fmt.Sprintf("beacon %d", i+1)
		var bc rumBeacon
		dec := json.NewDecoder(bytes.NewReader(b.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&bc); err != nil {
			t.Errorf("%s: not a beacon: %v: %s", where, err, b.body)
			continue
		}
		var problems []string
		if !strings.HasPrefix(b.contentType, "text/plain") {
			problems = append(problems, fmt.Sprintf("Content-Type %q, want text/plain", b.contentType))
		}
		if b.origin != siteOrigin {
			problems = append(problems, fmt.Sprintf("Origin %q, want %q", b.origin, siteOrigin))
		}
		if b.cookie {
			problems = append(problems, "sent cookies")
		}
		if b.status != http.StatusNoContent {
			problems = append(problems, fmt.Sprintf("headroom answered %d, want 204", b.status))
		}
		if bc.V != 1 || bc.App != rumApp || bc.Page != "/app/123" && bc.Page != "/app/456" || bc.Nav != "navigate" || bc.Dev != "desktop" || bc.PV == "" {
			problems = append(problems, fmt.Sprintf("v %d app %q page %q nav %q dev %q pv %q, want 1, %q, /app/123 or /app/456, navigate, desktop and a page view id",
				bc.V, bc.App, bc.Page, bc.Nav, bc.Dev, bc.PV, rumApp))
		}
		if len(problems) > 0 {
			t.Errorf("%s: %s\n\t%s", where, strings.Join(problems, "; "), b.body)
		}
		if ids[bc.Page] == nil {
			ids[bc.Page] = map[string]map[string]bool{}
		}
		var evs []string
		for _, e := range bc.Ev {
			kind := e.T
			switch {
			case e.T == "vital" && e.V != nil:
				kind = e.N
				evs = append(evs, fmt.Sprintf("%s %g", e.N, *e.V))
			case e.T == "api" && e.OK != nil:
				evs = append(evs, fmt.Sprintf("api %s %d ok=%v", e.Route, e.Status, *e.OK))
				if strings.ContainsAny(e.Route, "?#") {
					t.Errorf("%s: api route %q has a query string or a fragment", where, e.Route)
				}
			default:
				evs = append(evs, e.T)
			}
			if ids[bc.Page][kind] == nil {
				ids[bc.Page][kind] = map[string]bool{}
			}
			ids[bc.Page][kind][e.ID] = true
		}
		lines = append(lines, fmt.Sprintf("%s %s (%d bytes) → %d: %s", b.at.Format(stamp), bc.Page, len(b.body), b.status, strings.Join(evs, ", ")))
	}
	t.Logf("%d beacons:\n\t%s", len(list), strings.Join(lines, "\n\t"))
	out := map[string]map[string]int{}
	for page, kinds := range ids {
		out[page] = map[string]int{}
		for kind, set := range kinds {
			out[page][kind] = len(set)
		}
	}
	return len(list), out
}

// ---- the browser's side ----

// rumConsole records every console call rum.js made, of any level (the
// tab's consoleLog keeps errors and warnings only).
type rumConsole struct {
	script string // rum.js's URL

	mu    sync.Mutex
	lines []string
}

func (c *rumConsole) listen(ev any) {
	e, ok := ev.(*runtime.EventConsoleAPICalled)
	if !ok || e.StackTrace == nil {
		return
	}
	for _, f := range e.StackTrace.CallFrames {
		if f.URL == c.script {
			c.mu.Lock()
			c.lines = append(c.lines, "console."+string(e.Type)+": "+argsText(e.Args)+stackWhere(e.StackTrace))
			c.mu.Unlock()
			return
		}
	}
}

// checkRUMConsole fails on anything the tab logged but what the test pages
// cause on purpose: /app/123's uncaught Error('boom') and the browser's
// error line for its /api/fail (HTTP 503), each exactly once. rum.js must
// have written nothing at all, at any level.
func checkRUMConsole(t *testing.T, console *consoleLog, rc *rumConsole, siteOrigin string) {
	t.Helper()
	errs, warns := console.snapshot()
	var boom, fail int
	var others []string
	for _, e := range errs {
		switch {
		case strings.HasPrefix(e, "uncaught exception: ") && strings.Contains(e, "Error: boom") && strings.Contains(e, siteOrigin+"/static/shift.js"):
			boom++
		case strings.HasPrefix(e, "browser log (network): ") && strings.Contains(e, "503") && strings.Contains(e, "["+siteOrigin+"/api/fail]"):
			fail++
		default:
			others = append(others, e)
		}
	}
	if boom != 1 || fail != 1 {
		t.Errorf("the page's own errors: %d uncaught 'boom' and %d failed /api/fail, want 1 each; errors:\n\t%s", boom, fail, strings.Join(errs, "\n\t"))
	}
	if len(others) > 0 {
		t.Errorf("%d unexpected console errors:\n\t%s", len(others), strings.Join(others, "\n\t"))
	}
	for _, w := range warns {
		if strings.Contains(w, rc.script) {
			t.Errorf("rum.js caused a console warning: %s", w)
		} else {
			t.Logf("console warning: %s", w)
		}
	}
	rc.mu.Lock()
	lines := slices.Clone(rc.lines)
	rc.mu.Unlock()
	if len(lines) > 0 {
		t.Errorf("rum.js wrote to the console %d times:\n\t%s", len(lines), strings.Join(lines, "\n\t"))
	}
	t.Logf("console errors: %d (the page's 'boom' and its /api/fail 503); rum.js wrote nothing", len(errs))
}

// ---- headroom's dashboard of the app ----

// rumPage is the template headroom stores both test pages under: a number
// in a path becomes :id (docs/frontend.md).
const rumPage = "/app/:id"

// beaconCounts are what the beacons said, counted here from the distinct
// event ids the tap saw: page views, those with an error, by device; API
// calls and failed calls, by path.
type beaconCounts struct {
	views, errors float64
	devices       map[string]float64
	calls, failed map[string]float64 // by API path
}

// counts recounts the tapped beacons' events (each id once).
func (tap *beaconTap) counts(t *testing.T) beaconCounts {
	t.Helper()
	c := beaconCounts{devices: map[string]float64{}, calls: map[string]float64{}, failed: map[string]float64{}}
	seen := map[string]bool{}
	for _, b := range tap.list() {
		var bc rumBeacon
		if err := json.Unmarshal(b.body, &bc); err != nil {
			continue // tap.check reported it
		}
		for _, e := range bc.Ev {
			if seen[e.ID] {
				continue
			}
			seen[e.ID] = true
			switch {
			case e.T == "pageview":
				c.views++
				c.devices[bc.Dev]++
			case e.T == "error":
				c.errors++
			case e.T == "api" && e.OK != nil:
				c.calls[e.Route]++
				if !*e.OK {
					c.failed[e.Route]++
				}
			}
		}
	}
	return c
}

// checkBrowserServicePage loads the app's service page (live) and checks its
// numbers against the beacons rum.js sent, counted by the tap: page views
// and JavaScript errors, API calls and failures by path, page views by
// device; that it shows nothing of Nginx; that its charts draw and mark
// their partial step; and that the JS errors SLO's page names the event it
// counts bad. It saves the pages' screenshots as service-browser.png and
// slo-browser.png.
func checkBrowserServicePage(t *testing.T, bctx context.Context, srv *serveProc, tap *beaconTap) {
	t.Helper()
	want := tap.counts(t)
	var calls, failed float64
	for path, n := range want.calls {
		calls += n
		failed += want.failed[path]
	}
	if want.views != 2 || want.errors != 1 || calls != 3 || failed != 1 {
		t.Errorf("the tap counted %v page views, %v errors, %v API calls, %v failed; the pages make 2, 1, 3, 1", want.views, want.errors, calls, failed)
	}

	tab, console := openTab(t, bctx)
	ctx, cancel := context.WithTimeout(tab, pageTimeout)
	defer cancel()
	u := "http://" + srv.addr + "/service/" + rumApp
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("load %s: %v", u, err)
	}
	defer console.check(t, ctx)
	shots := screenshotDir(t)
	if resp.Status != http.StatusOK {
		t.Fatalf("load %s: HTTP %d", u, resp.Status)
	}

	got := readNumbers(t, ctx)
	if got.Service != rumApp {
		t.Errorf("#numbers: data-service %q, want %q", got.Service, rumApp)
	}
	fields := map[string]float64{
		"page-views": want.views, "error-page-views": want.errors, "js-error-rate": want.errors / want.views,
		"api-calls": calls, "api-failed": failed, "api-failure-rate": failed / calls,
	}
	for dev, n := range want.devices {
		fields["device-"+dev] = n
	}
	var vitals []string
	for _, fv := range got.Fields {
		if strings.HasPrefix(fv.Field, "vital-") {
			vitals = append(vitals, fv.Field)
			fields[fv.Field], _ = strconv.ParseFloat(fv.Value, 64) // measured by the browser: present is enough
		}
		for _, nginx := range []string{"requests", "error-rate", "class-"} {
			if strings.HasPrefix(fv.Field, nginx) {
				t.Errorf("#numbers of a frontend app shows Nginx's %s", fv.Field)
			}
		}
	}
	if !slices.Contains(vitals, "vital-LCP") || !slices.Contains(vitals, "vital-CLS") {
		t.Errorf("#numbers: web vitals %v, want LCP and CLS at least", vitals)
	}
	compareFields(t, "#numbers", got.Fields, fields)

	type row struct {
		Key    string       `json:"key"`
		Fields []fieldValue `json:"fields"`
	}
	rows := func(sel, key string) map[string][]fieldValue {
		t.Helper()
		list, err := chromedp.Run(ctx, chromedp.Evaluate[[]row](`Array.from(document.querySelectorAll('`+sel+` tbody tr[`+key+`]'))
			.map(tr => ({key: tr.getAttribute('`+key+`'), fields: `+fmt.Sprintf(fieldsJS, "tr")+`}))`))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		out := map[string][]fieldValue{}
		for _, r := range list {
			out[r.Key] = r.Fields
		}
		return out
	}
	pages := rows("table#pages", "data-page")
	if len(pages) != 1 {
		t.Errorf("table#pages: pages %v, want only %s", slices.Collect(maps.Keys(pages)), rumPage)
	}
	pageFields := map[string]float64{"page-views": want.views, "error-page-views": want.errors}
	for _, fv := range pages[rumPage] {
		if _, ok := pageFields[fv.Field]; !ok {
			pageFields[fv.Field], _ = strconv.ParseFloat(fv.Value, 64) // a vital
		}
	}
	compareFields(t, "table#pages "+rumPage, pages[rumPage], pageFields)
	apis := rows("table#api-paths", "data-path")
	if len(apis) != len(want.calls) {
		t.Errorf("table#api-paths: paths %v, want %v", slices.Collect(maps.Keys(apis)), want.calls)
	}
	for path, n := range want.calls {
		compareFields(t, "table#api-paths "+path, apis[path], map[string]float64{"calls": n, "failed": want.failed[path]})
	}

	nginx, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		'div.chart[data-chart="classes"], div.chart[data-chart="latency"], table.classes td'))
		.map(e => e.dataset.chart || e.textContent.trim()).filter(s => /^(classes|latency|[1-5]xx|-)$/.test(s))`))
	if err != nil {
		t.Fatalf("look for Nginx's charts: %v", err)
	}
	if len(nginx) > 0 {
		t.Errorf("the page of a frontend app shows Nginx's status classes or latency: %v", nginx)
	}
	checkCharts(t, ctx, 2)
	checkPartialSteps(t, ctx, "http://"+srv.addr, false)
	screenshot(t, ctx, filepath.Join(shots, "service-browser.png"))

	// The JS errors SLO's "where the budget went" names its bad event.
	if err := chromedp.Do(ctx, chromedp.Navigate("http://"+srv.addr+"/slo/"+sloJSErrors)); err != nil {
		t.Fatalf("load /slo/%s: %v", sloJSErrors, err)
	}
	keys, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		'table.breakdown[data-by="status"] tbody td.key')).map(td => td.textContent.trim())`))
	if err != nil {
		t.Fatalf("read the breakdown by status: %v", err)
	}
	if !slices.Equal(keys, []string{"js error"}) {
		t.Errorf("/slo/%s: bad events by status %q, want [js error]", sloJSErrors, keys)
	}
	checkCharts(t, ctx, 4)
	screenshot(t, ctx, filepath.Join(shots, "slo-browser.png"))
	t.Logf("service page of %s: %v page views (%v with an error), %v API calls (%v failed), as the beacons said", rumApp, want.views, want.errors, calls, failed)
}
