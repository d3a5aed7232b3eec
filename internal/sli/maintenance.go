package sli

import (
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
)

// Maintenance windows leave the events of their minutes out of every sum:
// a range is summed as the parts of it outside the windows. Where minute
// cells are kept this is exact to the minute. Where only hour (or day)
// cells remain, a window widens to the whole hours (days) it touches, as a
// range does (Floors.Covered): a few more events are left out, never fewer,
// and MaintenanceWhy says so.

// sumOutside sums Covered(r) less the windows' minutes.
func (q *Query) sumOutside(r Range) ([]slo.Counts, error) {
	out := make([]slo.Counts, len(q.specs))
	if q.svc == 0 {
		return out, nil
	}
	for _, g := range Outside(q.floors, q.Maintenance, q.floors.Covered(r)) {
		part, err := q.sum(Range{From: time.Unix(g[0], 0).UTC(), To: time.Unix(g[1], 0).UTC()})
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i] = out[i].Add(part[i])
		}
	}
	return out, nil
}

// Outside returns the parts (Unix seconds) of c, a range as covered by f
// (f.Covered), outside windows, in order.
func Outside(f Floors, windows []config.Maintenance, c Range) [][2]int64 {
	return subtract(excluded(f, windows, c), c.From.Unix(), c.To.Unix())
}

// excluded returns the spans (Unix seconds) of windows within c, each
// widened as the cells stored need (Floors.Covered).
func excluded(f Floors, windows []config.Maintenance, c Range) [][2]int64 {
	var out [][2]int64
	for _, iv := range config.MergeIntervals(windows, c.From, c.To) {
		w := f.Covered(Range{From: iv.Start, To: iv.End})
		out = append(out, [2]int64{max(w.From.Unix(), c.From.Unix()), min(w.To.Unix(), c.To.Unix())})
	}
	return out
}

// Excluded returns the maintenance windows' minutes within r that Sum
// leaves out (merged, in order, clipped to r).
func (q *Query) Excluded(r Range) []config.Interval {
	var out []config.Interval
	for _, s := range excluded(q.floors, q.Maintenance, q.floors.Covered(r)) {
		out = append(out, config.Interval{Start: time.Unix(s[0], 0).UTC(), End: time.Unix(s[1], 0).UTC()})
	}
	return out
}

// MaintenanceWhy says why the windows within r are not left out to the
// minute ("" when they are): their minute cells were pruned, so whole
// hours or days around them are left out.
func (q *Query) MaintenanceWhy(r Range) string {
	for _, iv := range config.MergeIntervals(q.Maintenance, r.From, r.To) {
		if why := q.floors.Why(Range{From: iv.Start, To: iv.End}); why != "" {
			return "maintenance windows widened to whole hours or days: " + why
		}
	}
	return ""
}

// InMaintenance reports whether a window of the query's service is open at
// t.
func (q *Query) InMaintenance(t time.Time) bool {
	return InMaintenance(q.Maintenance, t)
}

// InMaintenance reports whether one of windows is open at t.
func InMaintenance(windows []config.Maintenance, t time.Time) bool {
	for _, m := range windows {
		for _, iv := range m.Intervals(t, t.Add(time.Nanosecond)) {
			if !t.Before(iv.Start) && t.Before(iv.End) {
				return true
			}
		}
	}
	return false
}
