package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/headroom-slo/headroom/internal/itest"
)

// The quickstart sample's last event: every page and API call is evaluated
// at this instant, so the numbers do not depend on the wall clock.
const at = "2026-11-19T15:00:10Z"

// The browser's window, and so the screenshots' width; and a phone's.
const (
	windowWidth  = 1366
	windowHeight = 900
	phoneWidth   = 375
	phoneHeight  = 812
)

// Environment variables the test reads besides itest.EnvIntegration.
const (
	// envScreenshots is the directory the screenshots go to (created if
	// missing); without it they go to a temporary directory.
	envScreenshots = "HEADROOM_SCREENSHOTS"
	// envChromium overrides the browser binary (default: chromium on PATH).
	envChromium = "HEADROOM_CHROMIUM"
)

// Deadlines. Every wait polls and returns as soon as its condition holds.
const (
	commandTimeout = 60 * time.Second // go build, headroom quickstart
	healthTimeout  = 20 * time.Second // serve answering /healthz
	startTimeout   = 30 * time.Second // chromium up and its first tab open
	pageTimeout    = 30 * time.Second // one page: load, read, charts, screenshot
	chartTimeout   = 10 * time.Second // every chart drawn
	pollEvery      = 200 * time.Millisecond
)

// relTolerance is how far a page's data-value may be from the API's number,
// relative to the larger of the two: data-value carries the raw number, so
// only float formatting may differ.
const relTolerance = 1e-9

// minPaintedPixels is how many non-transparent pixels a chart's canvases
// must have for the chart to count as drawn.
const minPaintedPixels = 1000

// burnWindows are the burn-rate windows the overview and the SLO page show.
var burnWindows = []string{"1h", "6h", "3d"}

// headroom is the binary under test, built on first use.
var headroom itest.Headroom

func TestMain(m *testing.M) {
	code := m.Run()
	headroom.Cleanup()
	os.Exit(code)
}

// TestDashboard serves the quickstart sample and checks the overview, two SLO
// pages (availability and latency) and the service page in headless Chromium.
func TestDashboard(t *testing.T) {
	chrome := requireChromium(t)
	began := time.Now()

	bin := headroomBin(t)
	dir := t.TempDir()
	cfg := quickstart(t, bin, dir)
	srv := startServe(t, bin, dir, cfg)
	srv.waitHealthy(t)
	shots := screenshotDir(t)
	t.Logf("setup (build, quickstart, serve) took %v", time.Since(began).Round(time.Millisecond))

	t.Run("healthz", func(t *testing.T) { checkHealthz(t, srv) })
	t.Run("csp-header", func(t *testing.T) { checkCSPHeader(t, srv) })

	bctx := newBrowser(t, chrome)
	t.Logf("chromium up after %v", time.Since(began).Round(time.Millisecond))

	// The console check below passes only if it can see a violation: prove
	// it does on a page that provokes one.
	t.Run("console-detector", func(t *testing.T) { checkDetector(t, bctx, srv) })

	for _, pc := range []pageCase{
		{
			name: "overview", path: "/", title: "SLOs · headroom", shot: "overview.png",
			check: checkOverview,
		},
		{
			name: "overview-phone", path: "/", title: "SLOs · headroom", shot: "overview-phone.png", width: phoneWidth,
			check: func(t *testing.T, ctx context.Context, srv *serveProc) {
				checkOverview(t, ctx, srv)
				checkPhoneOverview(t, ctx)
			},
		},
		{
			name: "slo", path: "/slo/web-availability", title: "web-availability · headroom", shot: "slo.png",
			minCharts: 4, partial: true, check: checkSLOPage("web-availability"),
		},
		{
			name: "slo-latency", path: "/slo/api-latency", title: "api-latency · headroom", shot: "slo-latency.png",
			minCharts: 5, partial: true, check: checkSLOPage("api-latency"),
		},
		{
			name: "service", path: "/service/web", title: "Service web · headroom", shot: "service.png",
			minCharts: 2, partial: true, check: checkServicePage("web"),
		},
		{
			name: "alerts", path: "/alerts", title: "Alerts · headroom", shot: "alerts.png",
			check: checkAlertsPage,
		},
		{
			name: "review", path: "/review", title: "Sprint review · headroom", shot: "review.png",
			check: checkReviewPage,
		},
	} {
		t.Run(pc.name, func(t *testing.T) { runPage(t, bctx, srv, shots, pc) })
	}
	t.Logf("screenshots in %s", shots)
	t.Logf("whole test took %v", time.Since(began).Round(time.Millisecond))
}

// pageCase is one dashboard page to load and check.
type pageCase struct {
	name  string
	path  string // without ?at=
	title string // the document's expected <title>
	shot  string // the screenshot's file name
	// minCharts is how many div.chart the page must have; each must draw.
	minCharts int
	// partial: the page's range ends inside a step (at= is not on a step
	// boundary), so its charts must mark their last step partial.
	partial bool
	// width is the viewport's width (default windowWidth); a phone's is
	// phoneWidth.
	width int64
	// check compares the page's numbers with the API's.
	check func(t *testing.T, tab context.Context, srv *serveProc)
}

// runPage loads one page in a new tab and runs every check on it. Checks
// report with t.Errorf where they can, so one failing check does not hide the
// others, and once the page loaded its screenshot is saved and its console
// checked whatever the checks found.
func runPage(t *testing.T, bctx context.Context, srv *serveProc, shots string, pc pageCase) {
	tab, console := openTab(t, bctx)
	ctx, cancel := context.WithTimeout(tab, pageTimeout)
	defer cancel()
	if pc.width != 0 {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(pc.width, phoneHeight)); err != nil {
			t.Fatalf("viewport %d px wide: %v", pc.width, err)
		}
	}

	u := srv.url(pc.path, nil)
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("load %s: %v", u, err)
	}
	defer console.check(t, ctx)
	defer screenshot(t, ctx, filepath.Join(shots, pc.shot))
	if resp.Status != http.StatusOK {
		t.Errorf("load %s: HTTP %d %s, want 200", u, resp.Status, resp.StatusText)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatalf("title: %v", err)
	}
	if title != pc.title {
		t.Errorf("title %q, want %q", title, pc.title)
	}
	asOf, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#asof time')?.getAttribute('datetime') ?? ''`))
	if err != nil {
		t.Fatalf("read #asof: %v", err)
	}
	if asOf != at {
		t.Errorf("#asof time[datetime] %q, want the at= of the URL, %s", asOf, at)
	}

	pc.check(t, ctx, srv)
	checkCharts(t, ctx, pc.minCharts)
	if pc.partial {
		checkPartialSteps(t, ctx, "http://"+srv.addr, true)
	}
}

// screenshot saves a PNG of the whole page.
func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot %s (%d KiB)", path, len(png)>>10)
}

// ---- numbers ----

// apiSLO is the part of an SLO of the JSON API the pages show, decoded
// independently of the report package's types.
type apiSLO struct {
	Name       string             `json:"name"`
	Objective  float64            `json:"objective"`
	Total      float64            `json:"total"`
	Bad        float64            `json:"bad"`
	SLI        float64            `json:"sli"`
	BudgetLeft float64            `json:"error_budget_remaining"`
	BurnRates  map[string]float64 `json:"burn_rates"`
}

// fieldValue is an element's data-field and data-value.
type fieldValue struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// fieldsJS returns, as [{field, value}], the data-field and data-value of
// the elements that have both under the element root (a JS expression).
const fieldsJS = `Array.from(%s.querySelectorAll('[data-field][data-value]')).map(e => ({field: e.dataset.field, value: e.dataset.value}))`

// burnFields adds the API's burn rates over burnWindows to want, as the
// pages' burn-<window> fields.
func burnFields(t *testing.T, o apiSLO, want map[string]float64) {
	t.Helper()
	for _, w := range burnWindows {
		b, ok := o.BurnRates[w]
		if !ok {
			t.Errorf("API: SLO %s has no burn rate over %s", o.Name, w)
			continue
		}
		want["burn-"+w] = b
	}
}

// checkOverview compares every row of table#slos with /api/v1/slos.
func checkOverview(t *testing.T, ctx context.Context, srv *serveProc) {
	var api struct {
		At   time.Time `json:"at"`
		SLOs []apiSLO  `json:"slos"`
	}
	srv.getJSON(t, "/api/v1/slos", nil, &api)
	if len(api.SLOs) == 0 {
		t.Fatalf("API: no SLOs at %s", at)
	}
	if got := api.At.UTC().Format(time.RFC3339); got != at {
		t.Errorf("API: at %s, want %s", got, at)
	}

	type row struct {
		SLO    string       `json:"slo"`
		Fields []fieldValue `json:"fields"`
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]row](`Array.from(document.querySelectorAll('table#slos tr[data-slo]'))
		.map(tr => ({slo: tr.dataset.slo, fields: `+fmt.Sprintf(fieldsJS, "tr")+`}))`))
	if err != nil {
		t.Fatalf("read table#slos: %v", err)
	}
	byName := map[string][]fieldValue{}
	for _, r := range rows {
		if _, dup := byName[r.SLO]; dup {
			t.Errorf("table#slos: two rows for %s", r.SLO)
		}
		byName[r.SLO] = r.Fields
	}
	for _, o := range api.SLOs {
		fields, ok := byName[o.Name]
		if !ok {
			t.Errorf("table#slos: no row for SLO %s", o.Name)
			continue
		}
		delete(byName, o.Name)
		want := map[string]float64{"objective": o.Objective, "sli": o.SLI, "budget": o.BudgetLeft}
		burnFields(t, o, want)
		compareFields(t, "overview row "+o.Name, fields, want)
	}
	for name := range byName {
		t.Errorf("table#slos: row %s is not an SLO of the API", name)
	}
	t.Logf("overview: %d rows checked against /api/v1/slos", len(api.SLOs))
}

// checkSLOPage compares #numbers and the breakdown tables of /slo/{name} with
// /api/v1/slos/{name} and its /breakdown.
func checkSLOPage(name string) func(t *testing.T, ctx context.Context, srv *serveProc) {
	return func(t *testing.T, ctx context.Context, srv *serveProc) {
		var o apiSLO
		srv.getJSON(t, "/api/v1/slos/"+url.PathEscape(name), nil, &o)

		got := readNumbers(t, ctx)
		if got.SLO != name {
			t.Errorf("#numbers: data-slo %q, want %q", got.SLO, name)
		}
		want := map[string]float64{"sli": o.SLI, "budget": o.BudgetLeft, "bad": o.Bad, "total": o.Total}
		burnFields(t, o, want)
		compareFields(t, "#numbers", got.Fields, want)

		checkBreakdowns(t, ctx, srv, name)
	}
}

// numbers is a page's section#numbers.
type numbers struct {
	SLO     string       `json:"slo"`     // its data-slo
	Service string       `json:"service"` // its data-service
	Fields  []fieldValue `json:"fields"`
}

// readNumbers reads #numbers; a page without one has none.
func readNumbers(t *testing.T, ctx context.Context) numbers {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[numbers](`(() => {
		const n = document.querySelector('#numbers');
		return n ? {slo: n.dataset.slo || '', service: n.dataset.service || '', fields: `+fmt.Sprintf(fieldsJS, "n")+`}
			: {slo: '', service: '', fields: []};
	})()`))
	if err != nil {
		t.Fatalf("read #numbers: %v", err)
	}
	if len(n.Fields) == 0 {
		t.Errorf("no #numbers [data-field][data-value] on the page")
	}
	return n
}

// apiBreakdown is /api/v1/slos/{name}/breakdown's answer.
type apiBreakdown struct {
	By    string   `json:"by"`
	Bad   float64  `json:"bad"`
	Rows  []apiRow `json:"rows"`
	Other *apiRow  `json:"other"`
}

type apiRow struct {
	Key string  `json:"key"`
	Bad float64 `json:"bad"`
}

// checkBreakdowns compares each table.breakdown (the page's default range, 24
// hours to at, top 10) with the API's breakdown by the same dimension.
func checkBreakdowns(t *testing.T, ctx context.Context, srv *serveProc, name string) {
	type table struct {
		By   string `json:"by"`
		Bad  string `json:"bad"`
		Rows []struct {
			Key string `json:"key"`
			Bad string `json:"bad"`
		} `json:"rows"`
	}
	tables, err := chromedp.Run(ctx, chromedp.Evaluate[[]table](`Array.from(document.querySelectorAll('table.breakdown[data-by][data-bad]')).map(t => ({
		by: t.dataset.by, bad: t.dataset.bad,
		rows: Array.from(t.querySelectorAll('tbody tr')).filter(tr => tr.querySelector('td.key') && tr.querySelector('td[data-value]'))
			.map(tr => ({key: tr.querySelector('td.key').textContent.trim(), bad: tr.querySelector('td[data-value]').dataset.value}))
	}))`))
	if err != nil {
		t.Fatalf("read table.breakdown: %v", err)
	}
	if len(tables) == 0 {
		t.Errorf("no table.breakdown[data-by][data-bad] on the page")
	}
	for _, tb := range tables {
		var api apiBreakdown
		srv.getJSON(t, "/api/v1/slos/"+url.PathEscape(name)+"/breakdown", url.Values{"by": {tb.By}, "range": {"24h"}, "limit": {"10"}}, &api)
		where := "breakdown by " + tb.By
		compareNumber(t, where+" data-bad", tb.Bad, api.Bad)
		want := map[string]float64{}
		for _, r := range api.Rows {
			want[r.Key] = r.Bad
		}
		if api.Other != nil {
			want[api.Other.Key] = api.Other.Bad
		}
		seen := map[string]bool{}
		for _, r := range tb.Rows {
			w, ok := want[r.Key]
			switch {
			case !ok:
				t.Errorf("%s: row %q is not in the API's breakdown", where, r.Key)
			case seen[r.Key]:
				t.Errorf("%s: two rows %q", where, r.Key)
			default:
				compareNumber(t, where+" row "+r.Key, r.Bad, w)
			}
			seen[r.Key] = true
		}
		for k := range want {
			if !seen[k] {
				t.Errorf("%s: the API's row %q is not on the page", where, k)
			}
		}
	}
	t.Logf("%d breakdown tables checked against the API", len(tables))
}

// checkServicePage compares #numbers of /service/{name} with
// /api/v1/services/{name} (the page's default range, 24 hours to at).
func checkServicePage(name string) func(t *testing.T, ctx context.Context, srv *serveProc) {
	return func(t *testing.T, ctx context.Context, srv *serveProc) {
		var api struct {
			Name      string             `json:"name"`
			Requests  float64            `json:"requests"`
			ErrorRate float64            `json:"error_rate"`
			Classes   map[string]float64 `json:"classes"`
		}
		srv.getJSON(t, "/api/v1/services/"+url.PathEscape(name), url.Values{"range": {"24h"}}, &api)
		if api.Requests == 0 {
			t.Errorf("API: service %s has no requests in the 24 hours to %s", name, at)
		}
		got := readNumbers(t, ctx)
		if got.Service != name {
			t.Errorf("#numbers: data-service %q, want %q", got.Service, name)
		}
		want := map[string]float64{"requests": api.Requests, "error-rate": api.ErrorRate}
		for class, n := range api.Classes {
			if n != 0 { // the page lists the classes that had requests
				want["class-"+class] = n
			}
		}
		compareFields(t, "#numbers", got.Fields, want)
	}
}

// phoneJS reads, at the page's width, how wide the document is and where
// each row of table#slos shows its SLI and its error budget left.
const phoneJS = `(() => {
	const de = document.documentElement, table = document.querySelector('table#slos');
	const box = (tr, sel) => {
		const e = tr.querySelector(sel);
		if (!e) return {shown: false, left: 0, right: 0};
		const b = e.getBoundingClientRect();
		return {shown: b.width > 0 && b.height > 0 && getComputedStyle(e).visibility === 'visible', left: b.left, right: b.right};
	};
	return {
		viewport: de.clientWidth, document: de.scrollWidth, body: document.body.scrollWidth,
		table: table ? table.scrollWidth : 0, tableBox: table ? table.clientWidth : 0,
		rows: Array.from(document.querySelectorAll('table#slos tr[data-slo]')).map(tr => ({
			slo: tr.dataset.slo, sli: box(tr, '[data-field="sli"]'), budget: box(tr, '[data-field="budget"]')})),
	};
})()`

// checkPhoneOverview checks the overview at a phone's width: nothing
// scrolls sideways (the document nor table#slos), and every SLO's SLI and
// budget left are on screen.
func checkPhoneOverview(t *testing.T, ctx context.Context) {
	t.Helper()
	type box struct {
		Shown       bool
		Left, Right float64
	}
	type layout struct {
		Viewport, Document, Body, Table, TableBox int
		Rows                                      []struct {
			SLO         string
			SLI, Budget box
		}
	}
	l, err := chromedp.Run(ctx, chromedp.Evaluate[layout](phoneJS))
	if err != nil {
		t.Fatalf("read the layout: %v", err)
	}
	if l.Viewport > phoneWidth || l.Viewport < phoneWidth-20 {
		t.Errorf("viewport %d px wide, want about %d", l.Viewport, phoneWidth)
	}
	if l.Document > l.Viewport || l.Body > l.Viewport {
		t.Errorf("the overview scrolls sideways at %d px: the document is %d px wide, its body %d", l.Viewport, l.Document, l.Body)
	}
	if l.Table > l.TableBox {
		t.Errorf("table#slos scrolls sideways: %d px of content in %d", l.Table, l.TableBox)
	}
	if len(l.Rows) == 0 {
		t.Errorf("no SLO rows at %d px", l.Viewport)
	}
	for _, r := range l.Rows {
		for name, b := range map[string]box{"SLI": r.SLI, "budget left": r.Budget} {
			if !b.Shown || b.Left < 0 || b.Right > float64(l.Viewport) {
				t.Errorf("%s: its %s is not on screen at %d px: %+v", r.SLO, name, l.Viewport, b)
			}
		}
	}
	t.Logf("overview at %d px: document %d px wide, %d rows with SLI and budget on screen", l.Viewport, l.Document, len(l.Rows))
}

// partialJS reads every chart's kind, data source and the partial step it
// marks.
const partialJS = `Array.from(document.querySelectorAll('div.chart[data-src]')).map(d => ({
	chart: d.dataset.chart, src: d.dataset.src, partial: d.dataset.partial || ''}))`

// checkPartialSteps checks, for every chart of the page that draws a series
// step by step (drawn: run it after checkCharts), that the API marks partial exactly the last step
// when the range ends inside it (computed here from the step and the
// chart's to=), and that the chart marks that step. With wantPartial, at
// least one chart must have a partial step (the test's range ends inside
// a step).
func checkPartialSteps(t *testing.T, ctx context.Context, base string, wantPartial bool) {
	t.Helper()
	type chartSrc struct {
		Chart, Src, Partial string
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartSrc](partialJS))
	if err != nil {
		t.Fatalf("read the charts: %v", err)
	}
	partials := 0
	for _, c := range charts {
		// The window's burn-down and the capacity forecast (daily peaks
		// and their forecast, to a date ahead) are not the range's steps.
		if c.Chart == "burndown" || c.Chart == "capacity" {
			continue
		}
		u, err := url.Parse(c.Src)
		if err != nil {
			t.Fatalf("chart %s: data-src %q: %v", c.Chart, c.Src, err)
		}
		to, err := time.Parse(time.RFC3339, u.Query().Get("to"))
		if err != nil {
			t.Fatalf("chart %s: data-src %q: to: %v", c.Chart, c.Src, err)
		}
		var api struct {
			Step        string `json:"step"`
			StepSeconds int64  `json:"step_seconds"`
			Points      []struct {
				T       time.Time `json:"t"`
				Partial *bool     `json:"partial"`
			} `json:"points"`
			Browser *struct {
				Points []struct {
					T       time.Time `json:"t"`
					Partial *bool     `json:"partial"`
				} `json:"points"`
			} `json:"browser"`
		}
		resp, err := client.Get(base + c.Src)
		if err != nil {
			t.Fatalf("GET %s: %v", c.Src, err)
		}
		err = json.NewDecoder(resp.Body).Decode(&api)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", c.Src, err)
		}
		points := api.Points
		if c.Chart == "pageviews" || c.Chart == "apicalls" {
			if api.Browser == nil {
				t.Errorf("chart %s: %s has no browser", c.Chart, c.Src)
				continue
			}
			points = api.Browser.Points
		}
		step := time.Duration(api.StepSeconds) * time.Second
		if step == 0 {
			step = parseStep(t, api.Step)
		}
		if len(points) == 0 {
			t.Errorf("chart %s: no points", c.Chart)
			continue
		}
		last := points[len(points)-1]
		want := last.T.Add(step).After(to) // the last step reaches past the range's end
		for i, p := range points {
			if p.Partial == nil {
				t.Errorf("chart %s: the API's points have no partial (%s)", c.Chart, c.Src)
				break
			}
			if *p.Partial != (want && i == len(points)-1) {
				t.Errorf("chart %s: point %d of %d (%v, step %v, to %v) partial %v", c.Chart, i, len(points), p.T, step, to, *p.Partial)
			}
		}
		wantMark := ""
		if want {
			wantMark = last.T.UTC().Format("2006-01-02T15:04:05.000Z")
			partials++
		}
		if c.Partial != wantMark {
			t.Errorf("chart %s marks the partial step %q, want %q", c.Chart, c.Partial, wantMark)
		}
	}
	if wantPartial && partials == 0 {
		t.Errorf("no chart has a partial last step, want some (the range ends inside a step)")
	}
	t.Logf("%d charts have a partial last step (checked against the API and the chart's mark)", partials)
}

// parseStep reads a step as the API writes it: 5m, 1h, 1d.
func parseStep(t *testing.T, s string) time.Duration {
	t.Helper()
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			t.Fatalf("step %q: %v", s, err)
		}
		return time.Duration(n) * 24 * time.Hour
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("step %q: %v", s, err)
	}
	return d
}

// checkAlertsPage compares the alert history on the page with the API's:
// quickstart replays the alerts over the sample, whose incident pages.
func checkAlertsPage(t *testing.T, ctx context.Context, srv *serveProc) {
	t.Helper()
	var api struct {
		Events []struct {
			Key, To string
		} `json:"events"`
	}
	srv.getJSON(t, "/api/v1/alerts", url.Values{"range": {"30d"}}, &api)
	pages := 0
	for _, e := range api.Events {
		if strings.Contains(e.Key, "page-") && e.To == "firing" {
			pages++
		}
	}
	if pages == 0 {
		t.Errorf("API: no page fired over the sample's incident: %+v", api.Events)
	}
	// The page shows 7 days before at by default; the sample's incident
	// is 4 days before its end.
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#alert-events tbody tr.alert-firing, #alert-events tbody tr.alert-inactive').length`))
	if err != nil {
		t.Fatalf("read the alert history: %v", err)
	}
	if rows == 0 {
		t.Errorf("the alerts page shows no history")
	}
}

// checkReviewPage checks the sprint review page shows the review of the
// sprint containing at, with its Y, W and T sections and the toil form.
func checkReviewPage(t *testing.T, ctx context.Context, srv *serveProc) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](`({
		articles: document.querySelectorAll('article.review').length,
		sections: document.querySelectorAll('article.review h2').length,
		slos: (document.querySelector('article.review').textContent.match(/web-availability/g) || []).length,
		form: document.querySelectorAll('form.toil-form').length,
	})`))
	if err != nil {
		t.Fatalf("read the review: %v", err)
	}
	if got["articles"] != 1 || got["sections"] < 3 || got["slos"] == 0 || got["form"] != 1 {
		t.Errorf("review page: %v, want one review with its Y, W and T sections, the SLOs and the toil form", got)
	}
}

// compareFields checks that the page has each wanted field once, with the
// wanted number. Fields the test does not know are logged, not failed.
func compareFields(t *testing.T, where string, got []fieldValue, want map[string]float64) {
	t.Helper()
	seen := map[string]bool{}
	for _, fv := range got {
		w, ok := want[fv.Field]
		if !ok {
			t.Logf("%s: data-field %q=%q not checked (no API number for it)", where, fv.Field, fv.Value)
			continue
		}
		if seen[fv.Field] {
			t.Errorf("%s: data-field %q twice", where, fv.Field)
			continue
		}
		seen[fv.Field] = true
		compareNumber(t, where+" "+fv.Field, fv.Value, w)
	}
	var missing []string
	for f := range want {
		if !seen[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Errorf("%s: no [data-field][data-value] for %s", where, strings.Join(missing, ", "))
	}
}

// compareNumber checks a data-value against the API's number.
func compareNumber(t *testing.T, what, value string, want float64) {
	t.Helper()
	got, err := strconv.ParseFloat(value, 64)
	if err != nil {
		t.Errorf("%s: data-value %q is not a number", what, value)
		return
	}
	if !sameNumber(got, want) {
		t.Errorf("%s: page data-value %s, API %s (relative difference %.2g > %g)",
			what, value, strconv.FormatFloat(want, 'g', -1, 64), relDiff(got, want), relTolerance)
	}
}

func sameNumber(a, b float64) bool {
	if a == b || math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	return relDiff(a, b) <= relTolerance
}

func relDiff(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// ---- charts ----

// chartState is what a div.chart holds.
type chartState struct {
	Chart    string `json:"chart"`
	Canvases int    `json:"canvases"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Painted  int    `json:"painted"` // non-transparent pixels over its canvases
	Points   int    `json:"points"`  // values plotted, as app.js counts them (data-points)
	Error    string `json:"error"`
}

// drawn reports whether the chart drew data: a canvas with pixels painted
// and values plotted (axes alone, or a "no data" note, do not count).
func (c chartState) drawn() bool {
	return c.Canvases > 0 && c.Painted >= minPaintedPixels && c.Points > 0 && c.Error == ""
}

func (c chartState) String() string {
	s := fmt.Sprintf("%s: %d canvas, %dx%d, %d painted pixels, %d values", c.Chart, c.Canvases, c.Width, c.Height, c.Painted, c.Points)
	if c.Error != "" {
		s += ", " + c.Error
	}
	return s
}

// chartsJS reads every div.chart's canvases and counts their non-transparent
// pixels. It reads a copy, so that the page's own canvases are never read
// back (Chrome would warn about that).
const chartsJS = `(() => {
	const copy = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
	return Array.from(document.querySelectorAll('div.chart')).map((div, i) => {
		const r = {chart: div.dataset.chart || ('#' + i), canvases: 0, width: 0, height: 0, painted: 0,
			points: parseInt(div.dataset.points || '0', 10), error: ''};
		for (const c of div.querySelectorAll('canvas')) {
			r.canvases++;
			r.width = Math.max(r.width, c.width);
			r.height = Math.max(r.height, c.height);
			if (!c.width || !c.height) continue;
			try {
				copy.canvas.width = c.width;
				copy.canvas.height = c.height;
				copy.clearRect(0, 0, c.width, c.height);
				copy.drawImage(c, 0, 0);
				const d = copy.getImageData(0, 0, c.width, c.height).data;
				for (let k = 3; k < d.length; k += 4) if (d[k] !== 0) r.painted++;
			} catch (e) { r.error = String(e); }
		}
		return r;
	});
})()`

// checkCharts waits up to chartTimeout for every div.chart to hold a canvas
// with at least minPaintedPixels drawn, and fails naming the charts that did
// not. The page must have at least minCharts charts.
func checkCharts(t *testing.T, ctx context.Context, minCharts int) {
	t.Helper()
	deadline := time.Now().Add(chartTimeout)
	var charts []chartState
	for {
		var err error
		charts, err = chromedp.Run(ctx, chromedp.Evaluate[[]chartState](chartsJS))
		if err != nil {
			t.Errorf("read charts: %v", err)
			return
		}
		if len(charts) >= minCharts && !slices.ContainsFunc(charts, func(c chartState) bool { return !c.drawn() }) {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			t.Errorf("charts: %v", ctx.Err())
			return
		case <-time.After(pollEvery):
		}
	}
	if len(charts) < minCharts {
		t.Errorf("charts: %d div.chart on the page, want at least %d", len(charts), minCharts)
	}
	var bad []string
	for _, c := range charts {
		if c.drawn() {
			t.Logf("chart %s", c)
		} else {
			bad = append(bad, c.String())
		}
	}
	if len(bad) > 0 {
		t.Errorf("charts not drawn after %v (want a canvas with ≥ %d non-transparent pixels):\n\t%s",
			chartTimeout, minPaintedPixels, strings.Join(bad, "\n\t"))
	}
}

// ---- console ----

// cspRecorderJS runs in every document before the page's own scripts (it is
// injected through the DevTools protocol, so the page's CSP does not apply to
// it) and records each Content-Security-Policy violation.
const cspRecorderJS = `window.__headroomCSP = [];
document.addEventListener('securitypolicyviolation', e => window.__headroomCSP.push(
	e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + (e.sourceFile || document.URL) + ':' + e.lineNumber));`

// consoleLog collects what a tab logged: console.error and console.warn
// calls, uncaught exceptions, and browser log entries (failed loads, CSP
// violations).
type consoleLog struct {
	mu       sync.Mutex
	errors   []string
	warnings []string
}

// listen is the tab's event handler; it runs on chromedp's read loop, so it
// only records.
func (c *consoleLog) listen(ev any) {
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		msg := "console." + string(e.Type) + ": " + argsText(e.Args) + stackWhere(e.StackTrace)
		switch e.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			c.add(&c.errors, msg)
		case runtime.ConsoleAPICalledTypeWarning:
			c.add(&c.warnings, msg)
		}
	case *runtime.EventExceptionThrown:
		c.add(&c.errors, "uncaught exception: "+exceptionText(e.ExceptionDetails))
	case *cdplog.EventEntryAdded:
		en := e.Entry
		msg := fmt.Sprintf("browser log (%s): %s", en.Source, en.Text)
		if en.URL != "" {
			msg += " [" + en.URL + "]"
		}
		switch {
		case en.Level == cdplog.EntryLevelError && isFavicon(en.URL):
			// Chromium asks for /favicon.ico on its own, after the load
			// event or not at all, so its 404 would fail the test at
			// random; it is a warning here.
			c.add(&c.warnings, msg)
		case en.Level == cdplog.EntryLevelError:
			c.add(&c.errors, msg)
		case en.Level == cdplog.EntryLevelWarning:
			c.add(&c.warnings, msg)
		}
	}
}

// isFavicon reports whether u is the page's /favicon.ico.
func isFavicon(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Path == "/favicon.ico"
}

func (c *consoleLog) add(list *[]string, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*list = append(*list, msg)
}

func (c *consoleLog) snapshot() (errs, warns []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.errors), slices.Clone(c.warnings)
}

// check fails the test listing the console errors and CSP violations, and
// logs the warnings.
func (c *consoleLog) check(t *testing.T, ctx context.Context) {
	t.Helper()
	csp := cspViolations(t, ctx)
	errs, warns := c.snapshot()
	for _, w := range warns {
		t.Logf("console warning: %s", w)
	}
	if len(errs) > 0 {
		t.Errorf("%d console errors:\n\t%s", len(errs), strings.Join(errs, "\n\t"))
	}
	if len(csp) > 0 {
		t.Errorf("%d Content-Security-Policy violations:\n\t%s", len(csp), strings.Join(csp, "\n\t"))
	}
}

// cspViolations returns what cspRecorderJS recorded in the current document.
func cspViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__headroomCSP || ['the CSP recorder did not run']`))
	if err != nil {
		t.Errorf("read CSP violations: %v", err)
	}
	return v
}

// argsText renders console arguments: strings as they are, other values by
// their description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal([]byte(a.Value), &s) == nil:
		case a.Description != "":
			s = a.Description
		case a.UnserializableValue != "":
			s = string(a.UnserializableValue)
		default:
			s = string(a.Value)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func stackWhere(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (at %s:%d:%d)", f.URL, f.LineNumber+1, f.ColumnNumber+1)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		desc, _, _ := strings.Cut(d.Exception.Description, "\n")
		s += " " + desc
	}
	where := d.URL
	if where == "" && d.StackTrace != nil && len(d.StackTrace.CallFrames) > 0 {
		where = d.StackTrace.CallFrames[0].URL
	}
	return fmt.Sprintf("%s (at %s:%d:%d)", s, where, d.LineNumber+1, d.ColumnNumber+1)
}

// checkDetector provokes a CSP violation (an inline script) on the overview
// and fails unless both the console listener and the in-page recorder saw
// it, so that a page's clean console means something.
func checkDetector(t *testing.T, bctx context.Context, srv *serveProc) {
	tab, console := openTab(t, bctx)
	ctx, cancel := context.WithTimeout(tab, pageTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url("/", nil))); err != nil {
		t.Fatalf("load /: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](
		`(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.head.appendChild(s); })()`)); err != nil {
		t.Fatalf("inject an inline script: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		csp := cspViolations(t, ctx)
		errs, _ := console.snapshot()
		if len(csp) > 0 && slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, "Content Security Policy") }) {
			t.Logf("an inline script is reported: %q; %q", csp, errs)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an inline script was not reported as a CSP violation: recorder %q, console %q", csp, errs)
		}
		time.Sleep(pollEvery)
	}
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__inline === 1`))
	if err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Errorf("an inline script ran despite the CSP")
	}
}

// ---- browser ----

// requireChromium returns the browser's path. Without one it skips, or fails
// when HEADROOM_INTEGRATION=1 (itest.Require).
func requireChromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(envChromium)
	if bin == "" {
		bin = "chromium"
	}
	itest.Require(t, bin)
	path, err := itest.LookPath(bin)
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return path
}

// newBrowser starts headless chromium, closed when the test ends. It can
// reach only 127.0.0.1.
func newBrowser(t *testing.T, chrome string) context.Context {
	t.Helper()
	out := &itest.SyncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where the sandbox cannot start
		chromedp.WindowSize(windowWidth, windowHeight),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.CombinedOutput(out),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		bcancel()
		acancel()
		if t.Failed() {
			if s := browserOutput(out.String()); s != "" {
				t.Logf("chromium output:\n%s", s)
			}
		}
	})
	// The first Run binds the browser's life to its context, so it gets none
	// with a deadline: the timer cancels it instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v\n%s", chrome, err, out.String())
		}
	case <-time.After(startTimeout):
		bcancel()
		t.Fatalf("start %s: no browser after %v\n%s", chrome, startTimeout, out.String())
	}
	version, err := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err == nil {
		t.Logf("browser: %s", version)
	}
	return bctx
}

// browserOutput is the tail of chromium's output without its complaints
// about the missing D-Bus, which a container never has.
func browserOutput(out string) string {
	var keep []string
	for line := range strings.Lines(out) {
		if !strings.Contains(line, "dbus") {
			keep = append(keep, strings.TrimRight(line, "\n"))
		}
	}
	if len(keep) > 40 {
		keep = keep[len(keep)-40:]
	}
	return strings.Join(keep, "\n")
}

// openTab opens a tab of the browser, closed when the test ends, with the
// fixed viewport, the CSP recorder and a console listener.
func openTab(t *testing.T, bctx context.Context) (context.Context, *consoleLog) {
	t.Helper()
	tab, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	console := &consoleLog{}
	if err := chromedp.Listen(tab, console.listen); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancelSetup := context.WithTimeout(tab, pageTimeout)
	defer cancelSetup()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(windowWidth, windowHeight),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorderJS})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("set up the tab: %v", err)
	}
	return tab, console
}

// screenshotDir is $HEADROOM_SCREENSHOTS, created if missing, or a
// temporary directory.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(envScreenshots)
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("%s: %v", envScreenshots, err)
	}
	return dir
}

// ---- headroom ----

// headroomBin returns the path of the headroom binary, building it once.
func headroomBin(t testing.TB) string { return headroom.Path(t) }

// quickstart runs `headroom quickstart` in dir and returns its config's path.
func quickstart(t *testing.T, bin, dir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "quickstart")
	cmd.Dir = dir
	cmd.SysProcAttr = procAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("headroom quickstart: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "headroom-quickstart", "quickstart.yaml")
	if _, err := os.Stat(cfg); err != nil {
		t.Fatalf("headroom quickstart wrote no config: %v", err)
	}
	return cfg
}

// serveProc is one running `headroom serve`.
type serveProc struct {
	cmd  *exec.Cmd
	addr string
	log  string        // its output
	done chan struct{} // closed once the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// startServe starts `headroom serve --config cfg` on a free loopback port.
// t.Cleanup kills it, and shows its log if the test failed.
func startServe(t *testing.T, bin, dir, cfg string) *serveProc {
	t.Helper()
	p := &serveProc{addr: "127.0.0.1:" + strconv.Itoa(itest.FreePort(t)), log: filepath.Join(dir, "serve.log"), done: make(chan struct{})}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(bin, "serve", "--config", cfg, "--listen", p.addr)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = procAttr()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start headroom serve: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 8<<10 {
				b = b[len(b)-8<<10:]
			}
			t.Logf("headroom serve log (tail):\n%s", b)
		}
	})
	return p
}

// url is the address of path on the server, with at= and the query.
func (p *serveProc) url(path string, q url.Values) string {
	v := url.Values{"at": {at}}
	for k, vs := range q {
		v[k] = vs
	}
	return "http://" + p.addr + path + "?" + v.Encode()
}

var client = &http.Client{Timeout: 10 * time.Second}

// waitHealthy waits until GET /healthz answers 200.
func (p *serveProc) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(healthTimeout)
	var last error
	for {
		resp, err := client.Get("http://" + p.addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("GET /healthz: %s", resp.Status)
		}
		last = err
		select {
		case <-p.done:
			t.Fatalf("headroom serve exited before answering /healthz: %v", p.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("headroom serve: no /healthz after %v: %v", healthTimeout, last)
		}
		time.Sleep(pollEvery / 2)
	}
}

// get fetches path (with at= and q) and returns the response and its body.
func (p *serveProc) get(t *testing.T, path string, q url.Values) (*http.Response, []byte) {
	t.Helper()
	u := p.url(path, q)
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

// getJSON fetches an API path (with at= and q), which must answer 200, into v.
func (p *serveProc) getJSON(t *testing.T, path string, q url.Values, v any) {
	t.Helper()
	resp, body := p.get(t, path, q)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", p.url(path, q), resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", p.url(path, q), err, body)
	}
}

func checkHealthz(t *testing.T, srv *serveProc) {
	resp, body := srv.get(t, "/healthz", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %s: %s", resp.Status, body)
	}
	var h struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("GET /healthz: not JSON: %v: %s", err, body)
	}
	if h.Status != "ok" {
		t.Errorf("GET /healthz: status %q, want ok: %s", h.Status, body)
	}
}

// checkCSPHeader checks that a page forbids inline and foreign scripts and
// styles.
func checkCSPHeader(t *testing.T, srv *serveProc) {
	resp, body := srv.get(t, "/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %s: %s", resp.Status, body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if csp == "" {
		t.Fatalf("GET /: no Content-Security-Policy header")
	}
	directives := map[string]string{}
	for d := range strings.SplitSeq(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{"default-src": "'none'", "script-src": "'self'", "style-src": "'self'"} {
		if got := directives[name]; got != want {
			t.Errorf("Content-Security-Policy %s %q, want %q (header: %s)", name, got, want, csp)
		}
	}
	t.Logf("Content-Security-Policy: %s", csp)
}

// liveBar is how soon a request must show on a live page without a reload.
const liveBar = 5 * time.Second

// TestLiveRefresh loads a live SLO page (no ?at=) over a log that `serve`
// tails, appends bad requests, and times how long until the page's numbers
// and charts count them — in the same document, never reloaded.
func TestLiveRefresh(t *testing.T) {
	chrome := requireChromium(t)
	bin := headroomBin(t)
	dir := t.TempDir()
	live := itest.NewLiveLog(t, dir)
	cfg, write := live.Config, live.Write
	write(30, 200)
	srv := startServe(t, bin, dir, cfg)
	srv.waitHealthy(t)
	bctx := newBrowser(t, chrome)
	tab, console := openTab(t, bctx)
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	url := "http://" + srv.addr + "/slo/web-availability"
	// A marker in the document: a reload would lose it.
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(`#numbers`),
		chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`)); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	const state = `(() => {
		const bad = document.querySelector('#numbers [data-field="bad"]');
		const vol = document.querySelector('div.chart[data-chart="volume"]');
		return {same: window.__sameDocument === true, bad: bad ? parseFloat(bad.dataset.value) : -1,
			points: vol ? parseInt(vol.dataset.points || '0', 10) : 0};
	})()`
	type pageState struct {
		Same   bool    `json:"same"`
		Bad    float64 `json:"bad"`
		Points int     `json:"points"`
	}
	for round, n := range []int{3, 5} {
		before, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](state))
		if err != nil {
			t.Fatal(err)
		}
		written := time.Now()
		write(n, 503)
		for {
			st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](state))
			if err != nil {
				t.Fatal(err)
			}
			if !st.Same {
				t.Fatalf("round %d: the page reloaded", round)
			}
			if st.Bad == before.Bad+float64(n) {
				took := time.Since(written)
				t.Logf("round %d: %d bad requests on the page after %v (volume chart: %d values)", round, n, took.Round(time.Millisecond), st.Points)
				if took > liveBar {
					t.Errorf("round %d: the page showed new requests after %v, want ≤ %v", round, took, liveBar)
				}
				if st.Points == 0 {
					t.Errorf("round %d: the volume chart plots nothing after the refresh", round)
				}
				break
			}
			if time.Since(written) > 3*liveBar {
				t.Fatalf("round %d: after %v the page shows %v bad requests, want %v", round, time.Since(written), st.Bad, before.Bad+float64(n))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	console.check(t, tab)
}
