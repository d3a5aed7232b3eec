package suggest

import (
	"context"
	"fmt"
	"strings"
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
	err := src.ReadCells(ctx, svc, store.Minute, from, to, func(sp *store.Span) error {
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
	if err != nil {
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

// Candidate SLO of a series backtest: its policy and which counts it uses.
type seriesSLO struct {
	policy  alert.Policy
	latency int // threshold index, -1 for availability
	window  slo.Window
	ratio   float64
	// prevHot and prevBurn are the last step's: a tier's condition held,
	// the burn rate now was above 1.
	prevHot, prevBurn bool
}

// SeriesMeasurer measures candidate SLOs from Series for alert.Backtest,
// and leaves out, at each step, the SLOs on which evaluating could change
// nothing: no tier's condition holds now or held at the last step (so
// every tier is inactive and stays so) and the burn rate now is 1 or less
// and was at the last step (so the backtest's burning and recovered marks
// stay as they are). alert.Evaluator leaves an SLO without a measure as
// it is, so the backtest's transitions and episodes are those of
// measuring every SLO at every step, at a fraction of the cost.
type SeriesMeasurer struct {
	s      *Series
	floors sli.Floors
	now    time.Duration
	slos   []*seriesSLO
	first  bool
	// Measured counts the measures returned, Skipped those left out.
	Measured, Skipped int
}

var _ alert.Measurer = (*SeriesMeasurer)(nil)

// NewSeriesMeasurer measures specs (availability or latency SLIs over all
// of the series' service's requests; latency thresholds among the
// series') with policies (alert.Policies of their config), for a backtest
// stepping every step.
func NewSeriesMeasurer(s *Series, floors sli.Floors, specs []*sli.Spec, policies []alert.Policy, step time.Duration) (*SeriesMeasurer, error) {
	m := &SeriesMeasurer{s: s, floors: floors, now: max(time.Minute, step.Truncate(time.Minute)), first: true}
	byName := map[string]alert.Policy{}
	for _, p := range policies {
		byName[p.SLO] = p
	}
	for _, sp := range specs {
		p, ok := byName[sp.Name]
		if !ok {
			continue // alerting disabled
		}
		c := &seriesSLO{policy: p, latency: -1, window: sp.Window, ratio: sp.Objective}
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

// Measures implements alert.Measurer.
func (m *SeriesMeasurer) Measures(_ context.Context, at time.Time, windows []time.Duration) ([]alert.Measure, error) {
	end := slo.EndMinute(at)
	var out []alert.Measure
	for _, c := range m.slos {
		period := c.window.Period(at, time.UTC)
		hot := false
		for _, t := range c.policy.Tiers {
			long := m.s.Counts(c.latency, end.Add(-t.Long), end)
			short := m.s.Counts(c.latency, end.Add(-t.Short), end)
			th := t.Threshold(period)
			if slo.BurnRate(long, c.ratio) > th && slo.BurnRate(short, c.ratio) > th && long.Total >= c.policy.MinEvents {
				hot = true
				break
			}
		}
		burn := slo.BurnRate(m.s.Counts(c.latency, end.Add(-m.now), end), c.ratio) > 1
		include := m.first || hot || burn || c.prevHot || c.prevBurn
		c.prevHot, c.prevBurn = hot, burn
		if !include {
			m.Skipped++
			continue
		}
		m.Measured++
		me := alert.Measure{SLO: c.policy.SLO, Period: period, Objective: c.ratio, Windows: make(map[time.Duration]slo.Counts, len(windows))}
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
