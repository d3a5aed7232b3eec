package report

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/rum"
)

// Vital is a page's web vital at the 75th percentile of its page views, the
// way Core Web Vitals are judged, with the rating of the web-vitals library:
// good, needs-improvement or poor.
type Vital struct {
	P75    float64 `json:"p75"` // ms; unitless for CLS
	Count  float64 `json:"count"`
	Rating string  `json:"rating"`
}

// PageVitals are one page template's vitals.
type PageVitals struct {
	Page      string           `json:"page"`
	PageViews float64          `json:"page_views"`
	Vitals    map[string]Vital `json:"vitals"` // by name: LCP, INP, CLS, FCP, TTFB
}

// VitalNames are the vitals in display order.
var VitalNames = []string{"LCP", "INP", "CLS", "FCP", "TTFB"}

// vitalBounds are the web-vitals library's good and poor bounds.
var vitalBounds = map[string][2]float64{
	"LCP": {2500, 4000}, "INP": {200, 500}, "CLS": {0.1, 0.25}, "FCP": {1800, 3000}, "TTFB": {800, 1800},
}

// Rating rates a vital's value.
func Rating(name string, v float64) string {
	b := vitalBounds[name]
	switch {
	case v <= b[0]:
		return "good"
	case v <= b[1]:
		return "needs-improvement"
	}
	return "poor"
}

// Vitals returns the p75 of every vital of a frontend app's pages over
// [from, to), pages with the most page views first (nil for a service
// without browser data).
func (e *Engine) Vitals(ctx context.Context, service string, from, to time.Time) ([]PageVitals, error) {
	sc, err := e.scanner(ctx, service)
	if err != nil || sc == nil {
		return nil, err
	}
	code := map[int]string{}
	for n, c := range rum.VitalCodes {
		code[c] = n
	}
	type acc struct {
		views float64
		hists map[string]cells.Hist
	}
	pages := map[string]*acc{}
	from, to = from.Truncate(time.Minute), ceilTime(to, time.Minute)
	err = sc.scan(from, to, to.Sub(from), func(_ int, dim uint32, en *cells.Entry) {
		d, ok := sc.dim(dim)
		if !ok {
			return
		}
		name, vital := code[d.Status]
		if !vital && d.Status != rum.CodePageView {
			return
		}
		a := pages[d.Route]
		if a == nil {
			a = &acc{hists: map[string]cells.Hist{}}
			pages[d.Route] = a
		}
		if !vital {
			a.views += float64(en.Count)
			return
		}
		a.hists[name] = mergeHist(a.hists[name], en.Hist)
	})
	if err != nil {
		return nil, err
	}
	var out []PageVitals
	for page, a := range pages {
		pv := PageVitals{Page: page, PageViews: a.views, Vitals: map[string]Vital{}}
		for name, h := range a.hists {
			q := quantile(h, 0.75)
			if q == nil {
				continue
			}
			v := *q
			if name == "CLS" {
				v /= rum.CLSScale
			}
			pv.Vitals[name] = Vital{P75: v, Count: float64(h.Timed()), Rating: Rating(name, v)}
		}
		out = append(out, pv)
	}
	slices.SortFunc(out, func(a, b PageVitals) int {
		if c := cmp.Compare(b.PageViews, a.PageViews); c != 0 {
			return c
		}
		return cmp.Compare(a.Page, b.Page)
	})
	return out, nil
}
