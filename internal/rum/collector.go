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
	Reason string // a short key, counted: too_large, malformed, unknown_app, origin, rate_limited, unavailable
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
	pages    map[string]string // page templates admitted, each to itself (one copy kept)
	maxPages int
}

// Committer stores what the collector aggregated (a *store.Store).
type Committer interface {
	Commit(ctx context.Context, b *store.Batch) error
}

var _ Committer = (*store.Store)(nil)

// Collector validates beacons, counts each event id once and each page
// view's events within its limits, limits clients' rates, and aggregates
// events in memory until Flush commits them; what a failed commit held is
// kept for the next.
type Collector struct {
	apps map[string]*app
	st   Committer
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	held     map[heldKey]uint64 // counts not committed yet
	inflight int                // keys of held being committed
	maxHeld  int
	ids      *recent[struct{}]
	views    *recent[view]
	flushMu  sync.Mutex // one flush at a time

	limiter *limiter

	accepted, events, duplicates atomic.Int64
	rejected, ignored            counters
}

// heldKey is what a count is aggregated by until it is committed.
type heldKey struct {
	app    string
	minute int64
	d      store.DimValue
	le     uint32
}

// view is a page view the collector remembers, so that the events of later
// beacons count against it: its error goes where the page view went (its
// minute and dimension), at most once, and its vitals and API calls within
// the page view's limits.
type view struct {
	minute   int64
	page     string
	dev, nav uint8 // indexes in devices and navs
	errored  bool
	vitals   uint8 // a bit a vital counted, in beacon.Names order
	api      uint16
}

func (v *view) dim(status int) store.DimValue {
	return store.DimValue{Host: devices[v.dev], Route: v.page, Method: navs[v.nav], Status: status}
}

// New returns a collector for the config's frontend apps.
func New(cfg *config.Config, st Committer, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{
		apps: map[string]*app{}, st: st, log: log, now: time.Now,
		held: map[heldKey]uint64{}, maxHeld: maxHeld,
		ids: newRecent[struct{}](maxIDs, idsKeptFor), views: newRecent[view](maxViews, viewsKeptFor),
		limiter: newLimiter(1 << 16),
	}
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
		a := &app{name: s.Name, origins: s.RUM.Origins, sample: 1, limit: s.RUM.RateLimit, pages: map[string]string{}, maxPages: s.MaxRoutes}
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
	dev, nav := uint8(slices.Index(devices, b.Dev)), uint8(slices.Index(navs, b.Nav)) // validate checked them
	at := c.now()
	minute := at.Unix() - at.Unix()%60
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.held)+c.inflight >= c.maxHeld {
		return c.count(reject(503, "unavailable", "the store cannot take beacons now: retry later"))
	}
	pv := c.views.hash(b.App + "\x00" + b.PV)
	v, known := c.views.get(pv, at)
	// The page view first: the beacon's other events count against it.
	if i := slices.IndexFunc(b.Ev, isPageView); i >= 0 && c.firstSeen(b.App, b.Ev[i].ID, at) {
		if known {
			c.ignored.add("over_limit") // a second page view event of one page view
		} else {
			v, known = view{minute: minute, page: page, dev: dev, nav: nav}, true
			c.add(b.App, minute, v.dim(beacon.CodePageView), cells.NoLatency)
		}
	}
	for _, e := range b.Ev {
		if isPageView(e) || !c.firstSeen(b.App, e.ID, at) {
			continue
		}
		if !known {
			c.ignored.add("no_page_view")
			continue
		}
		d := store.DimValue{Host: devices[dev], Route: page, Method: navs[nav]}
		switch e.T {
		case "error":
			// A page view had an error or not: its first error counts,
			// where the page view was counted.
			if v.errored {
				c.ignored.add("over_limit")
				continue
			}
			v.errored = true
			c.add(b.App, v.minute, v.dim(beacon.CodeErrorView), cells.NoLatency)
		case "api":
			if v.api >= maxAPIPerView {
				c.ignored.add("over_limit")
				continue
			}
			v.api++
			d.Route = a.page(e.Route)
			d.Status = beacon.CodeAPIFailed
			if *e.OK {
				d.Status = beacon.CodeAPIOK
			}
			c.add(b.App, minute, d, cells.NoLatency)
		case "vital":
			bit := vitalBit(e.N)
			if v.vitals&bit != 0 {
				c.ignored.add("over_limit")
				continue
			}
			v.vitals |= bit
			vital, _ := beacon.Lookup(e.N) // validate checked the name
			d.Status = vital.Code
			c.add(b.App, minute, d, a.layout.Bucket(int64(math.Round(*e.V*vital.Scale*1000))))
		}
	}
	if known {
		c.views.put(pv, v, at)
	}
	c.accepted.Add(1)
	return nil
}

// firstSeen reports whether the event id of app is new, counting it as a
// duplicate if not. c.mu is held.
func (c *Collector) firstSeen(app, id string, at time.Time) bool {
	if !c.ids.add(c.ids.hash(app+"\x00"+id), struct{}{}, at) {
		c.duplicates.Add(1)
		return false
	}
	return true
}

// add counts one event. c.mu is held.
func (c *Collector) add(app string, minute int64, d store.DimValue, le uint32) {
	c.held[heldKey{app: app, minute: minute, d: d, le: le}]++
	c.events.Add(1)
}

func isPageView(e Event) bool { return e.T == "pageview" }

// vitalBit is the bit of the vital named name in view.vitals.
func vitalBit(name string) uint8 { return 1 << slices.Index(beacon.Names(), name) }

func (c *Collector) count(r *Rejection) error {
	c.rejected.add(r.Reason)
	return r
}

// counters count by reason.
type counters struct{ m sync.Map } // reason → *atomic.Int64

func (cs *counters) add(reason string) {
	v, _ := cs.m.LoadOrStore(reason, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (cs *counters) snapshot() map[string]int64 {
	out := map[string]int64{}
	cs.m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// Stats are the collector's counters.
type Stats struct {
	Accepted   int64            `json:"accepted"`
	Events     int64            `json:"events"`
	Duplicates int64            `json:"duplicates"`
	Rejected   map[string]int64 `json:"rejected"` // beacons, by reason
	// Ignored are events of accepted beacons not counted, by reason:
	// no_page_view (their page view was never seen, or is forgotten) and
	// over_limit (past what one page view counts).
	Ignored map[string]int64 `json:"ignored"`
	// Held is the aggregated counts not committed yet.
	Held int `json:"held"`
}

// Stats returns the counters.
func (c *Collector) Stats() Stats {
	return Stats{
		Accepted: c.accepted.Load(), Events: c.events.Load(), Duplicates: c.duplicates.Load(),
		Rejected: c.rejected.snapshot(), Ignored: c.ignored.snapshot(), Held: c.heldCounts(),
	}
}

// heldCounts is how many aggregated counts wait for a commit.
func (c *Collector) heldCounts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.held) + c.inflight
}

// Flush commits what was aggregated since the last successful flush. When
// the commit fails, the counts are kept and go with the next flush.
func (c *Collector) Flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	held := c.held
	c.held, c.inflight = map[heldKey]uint64{}, len(held)
	c.mu.Unlock()
	if len(held) == 0 {
		return nil
	}
	// A new batch for every attempt: a commit that failed may have taken
	// part of its batch apart already.
	var b store.Batch
	for k, n := range held {
		b.Add(k.app, k.minute, k.d, k.le, n)
	}
	err := c.st.Commit(ctx, &b)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = 0
	if err != nil {
		for k, n := range held {
			c.held[k] += n
		}
		return fmt.Errorf("commit %d counts: %w", len(held), err)
	}
	return nil
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
				return fmt.Errorf("rum: last flush, its counts lost: %w", err)
			}
			return nil
		case <-t.C:
			if err := c.Flush(ctx); err != nil {
				c.log.Error("rum: flush failed; its counts are kept for the next", "held", c.heldCounts(), "err", err)
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
	case len(b.Ev) == 0 || len(b.Ev) > maxEvents:
		return fmt.Errorf("%d events: want 1 to %d", len(b.Ev), maxEvents)
	}
	// One page view has one page view event, one error at most and one
	// value of each vital: a beacon with more is not rum.js's.
	seen := map[string]bool{}
	for i, e := range b.Ev {
		if e.ID == "" || len(e.ID) > 128 {
			return fmt.Errorf("ev[%d].id: want an id", i)
		}
		switch e.T {
		case "pageview", "error":
			if seen[e.T] {
				return fmt.Errorf("ev[%d]: a second %s event: a page view has one at most", i, e.T)
			}
			seen[e.T] = true
		case "vital":
			if _, ok := beacon.Lookup(e.N); !ok {
				return fmt.Errorf("ev[%d].n %q: want LCP, INP, CLS, FCP or TTFB", i, e.N)
			}
			if seen[e.N] {
				return fmt.Errorf("ev[%d]: a second %s: a page view has one at most", i, e.N)
			}
			seen[e.N] = true
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
	if p, ok := a.pages[t]; ok {
		return p
	}
	if len(a.pages) >= a.maxPages {
		return "other"
	}
	a.pages[t] = t
	return t
}

func routeRules(rules []config.RouteRule) []route.Rule {
	var out []route.Rule
	for _, r := range rules {
		out = append(out, route.Rule{Match: r.Match.Regexp(), Template: r.Template})
	}
	return out
}
