package sli

import (
	"fmt"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Maintenance windows leave the events of their minutes out of every sum:
// a range is summed as the parts of it outside the windows. Where minute
// cells are kept this is exact to the minute. Where only hour (or day)
// cells remain, a window's edge widens to the whole hour (day) it lies in
// when that hour's finer cells are gone even in part, as a range's edge
// does (Floors.Covered): a few more events are left out, never fewer, and
// MaintenanceWhy says so.

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
// (f.Covered), outside windows, in order: each part one the cells stored
// answer exactly (f.inner), so a window whose edge lies in an hour whose
// minutes were partly pruned widens to that whole hour.
func Outside(f Floors, windows []config.Maintenance, c Range) [][2]int64 {
	var out [][2]int64
	for _, g := range subtract(excluded(f, windows, c), c.From.Unix(), c.To.Unix()) {
		if g = f.inner(g); g[1] > g[0] {
			out = append(out, g)
		}
	}
	return out
}

// inner narrows [from, to) (Unix seconds, whole minutes) to the largest
// range within it that the cells stored answer exactly: Covered's mirror,
// rounding an end inward where Covered rounds it outward. A range Covered
// returned is its own inner range.
func (f Floors) inner(g [2]int64) [2]int64 {
	from, to := g[0], g[1]
	for _, l := range []struct{ floor, unit int64 }{{f.Minute, store.Hour}, {f.Hour, store.Day}} {
		if from < l.floor {
			from = ceil(from, l.unit)
		}
		if to-mod(to, l.unit) < l.floor {
			to -= mod(to, l.unit)
		}
	}
	return [2]int64{from, max(from, to)}
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

// Excluded returns what Sum leaves out of r: the maintenance windows'
// minutes, widened where minute cells were pruned (merged, in order,
// within Covered(r)).
func (q *Query) Excluded(r Range) []config.Interval {
	c := q.floors.Covered(r)
	var out []config.Interval
	for _, s := range subtract(Outside(q.floors, q.Maintenance, c), c.From.Unix(), c.To.Unix()) {
		if s[1] > s[0] {
			out = append(out, config.Interval{Start: time.Unix(s[0], 0).UTC(), End: time.Unix(s[1], 0).UTC()})
		}
	}
	return out
}

// MaintenanceWhy says why the windows within r are not left out to the
// minute ("" when they are): their minute cells were pruned, so whole
// hours or days around them are left out.
func (q *Query) MaintenanceWhy(r Range) string {
	c := q.floors.Covered(r)
	got, want := q.Excluded(r), config.MergeIntervals(q.Maintenance, c.From, c.To)
	if slices.Equal(got, want) {
		return ""
	}
	for _, iv := range got {
		if iv.Start.Unix() < q.floors.Hour {
			return fmt.Sprintf("maintenance windows widened to whole days: hour cells before %s were pruned (storage.retention.hours)",
				time.Unix(q.floors.Hour, 0).UTC().Format(time.RFC3339))
		}
	}
	return fmt.Sprintf("maintenance windows widened to whole hours: minute cells before %s were pruned (storage.retention.minutes)",
		time.Unix(q.floors.Minute, 0).UTC().Format(time.RFC3339))
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
