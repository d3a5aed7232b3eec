// Package sli evaluates SLO definitions over the stored cells: for each SLO it
// sums good and total events over any range, choosing day, hour and minute
// cells so a 90-day window reads a few hundred cells, not 130,000.
//
// Matching an SLO's filters is done once per stored dimension (host, route,
// method, status), not per request, which is what makes a new or edited SLO
// apply to all stored history at once.
package sli

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Spec is a compiled SLO.
type Spec struct {
	Name      string
	Service   string
	Objective float64 // ratio, 0.999
	Window    slo.Window
	Config    config.SLO

	host, route *regexp.Regexp
	methods     map[string]bool
	status      config.StatusSet // unset: any
	latency     bool
	thresholdMs uint32
	// codes, for browser SLIs, are the event codes the SLI counts (see
	// package beacon); vital is set for web_vital SLIs.
	codes map[int]bool
	vital bool
	// views is set for js_errors SLIs, whose good events are page views
	// less errored ones: counted apart by page view dimension (host, route,
	// method) in each cell, and kept within [0, page views] there.
	views bool
	// Components are the SLOs of a composite, whose counts the caller
	// combines (Combine); a composite matches no cell itself.
	Components []config.Component
	bad        config.StatusSet
}

// Compile turns the config of an SLO of a loaded config into a Spec.
func Compile(c config.SLO) *Spec {
	s := &Spec{
		Name: c.Name, Service: c.Service, Objective: c.ObjectiveRatio(), Window: c.Window.Window(), Config: c,
		host: c.Filter.Host.Regexp(), route: c.Filter.Route.Regexp(), status: c.Filter.Status,
		latency: c.SLI.Type == config.Latency,
	}
	if len(c.Filter.Method) > 0 {
		s.methods = map[string]bool{}
		for _, m := range c.Filter.Method {
			s.methods[m] = true
		}
	}
	switch c.SLI.Type {
	case config.Latency:
		s.thresholdMs = uint32(time.Duration(c.SLI.Threshold) / time.Millisecond)
	case config.WebVital:
		s.vital = true
		vital, _ := beacon.Lookup(c.SLI.Vital) // Validate checked the name
		s.codes = map[int]bool{vital.Code: true}
		if c.SLI.Vital == beacon.CLS && c.SLI.Score != nil {
			s.thresholdMs = uint32(*c.SLI.Score*beacon.CLSScale + 0.5)
		} else {
			s.thresholdMs = uint32(time.Duration(c.SLI.Threshold) / time.Millisecond)
		}
	case config.JSErrors:
		s.codes = map[int]bool{beacon.CodePageView: true, beacon.CodeErrorView: true}
		s.views = true
	case config.Composite:
		s.Components = c.SLI.Components
		s.codes = map[int]bool{}
	case config.BrowserAPI:
		s.codes = map[int]bool{beacon.CodeAPIOK: true, beacon.CodeAPIFailed: true}
	default:
		s.bad = c.SLI.BadStatus
	}
	return s
}

// CompileAll compiles every SLO of a loaded config.
func CompileAll(c *config.Config) []*Spec {
	out := make([]*Spec, 0, len(c.SLOs))
	for _, s := range c.SLOs {
		sp := Compile(s)
		if sp.Window.Kind == slo.SprintWindow && c.Sprints != nil {
			sp.Window.SprintStart, sp.Window.Duration = SprintConfig(c.Sprints)
		}
		out = append(out, sp)
	}
	return out
}

// SprintConfig returns the first sprint's start (midnight in the sprints'
// time zone) and the sprints' length (14 days by default).
func SprintConfig(s *config.Sprints) (time.Time, time.Duration) {
	start := s.Start.In(s.Timezone.Location())
	length := time.Duration(s.Length)
	if length <= 0 {
		length = 14 * 24 * time.Hour
	}
	return start, length
}

// Matches reports whether requests of dimension d count toward the SLO.
func (s *Spec) Matches(d store.DimValue) bool {
	if s.codes != nil && !s.codes[d.Status] {
		return false
	}
	if s.host != nil && !s.host.MatchString(d.Host) {
		return false
	}
	if s.route != nil && !s.route.MatchString(d.Route) {
		return false
	}
	if s.methods != nil && !s.methods[d.Method] {
		return false
	}
	if !s.status.IsZero() && !s.status.Contains(d.Status) {
		return false
	}
	return true
}

// Count returns the SLI events of one cell entry of dimension d. For
// js_errors an errored page view's entry has negative good events: the sum
// over a page view's entries (its page view and error) is what counts, and
// Query keeps it within [0, page views] by cell and page view dimension.
func (s *Spec) Count(d store.DimValue, e *cells.Entry) slo.Counts {
	switch {
	case s.vital:
		return slo.Counts{Total: float64(e.Hist.Timed()), Good: e.Hist.CountLE(s.thresholdMs, true)}
	case s.codes != nil:
		// js_errors: page views are events, errored ones are bad (counted
		// once per page view); browser_api: failed calls are bad.
		n := float64(e.Count)
		switch d.Status {
		case beacon.CodePageView, beacon.CodeAPIOK:
			return slo.Counts{Total: n, Good: n}
		case beacon.CodeAPIFailed:
			return slo.Counts{Total: n}
		case beacon.CodeErrorView:
			return slo.Counts{Good: -n}
		}
		return slo.Counts{}
	}
	if s.latency {
		return slo.Counts{Total: float64(e.Hist.Timed()), Good: e.Hist.CountLE(s.thresholdMs, true)}
	}
	if s.bad.Contains(d.Status) {
		return slo.Counts{Total: float64(e.Count)}
	}
	return slo.Counts{Total: float64(e.Count), Good: float64(e.Count)}
}

// IsComposite reports whether the SLO combines other SLOs.
func (s *Spec) IsComposite() bool { return len(s.Components) > 0 }

// Combine computes a composite's counts from its components' counts over
// the same range, with OpenSLO's compositeWeight semantics: the composite
// SLI is the weighted mean of the components' SLIs (each component weighs
// by its weight, not by its traffic; a component without events is left
// out), and the events are all the components' events, so that
// total × (1 − SLI) is the composite's bad events.
func Combine(components []config.Component, counts []slo.Counts) slo.Counts {
	var total, wsum, wsli float64
	for i, c := range counts {
		total += c.Total
		if c.Total <= 0 {
			continue
		}
		w := components[i].Weight
		if w == 0 {
			w = 1
		}
		wsum += w
		wsli += w * c.SLI()
	}
	if wsum == 0 {
		return slo.Counts{Total: total, Good: total}
	}
	return slo.Counts{Total: total, Good: total * wsli / wsum}
}

// Cells is what the engine reads from the store.
type Cells interface {
	ServiceID(ctx context.Context, name string, create bool) (int64, error)
	Dims(ctx context.Context, serviceID int64) ([]store.DimValue, error)
	ReadCells(ctx context.Context, serviceID, res, from, to int64, fn func(*store.Span) error) error
	// PrunedBefore is the instant (Unix seconds) before which cells of a
	// resolution may have been deleted by retention (0: none were).
	PrunedBefore(ctx context.Context, res int64) (int64, error)
}

var _ Cells = (*store.Store)(nil)

// Range is a half-open time range [From, To), minute aligned.
type Range struct{ From, To time.Time }

// Query sums SLI events for the SLOs of one service, caching every cell it
// reads so overlapping ranges cost one read. It is for one evaluation: make
// a new Query to see new data.
type Query struct {
	ctx   context.Context
	src   Cells
	specs []*Spec
	svc   int64
	dims  []store.DimValue
	match []bool // match[dim*len(specs)+i]
	// views[dim] numbers the page view dimension (host, route, method) of
	// a dimension, for js_errors SLIs.
	views     []int32
	floors    Floors
	end       int64 // see lastEnd
	cache     map[cellKey][]slo.Counts
	fetched   map[int64][][2]int64 // per resolution, fetched [from, to) spans
	CellsRead int
	// Shared, when set, keeps per-cell counts across queries: a query asks
	// it before reading a cell and tells it what it read. Its counts must be
	// for exactly this query's specs, in order.
	Shared CountCache
	// Maintenance are the service's maintenance windows: Sum leaves out
	// the events of their minutes (maintenance.go).
	Maintenance []config.Maintenance
}

// CountCache keeps the per-cell counts of one list of specs across queries.
type CountCache interface {
	// Get returns the counts of the cell of resolution res starting at
	// start; ok is false when unknown; nil counts with ok mean no cell is
	// stored there.
	Get(res, start int64) (counts []slo.Counts, ok bool)
	// Put records the counts of a cell (nil: none stored).
	Put(res, start int64, counts []slo.Counts)
}

type cellKey struct{ res, start int64 }

// Floors are where the store's finer cells end: minute cells before Minute
// and hour cells before Hour (Unix seconds) may have been deleted by
// retention; everything at or after them is there.
type Floors struct{ Minute, Hour int64 }

// ReadFloors reads the floors from the store.
func ReadFloors(ctx context.Context, src Cells) (Floors, error) {
	var f Floors
	var err error
	if f.Minute, err = src.PrunedBefore(ctx, store.Minute); err != nil {
		return f, err
	}
	f.Hour, err = src.PrunedBefore(ctx, store.Hour)
	return f, err
}

// Covered returns the range that answers r from the cells still stored: r
// itself where minute cells exist, else r widened to whole hours, or to
// whole days where hour cells are gone too. A range equal to r is exact.
func (f Floors) Covered(r Range) Range {
	from, to := r.From.Unix(), r.To.Unix()
	from -= mod(from, store.Minute)
	to -= mod(to, store.Minute)
	for _, l := range []struct{ floor, unit int64 }{{f.Minute, store.Hour}, {f.Hour, store.Day}} {
		// The finer cells a range needs are at its ends, within a unit of
		// coarser cells: widen an end whose finer cells may be gone.
		if from < l.floor {
			from -= mod(from, l.unit)
		}
		if to-mod(to, l.unit) < l.floor {
			to = ceil(to, l.unit)
		}
	}
	return Range{From: time.Unix(from, 0).UTC(), To: time.Unix(to, 0).UTC()}
}

// Exact reports whether r can be answered exactly from the cells stored.
func (f Floors) Exact(r Range) bool {
	c := f.Covered(r)
	return c.From.Equal(r.From.Truncate(time.Minute)) && c.To.Equal(r.To.Truncate(time.Minute))
}

// Why says why r is not exact ("" when it is): which cells were pruned,
// and the setting that keeps them.
func (f Floors) Why(r Range) string {
	if f.Exact(r) {
		return ""
	}
	if byMinutes := (Floors{Minute: f.Minute}).Covered(r); !byMinutes.From.Equal(f.Covered(r).From) || !byMinutes.To.Equal(f.Covered(r).To) {
		return fmt.Sprintf("hour cells before %s were pruned (storage.retention.hours)", time.Unix(f.Hour, 0).UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("minute cells before %s were pruned (storage.retention.minutes)", time.Unix(f.Minute, 0).UTC().Format(time.RFC3339))
}

// NewQuery prepares a query for specs, which must all be of one service.
// It reads where the store's finer cells were pruned (Floors): a range is
// answered from minute cells wherever they are kept, and widened to hours
// or days only where they are not.
func NewQuery(ctx context.Context, src Cells, specs []*Spec) (*Query, error) {
	q := &Query{ctx: ctx, src: src, specs: specs, cache: map[cellKey][]slo.Counts{}, fetched: map[int64][][2]int64{}}
	if len(specs) == 0 {
		return q, nil
	}
	var err error
	if q.floors, err = ReadFloors(ctx, src); err != nil {
		return nil, err
	}
	if q.svc, err = src.ServiceID(ctx, specs[0].Service, false); err != nil {
		return nil, err
	}
	if q.svc == 0 {
		return q, nil
	}
	if q.end, err = lastEnd(ctx, src, q.svc); err != nil {
		return nil, err
	}
	if q.dims, err = src.Dims(ctx, q.svc); err != nil {
		return nil, err
	}
	q.match = make([]bool, len(q.dims)*len(specs))
	for d, dv := range q.dims {
		for i, s := range specs {
			q.match[d*len(specs)+i] = s.Matches(dv)
		}
	}
	if slices.ContainsFunc(specs, func(s *Spec) bool { return s.views }) {
		q.views = viewDims(q.dims)
	}
	return q, nil
}

// lastEnd returns the end of a service's newest stored minute, when src
// tells it (0: not known). No cell starts at or after it, so a range
// reaching past it (a view as of a later time) is summed up to it, which
// reads the hour and the day still under way as their minutes: an agent's
// are stale until the store rolls them up (store.Roll), and a stale
// piece costs its 200 nodes' minutes at every read, since each push
// changes it.
func lastEnd(ctx context.Context, src Cells, svc int64) (int64, error) {
	lm, ok := src.(interface {
		LastMinute(ctx context.Context, serviceID int64) (int64, bool, error)
	})
	if !ok {
		return 0, nil
	}
	start, has, err := lm.LastMinute(ctx, svc)
	if err != nil || !has {
		return 0, err
	}
	return start + store.Minute, nil
}

// viewDims numbers the page view dimension (host, route, method: device,
// page, navigation) of each dimension.
func viewDims(dims []store.DimValue) []int32 {
	type key struct{ host, route, method string }
	ids := map[key]int32{}
	out := make([]int32, len(dims))
	for i, d := range dims {
		k := key{d.Host, d.Route, d.Method}
		id, ok := ids[k]
		if !ok {
			id = int32(len(ids))
			ids[k] = id
		}
		out[i] = id
	}
	return out
}

// Floors returns where the query's store has pruned finer cells.
func (q *Query) Floors() Floors { return q.floors }

// Sum returns the events of every spec over r, in the order of the specs:
// over q.Floors().Covered(r), which is r when it is exact, less the minutes
// of the maintenance windows.
func (q *Query) Sum(r Range) ([]slo.Counts, error) {
	if len(q.Maintenance) > 0 {
		return q.sumOutside(r)
	}
	return q.sum(r)
}

// sum returns the events of every spec over Covered(r), windows or not.
func (q *Query) sum(r Range) ([]slo.Counts, error) {
	out := make([]slo.Counts, len(q.specs))
	if q.svc == 0 {
		return out, nil
	}
	c := q.floors.Covered(r)
	from, to := c.From.Unix(), c.To.Unix()
	if q.end > 0 && to > q.end {
		to = max(q.end, from) // nothing is stored past q.end
	}
	for _, p := range Cover(from, to) {
		if err := q.ensure(p.Res, p.From, p.To); err != nil {
			return nil, err
		}
		for start := p.From; start < p.To; start += p.Res {
			for i, c := range q.cache[cellKey{p.Res, start}] {
				out[i] = out[i].Add(c)
			}
		}
	}
	return out, nil
}

// Piece is a run of cells of one resolution: those starting in [From, To).
type Piece struct{ Res, From, To int64 }

// Cover covers [from, to) (Unix seconds, whole minutes) with the fewest
// cells: minutes up to the first hour, hours up to the first day, days, then
// hours and minutes at the end.
func Cover(from, to int64) []Piece {
	var out []Piece
	cur := from
	add := func(res, end int64) {
		if end > cur {
			out = append(out, Piece{res, cur, end})
			cur = end
		}
	}
	for _, step := range []struct{ res, upTo int64 }{{store.Minute, store.Hour}, {store.Hour, store.Day}} {
		next := ceil(cur, step.upTo)
		if next > to {
			break
		}
		add(step.res, next)
	}
	add(store.Day, to-mod(to, store.Day))
	add(store.Hour, to-mod(to, store.Hour))
	add(store.Minute, to)
	return out
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func ceil(a, b int64) int64 {
	if m := mod(a, b); m != 0 {
		return a + b - m
	}
	return a
}

// ensure reads the cells of [from, to) at res not read before.
func (q *Query) ensure(res, from, to int64) error {
	for _, gap := range subtract(q.fetched[res], from, to) {
		if q.Shared != nil {
			if err := q.ensureShared(res, gap[0], gap[1]); err != nil {
				return err
			}
			q.fetched[res] = append(q.fetched[res], gap)
			continue
		}
		err := q.src.ReadCells(q.ctx, q.svc, res, gap[0], gap[1], func(sp *store.Span) error {
			q.CellsRead++
			q.cache[cellKey{res, sp.Start}] = q.countCell(&sp.Cell)
			return nil
		})
		if err != nil {
			return err
		}
		q.fetched[res] = append(q.fetched[res], gap)
	}
	return nil
}

// ensureShared fills the query's cache for [from, to) at res from the shared
// cache, reading only the runs of cells it does not know.
func (q *Query) ensureShared(res, from, to int64) error {
	var runs [][2]int64
	for start := from; start < to; start += res {
		if c, ok := q.Shared.Get(res, start); ok {
			if c != nil {
				q.cache[cellKey{res, start}] = c
			}
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1] == start {
			runs[n-1][1] = start + res
		} else {
			runs = append(runs, [2]int64{start, start + res})
		}
	}
	for _, run := range runs {
		err := q.src.ReadCells(q.ctx, q.svc, res, run[0], run[1], func(sp *store.Span) error {
			q.CellsRead++
			q.cache[cellKey{res, sp.Start}] = q.countCell(&sp.Cell)
			return nil
		})
		if err != nil {
			return err
		}
		for start := run[0]; start < run[1]; start += res {
			q.Shared.Put(res, start, q.cache[cellKey{res, start}])
		}
	}
	return nil
}

// countCell counts the events of a cell for every spec. Whatever the cell
// holds, good events stay within [0, total] for each spec: js_errors ones
// for each page view dimension (its errors beyond its page views are junk:
// the collector files a page view's one error with the page view), and
// every spec's for the cell. Counts from the collector are never changed
// by it.
func (q *Query) countCell(c *cells.Cell) []slo.Counts {
	n := len(q.specs)
	out := make([]slo.Counts, n)
	type viewKey struct {
		spec int
		view int32
	}
	var views map[viewKey]slo.Counts
	for j := range c.Entries {
		e := &c.Entries[j]
		if int(e.Dim) >= len(q.dims) {
			continue // a dimension newer than our dictionary: the next query sees it
		}
		d := q.dims[e.Dim]
		row := q.match[int(e.Dim)*n : int(e.Dim)*n+n]
		for i, ok := range row {
			switch {
			case !ok:
			case q.specs[i].views:
				if views == nil {
					views = map[viewKey]slo.Counts{}
				}
				k := viewKey{i, q.views[e.Dim]}
				views[k] = views[k].Add(q.specs[i].Count(d, e))
			default:
				out[i] = out[i].Add(q.specs[i].Count(d, e))
			}
		}
	}
	for k, v := range views {
		out[k.spec] = out[k.spec].Add(clamp(v))
	}
	for i := range out {
		out[i] = clamp(out[i])
	}
	return out
}

// clamp keeps good events within [0, total].
func clamp(c slo.Counts) slo.Counts {
	c.Good = min(max(c.Good, 0), c.Total)
	return c
}

// subtract returns the parts of [from, to) not covered by spans.
func subtract(spans [][2]int64, from, to int64) [][2]int64 {
	gaps := [][2]int64{{from, to}}
	for _, s := range spans {
		var next [][2]int64
		for _, g := range gaps {
			if s[1] <= g[0] || s[0] >= g[1] {
				next = append(next, g)
				continue
			}
			if s[0] > g[0] {
				next = append(next, [2]int64{g[0], s[0]})
			}
			if s[1] < g[1] {
				next = append(next, [2]int64{s[1], g[1]})
			}
		}
		gaps = next
	}
	return gaps
}
