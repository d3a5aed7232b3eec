package report

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
)

// Point is one step of an SLO's series.
type Point struct {
	T time.Time `json:"t"` // start of the step
	// Seconds is how long the step covers: the step, but less for a last
	// step cut short by the range's end (rates divide counts by it).
	Seconds float64 `json:"seconds"`
	Total   float64 `json:"total"`
	Good    float64 `json:"good"`
	Bad     float64 `json:"bad"`
	// SLI of the step; nil without events.
	SLI *float64 `json:"sli"`
	// BurnRate of the step: its error ratio over the error budget.
	BurnRate float64 `json:"burn_rate"`
	// BudgetRemaining is the SLO's budget left over its window as of the
	// end of the step (what the overview shows, at that time).
	BudgetRemaining float64 `json:"budget_remaining"`
	// Latency percentiles of the SLO's timed requests in the step, in ms;
	// nil without timed requests.
	P50 *float64 `json:"p50_ms"`
	P90 *float64 `json:"p90_ms"`
	P99 *float64 `json:"p99_ms"`
}

// BurnPoint is one point of the burn-down of the current window.
type BurnPoint struct {
	T         time.Time `json:"t"`
	Remaining float64   `json:"remaining"` // budget left at T of the window's budget so far
	Even      float64   `json:"even"`      // what is left at T burning evenly over the window
}

// TierLine is a tier's burn-rate threshold, to draw on the burn-rate chart.
type TierLine struct {
	Name      string  `json:"name"`
	Severity  string  `json:"severity"`
	Threshold float64 `json:"threshold"`
}

// Series is an SLO over a range, step by step.
type Series struct {
	SLO         string      `json:"slo"`
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	Step        string      `json:"step"`
	StepSeconds int64       `json:"step_seconds"`
	Objective   float64     `json:"objective"` // ratio
	Tiers       []TierLine  `json:"tiers"`
	Points      []Point     `json:"points"`
	Burndown    []BurnPoint `json:"burndown"`
	// WindowStart and WindowEnd bound the burn-down: the SLO's window as
	// of To.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Maintenance are the maintenance windows of the SLO's service in the
	// range, whose events the points leave out.
	Maintenance []Window `json:"maintenance"`
}

// Steps are the step lengths a series picks from.
var Steps = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// maxPoints bounds a series; a step that would give more is made coarser.
const maxPoints = 2000

// AutoStep returns the smallest of Steps that cuts d into at most ~150 points.
func AutoStep(d time.Duration) time.Duration {
	for _, s := range Steps {
		if d/s <= 150 {
			return s
		}
	}
	return Steps[len(Steps)-1]
}

// Range aligns [from, to) for a series with step: from down to a step
// boundary (UTC), so that steps cover whole cells, and to up to the minute
// (nothing after to is read: the last step may be partial); a step too fine
// for the range is made coarser.
func Range(from, to time.Time, step time.Duration) (time.Time, time.Time, time.Duration) {
	if step <= 0 {
		step = AutoStep(to.Sub(from))
	}
	step = max(step.Truncate(time.Minute), time.Minute)
	for to.Sub(from)/step > maxPoints {
		step *= 2
	}
	return from.Truncate(step), slo.EndMinute(to), step
}

// Series returns the SLO's series over [from, to) by step (see Range).
func (e *Engine) Series(ctx context.Context, name string, from, to time.Time, step time.Duration) (*Series, error) {
	s, err := e.Spec(name)
	if err != nil {
		return nil, err
	}
	from, to, step = Range(from, to, step)
	out := &Series{
		SLO: s.Name, From: from, To: to, Step: slo.FormatDuration(step), StepSeconds: int64(step / time.Second),
		Objective: s.Objective,
	}
	period := s.Window.Period(to, time.UTC)
	for _, t := range slo.DefaultTiers() {
		out.Tiers = append(out.Tiers, TierLine{Name: t.Name, Severity: t.Severity, Threshold: t.Threshold(period)})
	}
	n := bucketsIn(from, to, step)
	out.Points = make([]Point, n)
	hists := make([]cells.Hist, n)
	if out.Maintenance, err = e.Windows(ctx, s.Service, from, to); err != nil {
		return nil, err
	}
	sc, err := e.scanner(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	if sc != nil {
		match := sc.matcher([]*sli.Spec{s})
		err = sc.scan(from, to, step, func(b int, dim uint32, en *cells.Entry) {
			d, ok := sc.dim(dim)
			if !ok || !match(dim, 0) {
				return
			}
			c := s.Count(d, en)
			p := &out.Points[b]
			p.Total += c.Total
			p.Good += c.Good
			hists[b] = mergeHist(hists[b], en.Hist)
		})
		if err != nil {
			return nil, err
		}
	}
	// The window's budget as of each step's end, from one query whose cell
	// cache the overlapping windows share.
	sum, err := e.summer(ctx, s)
	if err != nil {
		return nil, err
	}
	for i := range out.Points {
		p := &out.Points[i]
		p.T = from.Add(time.Duration(i) * step)
		end := stepEnd(p.T, step, to)
		p.Seconds = end.Sub(p.T).Seconds()
		if s.IsComposite() {
			c, err := sum(sli.Range{From: p.T, To: end})
			if err != nil {
				return nil, err
			}
			p.Total, p.Good = c.Total, c.Good
		}
		p.Good = Round(p.Good)
		p.Bad = Round(p.Total - p.Good)
		c := slo.Counts{Total: p.Total, Good: p.Good}
		if c.Total > 0 {
			v := c.SLI()
			p.SLI = &v
		}
		p.BurnRate = finite(slo.BurnRate(c, s.Objective))
		wf, wt := s.Window.Bounds(end.Add(-time.Nanosecond), time.UTC)
		win, err := sum(sli.Range{From: wf, To: wt})
		if err != nil {
			return nil, err
		}
		p.BudgetRemaining = finite(slo.BudgetRemaining(win, s.Objective))
		p.P50, p.P90, p.P99 = quantile(hists[i], 0.5), quantile(hists[i], 0.9), quantile(hists[i], 0.99)
	}
	if err := e.burndown(sum, s, to, out); err != nil {
		return nil, err
	}
	return out, nil
}

// burndown fills the burn-down of the window as of to: the budget left at
// each point, as a share of the budget of the whole window so far (so it
// ends at the SLO's budget remaining), next to an even burn.
func (e *Engine) burndown(sum func(sli.Range) (slo.Counts, error), s *sli.Spec, to time.Time, out *Series) error {
	wf, wt := s.Window.Bounds(to.Add(-time.Nanosecond), time.UTC)
	out.WindowStart, out.WindowEnd = wf, wt
	step := AutoStep(wt.Sub(wf))
	all, err := sum(sli.Range{From: wf, To: wt})
	if err != nil {
		return err
	}
	budget := slo.ErrorBudget(s.Objective) * all.Total
	span := wt.Sub(wf)
	var bad float64
	out.Burndown = append(out.Burndown, BurnPoint{T: wf, Remaining: 1, Even: 1})
	for t := wf; t.Before(wt); {
		next := t.Truncate(step).Add(step)
		if next.After(wt) {
			next = wt
		}
		c, err := sum(sli.Range{From: t, To: next})
		if err != nil {
			return err
		}
		bad += c.Bad()
		p := BurnPoint{T: next, Remaining: 1, Even: 1 - float64(next.Sub(wf))/float64(span)}
		if budget > 0 {
			p.Remaining = 1 - bad/budget
		} else if bad > 0 {
			p.Remaining = 0
		}
		out.Burndown = append(out.Burndown, p)
		t = next
	}
	return nil
}

func mergeHist(into, h cells.Hist) cells.Hist {
	if len(into) == 0 {
		return append(cells.Hist(nil), h...)
	}
	into.Merge(h)
	return into
}

func quantile(h cells.Hist, q float64) *float64 {
	v := h.Quantile(q)
	if math.IsNaN(v) {
		return nil
	}
	v = math.Round(v*1000) / 1000
	return &v
}

// finite maps ±Inf (a zero error budget) to the largest float, which JSON
// can carry.
func finite(f float64) float64 {
	switch {
	case math.IsInf(f, 1):
		return math.MaxFloat64
	case math.IsInf(f, -1):
		return -math.MaxFloat64
	}
	return f
}

// summer returns a function summing one SLO's events over a range: from its
// service's query, or from its components' for a composite.
func (e *Engine) summer(ctx context.Context, s *sli.Spec) (func(sli.Range) (slo.Counts, error), error) {
	if s.IsComposite() {
		return func(r sli.Range) (slo.Counts, error) {
			cs, err := e.compositeSums(ctx, s, []sli.Range{r})
			if err != nil {
				return slo.Counts{}, err
			}
			return cs[0], nil
		}, nil
	}
	q, all, err := e.query(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	j := slices.Index(all, s)
	return func(r sli.Range) (slo.Counts, error) {
		sums, err := q.Sum(r)
		if err != nil {
			return slo.Counts{}, err
		}
		return sums[j], nil
	}, nil
}

// stepEnd returns the end of the step starting at t: t+step, or to when
// that is sooner.
func stepEnd(t time.Time, step time.Duration, to time.Time) time.Time {
	if end := t.Add(step); end.Before(to) {
		return end
	}
	return to
}
