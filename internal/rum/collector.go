package rum

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/route"
	"github.com/headroom-slo/headroom/internal/store"
)

// MaxBody is the largest beacon accepted.
const MaxBody = 64 << 10

// Beacon is what rum.js sends (docs/frontend.md).
type Beacon struct {
	V    int     `json:"v"`
	App  string  `json:"app"`
	Page string  `json:"page"`
	Nav  string  `json:"nav"`
	Dev  string  `json:"dev"`
	PV   string  `json:"pv"`
	Ev   []Event `json:"ev"`
}

// Event is one thing a page view reported.
type Event struct {
	T      string   `json:"t"`
	ID     string   `json:"id"`
	N      string   `json:"n,omitempty"`
	V      *float64 `json:"v,omitempty"`
	Route  string   `json:"route,omitempty"`
	OK     *bool    `json:"ok,omitempty"`
	Status int      `json:"status,omitempty"`
}

// Rejection is why a beacon was refused: an HTTP status and a reason.
type Rejection struct {
	Status int
	Reason string // a short key, counted: too_large, malformed, unknown_app, origin, rate_limited
	Detail string
}

func (r *Rejection) Error() string { return r.Reason + ": " + r.Detail }

func reject(status int, reason, format string, args ...any) *Rejection {
	return &Rejection{Status: status, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

var (
	navs    = []string{"navigate", "reload", "back-forward", "back-forward-cache", "prerender", "restore"}
	devices = []string{"mobile", "tablet", "desktop"}
)

// app is one frontend app (a service with a rum block).
type app struct {
	name     string
	origins  []string
	sample   float64
	limit    float64
	tmpl     *route.Templater
	layout   *cells.Layout
	pagesMu  sync.Mutex
	pages    map[string]bool // page templates admitted
	maxPages int
}

// Collector validates beacons, counts each event id once, limits clients'
// rates, and aggregates events in memory until Flush commits them.
type Collector struct {
	apps map[string]*app
	st   *store.Store
	log  *slog.Logger
	now  func() time.Time

	mu    sync.Mutex
	batch store.Batch
	ids   *seenIDs

	limiter *limiter

	accepted, events, duplicates atomic.Int64
	rejected                     sync.Map // reason → *atomic.Int64
}

// New returns a collector for the config's frontend apps.
func New(cfg *config.Config, st *store.Store, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{apps: map[string]*app{}, st: st, log: log, now: time.Now, ids: newSeenIDs(1 << 18), limiter: newLimiter(1 << 16)}
	thresholds := map[string][]uint32{}
	for _, o := range cfg.SLOs {
		if o.SLI.Type != config.WebVital {
			continue
		}
		if o.SLI.Score != nil {
			thresholds[o.Service] = append(thresholds[o.Service], uint32(*o.SLI.Score*beacon.CLSScale+0.5))
		} else {
			thresholds[o.Service] = append(thresholds[o.Service], uint32(time.Duration(o.SLI.Threshold)/time.Millisecond))
		}
	}
	for _, s := range cfg.Services {
		if s.RUM == nil {
			continue
		}
		a := &app{name: s.Name, origins: s.RUM.Origins, sample: 1, limit: s.RUM.RateLimit, pages: map[string]bool{}, maxPages: s.MaxRoutes}
		if a.limit <= 0 {
			a.limit = 20
		}
		if a.maxPages <= 0 {
			a.maxPages = 1000
		}
		if s.RUM.SampleRate != nil {
			a.sample = *s.RUM.SampleRate
		}
		a.tmpl = route.NewTemplater(routeRules(s.Routes))
		// Exact counts at the Core Web Vitals' own bounds and the SLOs'
		// thresholds.
		a.layout = cells.NewLayout(append(beacon.Bounds(), thresholds[s.Name]...)...)
		c.apps[s.Name] = a
	}
	return c
}

// Apps reports whether any service takes beacons.
func (c *Collector) Apps() bool { return len(c.apps) > 0 }

// Accept takes one beacon from a client with an Origin header; it returns a
// *Rejection for a beacon it refuses, changing nothing.
func (c *Collector) Accept(body []byte, origin, client string) error {
	if len(body) > MaxBody {
		return c.count(reject(413, "too_large", "%d bytes: at most %d", len(body), MaxBody))
	}
	var b Beacon
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return c.count(reject(400, "malformed", "not a beacon: %v", err))
	}
	a := c.apps[b.App]
	if a == nil {
		return c.count(reject(404, "unknown_app", "no frontend app %q (a service with a rum block)", b.App))
	}
	if !slices.Contains(a.origins, "*") && !slices.Contains(a.origins, origin) {
		return c.count(reject(403, "origin", "origin %q is not one of %s's rum.origins", origin, b.App))
	}
	if !c.limiter.allow(client, a.limit, c.now()) {
		return c.count(reject(429, "rate_limited", "more than %g beacons a second from this client", a.limit))
	}
	if err := validate(&b); err != nil {
		return c.count(reject(400, "malformed", "%v", err))
	}
	if a.sample < 1 && !sampled(b.PV, a.sample) {
		c.accepted.Add(1)
		return nil // sampled out: accepted, not stored
	}
	page := a.page(b.Page)
	at := c.now()
	minute := at.Unix() - at.Unix()%60
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range b.Ev {
		if !c.ids.add(b.App+"\x00"+e.ID, at) {
			c.duplicates.Add(1)
			continue
		}
		d := store.DimValue{Host: b.Dev, Route: page, Method: b.Nav}
		le := cells.NoLatency
		switch e.T {
		case "pageview":
			d.Status = beacon.CodePageView
		case "error":
			d.Status = beacon.CodeErrorView
		case "api":
			d.Route = a.page(e.Route)
			d.Status = beacon.CodeAPIFailed
			if *e.OK {
				d.Status = beacon.CodeAPIOK
			}
		case "vital":
			vital, _ := beacon.Lookup(e.N) // validate checked the name
			d.Status = vital.Code
			le = a.layout.Bucket(int64(math.Round(*e.V * vital.Scale * 1000)))
		}
		c.batch.Add(b.App, minute, d, le, 1)
		c.events.Add(1)
	}
	c.accepted.Add(1)
	return nil
}

func (c *Collector) count(r *Rejection) error {
	v, _ := c.rejected.LoadOrStore(r.Reason, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	return r
}

// Stats are the collector's counters.
type Stats struct {
	Accepted   int64            `json:"accepted"`
	Events     int64            `json:"events"`
	Duplicates int64            `json:"duplicates"`
	Rejected   map[string]int64 `json:"rejected"` // by reason
}

// Stats returns the counters.
func (c *Collector) Stats() Stats {
	s := Stats{Accepted: c.accepted.Load(), Events: c.events.Load(), Duplicates: c.duplicates.Load(), Rejected: map[string]int64{}}
	c.rejected.Range(func(k, v any) bool {
		s.Rejected[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return s
}

// Flush commits what was aggregated since the last flush.
func (c *Collector) Flush(ctx context.Context) error {
	c.mu.Lock()
	b := c.batch
	c.batch = store.Batch{}
	c.mu.Unlock()
	if b.Empty() {
		return nil
	}
	return c.st.Commit(ctx, &b)
}

// FlushInterval is how often Run commits the beacons it took.
const FlushInterval = time.Second

// Run flushes every FlushInterval until ctx ends, then once more; it
// returns the last flush's error.
func (c *Collector) Run(ctx context.Context) error {
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := c.Flush(context.WithoutCancel(ctx)); err != nil {
				return fmt.Errorf("rum: last flush: %w", err)
			}
			return nil
		case <-t.C:
			if err := c.Flush(ctx); err != nil {
				c.log.Error("rum: flush", "err", err)
			}
		}
	}
}

// validate checks a whole beacon before any of it counts.
func validate(b *Beacon) error {
	switch {
	case b.V != 1:
		return fmt.Errorf("v=%d: want 1", b.V)
	case b.Page == "" || b.Page[0] != '/' || len(b.Page) > 2048:
		return errors.New("page: want a path starting with /")
	case !slices.Contains(navs, b.Nav):
		return fmt.Errorf("nav %q: want one of %s", b.Nav, strings.Join(navs, ", "))
	case !slices.Contains(devices, b.Dev):
		return fmt.Errorf("dev %q: want mobile, tablet or desktop", b.Dev)
	case b.PV == "" || len(b.PV) > 64:
		return errors.New("pv: want a page view id")
	case len(b.Ev) == 0 || len(b.Ev) > 500:
		return fmt.Errorf("%d events: want 1 to 500", len(b.Ev))
	}
	for i, e := range b.Ev {
		if e.ID == "" || len(e.ID) > 128 {
			return fmt.Errorf("ev[%d].id: want an id", i)
		}
		switch e.T {
		case "pageview", "error":
		case "vital":
			if _, ok := beacon.Lookup(e.N); !ok {
				return fmt.Errorf("ev[%d].n %q: want LCP, INP, CLS, FCP or TTFB", i, e.N)
			}
			if e.V == nil || *e.V < 0 || math.IsNaN(*e.V) || *e.V > 3_600_000 {
				return fmt.Errorf("ev[%d].v: want a value ≥ 0", i)
			}
		case "api":
			if e.OK == nil || e.Route == "" || e.Route[0] != '/' || len(e.Route) > 2048 {
				return fmt.Errorf("ev[%d]: an api event needs ok and a route starting with /", i)
			}
		default:
			return fmt.Errorf("ev[%d].t %q: want pageview, vital, error or api", i, e.T)
		}
	}
	return nil
}

// sampled reports whether a page view is kept at rate r, by its id.
func sampled(pv string, r float64) bool {
	h := fnv.New64a()
	h.Write([]byte(pv))
	return float64(h.Sum64()%1_000_000) < r*1_000_000
}

// page templates a path, capping the templates an app keeps.
func (a *app) page(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	t := string(a.tmpl.Template(nil, []byte(path)))
	a.pagesMu.Lock()
	defer a.pagesMu.Unlock()
	if !a.pages[t] {
		if len(a.pages) >= a.maxPages {
			return "other"
		}
		a.pages[t] = true
	}
	return t
}

func routeRules(rules []config.RouteRule) []route.Rule {
	var out []route.Rule
	for _, r := range rules {
		out = append(out, route.Rule{Match: r.Match.Regexp(), Template: r.Template})
	}
	return out
}
