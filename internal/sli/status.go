package sli

import (
	"context"
	"time"

	"github.com/headroom-slo/headroom/internal/slo"
)

// Status is one SLO evaluated as of an instant.
type Status struct {
	Spec      *Spec
	From, To  time.Time                    // the window's range
	Period    time.Duration                // the window's full period
	Counts    slo.Counts                   // events in the window
	Burn      map[time.Duration]slo.Counts // events per burn-rate window
	BurnRates map[time.Duration]float64    // burn rate per burn-rate window
	Remaining float64                      // error budget remaining, a ratio
}

// Evaluate computes the status of every spec as of now, with burn rates over
// the given windows. Minute cells before minuteFloor are taken as pruned.
func Evaluate(ctx context.Context, src Cells, specs []*Spec, now, minuteFloor time.Time, burnWindows []time.Duration) ([]Status, error) {
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
		q, err := NewQuery(ctx, src, group, minuteFloor)
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
			sums, err := q.Sum(Range{From: from, To: to})
			if err != nil {
				return nil, err
			}
			st := Status{
				Spec: s, From: from, To: to, Period: s.Window.Period(now, time.UTC), Counts: sums[j],
				Burn: map[time.Duration]slo.Counts{}, BurnRates: map[time.Duration]float64{},
			}
			st.Remaining = slo.BudgetRemaining(st.Counts, s.Objective)
			for _, w := range burnWindows {
				c := burn[w][j]
				st.Burn[w] = c
				st.BurnRates[w] = slo.BurnRate(c, s.Objective)
			}
			out[i] = st
		}
	}
	return out, nil
}
