// Package report computes what the dashboard, the JSON API and /metrics show:
// every SLO's status with what its budget means, time series of an SLO, where
// its bad events came from, and each service's traffic. It reads cells
// through sli and does the math with slo; it renders nothing.
//
// Every function takes the instant it evaluates at: the dashboard shows the
// present, and any past instant (?at=) the same way.
package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// ErrNotFound reports an unknown SLO or service.
var ErrNotFound = errors.New("not found")

// Engine answers questions about the SLOs of one config over one store.
type Engine struct {
	cfg    *config.Config
	src    sli.Cells
	specs  []*sli.Spec
	byName map[string]*sli.Spec
	// counts keeps per-cell counts between requests when the store reports
	// its changes (nil otherwise).
	counts  *countCache
	watched Watched
	// alerts, when set, gives the alert states as of an instant.
	alerts AlertStates

	dimsMu sync.Mutex
	dims   map[int64]cachedDims // service id → its dictionary, with the count cache
}

// cachedDims is a service's dimension dictionary as read at a commit count.
type cachedDims struct {
	commits int64
	dims    []store.DimValue
}

// dimsCells is the engine's source with the dimension dictionaries kept
// between queries while the store's commit count does not move: a
// dictionary only grows, and only with a commit; when it moves, only the
// dimensions numbered since are read, from a source that can (DimsSince).
type dimsCells struct {
	sli.Cells
	e *Engine
}

func (d dimsCells) Dims(ctx context.Context, serviceID int64) ([]store.DimValue, error) {
	e := d.e
	commits := e.counts.commits()
	e.dimsMu.Lock()
	c, ok := e.dims[serviceID]
	e.dimsMu.Unlock()
	if ok && c.commits == commits {
		return c.dims, nil
	}
	var dims []store.DimValue
	var err error
	if since, can := d.Cells.(interface {
		DimsSince(ctx context.Context, serviceID int64, known []store.DimValue) ([]store.DimValue, error)
	}); can && ok {
		// Only what was numbered since: with pushes from a fleet the count
		// moves 20 times a second, and reading the whole dictionary (60,000
		// dimensions for 200 agents) at each query was most of an alert
		// evaluation's work.
		dims, err = since.DimsSince(ctx, serviceID, c.dims)
	} else {
		dims, err = d.Cells.Dims(ctx, serviceID)
	}
	if err != nil {
		return nil, err
	}
	e.dimsMu.Lock()
	e.dims[serviceID] = cachedDims{commits: commits, dims: dims}
	e.dimsMu.Unlock()
	return dims, nil
}

// AlertStates gives the alert states as of an instant (alert.History).
type AlertStates interface {
	StatesAt(ctx context.Context, at time.Time) ([]alert.State, error)
}

// SetAlerts tells the engine where the alert states as of an instant come
// from; without it SLOs show the alert state "unknown".
func (e *Engine) SetAlerts(a AlertStates) { e.alerts = a }

// SLOAlert is an SLO's most urgent alert, as the dashboard shows it.
type SLOAlert struct {
	// State is the alert's phase: unknown when nothing evaluates alerts,
	// inactive when no alert of the SLO is pending or firing.
	State    alert.Phase `json:"state"`
	Severity string      `json:"severity,omitempty"`
	Tier     string      `json:"tier,omitempty"`
	Since    time.Time   `json:"since,omitzero"`
	Kind     alert.Kind  `json:"kind,omitempty"`
}

// sloAlert returns the most urgent alert of an SLO among states.
func sloAlert(states []alert.State, name string) SLOAlert {
	s := alert.MostUrgent(states, name)
	if !s.Phase.Active() {
		return SLOAlert{State: alert.Inactive}
	}
	return SLOAlert{State: s.Phase, Severity: s.Severity, Tier: s.Tier, Since: s.Since, Kind: s.Kind}
}

// New compiles the SLOs of cfg.
func New(cfg *config.Config, src sli.Cells) (*Engine, error) {
	specs := sli.CompileAll(cfg)
	e := &Engine{cfg: cfg, src: src, specs: specs, byName: map[string]*sli.Spec{}, dims: map[int64]cachedDims{}}
	for _, s := range specs {
		e.byName[s.Name] = s
	}
	if w, ok := src.(Watched); ok {
		e.watched = w
		e.counts = newCountCache(w)
	}
	return e, nil
}

// Warm computes every SLO's status as of at once, so that the count cache
// holds the cells the dashboard reads and the first visitor does not wait.
func (e *Engine) Warm(ctx context.Context, at time.Time) error {
	_, err := e.SLOs(ctx, at, "")
	return err
}

// query returns a query over all the SLOs of a service (in config order),
// sharing the engine's count cache.
func (e *Engine) query(ctx context.Context, service string) (*sli.Query, []*sli.Spec, error) {
	var specs []*sli.Spec
	for _, s := range e.specs {
		if s.Service == service {
			specs = append(specs, s)
		}
	}
	src := e.src
	if e.counts != nil {
		if err := e.counts.sync(ctx, e.watched); err != nil {
			return nil, nil, err
		}
		src = dimsCells{Cells: e.src, e: e}
	}
	q, err := sli.NewQuery(ctx, src, specs)
	if err != nil {
		return nil, nil, err
	}
	if e.counts != nil {
		q.Shared = e.counts.view(service)
	}
	if q.Maintenance, err = e.Maintenance(ctx, service); err != nil {
		return nil, nil, err
	}
	return q, specs, nil
}

// Config returns the engine's config.
func (e *Engine) Config() *config.Config { return e.cfg }

// Spec returns the compiled SLO called name.
func (e *Engine) Spec(name string) (*sli.Spec, error) {
	s, ok := e.byName[name]
	if !ok {
		return nil, fmt.Errorf("slo %q: %w", name, ErrNotFound)
	}
	return s, nil
}

// Tier is an alert tier as it applies to one SLO now.
type Tier struct {
	Name        string  `json:"name"`
	Severity    string  `json:"severity"`
	BudgetShare float64 `json:"budget_share"`
	Long        string  `json:"long_window"`
	Short       string  `json:"short_window"`
	Threshold   float64 `json:"threshold"` // burn rate above which it fires
	LongBurn    float64 `json:"long_burn_rate"`
	ShortBurn   float64 `json:"short_burn_rate"`
	Burning     bool    `json:"burning"` // both windows above the threshold
}

// SparkPoint is one point of an SLO's 7-day sparkline: the SLI over a 6-hour
// bucket, nil without traffic.
type SparkPoint struct {
	T   time.Time `json:"t"`
	SLI *float64  `json:"sli"`
}

// SLO is an SLO's status as of an instant.
type SLO struct {
	Name        string    `json:"name"`
	Service     string    `json:"service"`
	Type        string    `json:"type"`
	Threshold   string    `json:"threshold,omitempty"` // latency SLOs
	Objective   float64   `json:"objective"`           // percent, as configured
	Window      string    `json:"window"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Period      string    `json:"period"` // the window's full length, for burn rates
	Total       float64   `json:"total"`
	Good        float64   `json:"good"`
	Bad         float64   `json:"bad"`
	NoData      bool      `json:"no_data"` // no events in the window
	SLI         float64   `json:"sli"`     // 1 without events
	// ErrorBudget is the allowed share of bad events, 1 − objective.
	ErrorBudget float64 `json:"error_budget"`
	// BudgetRemaining is the share of the window's error budget left:
	// 1 − (bad/total)/ErrorBudget; negative when overspent.
	BudgetRemaining float64 `json:"error_budget_remaining"`
	// BudgetMinutes is what the budget left means in time: the minutes of
	// complete outage (every request bad) it would absorb,
	// remaining × error budget × period.
	BudgetMinutes float64 `json:"budget_remaining_minutes"`
	// BudgetRequests is what it means in requests: the bad events the
	// window's budget still allows, ε × total − bad (at least 0).
	BudgetRequests float64 `json:"budget_remaining_requests"`
	Requests24h    float64 `json:"requests_24h"`
	// BurnRates and Events are by burn-rate window; null for a window
	// the store cannot answer exactly any more, with the reason in
	// Unavailable.
	BurnRates   map[string]*float64    `json:"burn_rates"`
	Events      map[string]*slo.Counts `json:"events"`
	Unavailable map[string]string      `json:"unavailable,omitempty"`
	Tiers       []Tier                 `json:"tiers"`
	Sparkline   []SparkPoint           `json:"sparkline"`
	Alert       SLOAlert               `json:"alert"`
	// Maintenance is the maintenance window of the SLO's service open at
	// the instant, if any: its events are left out and alerts are held.
	Maintenance *Window `json:"maintenance,omitempty"`
}

// sparkSpan and sparkStep shape the sparkline: 7 days of 6-hour buckets.
const (
	sparkSpan = 7 * 24 * time.Hour
	sparkStep = 6 * time.Hour
)

// SLOs returns the status of every SLO (of one service if service is not
// empty) as of at, worst first: least budget left, SLOs without data last.
func (e *Engine) SLOs(ctx context.Context, at time.Time, service string) ([]SLO, error) {
	var specs []*sli.Spec
	for _, s := range e.specs {
		if service == "" || s.Service == service {
			specs = append(specs, s)
		}
	}
	out, err := e.status(ctx, at, specs)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b SLO) int {
		if a.NoData != b.NoData {
			if a.NoData {
				return 1
			}
			return -1
		}
		switch {
		case a.BudgetRemaining < b.BudgetRemaining:
			return -1
		case a.BudgetRemaining > b.BudgetRemaining:
			return 1
		}
		return 0
	})
	return out, nil
}

// SLO returns the status of one SLO as of at.
func (e *Engine) SLO(ctx context.Context, name string, at time.Time) (*SLO, error) {
	s, err := e.Spec(name)
	if err != nil {
		return nil, err
	}
	out, err := e.status(ctx, at, []*sli.Spec{s})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

func (e *Engine) status(ctx context.Context, at time.Time, specs []*sli.Spec) ([]SLO, error) {
	windows := burnWindows()
	end := slo.EndMinute(at)
	var alerts []alert.State
	if e.alerts != nil {
		var err error
		if alerts, err = e.alerts.StatesAt(ctx, at); err != nil {
			return nil, err
		}
	}
	sparkTo := ceilTime(end, sparkStep)
	out := make([]SLO, len(specs))
	for svc, idx := range groupByService(specs) {
		q, all, err := e.query(ctx, svc)
		if err != nil {
			return nil, err
		}
		pos := map[string]int{}
		for j, s := range all {
			pos[s.Name] = j
		}
		burn := make(map[time.Duration][]slo.Counts, len(windows))
		for _, w := range windows {
			if burn[w], err = q.Sum(sli.Range{From: end.Add(-w), To: end}); err != nil {
				return nil, err
			}
		}
		spark := make([][]slo.Counts, sparkSpan/sparkStep)
		for b := range spark {
			from := sparkTo.Add(-sparkSpan + time.Duration(b)*sparkStep)
			if spark[b], err = q.Sum(sli.Range{From: from, To: from.Add(sparkStep)}); err != nil {
				return nil, err
			}
		}
		for _, i := range idx {
			s := specs[i]
			j := pos[s.Name]
			from, to := s.Window.Bounds(at, time.UTC)
			win := q.Floors().Covered(sli.Range{From: from, To: to})
			from, to = win.From, win.To
			// The spec's counts over the window, each burn window and each
			// sparkline bucket: from this query, or from its components'.
			var counts []slo.Counts
			if s.IsComposite() {
				ranges := []sli.Range{{From: from, To: to}}
				for _, w := range windows {
					ranges = append(ranges, sli.Range{From: end.Add(-w), To: end})
				}
				for b := range spark {
					f := sparkTo.Add(-sparkSpan + time.Duration(b)*sparkStep)
					ranges = append(ranges, sli.Range{From: f, To: f.Add(sparkStep)})
				}
				if counts, err = e.compositeSums(ctx, s, ranges); err != nil {
					return nil, err
				}
			} else {
				sums, err := q.Sum(sli.Range{From: from, To: to})
				if err != nil {
					return nil, err
				}
				counts = append(counts, sums[j])
				for _, w := range windows {
					counts = append(counts, burn[w][j])
				}
				for b := range spark {
					counts = append(counts, spark[b][j])
				}
			}
			st := sli.Status{
				Spec: s, From: from, To: to, Period: s.Window.Period(at, time.UTC), Counts: counts[0],
				Burn: map[time.Duration]slo.Counts{}, BurnRates: map[time.Duration]float64{},
				Unavailable: map[time.Duration]string{},
			}
			st.Remaining = slo.BudgetRemaining(st.Counts, s.Objective)
			for k, w := range windows {
				if why := q.Floors().Why(sli.Range{From: end.Add(-w), To: end}); why != "" {
					st.Unavailable[w] = why
					continue
				}
				st.Burn[w] = counts[1+k]
				st.BurnRates[w] = slo.BurnRate(counts[1+k], s.Objective)
			}
			sparkCounts := counts[1+len(windows):]
			o := summary(st)
			o.Maintenance = openWindow(q.Maintenance, at)
			if e.alerts != nil {
				o.Alert = sloAlert(alerts, s.Name)
			}
			o.Sparkline = make([]SparkPoint, len(spark))
			for b, c := range sparkCounts {
				o.Sparkline[b].T = sparkTo.Add(-sparkSpan + time.Duration(b)*sparkStep)
				if c.Total > 0 {
					v := c.SLI()
					o.Sparkline[b].SLI = &v
				}
			}
			out[i] = o
		}
	}
	return out, nil
}

// summary turns an evaluated SLO into what the dashboard shows.
func summary(st sli.Status) SLO {
	s := st.Spec
	o := SLO{
		Name: s.Name, Service: s.Service, Type: s.Config.SLI.Type,
		Objective: s.Config.Objective, Window: s.Window.String(),
		WindowStart: st.From, WindowEnd: st.To, Period: slo.FormatDuration(st.Period),
		Total: st.Counts.Total, Good: Round(st.Counts.Good), Bad: Round(st.Counts.Bad()),
		NoData: st.Counts.Total == 0, SLI: st.Counts.SLI(),
		ErrorBudget:     slo.ErrorBudget(s.Objective),
		BudgetRemaining: finite(st.Remaining),
		BurnRates:       map[string]*float64{}, Events: map[string]*slo.Counts{},
		Alert: SLOAlert{State: alert.Unknown},
	}
	if s.Config.SLI.Type == config.Latency {
		o.Threshold = slo.FormatDuration(time.Duration(s.Config.SLI.Threshold))
	}
	for w, b := range st.BurnRates {
		b, c := finite(b), st.Burn[w]
		o.BurnRates[slo.FormatDuration(w)], o.Events[slo.FormatDuration(w)] = &b, &c
	}
	for w, why := range st.Unavailable {
		o.BurnRates[slo.FormatDuration(w)], o.Events[slo.FormatDuration(w)] = nil, nil
		if o.Unavailable == nil {
			o.Unavailable = map[string]string{}
		}
		o.Unavailable[slo.FormatDuration(w)] = why
	}
	left := max(st.Remaining, 0)
	o.BudgetMinutes = left * o.ErrorBudget * st.Period.Minutes()
	o.Requests24h = st.Burn[24*time.Hour].Total
	o.BudgetRequests = BudgetRequests(o.ErrorBudget, o.Total, o.Bad)
	for _, t := range slo.DefaultTiers() {
		tt := Tier{
			Name: t.Name, Severity: t.Severity, BudgetShare: t.BudgetShare,
			Long: slo.FormatDuration(t.Long), Short: slo.FormatDuration(t.Short),
			Threshold: t.Threshold(st.Period),
			LongBurn:  finite(st.BurnRates[t.Long]), ShortBurn: finite(st.BurnRates[t.Short]),
		}
		tt.Burning = tt.LongBurn > tt.Threshold && tt.ShortBurn > tt.Threshold
		o.Tiers = append(o.Tiers, tt)
	}
	return o
}

// burnWindows are the status windows plus every tier's two windows.
func burnWindows() []time.Duration {
	ws := slices.Clone(slo.StatusWindows)
	for _, t := range slo.DefaultTiers() {
		ws = append(ws, t.Long, t.Short)
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}

func groupByService(specs []*sli.Spec) map[string][]int {
	m := map[string][]int{}
	for i, s := range specs {
		m[s.Service] = append(m[s.Service], i)
	}
	return m
}

func bucketsIn(from, to time.Time, step time.Duration) int {
	if !to.After(from) {
		return 0
	}
	return int((to.Sub(from) + step - 1) / step)
}

// ceilTime rounds t up to a multiple of d since the Unix epoch (UTC).
func ceilTime(t time.Time, d time.Duration) time.Time {
	if r := t.Truncate(d); r.Before(t) {
		return r.Add(d)
	}
	return t
}

// Round removes float noise from interpolated counts (exact counts are
// whole).
func Round(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// scanner reads the cells of one service, with its dimension dictionary.
type scanner struct {
	ctx    context.Context
	src    sli.Cells
	svc    int64
	dims   []store.DimValue
	floors sli.Floors
	// windows are the service's maintenance windows: scan leaves their
	// minutes out.
	windows []config.Maintenance
}

// scanner returns a scanner for service name, or nil when it has no data.
func (e *Engine) scanner(ctx context.Context, name string) (*scanner, error) {
	id, err := e.src.ServiceID(ctx, name, false)
	if err != nil || id == 0 {
		return nil, err
	}
	dims, err := e.src.Dims(ctx, id)
	if err != nil {
		return nil, err
	}
	floors, err := sli.ReadFloors(ctx, e.src)
	if err != nil {
		return nil, err
	}
	windows, err := e.Maintenance(ctx, name)
	if err != nil {
		return nil, err
	}
	return &scanner{ctx: ctx, src: e.src, svc: id, dims: dims, floors: floors, windows: windows}, nil
}

func (sc *scanner) dim(id uint32) (store.DimValue, bool) {
	if int(id) >= len(sc.dims) {
		return store.DimValue{}, false // newer than the dictionary read
	}
	return sc.dims[id], true
}

// matcher returns whether dimension dim counts toward specs[j], matching
// each dimension once.
func (sc *scanner) matcher(specs []*sli.Spec) func(dim uint32, j int) bool {
	n := len(specs)
	m := make([]bool, len(sc.dims)*n)
	for d, dv := range sc.dims {
		for j, s := range specs {
			m[d*n+j] = s.Matches(dv)
		}
	}
	return func(dim uint32, j int) bool { return int(dim) < len(sc.dims) && m[int(dim)*n+j] }
}

// scan calls fn for every cell entry in [from, to), with the index of the
// step bucket (from + i·step) it falls in. Each bucket is covered by the
// fewest cells: days, hours, then minutes at its edges. from, to and step
// are taken to whole minutes.
func (sc *scanner) scan(from, to time.Time, step time.Duration, fn func(bucket int, dim uint32, e *cells.Entry)) error {
	type piece struct {
		from, to int64
		bucket   int
	}
	pieces := map[int64][]piece{}
	stepS := int64(step / time.Second)
	stepS -= stepS % store.Minute
	if stepS <= 0 {
		return fmt.Errorf("step %v: want at least a minute", step)
	}
	f, t := from.Unix(), to.Unix()
	f -= mod(f, store.Minute)
	t -= mod(t, store.Minute)
	for b, start := 0, f; start < t; b, start = b+1, start+stepS {
		// Where finer cells were pruned, the step is answered from whole
		// hours or days.
		c := sc.floors.Covered(sli.Range{From: time.Unix(start, 0), To: time.Unix(min(start+stepS, t), 0)})
		for _, g := range sc.outside(c) {
			for _, p := range sli.Cover(g[0], g[1]) {
				pieces[p.Res] = append(pieces[p.Res], piece{p.From, p.To, b})
			}
		}
	}
	for _, res := range store.Resolutions {
		ps := pieces[res]
		if len(ps) == 0 {
			continue
		}
		err := sc.src.ReadCells(sc.ctx, sc.svc, res, ps[0].from, ps[len(ps)-1].to, func(sp *store.Span) error {
			i, _ := slices.BinarySearchFunc(ps, sp.Start, func(p piece, t int64) int {
				if p.to <= t {
					return -1
				}
				if p.from > t {
					return 1
				}
				return 0
			})
			if i >= len(ps) || ps[i].from > sp.Start || ps[i].to <= sp.Start {
				return nil // covered by a coarser cell
			}
			for k := range sp.Cell.Entries {
				fn(ps[i].bucket, sp.Cell.Entries[k].Dim, &sp.Cell.Entries[k])
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// Counts returns the SLO's events over [from, to) (whole minutes). A range
// reaching back before the service's first stored cell starts there.
func (e *Engine) Counts(ctx context.Context, name string, from, to time.Time) (slo.Counts, error) {
	s, err := e.Spec(name)
	if err != nil {
		return slo.Counts{}, err
	}
	if f, ok := e.src.(interface {
		FirstStart(ctx context.Context, serviceID int64) (int64, bool, error)
	}); ok && !s.IsComposite() {
		id, err := e.src.ServiceID(ctx, s.Service, false)
		if err != nil || id == 0 {
			return slo.Counts{}, err
		}
		first, ok, err := f.FirstStart(ctx, id)
		if err != nil || !ok {
			return slo.Counts{}, err
		}
		if day := time.Unix(first-mod(first, store.Day), 0); from.Before(day) {
			from = day
		}
	}
	if !to.After(from) {
		return slo.Counts{}, nil
	}
	sum, err := e.summer(ctx, s)
	if err != nil {
		return slo.Counts{}, err
	}
	return sum(sli.Range{From: from, To: to})
}

// Measures returns every SLO's events over each of windows ending at at
// (rounded up to the minute, like every window), with its own window's
// events and budget: what the alert evaluator looks at.
func (e *Engine) Measures(ctx context.Context, at time.Time, windows []time.Duration) ([]alert.Measure, error) {
	end := slo.EndMinute(at)
	var out []alert.Measure
	for svc, idx := range groupByService(e.specs) {
		q, all, err := e.query(ctx, svc)
		if err != nil {
			return nil, err
		}
		sums := map[time.Duration][]slo.Counts{}
		for _, w := range windows {
			if sums[w], err = q.Sum(sli.Range{From: end.Add(-w), To: end}); err != nil {
				return nil, err
			}
		}
		for j := range idx {
			s := all[j]
			from, to := s.Window.Bounds(at, time.UTC)
			win := q.Floors().Covered(sli.Range{From: from, To: to})
			from, to = win.From, win.To
			m := alert.Measure{SLO: s.Name, Period: s.Window.Period(at, time.UTC), Objective: s.Objective,
				Windows: map[time.Duration]slo.Counts{}, Maintenance: q.InMaintenance(at)}
			var window slo.Counts
			if s.IsComposite() {
				ranges := []sli.Range{{From: from, To: to}}
				for _, w := range windows {
					ranges = append(ranges, sli.Range{From: end.Add(-w), To: end})
				}
				cs, err := e.compositeSums(ctx, s, ranges)
				if err != nil {
					return nil, err
				}
				window = cs[0]
				for k, w := range windows {
					if q.Floors().Exact(sli.Range{From: end.Add(-w), To: end}) {
						m.Windows[w] = cs[1+k]
					}
				}
			} else {
				inWin, err := q.Sum(sli.Range{From: from, To: to})
				if err != nil {
					return nil, err
				}
				window = inWin[j]
				for _, w := range windows {
					if q.Floors().Exact(sli.Range{From: end.Add(-w), To: end}) {
						m.Windows[w] = sums[w][j]
					}
				}
			}
			m.WindowEvents = window.Total
			m.BudgetRemaining = slo.BudgetRemaining(window, s.Objective)
			out = append(out, m)
		}
	}
	return out, nil
}

// TopBad returns an SLO's n groups (by "route" or "status") with the most
// bad events in [from, to): where an alert's budget went.
func (e *Engine) TopBad(ctx context.Context, name string, from, to time.Time, by string, n int) ([]alert.Count, error) {
	b, err := e.Breakdown(ctx, name, from, to, by, n)
	if err != nil {
		return nil, err
	}
	out := make([]alert.Count, 0, len(b.Rows))
	for _, row := range b.Rows {
		out = append(out, alert.Count{Key: row.Key, Bad: row.Bad})
	}
	return out, nil
}

// compositeSums returns a composite's counts over each range, combining its
// components' (each summed by its own service's query).
func (e *Engine) compositeSums(ctx context.Context, s *sli.Spec, ranges []sli.Range) ([]slo.Counts, error) {
	per := make([][]slo.Counts, len(s.Components))
	for i, comp := range s.Components {
		cs, err := e.Spec(comp.SLO)
		if err != nil {
			return nil, err
		}
		q, all, err := e.query(ctx, cs.Service)
		if err != nil {
			return nil, err
		}
		j := slices.Index(all, cs)
		for _, r := range ranges {
			sums, err := q.Sum(r)
			if err != nil {
				return nil, err
			}
			per[i] = append(per[i], sums[j])
		}
	}
	out := make([]slo.Counts, len(ranges))
	cs := make([]slo.Counts, len(s.Components))
	for k := range ranges {
		for i := range per {
			cs[i] = per[i][k]
		}
		out[k] = sli.Combine(s.Components, cs)
	}
	return out, nil
}

// The engine measures SLOs for the alert evaluator.
var _ alert.Measurer = (*Engine)(nil)
