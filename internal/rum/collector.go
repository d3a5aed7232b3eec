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
	// Events waiting for their page view, by its hash, and the waits in
	// the order they end.
	waiting       map[uint64]*waiter
	waitQueue     []waitKey
	waitingEvents int
	flushMu       sync.Mutex // one flush at a time

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
		held: map[heldKey]uint64{}, maxHeld: maxHeld, waiting: map[uint64]*waiter{},
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
	c.expire(at)
	pv := c.views.hash(b.App + "\x00" + b.PV)
	v, known := c.views.get(pv, at)
	// The page view first: the beacon's other events count against it.
	if i := slices.IndexFunc(b.Ev, isPageView); i >= 0 && c.firstSeen(b.App, b.Ev[i].ID, at) {
		if known {
			c.ignored.add("over_limit") // a second page view event of one page view
		} else {
			v, known = view{minute: minute, page: page, dev: dev, nav: nav}, true
			c.add(b.App, minute, v.dim(beacon.CodePageView), cells.NoLatency)
			// Events that came before their page view count now.
			if w := c.waiting[pv]; w != nil {
				delete(c.waiting, pv)
				c.waitingEvents -= len(w.events)
				for _, e := range w.events {
					c.countEvent(b.App, &v, e)
				}
			}
		}
	}
	for _, e := range b.Ev {
		if isPageView(e) || !c.firstSeen(b.App, e.ID, at) {
			continue
		}
		p := a.event(e, minute, page, dev, nav)
		if known {
			c.countEvent(b.App, &v, p)
		} else {
			c.wait(pv, p, at)
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

// event is an event of a page view, ready to count: what it is, the minute
// it arrived and where it counts (an error counts where its page view did).
type event struct {
	kind   uint8 // errorEvent, apiEvent, vitalEvent
	bit    uint8 // a vital's bit in view.vitals
	minute int64
	d      store.DimValue
	le     uint32
}

const (
	errorEvent uint8 = iota
	apiEvent
	vitalEvent
)

// event prepares e, of a beacon that arrived in minute from page on device
// dev with navigation nav; validate checked it.
func (a *app) event(e Event, minute int64, page string, dev, nav uint8) event {
	p := event{minute: minute, d: store.DimValue{Host: devices[dev], Route: page, Method: navs[nav]}, le: cells.NoLatency}
	switch e.T {
	case "error":
		p.kind = errorEvent
	case "api":
		p.kind = apiEvent
		p.d.Route = a.page(e.Route)
		p.d.Status = beacon.CodeAPIFailed
		if *e.OK {
			p.d.Status = beacon.CodeAPIOK
		}
	case "vital":
		p.kind, p.bit = vitalEvent, vitalBit(e.N)
		vital, _ := beacon.Lookup(e.N)
		p.d.Status = vital.Code
		p.le = a.layout.Bucket(int64(math.Round(*e.V * vital.Scale * 1000)))
	}
	return p
}

// admit reports whether v may count e within its limits, and takes e into
// them: one error a page view, one value of each vital, maxAPIPerView API
// calls.
func (v *view) admit(e event) bool {
	switch e.kind {
	case errorEvent:
		if v.errored {
			return false
		}
		v.errored = true
	case apiEvent:
		if v.api >= maxAPIPerView {
			return false
		}
		v.api++
	case vitalEvent:
		if v.vitals&e.bit != 0 {
			return false
		}
		v.vitals |= e.bit
	}
	return true
}

// countEvent counts e of page view v of app, within its limits. A page
// view had an error or not: its first error counts where the page view
// was counted. c.mu is held.
func (c *Collector) countEvent(app string, v *view, e event) {
	switch {
	case !v.admit(e):
		c.ignored.add("over_limit")
	case e.kind == errorEvent:
		c.add(app, v.minute, v.dim(beacon.CodeErrorView), cells.NoLatency)
	default:
		c.add(app, e.minute, e.d, e.le)
	}
}

// waiter holds the events of a page view not seen yet: a browser sends a
// page's last beacons at once, and one may overtake the page view's.
type waiter struct {
	until  time.Time
	limits view // the limits its events took, as its page view will
	events []event
}

// wait holds e of the page view hashed pv until its page view comes, for
// waitFor at most; e is ignored, and counted so, when the wait is full.
// c.mu is held.
func (c *Collector) wait(pv uint64, e event, at time.Time) {
	w := c.waiting[pv]
	if w == nil {
		if len(c.waiting) >= maxWaiting {
			c.ignored.add("no_page_view")
			return
		}
		w = &waiter{until: at.Add(waitFor)}
		c.waiting[pv] = w
		c.waitQueue = append(c.waitQueue, waitKey{pv, w.until})
	}
	switch {
	case !w.limits.admit(e):
		c.ignored.add("over_limit")
	case len(w.events) >= maxWaitEvents:
		c.ignored.add("no_page_view")
	default:
		w.events = append(w.events, e)
		c.waitingEvents++
	}
}

// waitKey is a waiter in the order it started waiting.
type waitKey struct {
	pv    uint64
	until time.Time
}

// expire ignores, and counts so, the events whose page view did not come
// within waitFor. c.mu is held.
func (c *Collector) expire(now time.Time) {
	n := 0
	for _, k := range c.waitQueue {
		if k.until.After(now) {
			break
		}
		n++
		if w := c.waiting[k.pv]; w != nil && w.until.Equal(k.until) {
			delete(c.waiting, k.pv)
			c.waitingEvents -= len(w.events)
			c.ignored.addN("no_page_view", int64(len(w.events)))
		}
	}
	c.waitQueue = c.waitQueue[n:]
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

func (cs *counters) add(reason string) { cs.addN(reason, 1) }

func (cs *counters) addN(reason string, n int64) {
	v, _ := cs.m.LoadOrStore(reason, new(atomic.Int64))
	v.(*atomic.Int64).Add(n)
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
	// no_page_view (their page view did not come within waitFor, or is
	// forgotten) and
	// over_limit (past what one page view counts).
	Ignored map[string]int64 `json:"ignored"`
	// Held is the aggregated counts not committed yet.
	Held int `json:"held"`
	// Waiting is the events of accepted beacons waiting for their page
	// view (for waitFor at most; then they are ignored as no_page_view).
	Waiting int `json:"waiting"`
}

// Stats returns the counters.
func (c *Collector) Stats() Stats {
	c.mu.Lock()
	c.expire(c.now())
	held, waiting := len(c.held)+c.inflight, c.waitingEvents
	c.mu.Unlock()
	return Stats{
		Accepted: c.accepted.Load(), Events: c.events.Load(), Duplicates: c.duplicates.Load(),
		Rejected: c.rejected.snapshot(), Ignored: c.ignored.snapshot(), Held: held, Waiting: waiting,
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
