package alert

import (
	"cmp"
	"fmt"
	"slices"
)

// Phase is where an alert is in its life. Phases are ordered by urgency:
// a greater phase is more urgent (Firing > Pending > Inactive > Unknown).
type Phase int

// Phases of an alert.
const (
	// Unknown is the phase of an alert nobody evaluates (no alerting
	// configured, or no alert history to read).
	Unknown Phase = iota
	// Inactive: the alert's condition is false.
	Inactive
	// Pending: the condition is true, but not yet for the tier's `for`.
	Pending
	// Firing: the condition holds; notifiers were told.
	Firing
)

var phaseNames = [...]string{Unknown: "unknown", Inactive: "inactive", Pending: "pending", Firing: "firing"}

// String returns the phase's name, as stored and shown: "firing".
func (p Phase) String() string {
	if p < 0 || int(p) >= len(phaseNames) {
		return fmt.Sprintf("Phase(%d)", int(p))
	}
	return phaseNames[p]
}

// Active reports whether the alert is pending or firing.
func (p Phase) Active() bool { return p == Pending || p == Firing }

// MarshalText encodes the phase by name.
func (p Phase) MarshalText() ([]byte, error) {
	if p < 0 || int(p) >= len(phaseNames) {
		return nil, fmt.Errorf("alert phase %d: not a phase", int(p))
	}
	return []byte(phaseNames[p]), nil
}

// UnmarshalText decodes a phase's name.
func (p *Phase) UnmarshalText(b []byte) error {
	i := slices.Index(phaseNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("alert phase %q: want inactive, pending or firing", b)
	}
	*p = Phase(i)
	return nil
}

// Kind is what an alert watches.
type Kind string

// Kinds of alerts.
const (
	KindBurn      Kind = "burn"      // a burn-rate tier
	KindExhausted Kind = "exhausted" // the window's budget is spent
	KindNoData    Kind = "nodata"    // a source went silent
	KindCapacity  Kind = "capacity"  // a service's peak nears its declared capacity (capacity.go)
)

// AlertName is the kind's alertname, as notifiers send it.
func (k Kind) AlertName() string {
	switch k {
	case KindBurn:
		return "SLOBurnRate"
	case KindExhausted:
		return "SLOBudgetExhausted"
	case KindNoData:
		return "SLONoData"
	case KindCapacity:
		return "ServiceCapacity"
	}
	return string(k)
}

// severityRank orders severities: a page is more urgent than a ticket,
// which is more urgent than any other.
func severityRank(s string) int {
	switch s {
	case "page":
		return 2
	case "ticket":
		return 1
	}
	return 0
}

// CompareUrgency orders states most urgent first: by phase (firing, pending,
// inactive), then severity (page, ticket), then key. It is the one order
// every view of alerts uses.
func CompareUrgency(a, b State) int {
	if c := cmp.Compare(b.Phase, a.Phase); c != 0 {
		return c
	}
	if c := cmp.Compare(severityRank(b.Severity), severityRank(a.Severity)); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// SortByUrgency sorts states most urgent first (CompareUrgency).
func SortByUrgency(states []State) { slices.SortFunc(states, CompareUrgency) }

// MostUrgent returns the most urgent active alert of an SLO, or a state of
// phase Inactive when none is pending or firing.
func MostUrgent(states []State, sloName string) State {
	best := State{Phase: Inactive}
	for _, s := range states {
		if s.SLO == sloName && s.Phase.Active() && CompareUrgency(s, best) < 0 {
			best = s
		}
	}
	return best
}
