// Package genhist writes generated traffic history straight into a store:
// minute cells of one or more services over a date range, with growth,
// daily and weekly seasonality, a route mix, base error rates and latency
// per route, and incidents at known times. It is test data for the
// analyses that read months of history (headroom suggest, capacity).
//
// Every count is an expected value rounded, not a random draw: the same
// History always writes the same cells, and a test can compute the truth
// of any range brute force from [History.Minute] (or [History.Rate] for
// the traffic before rounding). The seed drives a small per-minute wobble
// ([Service.Noise]) and which way each count rounds (up with the
// probability of its fraction, so that small rates add up to their
// expectation), both functions of the seed and the minute only.
package genhist

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/store"
)

// Group is the kind of a route, as the generator intends it (the truth an
// automatic classification is checked against).
type Group string

// The route groups.
const (
	APIRead  Group = "api-read"  // GET/HEAD /api/...
	APIWrite Group = "api-write" // POST/PUT/PATCH/DELETE /api/...
	Page     Group = "page"      // HTML pages
	Static   Group = "static"    // /static/*.js, css, images
	Health   Group = "health"    // load balancer health checks
	Bot      Group = "bot"       // crawlers and scanners (robots.txt, wp-login.php)
)

// LatencyShare is the share of a route's requests answered within Ms
// milliseconds (and above the previous share's Ms).
type LatencyShare struct {
	Ms    uint32
	Share float64
}

// Route is one route template of a service's mix.
type Route struct {
	Method, Template string
	Group            Group
	// Weight is the route's share of the service's requests; the weights
	// of a service need not add up to 1 (they are normalised).
	Weight float64
	// ErrorRate is the share answered 500; ClientErrorRate the share
	// answered ClientStatus (404 when 0). The rest is answered OKStatus
	// (200 when 0).
	ErrorRate, ClientErrorRate float64
	ClientStatus, OKStatus     int
	// Latency is the distribution of the route's latencies, by bucket;
	// shares need not add up to 1 (they are normalised). Empty: all at
	// 10 ms.
	Latency []LatencyShare
}

// Service is one service's traffic.
type Service struct {
	Name string
	Host string // "app.example.com" when empty
	// RPS is the mean request rate at the history's start, before daily
	// and weekly seasonality.
	RPS float64
	// WeeklyGrowth compounds: 0.10 is +10% a week.
	WeeklyGrowth float64
	// DailyAmplitude a makes the rate (1 + a·cos(2π(h − PeakHour)/24)) of
	// the mean at hour h (UTC, fractional); PeakHour is the busiest hour.
	DailyAmplitude, PeakHour float64
	// WeekendDip d makes Saturdays' and Sundays' rates (1 − d) of the
	// weekdays'.
	WeekendDip float64
	// Noise n wobbles each minute's rate by a deterministic ±n share
	// derived from the seed, the service and the minute.
	Noise float64
	// Routes is the route mix; DefaultRoutes when empty.
	Routes []Route
}

// Incident makes a share of the matching requests fail, slow, or both,
// over [Start, Start+Duration).
type Incident struct {
	Start    time.Time
	Duration time.Duration
	Service  string // "" for every service
	// Route (a template), Method and Group narrow the requests hit; all
	// empty: every route.
	Route, Method string
	Group         Group
	// Status is what the failed requests are answered (503 when 0);
	// BadFraction is their share of the matching requests.
	Status      int
	BadFraction float64
	// LatencyFactor multiplies the latencies of every matching request
	// (1 or 0: unchanged).
	LatencyFactor float64
}

// End is when the incident is over.
func (i Incident) End() time.Time { return i.Start.Add(i.Duration) }

// History is what to generate.
type History struct {
	Start     time.Time // truncated to the minute
	Days      int
	Seed      uint64
	Services  []Service
	Incidents []Incident
}

// Count is a number of requests of one dimension and latency bucket in a
// minute.
type Count struct {
	Dim  store.DimValue
	LeMs uint32 // the latency bucket's upper bound (ms), on the store's grid
	N    uint64
}

// DefaultRoutes is a B2B SaaS mix: API reads and writes, pages, static
// assets, a health check polled by the load balancer, and some bots.
func DefaultRoutes() []Route {
	api := func(median uint32) []LatencyShare {
		return []LatencyShare{{median / 2, 0.30}, {median, 0.40}, {median * 2, 0.20}, {median * 4, 0.08}, {median * 10, 0.02}}
	}
	return []Route{
		{Method: "GET", Template: "/api/deals", Group: APIRead, Weight: 0.20, ErrorRate: 0.0004, ClientErrorRate: 0.002, Latency: api(40)},
		{Method: "GET", Template: "/api/deals/:id", Group: APIRead, Weight: 0.14, ErrorRate: 0.0003, ClientErrorRate: 0.01, Latency: api(30)},
		{Method: "GET", Template: "/api/users/:id", Group: APIRead, Weight: 0.08, ErrorRate: 0.0002, ClientErrorRate: 0.005, Latency: api(20)},
		{Method: "POST", Template: "/api/deals", Group: APIWrite, Weight: 0.05, ErrorRate: 0.001, ClientErrorRate: 0.02, ClientStatus: 422, OKStatus: 201, Latency: api(120)},
		{Method: "PUT", Template: "/api/deals/:id", Group: APIWrite, Weight: 0.03, ErrorRate: 0.001, ClientErrorRate: 0.01, ClientStatus: 409, Latency: api(100)},
		{Method: "DELETE", Template: "/api/deals/:id", Group: APIWrite, Weight: 0.01, ErrorRate: 0.0005, OKStatus: 204, Latency: api(80)},
		{Method: "GET", Template: "/", Group: Page, Weight: 0.06, ErrorRate: 0.0002, Latency: api(150)},
		{Method: "GET", Template: "/deals/:id", Group: Page, Weight: 0.05, ErrorRate: 0.0003, ClientErrorRate: 0.01, Latency: api(180)},
		{Method: "GET", Template: "/static/js/app.js", Group: Static, Weight: 0.10, Latency: []LatencyShare{{1, 0.6}, {3, 0.35}, {20, 0.05}}},
		{Method: "GET", Template: "/static/css/main.css", Group: Static, Weight: 0.06, Latency: []LatencyShare{{1, 0.7}, {2, 0.28}, {15, 0.02}}},
		{Method: "GET", Template: "/healthz", Group: Health, Weight: 0.18, Latency: []LatencyShare{{1, 0.95}, {2, 0.05}}},
		{Method: "GET", Template: "/robots.txt", Group: Bot, Weight: 0.01, Latency: []LatencyShare{{1, 1}}},
		{Method: "GET", Template: "/wp-login.php", Group: Bot, Weight: 0.03, ClientErrorRate: 1, Latency: []LatencyShare{{1, 0.9}, {2, 0.1}}},
	}
}

// layout is the store's default latency grid: every bucket the generator
// writes is one of its bounds.
var layout = cells.NewLayout()

// bucketMs returns the grid bound holding ms.
func bucketMs(ms float64) uint32 {
	return layout.Bucket(int64(math.Ceil(ms)) * 1000)
}

// gen is a History prepared: routes normalised, per service.
type gen struct {
	h    *History
	svcs []genService
}

type genService struct {
	Service
	routes []genRoute
}

type genRoute struct {
	Route
	weight float64 // normalised
	lat    []LatencyShare
}

func (h *History) prepare() (*gen, error) {
	if h.Days <= 0 {
		return nil, fmt.Errorf("genhist: days must be positive, got %d", h.Days)
	}
	if len(h.Services) == 0 {
		return nil, fmt.Errorf("genhist: no services")
	}
	g := &gen{h: h}
	for si, s := range h.Services {
		if s.Name == "" {
			return nil, fmt.Errorf("genhist: services[%d]: no name", si)
		}
		if s.RPS < 0 || s.DailyAmplitude < 0 || s.DailyAmplitude >= 1 || s.WeekendDip < 0 || s.WeekendDip >= 1 || s.Noise < 0 || s.Noise >= 1 {
			return nil, fmt.Errorf("genhist: service %s: rps must be ≥ 0 and daily_amplitude, weekend_dip and noise in [0, 1)", s.Name)
		}
		if s.Host == "" {
			s.Host = "app.example.com"
		}
		routes := s.Routes
		if len(routes) == 0 {
			routes = DefaultRoutes()
		}
		var sum float64
		for _, r := range routes {
			sum += r.Weight
		}
		if sum <= 0 {
			return nil, fmt.Errorf("genhist: service %s: route weights add up to %g", s.Name, sum)
		}
		gs := genService{Service: s}
		for ri, r := range routes {
			if r.ErrorRate < 0 || r.ClientErrorRate < 0 || r.ErrorRate+r.ClientErrorRate > 1 {
				return nil, fmt.Errorf("genhist: service %s: routes[%d] %s %s: error rates must be ≥ 0 and add up to at most 1", s.Name, ri, r.Method, r.Template)
			}
			gr := genRoute{Route: r, weight: r.Weight / sum}
			lat := r.Latency
			if len(lat) == 0 {
				lat = []LatencyShare{{10, 1}}
			}
			var ls float64
			for _, l := range lat {
				ls += l.Share
			}
			for _, l := range lat {
				gr.lat = append(gr.lat, LatencyShare{Ms: l.Ms, Share: l.Share / ls})
			}
			if gr.ClientStatus == 0 {
				gr.ClientStatus = 404
			}
			if gr.OKStatus == 0 {
				gr.OKStatus = 200
			}
			gs.routes = append(gs.routes, gr)
		}
		g.svcs = append(g.svcs, gs)
	}
	for i, in := range h.Incidents {
		if in.BadFraction < 0 || in.BadFraction > 1 || in.Duration <= 0 || in.LatencyFactor < 0 {
			return nil, fmt.Errorf("genhist: incidents[%d]: bad_fraction must be in [0, 1], duration positive, latency_factor ≥ 0", i)
		}
	}
	return g, nil
}

// From is the first minute of the history.
func (h *History) From() time.Time { return h.Start.UTC().Truncate(time.Minute) }

// To is the end of the history (exclusive).
func (h *History) To() time.Time { return h.From().Add(time.Duration(h.Days) * 24 * time.Hour) }

// Rate is a service's expected requests per second at minute t, before
// rounding: the growth, seasonality and noise applied to Service.RPS.
func (h *History) Rate(service string, t time.Time) float64 {
	for _, s := range h.Services {
		if s.Name == service {
			return h.rate(&s, t.UTC().Truncate(time.Minute))
		}
	}
	return 0
}

func (h *History) rate(s *Service, t time.Time) float64 {
	weeks := t.Sub(h.From()).Hours() / (24 * 7)
	r := s.RPS * math.Pow(1+s.WeeklyGrowth, weeks)
	hour := float64(t.Hour()) + float64(t.Minute())/60
	r *= 1 + s.DailyAmplitude*math.Cos(2*math.Pi*(hour-s.PeakHour)/24)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		r *= 1 - s.WeekendDip
	}
	if s.Noise > 0 {
		r *= 1 + s.Noise*(2*h.unit(t.Unix(), s.Name)-1)
	}
	return r
}

// round rounds x down or up, up with probability its fraction, by a
// deterministic draw of the seed, the names and the minute: small
// expected counts (a 0.05% error rate of 60 requests a minute) add up
// to their expectation over many minutes instead of rounding to 0.
func (h *History) round(x float64, service, route, method, what string, t time.Time) uint64 {
	f := math.Floor(x)
	if x-f > 0 && h.unit(t.Unix(), service, route, method, what) < x-f {
		f++
	}
	return uint64(f)
}

// unit is a deterministic number in [0, 1) of the seed, names and a
// minute.
func (h *History) unit(minute int64, names ...string) float64 {
	f := fnv.New64a()
	var b [16]byte
	for i := range 8 {
		b[i] = byte(h.Seed >> (8 * i))
		b[8+i] = byte(uint64(minute) >> (8 * i))
	}
	f.Write(b[:])
	for _, n := range names {
		f.Write([]byte(n))
		f.Write([]byte{0})
	}
	x := f.Sum64()
	// splitmix64 finaliser: FNV's low bits alone are poorly mixed.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// Minute returns the counts of a service in the minute starting at t, in
// a fixed order: the truth the store holds for that minute. It returns
// nil for an unknown service or a minute outside the history.
func (h *History) Minute(service string, t time.Time) []Count {
	g, err := h.prepare()
	if err != nil {
		return nil
	}
	for i := range g.svcs {
		if g.svcs[i].Name == service {
			return g.minute(&g.svcs[i], t.UTC().Truncate(time.Minute), nil)
		}
	}
	return nil
}

// minute appends the counts of s in the minute starting at t to dst.
func (g *gen) minute(s *genService, t time.Time, dst []Count) []Count {
	if t.Before(g.h.From()) || !t.Before(g.h.To()) {
		return dst
	}
	perMinute := g.h.rate(&s.Service, t) * 60
	for ri := range s.routes {
		r := &s.routes[ri]
		n := g.h.round(perMinute*r.weight, s.Name, r.Template, r.Method, "n", t)
		if n == 0 {
			continue
		}
		var bad uint64
		status, factor := 503, 1.0
		for _, in := range g.h.Incidents {
			if (in.Service != "" && in.Service != s.Name) || (in.Route != "" && in.Route != r.Template) ||
				(in.Method != "" && in.Method != r.Method) ||
				(in.Group != "" && in.Group != r.Group) || t.Before(in.Start) || !t.Before(in.End()) {
				continue
			}
			if in.BadFraction > 0 {
				bad = max(bad, min(n, g.h.round(float64(n)*in.BadFraction, s.Name, r.Template, r.Method, "bad", t)))
				if in.Status != 0 {
					status = in.Status
				}
			}
			if in.LatencyFactor > 0 {
				factor *= in.LatencyFactor
			}
		}
		rest := n - bad
		serverErr := min(rest, g.h.round(float64(rest)*r.ErrorRate, s.Name, r.Template, r.Method, "5xx", t))
		clientErr := min(g.h.round(float64(rest)*r.ClientErrorRate, s.Name, r.Template, r.Method, "4xx", t), rest-serverErr)
		ok := rest - serverErr - clientErr
		d := store.DimValue{Host: s.Host, Route: r.Template, Method: r.Method}
		for _, sc := range [...]struct {
			status int
			n      uint64
		}{{r.OKStatus, ok}, {r.ClientStatus, clientErr}, {500, serverErr}, {status, bad}} {
			if sc.n == 0 {
				continue
			}
			d.Status = sc.status
			dst = spread(dst, d, sc.n, r.lat, factor)
		}
	}
	return dst
}

// spread appends n requests of d over the latency buckets, by largest
// remainder so the buckets add up to n exactly.
func spread(dst []Count, d store.DimValue, n uint64, lat []LatencyShare, factor float64) []Count {
	start := len(dst)
	var given uint64
	type rem struct {
		i int
		r float64
	}
	var rems [16]rem
	rs := rems[:0]
	for i, l := range lat {
		exact := float64(n) * l.Share
		k := uint64(math.Floor(exact))
		given += k
		dst = append(dst, Count{Dim: d, LeMs: bucketMs(float64(l.Ms) * factor), N: k})
		rs = append(rs, rem{i, exact - float64(k)})
	}
	slices.SortStableFunc(rs, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return 0
	})
	for j := 0; given < n; j++ {
		dst[start+rs[j%len(rs)].i].N++
		given++
	}
	// Buckets left empty, or falling on one bound (a factor), are merged.
	out := dst[:start]
	for _, c := range dst[start:] {
		if c.N == 0 {
			continue
		}
		if k := len(out); k > start && out[k-1].LeMs == c.LeMs {
			out[k-1].N += c.N
			continue
		}
		out = append(out, c)
	}
	return out
}

// Write commits the history into st, a day per commit. It fills the
// batches' cells with dimension ids (store.EnsureDims) rather than by
// value (Batch.Add): a day of a service is 1,440 cells.
func (h *History) Write(ctx context.Context, st *store.Store) error {
	g, err := h.prepare()
	if err != nil {
		return err
	}
	ids := make([]map[store.DimValue]uint32, len(g.svcs))
	for i := range ids {
		ids[i] = map[store.DimValue]uint32{}
	}
	var buf []Count
	from := h.From()
	for day := range h.Days {
		var b store.Batch
		dayStart := from.Add(time.Duration(day) * 24 * time.Hour)
		for si := range g.svcs {
			s := &g.svcs[si]
			for m := range 24 * 60 {
				t := dayStart.Add(time.Duration(m) * time.Minute)
				buf = g.minute(s, t, buf[:0])
				if err := addMinute(ctx, st, &b, s.Name, ids[si], t.Unix(), buf); err != nil {
					return err
				}
			}
		}
		if err := st.Commit(ctx, &b); err != nil {
			return fmt.Errorf("genhist: day %s: %w", dayStart.Format(time.DateOnly), err)
		}
	}
	return nil
}

// addMinute adds a minute's counts to b, an entry per dimension.
func addMinute(ctx context.Context, st *store.Store, b *store.Batch, service string, ids map[store.DimValue]uint32, minute int64, counts []Count) error {
	if len(counts) == 0 {
		return nil
	}
	c := b.Cell(service, minute)
	for i := 0; i < len(counts); {
		d := counts[i].Dim
		id, ok := ids[d]
		if !ok {
			got, err := st.EnsureDims(ctx, service, []store.DimValue{d})
			if err != nil {
				return fmt.Errorf("genhist: %w", err)
			}
			id = got[0]
			ids[d] = id
		}
		e := cells.Entry{Dim: id}
		for ; i < len(counts) && counts[i].Dim == d; i++ {
			e.Count += counts[i].N
			e.Hist.Add(counts[i].LeMs, counts[i].N)
		}
		c.Entries = append(c.Entries, e)
	}
	return nil
}

// Totals sums a service's counts over [from, to) brute force, minute by
// minute, calling fn for each count (nil: none) and returning the number
// of requests.
func (h *History) Totals(service string, from, to time.Time, fn func(t time.Time, c Count)) uint64 {
	g, err := h.prepare()
	if err != nil {
		return 0
	}
	var s *genService
	for i := range g.svcs {
		if g.svcs[i].Name == service {
			s = &g.svcs[i]
		}
	}
	if s == nil {
		return 0
	}
	var total uint64
	var buf []Count
	for t := from.UTC().Truncate(time.Minute); t.Before(to); t = t.Add(time.Minute) {
		buf = g.minute(s, t, buf[:0])
		for _, c := range buf {
			total += c.N
			if fn != nil {
				fn(t, c)
			}
		}
	}
	return total
}
