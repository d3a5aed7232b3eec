package report

import (
	"context"
	"time"

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
	if sc != nil {
		sc.windows = nil // page vitals are measurements, not SLIs
	}
	if err != nil || sc == nil {
		return nil, err
	}
	acc := newBrowserAcc(nil)
	from, to = from.Truncate(time.Minute), ceilTime(to, time.Minute)
	err = sc.scan(from, to, to.Sub(from), func(b int, dim uint32, en *cells.Entry) {
		if d, ok := sc.dim(dim); ok {
			acc.add(b, d, en)
		}
	})
	if err != nil {
		return nil, err
	}
	var out []PageVitals
	for _, p := range acc.pageList() {
		if p.PageViews > 0 || len(p.Vitals) > 0 { // not a page with errors only
			out = append(out, p.PageVitals)
		}
	}
	return out, nil
}
