package suggest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// BacktestStep is how often the backtest evaluates: every minute, as
// `headroom alerts backtest` does by default.
const BacktestStep = time.Minute

// Series are a service's per-minute availability and latency counts from
// Base (Unix seconds) on, as prefix sums: what a backtest of many
// candidate objectives reads instead of the store.
type Series struct {
	Base        int64
	Thresholds  []uint32    // latency thresholds, ms
	total, good []float64   // availability: all requests, not 5xx
	timed       []float64   // requests with a latency
	fast        [][]float64 // per threshold: timed requests within it
}

// ReadSeries reads the minute cells of [from, to) of a service once.
func ReadSeries(ctx context.Context, src sli.Cells, svc int64, dims []store.DimValue, from, to int64, thresholds []uint32) (*Series, error) {
	from -= from % 60
	n := int((to - from + 59) / 60)
	s := &Series{Base: from, Thresholds: thresholds, total: make([]float64, n+1), good: make([]float64, n+1), timed: make([]float64, n+1),
		fast: make([][]float64, len(thresholds))}
	for k := range thresholds {
		s.fast[k] = make([]float64, n+1)
	}
	bad := make([]bool, len(dims))
	for i, d := range dims {
		bad[i] = d.Status >= 500 && d.Status < 600
	}
	// The range is read in parts at once (SQLite serves readers side by
	// side), each filling its own minutes.
	parts := int64(min(runtime.GOMAXPROCS(0), 4))
	size := ceilTo((to-from+parts-1)/parts, 60)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := from+p*size, min(to, from+(p+1)*size)
		if lo >= hi {
			continue
		}
		wg.Go(func() {
			errs[p] = src.ReadCells(ctx, svc, store.Minute, lo, hi, func(sp *store.Span) error {
				i := int((sp.Start-from)/60) + 1
				for j := range sp.Cell.Entries {
					e := &sp.Cell.Entries[j]
					if int(e.Dim) >= len(bad) {
						return fmt.Errorf("minute %d: dimension %d not in the dictionary", sp.Start, e.Dim)
					}
					c := float64(e.Count)
					s.total[i] += c
					if !bad[e.Dim] {
						s.good[i] += c
					}
					for _, b := range e.Hist {
						if b.Le == cells.NoLatency {
							break
						}
						s.timed[i] += float64(b.N)
						for k, t := range thresholds {
							if b.Le <= t {
								s.fast[k][i] += float64(b.N)
							}
						}
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		s.total[i] += s.total[i-1]
		s.good[i] += s.good[i-1]
		s.timed[i] += s.timed[i-1]
		for k := range s.fast {
			s.fast[k][i] += s.fast[k][i-1]
		}
	}
	return s, nil
}

// idx is the prefix index of the minute boundary t, clamped to the series.
func (s *Series) idx(t time.Time) int {
	i := (t.Unix() - s.Base) / 60
	return int(max(0, min(i, int64(len(s.total)-1))))
}

// Counts returns the availability counts (latency < 0) or those of the
// latency threshold of index latency over [from, to).
func (s *Series) Counts(latency int, from, to time.Time) slo.Counts {
	i, j := s.idx(from), s.idx(to)
	if latency < 0 {
		return slo.Counts{Total: s.total[j] - s.total[i], Good: s.good[j] - s.good[i]}
	}
	return slo.Counts{Total: s.timed[j] - s.timed[i], Good: s.fast[latency][j] - s.fast[latency][i]}
}

// seriesSLO is a candidate SLO of a series backtest: its policy, which
// counts it uses, and the state of the last step.
type seriesSLO struct {
	policy  alert.Policy
	latency int // threshold index, -1 for availability
	window  slo.Window
	ratio   float64
	// long, short and th are each tier's windows in minutes and burn
	// threshold; -1 when the window is not whole minutes.
	long, short []int64
	th          []float64
	// hot and burning are the last step's: each tier's condition held,
	// the burn rate now was above 1.
	hot     []bool
	burning bool
}

// SeriesMeasurer measures candidate SLOs from Series for alert.Backtest,
// and leaves out, at each step, the SLOs on which evaluating could change
// nothing: those none of whose tiers' conditions changed since the last
// step. alert.Evaluator leaves an SLO without a measure as it is; with no
// tier holding its condition for a while (For = 0) a second evaluation on
// the same conditions changes no phase (a tier whose condition holds is
// firing, or suppressed by a faster one, and stays so), so the backtest's
// transitions and episodes are those of measuring every step, at a
// fraction of the cost. With Exact set, the steps at which the burn rate
// now crosses 1 are measured too, so the episodes' BurningSince,
// Detection, RecoveredAt and Reset are also the same; without it they may
// be later than a full backtest's. Tiers with a For are measured at every
// step.
type SeriesMeasurer struct {
	s      *Series
	floors sli.Floors
	now    int64 // minutes
	slos   []*seriesSLO
	first  bool
	Exact  bool
	// Measured counts the measures returned, Skipped those left out.
	Measured, Skipped int
}

var _ alert.Measurer = (*SeriesMeasurer)(nil)

// NewSeriesMeasurer measures specs (availability or latency SLIs over all
// of the series' service's requests; latency thresholds among the
// series'; rolling windows) with policies (alert.Policies of their
// config), for a backtest stepping every step.
func NewSeriesMeasurer(s *Series, floors sli.Floors, specs []*sli.Spec, policies []alert.Policy, step time.Duration) (*SeriesMeasurer, error) {
	m := &SeriesMeasurer{s: s, floors: floors, now: int64(max(time.Minute, step.Truncate(time.Minute)) / time.Minute), first: true}
	byName := map[string]alert.Policy{}
	for _, p := range policies {
		byName[p.SLO] = p
	}
	for _, sp := range specs {
		p, ok := byName[sp.Name]
		if !ok {
			continue // alerting disabled
		}
		if sp.Window.Kind != slo.Rolling {
			return nil, fmt.Errorf("slo %s: window %s: the series backtest takes rolling windows", sp.Name, sp.Window)
		}
		c := &seriesSLO{policy: p, latency: -1, window: sp.Window, ratio: sp.Objective, hot: make([]bool, len(p.Tiers))}
		for _, t := range p.Tiers {
			minutes := func(d time.Duration) int64 {
				if d%time.Minute != 0 || t.For > 0 {
					return -1 // measured at every step
				}
				return int64(d / time.Minute)
			}
			c.long = append(c.long, minutes(t.Long))
			c.short = append(c.short, minutes(t.Short))
			c.th = append(c.th, t.Threshold(sp.Window.Duration))
		}
		if sp.Config.SLI.Type == config.Latency {
			ms := uint32(time.Duration(sp.Config.SLI.Threshold) / time.Millisecond)
			c.latency = -2
			for k, t := range s.Thresholds {
				if t == ms {
					c.latency = k
				}
			}
			if c.latency < 0 {
				return nil, fmt.Errorf("slo %s: threshold %dms is not among the series' %v", sp.Name, ms, s.Thresholds)
			}
		}
		m.slos = append(m.slos, c)
	}
	return m, nil
}

// counts returns an SLO's counts over the n minutes before minute index
// end (a prefix index).
func (s *Series) countsAt(latency int, end, n int64) slo.Counts {
	last := int64(len(s.total) - 1)
	i, j := max(0, min(end-n, last)), max(0, min(end, last))
	if latency < 0 {
		return slo.Counts{Total: s.total[j] - s.total[i], Good: s.good[j] - s.good[i]}
	}
	return slo.Counts{Total: s.timed[j] - s.timed[i], Good: s.fast[latency][j] - s.fast[latency][i]}
}

// Measures implements alert.Measurer.
func (m *SeriesMeasurer) Measures(_ context.Context, at time.Time, windows []time.Duration) ([]alert.Measure, error) {
	end := slo.EndMinute(at)
	ei := (end.Unix() - m.s.Base) / 60
	var out []alert.Measure
	for _, c := range m.slos {
		changed := m.first
		for k := range c.th {
			if c.long[k] < 0 || c.short[k] < 0 {
				changed = true
				continue
			}
			long := m.s.countsAt(c.latency, ei, c.long[k])
			hot := slo.BurnRate(long, c.ratio) > c.th[k] && long.Total >= c.policy.MinEvents &&
				slo.BurnRate(m.s.countsAt(c.latency, ei, c.short[k]), c.ratio) > c.th[k]
			if hot != c.hot[k] {
				c.hot[k], changed = hot, true
			}
		}
		if m.Exact {
			burning := slo.BurnRate(m.s.countsAt(c.latency, ei, m.now), c.ratio) > 1
			if burning != c.burning {
				c.burning, changed = burning, true
			}
		}
		if !changed {
			m.Skipped++
			continue
		}
		m.Measured++
		me := alert.Measure{SLO: c.policy.SLO, Period: c.window.Period(at, time.UTC), Objective: c.ratio,
			Windows: make(map[time.Duration]slo.Counts, len(windows))}
		for _, w := range windows {
			if m.floors.Exact(sli.Range{From: end.Add(-w), To: end}) {
				me.Windows[w] = m.s.Counts(c.latency, end.Add(-w), end)
			}
		}
		from, to := c.window.Bounds(at, time.UTC)
		win := m.floors.Covered(sli.Range{From: from, To: to})
		counts := m.s.Counts(c.latency, win.From, win.To)
		me.WindowEvents, me.BudgetRemaining = counts.Total, slo.BudgetRemaining(counts, c.ratio)
		out = append(out, me)
	}
	m.first = false
	return out, nil
}

// TopBad implements alert.Measurer; a backtest does not ask it.
func (m *SeriesMeasurer) TopBad(context.Context, string, time.Time, time.Time, string, int) ([]alert.Count, error) {
	return nil, nil
}

// candidateConfig is the config of the candidates as SLOs: the service
// and one SLO per candidate, named c0, c1…, alerting on the default tiers
// (no budget-exhausted alert: tickets count burn-rate tiers only).
func candidateConfig(service, window string, cands []Candidate, alerting config.Alerting) (*config.Config, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "services: [{name: %q, logs: [{path: /dev/null}]}]\nslos:\n", service)
	for i, c := range cands {
		sliText := "{type: availability}"
		if c.Type == config.Latency {
			sliText = fmt.Sprintf("{type: latency, threshold: %dms}", c.ThresholdMs)
		}
		fmt.Fprintf(&b, "  - {name: c%d, service: %q, objective: %s, window: %s, sli: %s, alerting: {exhausted: none}}\n",
			i, service, fmtObjective(c.Objective), window, sliText)
	}
	cfg, err := config.Parse([]byte(b.String()), "candidates")
	if err != nil {
		return nil, fmt.Errorf("the candidates' config: %w", err)
	}
	cfg.Alerting = alerting
	return cfg, nil
}

// backtest counts the pages and tickets each candidate would have fired
// over the range, every minute, from where the minute cells its widest
// window needs are stored.
func (a *analysis) backtest(ctx context.Context, res *Result, cands []Candidate) error {
	var alerting config.Alerting
	if a.opt.Config != nil {
		alerting = a.opt.Config.Alerting
	}
	cfg, err := candidateConfig(a.opt.Service, res.Window, cands, alerting)
	if err != nil {
		return err
	}
	policies, err := alert.Policies(cfg)
	if err != nil {
		return err
	}
	longest := a.opt.Window
	for _, w := range alert.Windows(policies) {
		longest = max(longest, w)
	}
	// The series starts a window before the range, or where minute
	// cells are kept; the backtest where every window it reads is.
	base, btFrom := a.from.Add(-longest).Unix(), a.from
	if f := ceilTo(a.floors.Minute, 60); f > base {
		base = f
		btFrom = maxTime(btFrom, time.Unix(base, 0).UTC().Add(longest))
	}
	res.Backtest = BacktestSpan{From: btFrom, To: a.to, Step: slo.FormatDuration(BacktestStep)}
	if !btFrom.Before(a.to) {
		return nil
	}
	dims, err := a.src.Dims(ctx, a.svc)
	if err != nil {
		return err
	}
	var ths []uint32
	for _, t := range a.thr {
		ths = append(ths, t.Ms)
	}
	s, err := ReadSeries(ctx, a.src, a.svc, dims, base, a.to.Unix(), ths)
	if err != nil {
		return err
	}
	// The windows come from day cells, the alerts from minute cells: they
	// must agree wherever both are stored.
	G := a.G()
	for d := range a.days {
		from := time.Unix(a.firstDay+int64(d)*dayS, 0).UTC()
		if from.Unix() < base {
			continue
		}
		if got := s.Counts(-1, from, from.Add(24*time.Hour)); got.Total != a.tot[d*G+gService] {
			return fmt.Errorf("service %q: the day cell of %s counts %g requests, its minute cells %g: the store's rollups disagree",
				a.opt.Service, from.Format(time.DateOnly), a.tot[d*G+gService], got.Total)
		}
	}
	m, err := NewSeriesMeasurer(s, a.floors, sli.CompileAll(cfg), policies, BacktestStep)
	if err != nil {
		return err
	}
	_, eps, err := alert.Backtest(ctx, m, policies, btFrom, a.to, BacktestStep)
	if err != nil {
		return err
	}
	idx := map[string]int{}
	for i := range cands {
		idx[fmt.Sprintf("c%d", i)] = i
	}
	for _, e := range eps {
		i, ok := idx[e.SLO]
		if !ok || e.Kind != alert.KindBurn {
			continue
		}
		switch e.Severity {
		case "page":
			cands[i].Pages++
		case "ticket":
			cands[i].Tickets++
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
