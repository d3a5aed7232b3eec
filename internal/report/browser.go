package report

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/store"
)

// Browser is a frontend app's traffic over a range: what rum.js reported
// from its pages, counted from the cells the beacons went into (the page
// template is the route, the device class the host, the navigation type the
// method and the kind of event the status: see internal/beacon). Its counts
// are the ones the app's js_errors and browser_api SLOs count.
type Browser struct {
	// PageViews are the page views; ErrorViews those that had an uncaught
	// error or an unhandled rejection, and ErrorRate their share.
	PageViews  float64 `json:"page_views"`
	ErrorViews float64 `json:"error_page_views"`
	ErrorRate  float64 `json:"error_rate"`
	// APICalls are the pages' fetch and XMLHttpRequest calls; APIFailed
	// those answered 5xx or not at all, and APIFailureRate their share.
	APICalls       float64 `json:"api_calls"`
	APIFailed      float64 `json:"api_failed"`
	APIFailureRate float64 `json:"api_failure_rate"`
	// Vitals are each web vital at the 75th percentile of every page view
	// that reported it, by name.
	Vitals map[string]Vital `json:"vitals"`
	// Devices are the page views by device class (mobile, tablet, desktop).
	Devices map[string]float64 `json:"devices"`
	// Pages are the pages with the most page views (the topN asked for),
	// of PageCount pages with events.
	Pages     []BrowserPage `json:"pages"`
	PageCount int           `json:"page_count"`
	// API are the API paths called, most failures first, then most calls
	// (the topN asked for), of APIPathCount paths.
	API          []APIPath `json:"api"`
	APIPathCount int       `json:"api_path_count"`
	// Points are the counts step by step.
	Points []BrowserPoint `json:"points"`
}

// BrowserPage is one page template of a frontend app: its page views, those
// with a JavaScript error, and its web vitals at p75.
type BrowserPage struct {
	PageVitals
	ErrorViews float64 `json:"error_page_views"`
	ErrorRate  float64 `json:"error_rate"`
}

// APIPath is one API path (templated like a route) the pages called.
type APIPath struct {
	Path        string  `json:"path"`
	Calls       float64 `json:"calls"`
	Failed      float64 `json:"failed"`
	FailureRate float64 `json:"failure_rate"`
}

// BrowserPoint is one step of a frontend app's traffic.
type BrowserPoint struct {
	T          time.Time `json:"t"`
	Seconds    float64   `json:"seconds"` // as in Point
	Partial    bool      `json:"partial"` // as in ServicePoint
	PageViews  float64   `json:"page_views"`
	ErrorViews float64   `json:"error_page_views"`
	APICalls   float64   `json:"api_calls"`
	APIFailed  float64   `json:"api_failed"`
}

// eventNames are the browser events' names, by the code they are stored
// under, as breakdowns and alerts show them.
var eventNames = map[int]string{
	beacon.CodePageView:  "page view",
	beacon.CodeErrorView: "js error",
	beacon.CodeAPIOK:     "api ok",
	beacon.CodeAPIFailed: "api failed",
}

// EventName names the browser event stored under code ("js error", "api
// failed", "LCP"…); ok is false for a code that is none.
func EventName(code int) (name string, ok bool) {
	if n, ok := eventNames[code]; ok {
		return n, true
	}
	if v, ok := beacon.ForCode(code); ok {
		return v.Name, true
	}
	return "", false
}

// statusName is how a breakdown names a status: a browser event's name in
// a frontend app, else the number.
func statusName(status int, browser bool) string {
	if browser {
		if n, ok := EventName(status); ok {
			return n
		}
	}
	return strconv.Itoa(status)
}

// isBrowser reports whether service takes beacons (has a rum block).
func (e *Engine) isBrowser(service string) bool {
	for _, s := range e.cfg.Services {
		if s.Name == service {
			return s.RUM != nil
		}
	}
	return false
}

// browserAcc sums a frontend app's events.
type browserAcc struct {
	pages   map[string]*pageAcc
	api     map[string]*APIPath
	all     map[beacon.Vital]cells.Hist
	devices map[string]float64
	points  []BrowserPoint // by bucket; nil: no series
}

// pageAcc is one page's events.
type pageAcc struct {
	views, errors float64
	hists         map[beacon.Vital]cells.Hist
}

func newBrowserAcc(points []BrowserPoint) *browserAcc {
	return &browserAcc{pages: map[string]*pageAcc{}, api: map[string]*APIPath{}, all: map[beacon.Vital]cells.Hist{},
		devices: map[string]float64{}, points: points}
}

func (a *browserAcc) page(route string) *pageAcc {
	p := a.pages[route]
	if p == nil {
		p = &pageAcc{hists: map[beacon.Vital]cells.Hist{}}
		a.pages[route] = p
	}
	return p
}

// add counts a cell entry of dimension d into bucket b; it reports whether
// the entry was a browser event.
func (a *browserAcc) add(b int, d store.DimValue, en *cells.Entry) bool {
	n := float64(en.Count)
	var pt BrowserPoint // a sink when there is no series
	p := &pt
	if a.points != nil {
		p = &a.points[b]
	}
	switch d.Status {
	case beacon.CodePageView:
		a.page(d.Route).views += n
		a.devices[d.Host] += n
		p.PageViews += n
	case beacon.CodeErrorView:
		a.page(d.Route).errors += n
		p.ErrorViews += n
	case beacon.CodeAPIOK, beacon.CodeAPIFailed:
		c := a.api[d.Route]
		if c == nil {
			c = &APIPath{Path: d.Route}
			a.api[d.Route] = c
		}
		c.Calls += n
		p.APICalls += n
		if d.Status == beacon.CodeAPIFailed {
			c.Failed += n
			p.APIFailed += n
		}
	default:
		v, ok := beacon.ForCode(d.Status)
		if !ok {
			return false
		}
		pg := a.page(d.Route)
		pg.hists[v] = mergeHist(pg.hists[v], en.Hist)
		a.all[v] = mergeHist(a.all[v], en.Hist)
	}
	return true
}

// vitals returns the p75 of each vital of hists, by name.
func vitals(hists map[beacon.Vital]cells.Hist) map[string]Vital {
	out := map[string]Vital{}
	for v, h := range hists {
		q := quantile(h, 0.75)
		if q == nil {
			continue
		}
		x := *q / v.Scale
		out[v.Name] = Vital{P75: x, Count: float64(h.Timed()), Rating: v.Rate(x)}
	}
	return out
}

// pageList returns the pages' vitals and errors, most page views first.
func (a *browserAcc) pageList() []BrowserPage {
	out := make([]BrowserPage, 0, len(a.pages))
	for page, p := range a.pages {
		bp := BrowserPage{PageVitals: PageVitals{Page: page, PageViews: p.views, Vitals: vitals(p.hists)}, ErrorViews: p.errors}
		if p.views > 0 {
			bp.ErrorRate = p.errors / p.views
		}
		out = append(out, bp)
	}
	slices.SortFunc(out, func(a, b BrowserPage) int {
		if c := cmp.Compare(b.PageViews, a.PageViews); c != 0 {
			return c
		}
		return cmp.Compare(a.Page, b.Page)
	})
	return out
}

// browser returns what a counted, keeping the topN pages and API paths
// (all when topN ≤ 0).
func (a *browserAcc) browser(topN int) *Browser {
	out := &Browser{Vitals: vitals(a.all), Devices: a.devices, Points: a.points}
	keep := func(n int) int {
		if topN > 0 {
			return min(n, topN)
		}
		return n
	}
	pages := a.pageList()
	out.PageCount = len(pages)
	out.Pages = pages[:keep(len(pages))]
	for _, p := range pages {
		out.PageViews += p.PageViews
		out.ErrorViews += p.ErrorViews
	}
	api := make([]APIPath, 0, len(a.api))
	for _, c := range a.api {
		c.FailureRate = c.Failed / c.Calls // a path has at least one call
		out.APICalls += c.Calls
		out.APIFailed += c.Failed
		api = append(api, *c)
	}
	slices.SortFunc(api, func(a, b APIPath) int {
		if c := cmp.Compare(b.Failed, a.Failed); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Calls, a.Calls); c != 0 {
			return c
		}
		return cmp.Compare(a.Path, b.Path)
	})
	out.APIPathCount = len(api)
	out.API = api[:keep(len(api))]
	if out.PageViews > 0 {
		out.ErrorRate = out.ErrorViews / out.PageViews
	}
	if out.APICalls > 0 {
		out.APIFailureRate = out.APIFailed / out.APICalls
	}
	return out
}
