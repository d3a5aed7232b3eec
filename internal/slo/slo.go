// Package slo holds the pure error-budget math of headroom: SLIs as ratios of
// event counts, error budgets, burn rates, windows (rolling and calendar) and
// the multi-window multi-burn-rate alert tiers of the SRE Workbook.
//
// Nothing here does I/O or reads a clock: every function that needs "now"
// takes it as a parameter, so live evaluation, history and backtests run the
// same code. All ratios are event weighted (ratio of sums), never averages of
// per-minute ratios.
package slo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Counts are the events of an SLI over some range: Total requests that count
// toward the SLO and how many of them were Good.
type Counts struct {
	Total float64 `json:"total"`
	Good  float64 `json:"good"`
}

// Bad returns Total − Good.
func (c Counts) Bad() float64 { return c.Total - c.Good }

// Add returns the sum of two counts.
func (c Counts) Add(o Counts) Counts { return Counts{Total: c.Total + o.Total, Good: c.Good + o.Good} }

// SLI returns Good/Total, or 1 when there were no events: no traffic breaks no
// promise. Callers that must tell "no data" apart check Total.
func (c Counts) SLI() float64 {
	if c.Total <= 0 {
		return 1
	}
	return c.Good / c.Total
}

// ErrorRatio returns Bad/Total, or 0 when there were no events.
func (c Counts) ErrorRatio() float64 {
	if c.Total <= 0 {
		return 0
	}
	return c.Bad() / c.Total
}

// ErrorBudget returns the allowed error ratio ε = 1 − objective, where the
// objective is a ratio such as 0.999.
func ErrorBudget(objective float64) float64 { return 1 - objective }

// BurnRate returns how fast the budget burns: e(W)/ε. A burn rate of 1 spends
// exactly the whole budget over the SLO period; 0 when there were no events.
func BurnRate(c Counts, objective float64) float64 {
	eps := ErrorBudget(objective)
	if eps <= 0 {
		if c.Bad() > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return c.ErrorRatio() / eps
}

// BudgetRemaining returns the share of the error budget left over the period
// whose counts are c: 1 − (bad/total)/ε. It is 1 with no events and negative
// when the budget is overspent.
func BudgetRemaining(c Counts, objective float64) float64 {
	return 1 - BurnRate(c, objective)
}

// BudgetConsumed returns the share of the period's budget that a window of
// length w burning at rate b consumes: b·W/P.
func BudgetConsumed(b float64, w, period time.Duration) float64 {
	return b * w.Seconds() / period.Seconds()
}

// BurnRateFor returns the burn rate at which a window of length w consumes
// share of the budget of a period: share·P/W.
func BurnRateFor(share float64, w, period time.Duration) float64 {
	return share * period.Seconds() / w.Seconds()
}

// WindowKind tells rolling windows from calendar ones.
type WindowKind int

// Window kinds.
const (
	Rolling WindowKind = iota
	CalendarWeek
	CalendarMonth
	CalendarQuarter
	// SprintWindow is the current sprint: from SprintStart, every
	// Duration.
	SprintWindow
)

// Window is an SLO's compliance period: a rolling duration (28d) or a calendar
// period (week, month, quarter) that resets at its start.
type Window struct {
	Kind        WindowKind
	Duration    time.Duration // for Rolling, and a sprint's length
	SprintStart time.Time     // for SprintWindow: the first sprint's start
}

// ParseWindow reads "28d", "30d", "7d", "12h", "week", "month" or "quarter".
func ParseWindow(s string) (Window, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "week":
		return Window{Kind: CalendarWeek}, nil
	case "month":
		return Window{Kind: CalendarMonth}, nil
	case "quarter":
		return Window{Kind: CalendarQuarter}, nil
	case "sprint":
		// The caller sets SprintStart and Duration from the sprints.
		return Window{Kind: SprintWindow, Duration: 14 * 24 * time.Hour}, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: want a duration like 28d or one of week, month, quarter", s)
	}
	if d < time.Hour {
		return Window{}, fmt.Errorf("window %q: must be at least 1h", s)
	}
	if d%time.Minute != 0 {
		return Window{}, fmt.Errorf("window %q: must be whole minutes", s)
	}
	return Window{Kind: Rolling, Duration: d}, nil
}

// String returns the window as written in a config.
func (w Window) String() string {
	switch w.Kind {
	case CalendarWeek:
		return "week"
	case CalendarMonth:
		return "month"
	case CalendarQuarter:
		return "quarter"
	case SprintWindow:
		return "sprint"
	}
	return FormatDuration(w.Duration)
}

// Bounds returns the half-open range [start, end) the window covers when
// evaluated at now, at one-minute resolution: end is now rounded up to the
// minute, so a minute in progress counts and an instant on a minute boundary
// gives exactly the window's length of whole minutes before it. Calendar
// windows start at the beginning of the current week (Monday), month or
// quarter in loc.
func (w Window) Bounds(now time.Time, loc *time.Location) (start, end time.Time) {
	end = EndMinute(now)
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	switch w.Kind {
	case CalendarWeek:
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		off := (int(day.Weekday()) + 6) % 7
		start = day.AddDate(0, 0, -off)
	case CalendarMonth:
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	case CalendarQuarter:
		q := (int(t.Month()) - 1) / 3
		start = time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, loc)
	case SprintWindow:
		start = SprintStart(w.SprintStart, w.Duration, now)
	default:
		start = end.Add(-w.Duration)
	}
	return start, end
}

// EndMinute rounds now up to the next minute boundary (now itself when it is
// on one): the exclusive end of every window evaluated at now.
func EndMinute(now time.Time) time.Time {
	end := now.Truncate(time.Minute)
	if end.Before(now) {
		end = end.Add(time.Minute)
	}
	return end
}

// Period returns the full length of the window's period as of now: the rolling
// duration, or the whole calendar week, month or quarter containing now. Burn
// rates are expressed relative to it.
func (w Window) Period(now time.Time, loc *time.Location) time.Duration {
	if w.Kind == Rolling || w.Kind == SprintWindow {
		return w.Duration
	}
	start, _ := w.Bounds(now, loc)
	var next time.Time
	switch w.Kind {
	case CalendarWeek:
		next = start.AddDate(0, 0, 7)
	case CalendarMonth:
		next = start.AddDate(0, 1, 0)
	default:
		next = start.AddDate(0, 3, 0)
	}
	return next.Sub(start)
}

// ErrDurationRange is ParseDuration's error for a duration beyond
// time.Duration's range.
var ErrDurationRange = errors.New("too long (at most 292y)")

// Year is the "y" of durations: 366 days, so that a year's retention
// covers a leap year whole ("2y" is 732d).
const Year = 366 * 24 * time.Hour

// ParseDuration is time.ParseDuration extended with days ("d"), weeks ("w")
// and years ("y", 366d), as used in SLO configs: "28d", "1d12h", "300ms",
// "2y". A duration beyond time.Duration's 292 years is an error, not a
// wrapped value.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		if i == 0 || j == i {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		var mult time.Duration
		switch unit {
		case "d":
			mult = 24 * time.Hour
		case "w":
			mult = 7 * 24 * time.Hour
		case "y":
			mult = Year
		default:
			d, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			if d > math.MaxInt64-total {
				return 0, fmt.Errorf("duration %q: %w", s, ErrDurationRange)
			}
			total += d
			continue
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		// Compare as floats: converting one beyond the int64 range wraps.
		if f*float64(mult) >= float64(math.MaxInt64-total) {
			return 0, fmt.Errorf("duration %q: %w", s, ErrDurationRange)
		}
		total += time.Duration(f * float64(mult))
	}
	return total, nil
}

// FormatDuration prints d in days, hours, minutes and seconds
// and ms, e.g. 28d, 6h, 30m, 1h30m, 300ms.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d < time.Second {
		return d.String()
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	units := []struct {
		u    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for _, u := range units {
		if n := d / u.u; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			d -= n * u.u
		}
	}
	if d > 0 {
		b.WriteString(d.String())
	}
	return b.String()
}

// SprintStart returns the start of the sprint containing t, for sprints
// every length from first.
func SprintStart(first time.Time, length time.Duration, t time.Time) time.Time {
	if length <= 0 {
		return first
	}
	n := t.Sub(first) / length
	if t.Before(first) && t.Sub(first)%length != 0 {
		n--
	}
	return first.Add(n * length)
}
