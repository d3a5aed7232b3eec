package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/slo"
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
	T       time.Time          `json:"t"`
	Seconds float64            `json:"seconds"` // as in Point`
	Classes map[string]float64 `json:"classes"` // "2xx" → requests
	P50     *float64           `json:"p50_ms"`
	P90     *float64           `json:"p90_ms"`
	P99     *float64           `json:"p99_ms"`
}

// Service is a service's traffic over a range.
type Service struct {
	Name      string             `json:"name"`
	SLOs      []string           `json:"slos"`
	From      time.Time          `json:"from"`
	To        time.Time          `json:"to"`
	Step      string             `json:"step"`
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
// with its top routes (topN of each kind).
func (e *Engine) Service(ctx context.Context, name string, from, to time.Time, step time.Duration, topN int) (*Service, error) {
	if !slices.Contains(e.ServiceNames(), name) {
		return nil, fmt.Errorf("service %q: %w", name, ErrNotFound)
	}
	from, to, step = Range(from, to, step)
	out := &Service{Name: name, From: from, To: to, Step: slo.FormatDuration(step), Classes: map[string]float64{}, SLOs: []string{},
		TopRoutes: []RouteStat{}, TopErrors: []RouteStat{}}
	for _, s := range e.specs {
		if s.Service == name {
			out.SLOs = append(out.SLOs, s.Name)
		}
	}
	n := bucketsIn(from, to, step)
	out.Points = make([]ServicePoint, n)
	hists := make([]cells.Hist, n)
	var all cells.Hist
	type routeAcc struct {
		RouteStat
		hist cells.Hist
	}
	routes := map[string]*routeAcc{}
	for i := range out.Points {
		t := from.Add(time.Duration(i) * step)
		out.Points[i] = ServicePoint{T: t, Seconds: stepEnd(t, step, to).Sub(t).Seconds(), Classes: map[string]float64{}}
	}
	sc, err := e.scanner(ctx, name)
	if err != nil {
		return nil, err
	}
	if sc != nil {
		err = sc.scan(from, to, step, func(b int, dim uint32, en *cells.Entry) {
			d, ok := sc.dim(dim)
			if !ok {
				return
			}
			n := float64(en.Count)
			cl := statusClass(d.Status)
			out.Points[b].Classes[cl] += n
			out.Classes[cl] += n
			out.Requests += n
			hists[b] = mergeHist(hists[b], en.Hist)
			r := routes[d.Route]
			if r == nil {
				r = &routeAcc{RouteStat: RouteStat{Route: d.Route}}
				routes[d.Route] = r
			}
			r.Requests += n
			if cl == "5xx" {
				r.Errors += n
			}
			r.hist = mergeHist(r.hist, en.Hist)
		})
		if err != nil {
			return nil, err
		}
	}
	for i, h := range hists {
		p := &out.Points[i]
		p.P50, p.P90, p.P99 = quantile(h, 0.5), quantile(h, 0.9), quantile(h, 0.99)
		all = mergeHist(all, h)
	}
	out.P50, out.P90, out.P99 = quantile(all, 0.5), quantile(all, 0.9), quantile(all, 0.99)
	if out.Requests > 0 {
		out.ErrorRate = out.Classes["5xx"] / out.Requests
	}
	out.PerSecond = out.Requests / to.Sub(from).Seconds()
	var stats []RouteStat
	for _, r := range routes {
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
	return out, nil
}
