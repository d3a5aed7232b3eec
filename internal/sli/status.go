package sli

import (
	"context"
	"time"

	"github.com/headroom-slo/headroom/internal/slo"
)

// Status is one SLO evaluated as of an instant.
type Status struct {
	Spec *Spec
	// From and To are the window's range as answered: the window itself,
	// or, where its finer cells were pruned, widened to whole hours or days.
	From, To  time.Time
	Period    time.Duration                // the window's full period
	Counts    slo.Counts                   // events in the window
	Burn      map[time.Duration]slo.Counts // events per burn-rate window
	BurnRates map[time.Duration]float64    // burn rate per burn-rate window
	// Unavailable are the burn-rate windows the store cannot answer
	// exactly any more (their finer cells were pruned), with the reason;
	// they are in neither Burn nor BurnRates.
	Unavailable map[time.Duration]string
	Remaining   float64 // error budget remaining, a ratio
}

// Evaluate computes the status of every spec as of now, with burn rates over
// the given windows.
func Evaluate(ctx context.Context, src Cells, specs []*Spec, now time.Time, burnWindows []time.Duration) ([]Status, error) {
	out := make([]Status, len(specs))
	byService := map[string][]int{}
	var order []string
	for i, s := range specs {
		if _, ok := byService[s.Service]; !ok {
			order = append(order, s.Service)
		}
		byService[s.Service] = append(byService[s.Service], i)
	}
	for _, svc := range order {
		idx := byService[svc]
		group := make([]*Spec, len(idx))
		for j, i := range idx {
			group[j] = specs[i]
		}
		q, err := NewQuery(ctx, src, group)
		if err != nil {
			return nil, err
		}
		end := slo.EndMinute(now)
		burn := make(map[time.Duration][]slo.Counts, len(burnWindows))
		for _, w := range burnWindows {
			if burn[w], err = q.Sum(Range{From: end.Add(-w), To: end}); err != nil {
				return nil, err
			}
		}
		for j, i := range idx {
			s := specs[i]
			from, to := s.Window.Bounds(now, time.UTC)
			win := q.Floors().Covered(Range{From: from, To: to})
			sums, err := q.Sum(win)
			if err != nil {
				return nil, err
			}
			st := Status{
				Spec: s, From: win.From, To: win.To, Period: s.Window.Period(now, time.UTC), Counts: sums[j],
				Burn: map[time.Duration]slo.Counts{}, BurnRates: map[time.Duration]float64{},
				Unavailable: map[time.Duration]string{},
			}
			st.Remaining = slo.BudgetRemaining(st.Counts, s.Objective)
			for _, w := range burnWindows {
				if why := q.Floors().Why(Range{From: end.Add(-w), To: end}); why != "" {
					st.Unavailable[w] = why
					continue
				}
				c := burn[w][j]
				st.Burn[w] = c
				st.BurnRates[w] = slo.BurnRate(c, s.Objective)
			}
			out[i] = st
		}
	}
	return out, nil
}
