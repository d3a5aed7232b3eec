package report

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/cells"
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

// Vitals returns the p75 of every vital of a frontend app's pages over
// [from, to), pages with the most page views first (nil for a service
// without browser data).
func (e *Engine) Vitals(ctx context.Context, service string, from, to time.Time) ([]PageVitals, error) {
	sc, err := e.scanner(ctx, service)
	if err != nil || sc == nil {
		return nil, err
	}
	type acc struct {
		views float64
		hists map[beacon.Vital]cells.Hist
	}
	pages := map[string]*acc{}
	from, to = from.Truncate(time.Minute), ceilTime(to, time.Minute)
	err = sc.scan(from, to, to.Sub(from), func(_ int, dim uint32, en *cells.Entry) {
		d, ok := sc.dim(dim)
		if !ok {
			return
		}
		vital, isVital := beacon.ForCode(d.Status)
		if !isVital && d.Status != beacon.CodePageView {
			return
		}
		a := pages[d.Route]
		if a == nil {
			a = &acc{hists: map[beacon.Vital]cells.Hist{}}
			pages[d.Route] = a
		}
		if !isVital {
			a.views += float64(en.Count)
			return
		}
		a.hists[vital] = mergeHist(a.hists[vital], en.Hist)
	})
	if err != nil {
		return nil, err
	}
	var out []PageVitals
	for page, a := range pages {
		pv := PageVitals{Page: page, PageViews: a.views, Vitals: map[string]Vital{}}
		for vital, h := range a.hists {
			q := quantile(h, 0.75)
			if q == nil {
				continue
			}
			v := *q / vital.Scale
			pv.Vitals[vital.Name] = Vital{P75: v, Count: float64(h.Timed()), Rating: vital.Rate(v)}
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
