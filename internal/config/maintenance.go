package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Maintenance is a planned maintenance window of one service (of every
// service when Service is empty): the events of its minutes count toward no
// SLI, and alerts of the service do not fire while it is open.
//
// A window is [Start, End), or [Start, Start+Duration). With Every it
// repeats weekly: on each of those days (in Timezone, UTC by default) at
// Start's time of day, from Start on and before Until (forever when unset).
// Every instant is a whole minute: cells are per minute, so a window can
// only exclude whole minutes.
type Maintenance struct {
	Service  string    `yaml:"service"`
	Start    Timestamp `yaml:"start"`
	End      Timestamp `yaml:"end"`
	Duration Duration  `yaml:"duration"`
	Every    []string  `yaml:"every"` // weekdays: mon, tue, … sun
	Timezone Location  `yaml:"timezone"`
	Until    Timestamp `yaml:"until"`
	Note     string    `yaml:"note"`

	// ID is the store's id of a window recorded by `headroom maintenance
	// add` (0 for a window of the config file).
	ID int64 `yaml:"-"`
}

// Interval is a half-open time range [Start, End).
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Timestamp is an instant written in RFC 3339 (2026-11-28T02:00:00+01:00).
type Timestamp struct{ text[time.Time] }

// NewTimestamp returns the timestamp of t.
func NewTimestamp(t time.Time) Timestamp {
	return Timestamp{text[time.Time]{src: t.Format(time.RFC3339), val: t}}
}

// UnmarshalYAML parses the instant.
func (t *Timestamp) UnmarshalYAML(n *yaml.Node) error {
	return t.decode(n, func(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) })
}

// Time returns the instant (zero when unset or not valid).
func (t Timestamp) Time() time.Time { return t.val }

// weekdays are the names Every takes (the first three letters of the
// English names, as RFC 5545's BYDAY takes the first two).
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseWeekday reads a weekday name: sun, mon, …, sat, or the whole
// English name, in any case.
func ParseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if d, ok := weekdays[s]; ok {
		return d, true
	}
	for _, d := range weekdays {
		if strings.ToLower(d.String()) == s {
			return d, true
		}
	}
	return 0, false
}

// Length returns how long each occurrence of the window lasts.
func (m Maintenance) Length() time.Duration {
	if !m.End.IsZero() {
		return m.End.Time().Sub(m.Start.Time())
	}
	return time.Duration(m.Duration)
}

// Days returns the weekdays the window repeats on, Monday first (none for
// a one-off window).
func (m Maintenance) Days() []time.Weekday {
	var out []time.Weekday
	for _, s := range m.Every {
		if d, ok := ParseWeekday(s); ok && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b time.Weekday) int { return int((a+6)%7) - int((b+6)%7) })
	return out
}

// AppliesTo reports whether the window is of service.
func (m Maintenance) AppliesTo(service string) bool { return m.Service == "" || m.Service == service }

// Intervals returns the occurrences of the window that overlap [from, to),
// in order, each whole as configured (not clipped to [from, to)).
func (m Maintenance) Intervals(from, to time.Time) []Interval {
	start, length := m.Start.Time(), m.Length()
	if start.IsZero() || length <= 0 || !to.After(from) {
		return nil
	}
	days := m.Days()
	if len(days) == 0 {
		if end := start.Add(length); start.Before(to) && end.After(from) {
			return []Interval{{start.UTC(), end.UTC()}}
		}
		return nil
	}
	loc := m.Timezone.Location()
	local := start.In(loc)
	until := m.Until.Time()
	// Occurrences starting from a day before from less the length (one
	// may still be open at from), day by day in the window's time zone.
	first := from.Add(-length).In(loc)
	if first.Before(local) {
		first = local
	}
	var out []Interval
	for d := time.Date(first.Year(), first.Month(), first.Day()-1, 0, 0, 0, 0, loc); d.Before(to); d = d.AddDate(0, 0, 1) {
		occ := time.Date(d.Year(), d.Month(), d.Day(), local.Hour(), local.Minute(), 0, 0, loc)
		if !slices.Contains(days, occ.Weekday()) || occ.Before(start) {
			continue
		}
		if !until.IsZero() && !occ.Before(until) {
			break
		}
		if !occ.Before(to) {
			break
		}
		if end := occ.Add(length); end.After(from) {
			out = append(out, Interval{occ.UTC(), end.UTC()})
		}
	}
	return out
}

// MaintenanceOf returns the windows of the config that apply to service.
func (c *Config) MaintenanceOf(service string) []Maintenance {
	var out []Maintenance
	for _, m := range c.Maintenance {
		if m.AppliesTo(service) {
			out = append(out, m)
		}
	}
	return out
}

// MergeIntervals returns the union of the occurrences of windows that
// overlap [from, to), clipped to it, in order and without overlaps.
func MergeIntervals(windows []Maintenance, from, to time.Time) []Interval {
	var all []Interval
	for _, m := range windows {
		for _, iv := range m.Intervals(from, to) {
			if iv.Start.Before(from) {
				iv.Start = from
			}
			if iv.End.After(to) {
				iv.End = to
			}
			all = append(all, iv)
		}
	}
	slices.SortFunc(all, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	var out []Interval
	for _, iv := range all {
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// CheckMaintenance checks one window, returning each problem as a field
// (start, end, …) and what is wrong with it. `headroom maintenance add`
// checks a window with it before recording it.
func (c *Config) CheckMaintenance(m Maintenance) [][2]string {
	var out [][2]string
	add := func(field, format string, args ...any) {
		out = append(out, [2]string{field, fmt.Sprintf(format, args...)})
	}
	if m.Service != "" && c.Service(m.Service) == nil {
		add("service", "%v", c.CheckService(m.Service))
	}
	aligned := func(field string, t Timestamp) {
		if t.err != nil {
			add(field, "%q: want an RFC 3339 instant like 2026-11-28T02:00:00+01:00", t.src)
			return
		}
		if !t.IsZero() && t.val.Truncate(time.Minute) != t.val {
			add(field, "%s: want a whole minute (cells are per minute, so a window excludes whole minutes)", t.src)
		}
	}
	switch {
	case m.Start.IsZero():
		add("start", "required: when the window opens (like 2026-11-28T02:00:00+01:00)")
	default:
		aligned("start", m.Start)
	}
	aligned("end", m.End)
	aligned("until", m.Until)
	d := time.Duration(m.Duration)
	switch {
	case m.End.IsZero() && d == 0:
		add("end", "required: set end or duration")
	case !m.End.IsZero() && d != 0:
		add("duration", "set end or duration, not both")
	case d < 0:
		add("duration", "%v: want a positive duration", d)
	case d%time.Minute != 0:
		add("duration", "%v: want whole minutes (cells are per minute)", d)
	case m.End.err == nil && m.Start.err == nil && !m.End.IsZero() && !m.End.val.After(m.Start.val):
		add("end", "%s: want after start (%s)", m.End.src, m.Start.src)
	}
	for _, s := range m.Every {
		if _, ok := ParseWeekday(s); !ok {
			add("every", "%q: want weekdays like [sat, sun] (mon, tue, wed, thu, fri, sat, sun)", s)
		}
	}
	if err := m.Timezone.err; err != nil {
		add("timezone", "%q: %v", m.Timezone, err)
	}
	if len(m.Every) == 0 {
		if !m.Until.IsZero() {
			add("until", "only for a window that repeats (every)")
		}
		if !m.Timezone.IsZero() {
			add("timezone", "only for a window that repeats (every): start says its own offset")
		}
	} else if l := m.Length(); l > 7*24*time.Hour {
		add("duration", "%v: a weekly window lasts at most 7d", l)
	}
	if !m.Until.IsZero() && m.Until.err == nil && m.Start.err == nil && !m.Until.val.After(m.Start.val) {
		add("until", "%s: want after start (%s)", m.Until.src, m.Start.src)
	}
	return out
}

// maintenance checks the maintenance windows.
func (v *validator) maintenance() {
	for i, m := range v.c.Maintenance {
		p := fmt.Sprintf("maintenance[%d]", i)
		for _, pr := range v.c.CheckMaintenance(m) {
			v.add(p+"."+pr[0], "%s", pr[1])
		}
	}
}
