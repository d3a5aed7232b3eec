package slodoc

import (
	"time"

	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/slo"
)

// MaxPeriods is how many of the latest complete periods the rationale
// looks at.
const MaxPeriods = 12

// Unit is what the rationale's periods are.
type Unit int

// Units.
const (
	UnitWindow Unit = iota // the SLO's window, back to back
	UnitSprint             // the team's sprints
)

// History is what an SLO achieved over the stored history, period by
// period: the rationale of its objective.
type History struct {
	Unit    Unit
	NoStore bool      // there is no store to read
	First   time.Time // the oldest stored cell (zero: none)
	// Periods are the complete periods with events, oldest first.
	Periods []Period
	// Empty is how many complete periods had no events.
	Empty int
	// Inexact says why some period could only be answered from coarser
	// cells than its bounds ("" when every one is exact).
	Inexact string
}

// Period is the SLI over one period.
type Period struct {
	From, To time.Time
	Sprint   int // the sprint's number, for sprints
	Counts   slo.Counts
	Met      bool // the SLI is at least the objective
}

// SLI is the period's SLI.
func (p Period) SLI() float64 { return p.Counts.SLI() }

// Met is how many periods met the objective.
func (h History) Met() int {
	n := 0
	for _, p := range h.Periods {
		if p.Met {
			n++
		}
	}
	return n
}

// Range returns the periods' worst and best SLI (ok false without periods).
func (h History) Range() (worst, best Period, ok bool) {
	for i, p := range h.Periods {
		if i == 0 || p.SLI() < worst.SLI() {
			worst = p
		}
		if i == 0 || p.SLI() > best.SLI() {
			best = p
		}
	}
	return worst, best, len(h.Periods) > 0
}

// Periods returns the last n complete periods before at that start at or
// after first, oldest first: the sprints when sprints is not nil; else the
// SLO's window — calendar weeks, months or quarters (UTC), or rolling
// windows laid back to back from the last UTC midnight.
func Periods(w slo.Window, sprints *review.Sprints, first, at time.Time, n int) []Period {
	var out []Period
	add := func(p Period) bool {
		if p.From.Before(first) || len(out) == n {
			return false
		}
		out = append(out, p)
		return true
	}
	switch {
	case sprints != nil:
		sp := sprints.At(at)
		for {
			sp = sprints.At(sp.Start.Add(-time.Nanosecond))
			if !add(Period{From: sp.Start, To: sp.End, Sprint: sp.Number}) {
				break
			}
		}
	case w.Kind == slo.CalendarWeek || w.Kind == slo.CalendarMonth || w.Kind == slo.CalendarQuarter:
		end, _ := w.Bounds(at, time.UTC) // the current period's start
		for {
			start, _ := w.Bounds(end.Add(-time.Minute), time.UTC)
			if !add(Period{From: start, To: end}) {
				break
			}
			end = start
		}
	default:
		length := w.Duration
		if length <= 0 {
			return nil
		}
		end := at.UTC().Truncate(24 * time.Hour)
		for ; add(Period{From: end.Add(-length), To: end}); end = end.Add(-length) {
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Achieved counts the SLO's events in each period and says which met the
// objective (a ratio); periods without events are left out and counted in
// Empty. It is the rationale's one computation: a suggestion engine's
// figures can take its place.
func Achieved(periods []Period, objective float64, count func(from, to time.Time) (slo.Counts, error)) (History, error) {
	var h History
	for _, p := range periods {
		c, err := count(p.From, p.To)
		if err != nil {
			return h, err
		}
		if c.Total <= 0 {
			h.Empty++
			continue
		}
		p.Counts = c
		p.Met = c.SLI() >= objective
		h.Periods = append(h.Periods, p)
	}
	return h, nil
}
