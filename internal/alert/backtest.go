package alert

import (
	"context"
	"fmt"
	"time"
)

// Episode is one firing of an alert in a backtest.
type Episode struct {
	Key      string    `json:"key"`
	SLO      string    `json:"slo"`
	Service  string    `json:"service"`
	Kind     Kind      `json:"kind"`
	Tier     string    `json:"tier,omitempty"`
	Severity string    `json:"severity"`
	Fired    time.Time `json:"fired"`
	Resolved time.Time `json:"resolved,omitzero"` // zero: still firing at the end
	// BurningSince is when the SLO began to spend its budget faster than
	// it allows (its burn rate over the last minute, or step, above 1)
	// before the alert fired;
	// Detection is Fired − BurningSince.
	BurningSince time.Time     `json:"burning_since,omitzero"`
	Detection    time.Duration `json:"detection_ns"`
	// RecoveredAt is when that burn rate fell back to 1 or less after
	// firing; Reset is Resolved − RecoveredAt.
	RecoveredAt time.Time     `json:"recovered_at,omitzero"`
	Reset       time.Duration `json:"reset_ns"`
}

// newEpisode starts the episode of a transition that fired.
func newEpisode(t Transition) *Episode {
	s := t.State
	return &Episode{Key: s.Key, SLO: s.SLO, Service: s.Service, Kind: s.Kind, Tier: s.Tier, Severity: s.Severity, Fired: t.At}
}

// nowWindow is the window the backtest reads as "the burn rate now", to
// time detections and resets: a minute, or the step when it is longer (so
// no minute goes unseen).
func nowWindow(step time.Duration) time.Duration {
	return max(time.Minute, step.Truncate(time.Minute))
}

// Backtest replays the evaluator over stored history: from `from` to `to`
// every step, with every alert inactive at the start, exactly as `serve`
// would have evaluated at those instants. It returns the transitions and
// each firing as an episode.
func Backtest(ctx context.Context, m Measurer, policies []Policy, from, to time.Time, step time.Duration) ([]Transition, []Episode, error) {
	if step <= 0 {
		return nil, nil, fmt.Errorf("step %v: want a positive duration", step)
	}
	e := NewEvaluator(policies, nil)
	e.NoDataSeverity = "" // the tailer's past is not stored
	now := nowWindow(step)
	windows := append(Windows(policies), now)
	var trs []Transition
	var episodes []Episode
	open := map[string]int{}          // key → index in episodes
	burning := map[string]time.Time{} // SLO → since when its burn is above 1
	recovered := map[string]time.Time{}
	for at := from; at.Before(to); at = at.Add(step) {
		measures, err := m.Measures(ctx, at, windows)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range measures {
			if c.Burn(now) > 1 {
				if burning[c.SLO].IsZero() {
					burning[c.SLO] = at
				}
				delete(recovered, c.SLO)
			} else {
				delete(burning, c.SLO)
				if recovered[c.SLO].IsZero() {
					recovered[c.SLO] = at
				}
			}
		}
		for _, t := range e.Step(at, measures, nil) {
			trs = append(trs, t)
			s := t.State
			switch {
			case t.Fired():
				ep := *newEpisode(t)
				ep.BurningSince = burning[s.SLO]
				if !ep.BurningSince.IsZero() {
					ep.Detection = ep.Fired.Sub(ep.BurningSince)
				}
				open[s.Key] = len(episodes)
				episodes = append(episodes, ep)
			case t.Resolved():
				i, ok := open[s.Key]
				if !ok {
					continue
				}
				ep := &episodes[i]
				ep.Resolved = t.At
				if r := recovered[s.SLO]; !r.IsZero() && !r.Before(ep.Fired) {
					ep.RecoveredAt, ep.Reset = r, t.At.Sub(r)
				}
				delete(open, s.Key)
			}
		}
	}
	return trs, episodes, nil
}
