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
	"time"

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
	// now is the clock, for the minute retention floor only.
	now func() time.Time
}

// New compiles the SLOs of cfg.
func New(cfg *config.Config, src sli.Cells) (*Engine, error) {
	specs, err := sli.CompileAll(cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, src: src, specs: specs, byName: map[string]*sli.Spec{}, now: time.Now}
	for _, s := range specs {
		e.byName[s.Name] = s
	}
	return e, nil
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

// minuteFloor is where minute cells may have been pruned.
func (e *Engine) minuteFloor() time.Time {
	if r := e.cfg.Storage.Retention.Minutes; r != config.Forever && r > 0 {
		return e.now().Add(-time.Duration(r))
	}
	return time.Time{}
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
	// BudgetRequests is what it means in requests: the bad requests it would
	// absorb over a window of traffic at the last 24 hours' rate,
	// remaining × error budget × (requests in 24h) × period/24h.
	BudgetRequests float64                `json:"budget_remaining_requests"`
	Requests24h    float64                `json:"requests_24h"`
	BurnRates      map[string]float64     `json:"burn_rates"`
	Events         map[string]slo.Counts  `json:"events"`
	Tiers          []Tier                 `json:"tiers"`
	Sparkline      []SparkPoint           `json:"sparkline"`
	Alert          map[string]interface{} `json:"alert"`
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
	sts, err := sli.Evaluate(ctx, e.src, specs, at, e.minuteFloor(), windows)
	if err != nil {
		return nil, err
	}
	spark, err := e.sparklines(ctx, at, specs)
	if err != nil {
		return nil, err
	}
	out := make([]SLO, len(sts))
	for i, st := range sts {
		s := st.Spec
		o := SLO{
			Name: s.Name, Service: s.Service, Type: s.Config.SLI.Type,
			Objective: s.Config.Objective, Window: s.Window.String(),
			WindowStart: st.From, WindowEnd: st.To, Period: slo.FormatDuration(st.Period),
			Total: st.Counts.Total, Good: round(st.Counts.Good), Bad: round(st.Counts.Bad()),
			NoData: st.Counts.Total == 0, SLI: st.Counts.SLI(),
			ErrorBudget:     slo.ErrorBudget(s.Objective),
			BudgetRemaining: st.Remaining,
			BurnRates:       map[string]float64{}, Events: map[string]slo.Counts{},
			Sparkline: spark[i],
			Alert:     map[string]interface{}{"state": "unknown"},
		}
		if s.Config.SLI.Type == config.Latency {
			o.Threshold = slo.FormatDuration(time.Duration(s.Config.SLI.Threshold))
		}
		for w, b := range st.BurnRates {
			o.BurnRates[slo.FormatDuration(w)] = b
			o.Events[slo.FormatDuration(w)] = st.Burn[w]
		}
		left := max(st.Remaining, 0)
		o.BudgetMinutes = left * o.ErrorBudget * st.Period.Minutes()
		o.Requests24h = st.Burn[24*time.Hour].Total
		o.BudgetRequests = left * o.ErrorBudget * o.Requests24h * st.Period.Hours() / 24
		for _, t := range slo.DefaultTiers() {
			tt := Tier{
				Name: t.Name, Severity: t.Severity, BudgetShare: t.BudgetShare,
				Long: slo.FormatDuration(t.Long), Short: slo.FormatDuration(t.Short),
				Threshold: t.Threshold(st.Period),
				LongBurn:  st.BurnRates[t.Long], ShortBurn: st.BurnRates[t.Short],
			}
			tt.Burning = tt.LongBurn > tt.Threshold && tt.ShortBurn > tt.Threshold
			o.Tiers = append(o.Tiers, tt)
		}
		out[i] = o
	}
	return out, nil
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

// sparklines returns each spec's SLI over 6-hour buckets of the 7 days
// before at (the last bucket ends at the first 6-hour boundary after at).
func (e *Engine) sparklines(ctx context.Context, at time.Time, specs []*sli.Spec) ([][]SparkPoint, error) {
	to := ceilTime(slo.EndMinute(at), sparkStep)
	from := to.Add(-sparkSpan)
	out := make([][]SparkPoint, len(specs))
	for svc, idx := range groupByService(specs) {
		group := make([]*sli.Spec, len(idx))
		for j, i := range idx {
			group[j] = specs[i]
		}
		counts, err := e.bucketCounts(ctx, svc, group, from, to, sparkStep)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			pts := make([]SparkPoint, len(counts))
			for b, c := range counts {
				pts[b].T = from.Add(time.Duration(b) * sparkStep)
				if c[j].Total > 0 {
					v := c[j].SLI()
					pts[b].SLI = &v
				}
			}
			out[i] = pts
		}
	}
	return out, nil
}

func groupByService(specs []*sli.Spec) map[string][]int {
	m := map[string][]int{}
	for i, s := range specs {
		m[s.Service] = append(m[s.Service], i)
	}
	return m
}

// bucketCounts sums the events of specs (all of service svc) per step bucket
// of [from, to).
func (e *Engine) bucketCounts(ctx context.Context, svc string, specs []*sli.Spec, from, to time.Time, step time.Duration) ([][]slo.Counts, error) {
	n := bucketsIn(from, to, step)
	out := make([][]slo.Counts, n)
	for i := range out {
		out[i] = make([]slo.Counts, len(specs))
	}
	sc, err := e.scanner(ctx, svc)
	if err != nil || sc == nil {
		return out, err
	}
	match := sc.matcher(specs)
	err = sc.scan(from, to, step, func(b int, dim uint32, en *cells.Entry) {
		d, ok := sc.dim(dim)
		if !ok {
			return
		}
		for j, s := range specs {
			if match(dim, j) {
				out[b][j] = out[b][j].Add(s.Count(d, en))
			}
		}
	})
	return out, err
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

// round removes float noise from interpolated counts (exact counts are whole).
func round(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// scanner reads the cells of one service, with its dimension dictionary.
type scanner struct {
	ctx   context.Context
	src   sli.Cells
	svc   int64
	dims  []store.DimValue
	floor int64
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
	return &scanner{ctx: ctx, src: e.src, svc: id, dims: dims, floor: e.minuteFloor().Unix()}, nil
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
		end := min(start+stepS, t)
		s := start
		if s < sc.floor {
			s -= mod(s, store.Hour) // minutes pruned: start at the hour
		}
		for _, p := range sli.Cover(s, end) {
			pieces[p.Res] = append(pieces[p.Res], piece{p.From, p.To, b})
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
