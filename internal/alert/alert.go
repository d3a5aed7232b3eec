// Package alert decides when an SLO is in danger: it applies multi-window,
// multi-burn-rate tiers (the SRE Workbook's by default) to every SLO, plus a
// budget-exhausted alert and a no-data alert for sources that went silent,
// and keeps each alert's state (inactive → pending → firing → resolved).
//
// The Evaluator is pure: it is given the instant and the measurements and
// returns the transitions, so live evaluation, backtests and the scenario
// tests run the same code on a fake clock.
package alert

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/headroom-slo/headroom/internal/slo"
)

// Tier is a burn-rate tier as one SLO uses it.
type Tier struct {
	slo.Tier
	// For is how long the condition must hold before the alert fires
	// (it is pending meanwhile); 0 fires at once.
	For    time.Duration
	Labels map[string]string
}

// Policy is how one SLO alerts.
type Policy struct {
	SLO, Service string
	Objective    float64 // percent, as configured
	Window       string  // the SLO's window, as configured: "30d"
	Tiers        []Tier
	// MinEvents is how many events the long window needs for a tier to
	// fire: with less traffic a handful of errors is no emergency.
	MinEvents float64
	// Exhausted is the severity of the budget-exhausted alert ("": none).
	Exhausted string
	Labels    map[string]string
	Runbook   string
}

// Measure is what an SLO looked like at an instant: its events over every
// window its tiers use (a window missing from Windows could not be measured,
// and the tiers that use it are left as they are), and its budget.
type Measure struct {
	SLO             string
	Period          time.Duration // the SLO window's full length
	Objective       float64       // ratio
	Windows         map[time.Duration]slo.Counts
	BudgetRemaining float64
	WindowEvents    float64 // events in the SLO's window
	// Maintenance says a maintenance window of the SLO's service is open:
	// its alerts may not start firing (one firing already goes on until
	// its condition clears), nor may the service's no-data alerts. The
	// windows' events are already out of Windows and the budget.
	Maintenance bool
}

// Burn returns the burn rate over w.
func (m Measure) Burn(w time.Duration) float64 { return slo.BurnRate(m.Windows[w], m.Objective) }

// Source is what the tailer says of one log, for no-data alerts.
type Source struct {
	Service, Log string
	// Broken says why the source cannot be read (a missing file, an
	// error), or "" when it reads fine; a source that reads fine but has
	// no new lines has no traffic, which is not an alert.
	Broken string
	// Since is when it broke.
	Since time.Time
}

// State is one alert's state.
type State struct {
	Key      string            `json:"key"`
	Kind     Kind              `json:"kind"`
	SLO      string            `json:"slo,omitempty"`
	Service  string            `json:"service"`
	Tier     string            `json:"tier,omitempty"`
	Log      string            `json:"log,omitempty"`
	Severity string            `json:"severity"`
	Phase    Phase             `json:"phase"`
	Since    time.Time         `json:"since"`     // when the phase began
	ActiveAt time.Time         `json:"active_at"` // when the condition last became true (firing: its start)
	Labels   map[string]string `json:"labels,omitempty"`
	// Values are what the condition looked at, at the last evaluation.
	Values map[string]float64 `json:"values,omitempty"`
	// Suppressed says a faster tier of the same severity was firing when
	// this tier's condition became true: it stays quiet until its condition
	// clears, so an outage that paged once does not page again from a
	// slower tier after it is over.
	Suppressed bool `json:"suppressed,omitempty"`
}

// Transition is a change of phase.
type Transition struct {
	State      State     `json:"state"` // after the change
	From       Phase     `json:"from"`
	To         Phase     `json:"to"`
	At         time.Time `json:"at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// Resolved reports whether the transition ends a firing alert.
func (t Transition) Resolved() bool { return t.From == Firing && t.To == Inactive }

// Fired reports whether the transition starts a firing alert.
func (t Transition) Fired() bool { return t.To == Firing }

// NoDataAfter is how long a source must stay broken before its no-data
// alert fires.
const NoDataAfter = 10 * time.Minute

// Evaluator keeps the state of every alert and moves it on each Step.
type Evaluator struct {
	policies []Policy
	states   map[string]*State
	// NoDataSeverity is the severity of no-data alerts ("": none).
	NoDataSeverity string
	NoDataAfter    time.Duration
}

// NewEvaluator returns an evaluator for policies, starting from states (as
// stored; nil: everything inactive).
func NewEvaluator(policies []Policy, states []State) *Evaluator {
	e := &Evaluator{policies: policies, states: map[string]*State{}, NoDataSeverity: "ticket", NoDataAfter: NoDataAfter}
	for _, s := range states {
		e.states[s.Key] = &s
	}
	return e
}

// Key names an alert.
func Key(kind Kind, name, tier string) string {
	if tier == "" {
		return string(kind) + "/" + name
	}
	return string(kind) + "/" + name + "/" + tier
}

// Windows returns every window the policies' tiers look at.
func Windows(policies []Policy) []time.Duration {
	var ws []time.Duration
	for _, p := range policies {
		for _, t := range p.Tiers {
			ws = append(ws, t.Long, t.Short)
		}
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}

// Step evaluates every alert at `at` and returns the transitions, in a
// stable order. Measures missing for an SLO leave its alerts as they are.
func (e *Evaluator) Step(at time.Time, measures []Measure, sources []Source) []Transition {
	byName := map[string]Measure{}
	for _, m := range measures {
		byName[m.SLO] = m
	}
	var out []Transition
	quiet := map[string]bool{} // services in maintenance
	for _, p := range e.policies {
		m, ok := byName[p.SLO]
		if !ok {
			continue
		}
		if m.Maintenance {
			quiet[p.Service] = true
		}
		// Faster tiers first within a severity: a firing one suppresses
		// the slower ones of its severity.
		tiers := slices.Clone(p.Tiers)
		sort.SliceStable(tiers, func(i, j int) bool { return tiers[i].Long < tiers[j].Long })
		hot := map[string]bool{} // severity → a faster tier fires
		for _, t := range tiers {
			_, hasLong := m.Windows[t.Long]
			_, hasShort := m.Windows[t.Short]
			if !hasLong || !hasShort {
				continue // pruned history: this tier cannot be judged, so it stays as it is
			}
			long, short := m.Burn(t.Long), m.Burn(t.Short)
			th := t.Threshold(m.Period)
			cond := long > th && short > th && m.Windows[t.Long].Total >= p.MinEvents
			key := Key(KindBurn, p.SLO, t.Name)
			st := e.state(key, KindBurn, p, t.Name, t.Severity, mergeLabels(p.Labels, t.Labels))
			switch {
			case !cond:
				st.Suppressed = false
			case st.Phase != Firing && (hot[t.Severity] || st.Suppressed):
				st.Suppressed, cond = true, false // a faster tier of its severity has it
			case st.Phase != Firing && m.Maintenance:
				cond = false
			}
			st.Values = map[string]float64{
				"long_burn": finite(long), "short_burn": finite(short), "threshold": th,
				"long_events": m.Windows[t.Long].Total, "budget_remaining": finite(m.BudgetRemaining),
			}
			if tr, ok := e.move(st, cond, t.For, at); ok {
				out = append(out, tr)
			}
			if st.Phase == Firing || st.Phase == Pending {
				hot[t.Severity] = true
			}
		}
		if p.Exhausted != "" {
			st := e.state(Key(KindExhausted, p.SLO, ""), KindExhausted, p, "", p.Exhausted, p.Labels)
			st.Values = map[string]float64{"budget_remaining": finite(m.BudgetRemaining), "window_events": m.WindowEvents}
			cond := m.WindowEvents > 0 && m.BudgetRemaining <= 0 && (st.Phase == Firing || !m.Maintenance)
			if tr, ok := e.move(st, cond, 0, at); ok {
				out = append(out, tr)
			}
		}
	}
	if e.NoDataSeverity != "" {
		for _, src := range sources {
			key := Key(KindNoData, src.Service, src.Log)
			st := e.states[key]
			if st == nil {
				st = &State{Key: key, Kind: KindNoData, Service: src.Service, Log: src.Log, Severity: e.NoDataSeverity, Phase: Inactive}
				e.states[key] = st
			}
			broken := src.Broken != "" && !src.Since.IsZero() && at.Sub(src.Since) >= e.NoDataAfter &&
				(st.Phase == Firing || !quiet[src.Service])
			if tr, ok := e.move(st, broken, 0, at); ok {
				out = append(out, tr)
			}
		}
	}
	return out
}

func (e *Evaluator) state(key string, kind Kind, p Policy, tier, severity string, labels map[string]string) *State {
	st := e.states[key]
	if st == nil {
		st = &State{Key: key, Kind: kind, SLO: p.SLO, Service: p.Service, Tier: tier, Phase: Inactive}
		e.states[key] = st
	}
	st.Severity, st.Labels = severity, labels
	return st
}

// move applies a condition to a state; it reports the transition, if any.
func (e *Evaluator) move(st *State, cond bool, hold time.Duration, at time.Time) (Transition, bool) {
	from := st.Phase
	switch {
	case cond && st.Phase == Inactive:
		st.ActiveAt = at
		st.Phase, st.Since = Pending, at
		if hold <= 0 {
			st.Phase = Firing
		}
	case cond && st.Phase == Pending && at.Sub(st.ActiveAt) >= hold:
		st.Phase, st.Since = Firing, at
	case !cond && st.Phase != Inactive:
		st.Phase, st.Since = Inactive, at
	}
	if st.Phase == from {
		return Transition{}, false
	}
	tr := Transition{State: *st, From: from, To: st.Phase, At: at}
	if tr.Resolved() {
		tr.ResolvedAt = at
	}
	return tr, true
}

// States returns every alert's state, sorted by key.
func (e *Evaluator) States() []State {
	out := make([]State, 0, len(e.states))
	for _, s := range e.states {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Firing returns the alerts firing now.
func (e *Evaluator) Firing() []State {
	var out []State
	for _, s := range e.States() {
		if s.Phase == Firing {
			out = append(out, s)
		}
	}
	return out
}

func mergeLabels(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func finite(f float64) float64 {
	if f > 1e300 {
		return 1e300
	}
	if f < -1e300 {
		return -1e300
	}
	return f
}

// Summary is a one-line description of an alert's state.
func Summary(s State) string {
	if s.Kind == KindCapacity {
		return capacitySummary(s)
	}
	if s.Phase == Inactive {
		switch s.Kind {
		case KindBurn:
			return fmt.Sprintf("%s: resolved, burn rate down to %.1f× over %s's short window (threshold %.1f×)",
				s.SLO, s.Values["short_burn"], s.Tier, s.Values["threshold"])
		case KindExhausted:
			return fmt.Sprintf("%s: resolved, %.1f%% of the error budget left", s.SLO, s.Values["budget_remaining"]*100)
		case KindNoData:
			if s.Service == "" {
				return fmt.Sprintf("%s pushes again", s.Log)
			}
			return fmt.Sprintf("%s (%s) can be read again", s.Log, s.Service)
		}
	}
	switch s.Kind {
	case KindBurn:
		return fmt.Sprintf("%s is burning its error budget %.1f× too fast (%s; %s tier, threshold %.1f×)",
			s.SLO, s.Values["long_burn"], s.Severity, s.Tier, s.Values["threshold"])
	case KindExhausted:
		return fmt.Sprintf("%s has spent its error budget (%.1f%% left)", s.SLO, s.Values["budget_remaining"]*100)
	case KindNoData:
		if s.Service == "" {
			return fmt.Sprintf("no data from %s: it stopped pushing", s.Log)
		}
		return fmt.Sprintf("no data from %s (%s): the source cannot be read", s.Log, s.Service)
	}
	return s.Key
}
