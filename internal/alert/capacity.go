package alert

import (
	"context"
	"fmt"
	"time"
)

// CapacityEvery is how often the runner evaluates capacity alerts: a
// forecast from daily peaks moves slowly, and reading weeks of minute
// cells is the most expensive of the runner's work.
const CapacityEvery = time.Hour

// CapacityMeasure is the capacity forecast of one service, for its
// capacity alert: it fires while the forecast daily peak reaches Level
// percent of the declared capacity within Within of the evaluation.
type CapacityMeasure struct {
	Service  string
	Severity string // of the alert: ticket (the default), page
	Within   time.Duration
	Level    int     // percent of the capacity: 80
	RPS      float64 // the declared capacity
	// Crosses is the first day the forecast peak reaches the level (zero:
	// not within two years, or no forecast).
	Crosses      time.Time
	PeakRPS      float64 // the last full day's peak
	WeeklyGrowth float64
}

// CapacitySource measures every service with a declared capacity as of an
// instant (the cli's wiring of package capacity).
type CapacitySource func(ctx context.Context, at time.Time) ([]CapacityMeasure, error)

// StepCapacity evaluates the capacity alerts at `at` and returns the
// transitions. A service missing from measures keeps its state.
func (e *Evaluator) StepCapacity(at time.Time, measures []CapacityMeasure) []Transition {
	var out []Transition
	for _, m := range measures {
		key := Key(KindCapacity, m.Service, "")
		st := e.states[key]
		if st == nil {
			st = &State{Key: key, Kind: KindCapacity, Service: m.Service, Phase: Inactive}
			e.states[key] = st
		}
		st.Severity = m.Severity
		if st.Severity == "" {
			st.Severity = "ticket"
		}
		st.Values = map[string]float64{
			"level": float64(m.Level), "capacity_rps": m.RPS, "within_seconds": m.Within.Seconds(),
			"peak_rps": m.PeakRPS, "weekly_growth": finite(m.WeeklyGrowth),
		}
		cond := false
		if !m.Crosses.IsZero() {
			st.Values["crosses"] = float64(m.Crosses.Unix())
			cond = m.Crosses.Sub(at) <= m.Within
		}
		if tr, ok := e.move(st, cond, 0, at); ok {
			out = append(out, tr)
		}
	}
	return out
}

// capacitySummary is Summary for a capacity alert.
func capacitySummary(s State) string {
	v := s.Values
	within := formatWeeks(time.Duration(v["within_seconds"]) * time.Second)
	if s.Phase == Inactive {
		return fmt.Sprintf("%s: resolved, its peak no longer reaches %.0f%% of its capacity within %s", s.Service, v["level"], within)
	}
	when := "soon"
	if c, ok := v["crosses"]; ok {
		when = "around " + time.Unix(int64(c), 0).UTC().Format(time.DateOnly)
	}
	return fmt.Sprintf("%s's daily peak (%.0f rps, %+.1f%% a week) reaches %.0f%% of its tested capacity (%.0f rps) %s, within %s",
		s.Service, v["peak_rps"], v["weekly_growth"]*100, v["level"], v["capacity_rps"]*v["level"]/100, when, within)
}

func formatWeeks(d time.Duration) string {
	if w := d / (7 * 24 * time.Hour); w > 0 && d%(7*24*time.Hour) == 0 {
		return fmt.Sprintf("%dw", w)
	}
	return fmt.Sprintf("%dd", d/(24*time.Hour))
}
