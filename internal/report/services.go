package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// ErrBadRequest reports a malformed question (an unknown dimension, say).
var ErrBadRequest = errors.New("bad request")

// RouteStat is one route's traffic over a range.
type RouteStat struct {
	Route     string   `json:"route"`
	Requests  float64  `json:"requests"`
	Errors    float64  `json:"errors"` // 5xx
	ErrorRate float64  `json:"error_rate"`
	P50       *float64 `json:"p50_ms"`
	P99       *float64 `json:"p99_ms"`
}

// ServicePoint is one step of a service's traffic, by status class.
type ServicePoint struct {
	T       time.Time `json:"t"`
	Seconds float64   `json:"seconds"` // as in Point
	// Partial is set on a step that does not lie wholly before the range's
	// end: cut short by it, or still filling (see Partial).
	Partial bool               `json:"partial"`
	Classes map[string]float64 `json:"classes"` // "2xx" → requests
	P50     *float64           `json:"p50_ms"`
	P90     *float64           `json:"p90_ms"`
	P99     *float64           `json:"p99_ms"`
}

// Service is a service's traffic over a range: its Nginx requests (Traffic,
// for a service with logs) and its browsers' events (Browser, for a
// frontend app: a service with a rum block).
type Service struct {
	Name string    `json:"name"`
	SLOs []string  `json:"slos"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Step string    `json:"step"`
	*Traffic
	Browser *Browser `json:"browser,omitempty"`
	// Maintenance are the service's maintenance windows in the range: its
	// traffic counts their requests, its SLOs do not.
	Maintenance []Window `json:"maintenance"`
}

// Traffic is a service's requests from its logs, by status class and route.
type Traffic struct {
	Requests  float64            `json:"requests"`
	PerSecond float64            `json:"requests_per_second"`
	Classes   map[string]float64 `json:"classes"`    // requests by status class
	ErrorRate float64            `json:"error_rate"` // share of 5xx
	P50       *float64           `json:"p50_ms"`
	P90       *float64           `json:"p90_ms"`
	P99       *float64           `json:"p99_ms"`
	TopRoutes []RouteStat        `json:"top_routes"`       // by requests
	TopErrors []RouteStat        `json:"top_error_routes"` // by 5xx
	Points    []ServicePoint     `json:"points"`
}

// Partial reports whether the step [start, start+step) of a range asked to
// end at to does not lie wholly before to: the range cut it short, or (to
// being now) it is still filling. Its counts are of less than a step.
func Partial(start time.Time, step time.Duration, to time.Time) bool {
	return start.Add(step).After(to)
}

// Classes are the status classes a service's traffic is split into; "-"
// holds requests without a valid status (junk lines).
var Classes = []string{"1xx", "2xx", "3xx", "4xx", "5xx", "-"}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "-"
	}
	return Classes[status/100-1]
}

// ServiceNames lists the configured services.
func (e *Engine) ServiceNames() []string {
	out := make([]string, 0, len(e.cfg.Services))
	for _, s := range e.cfg.Services {
		out = append(out, s.Name)
	}
	return out
}

// Service returns a service's traffic over [from, to) by step (see Range),
// with its top routes, pages and API paths (topN of each kind).
func (e *Engine) Service(ctx context.Context, name string, from, to time.Time, step time.Duration, topN int) (*Service, error) {
	i := slices.IndexFunc(e.cfg.Services, func(s config.Service) bool { return s.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("service %q: %w", name, ErrNotFound)
	}
	cfg := e.cfg.Services[i]
	asked := to
	from, to, step = Range(from, to, step)
	out := &Service{Name: name, From: from, To: to, Step: slo.FormatDuration(step), SLOs: []string{}}
	for _, s := range e.specs {
		if s.Service == name {
			out.SLOs = append(out.SLOs, s.Name)
		}
	}
	n := bucketsIn(from, to, step)
	var logs *trafficAcc
	if len(cfg.Logs) > 0 {
		logs = newTrafficAcc(n)
	}
	var browser *browserAcc
	if cfg.RUM != nil {
		browser = newBrowserAcc(make([]BrowserPoint, n))
	}
	sc, err := e.scanner(ctx, name)
	if err != nil {
		return nil, err
	}
	// Traffic is what happened: maintenance windows are shown on its
	// charts, not left out of it (only SLIs leave them out).
	if out.Maintenance, err = e.Windows(ctx, name, from, to); err != nil {
		return nil, err
	}
	if sc != nil {
		sc.windows = nil
		err = sc.scan(from, to, step, func(b int, dim uint32, en *cells.Entry) {
			d, ok := sc.dim(dim)
			switch {
			case !ok:
			case browser != nil && browser.add(b, d, en):
			case logs != nil:
				logs.add(b, d, en)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	if logs != nil {
		out.Traffic = logs.traffic(topN)
		out.PerSecond = out.Requests / to.Sub(from).Seconds()
		for i := range out.Points {
			p := &out.Points[i]
			p.T, p.Seconds, p.Partial = stepSpan(from, i, step, to, asked)
		}
	}
	if browser != nil {
		out.Browser = browser.browser(topN)
		for i := range out.Browser.Points {
			p := &out.Browser.Points[i]
			p.T, p.Seconds, p.Partial = stepSpan(from, i, step, to, asked)
		}
	}
	return out, nil
}

// stepSpan returns the start of the i-th step of a range from from to to,
// how many seconds of the range it covers, and whether it is Partial
// against the end asked for.
func stepSpan(from time.Time, i int, step time.Duration, to, asked time.Time) (time.Time, float64, bool) {
	t := from.Add(time.Duration(i) * step)
	return t, stepEnd(t, step, to).Sub(t).Seconds(), Partial(t, step, asked)
}

// trafficAcc sums a service's requests from its logs.
type trafficAcc struct {
	out    *Traffic
	hists  []cells.Hist // by bucket
	routes map[string]*routeAcc
}

type routeAcc struct {
	RouteStat
	hist cells.Hist
}

func newTrafficAcc(buckets int) *trafficAcc {
	a := &trafficAcc{out: &Traffic{Classes: map[string]float64{}, TopRoutes: []RouteStat{}, TopErrors: []RouteStat{},
		Points: make([]ServicePoint, buckets)}, hists: make([]cells.Hist, buckets), routes: map[string]*routeAcc{}}
	for i := range a.out.Points {
		a.out.Points[i].Classes = map[string]float64{}
	}
	return a
}

// add counts a cell entry of dimension d into bucket b.
func (a *trafficAcc) add(b int, d store.DimValue, en *cells.Entry) {
	n := float64(en.Count)
	cl := statusClass(d.Status)
	a.out.Points[b].Classes[cl] += n
	a.out.Classes[cl] += n
	a.out.Requests += n
	a.hists[b] = mergeHist(a.hists[b], en.Hist)
	r := a.routes[d.Route]
	if r == nil {
		r = &routeAcc{RouteStat: RouteStat{Route: d.Route}}
		a.routes[d.Route] = r
	}
	r.Requests += n
	if cl == "5xx" {
		r.Errors += n
	}
	r.hist = mergeHist(r.hist, en.Hist)
}

// traffic returns what a counted, with the topN routes by requests and by
// 5xx.
func (a *trafficAcc) traffic(topN int) *Traffic {
	out := a.out
	var all cells.Hist
	for i, h := range a.hists {
		p := &out.Points[i]
		p.P50, p.P90, p.P99 = quantile(h, 0.5), quantile(h, 0.9), quantile(h, 0.99)
		all = mergeHist(all, h)
	}
	out.P50, out.P90, out.P99 = quantile(all, 0.5), quantile(all, 0.9), quantile(all, 0.99)
	if out.Requests > 0 {
		out.ErrorRate = out.Classes["5xx"] / out.Requests
	}
	var stats []RouteStat
	for _, r := range a.routes {
		if r.Requests > 0 {
			r.ErrorRate = r.Errors / r.Requests
		}
		r.P50, r.P99 = quantile(r.hist, 0.5), quantile(r.hist, 0.99)
		stats = append(stats, r.RouteStat)
	}
	top := func(key func(RouteStat) float64) []RouteStat {
		s := slices.Clone(stats)
		slices.SortFunc(s, func(a, b RouteStat) int {
			if c := cmp.Compare(key(b), key(a)); c != 0 {
				return c
			}
			return cmp.Compare(a.Route, b.Route)
		})
		var out []RouteStat
		for _, r := range s {
			if len(out) == topN || key(r) == 0 {
				break
			}
			out = append(out, r)
		}
		return out
	}
	out.TopRoutes = append(out.TopRoutes, top(func(r RouteStat) float64 { return r.Requests })...)
	out.TopErrors = append(out.TopErrors, top(func(r RouteStat) float64 { return r.Errors })...)
	return out
}
