package sli

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
)

// maintenanceWindows are web's windows: a one-off, and a weekly one of
// every service.
func maintenanceWindows(t *testing.T) []config.Maintenance {
	t.Helper()
	c, err := config.Parse([]byte(`
services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}, {name: other, logs: [{path: /b.log}]}]
maintenance:
  - {service: web, start: "2026-01-03T10:17:00Z", end: "2026-01-03T13:41:00Z", note: db upgrade}
  - {start: "2026-01-02T23:30:00+09:00", duration: 95m, every: [fri, sat], timezone: Asia/Tokyo}
  - {service: other, start: "2026-01-05T00:00:00Z", duration: 3d}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	return c.MaintenanceOf("web")
}

// inSpans reports whether the minute starting at m (Unix seconds) is in
// one of the spans.
func inSpans(spans [][2]int64, m int64) bool {
	for _, s := range spans {
		if m >= s[0] && m < s[1] {
			return true
		}
	}
	return false
}

// outside returns the events whose minute is in none of spans.
func outside(events []event, spans [][2]int64) []event {
	var kept []event
	for _, e := range events {
		if !inSpans(spans, e.t-e.t%60) {
			kept = append(kept, e)
		}
	}
	return kept
}

// TestSumLeavesOutMaintenance checks Sum against a brute force that drops
// every event of a minute inside a window, to the minute where minute
// cells are kept, and to the whole hour where they were pruned.
func TestSumLeavesOutMaintenance(t *testing.T) {
	st, events := fill(t, 12)
	windows := maintenanceWindows(t)
	if len(windows) != 2 {
		t.Fatalf("%d windows of web, want 2", len(windows))
	}
	var specs []*Spec
	for _, c := range testConfig(t).SLOs {
		specs = append(specs, Compile(c))
	}
	ctx := context.Background()
	// The weekly window: Fri/Sat 23:30–01:05 in Tokyo, 14:30–16:05 UTC.
	var spans [][2]int64
	for _, iv := range config.MergeIntervals(windows, start, start.Add(12*24*time.Hour)) {
		spans = append(spans, [2]int64{iv.Start.Unix(), iv.End.Unix()})
	}
	if want := 1 + 4; len(spans) != want { // the one-off, and Jan 2, 3, 9, 10
		t.Fatalf("%d occurrences in 12 days, want %d: %v", len(spans), want, spans)
	}
	if got := time.Unix(spans[0][0], 0).UTC(); !got.Equal(time.Date(2026, 1, 2, 14, 30, 0, 0, time.UTC)) {
		t.Errorf("first occurrence at %v, want 2026-01-02T14:30Z", got)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	ranges := []Range{
		{start, start.Add(12 * 24 * time.Hour)},
		{start.Add(58*time.Hour + 20*time.Minute), start.Add(59*time.Hour + 3*time.Minute)}, // inside the one-off
		{time.Unix(spans[0][0]-300, 0), time.Unix(spans[0][1]+300, 0)},
	}
	for range 30 {
		a := start.Add(time.Duration(rng.IntN(12*24*60)) * time.Minute)
		ranges = append(ranges, Range{a, a.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute)})
	}
	for _, pruned := range []bool{false, true} {
		q, err := NewQuery(ctx, st, specs)
		if err != nil {
			t.Fatal(err)
		}
		q.Maintenance = windows
		want := spans
		if pruned {
			// Minute cells gone before Jan 9 14:20, 10 minutes before a
			// window opens in that hour: a window widens to the whole
			// hour at an end whose hour has pruned minutes.
			floor := time.Date(2026, 1, 9, 14, 20, 0, 0, time.UTC).Unix()
			q.floors = Floors{Minute: floor}
			want = nil
			for _, s := range spans {
				from, to := s[0], s[1]
				if from-from%3600 < floor {
					from -= from % 3600
				}
				if to < floor {
					to = ceil(to, 3600)
				}
				want = append(want, [2]int64{from, to})
			}
		}
		kept := outside(events, want)
		for _, r := range ranges {
			got, err := q.Sum(r)
			if err != nil {
				t.Fatal(err)
			}
			c := q.floors.Covered(r)
			for i, s := range specs {
				w := brute(s, kept, c.From.Unix(), c.To.Unix())
				if got[i] != w {
					t.Errorf("pruned=%v %s over [%s, %s): got %+v, want %+v", pruned, s.Name, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), got[i], w)
				}
			}
		}
		inside := ranges[1]
		if got, _ := q.Sum(inside); got[0].Total != 0 {
			t.Errorf("pruned=%v: a range inside a window has %v events", pruned, got[0].Total)
		}
		if why := q.MaintenanceWhy(ranges[0]); pruned != (why != "") {
			t.Errorf("pruned=%v: MaintenanceWhy = %q", pruned, why)
		}
	}
}

func TestInMaintenance(t *testing.T) {
	windows := maintenanceWindows(t)
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 1, 3, 10, 16, 59, 0, time.UTC), false},
		{time.Date(2026, 1, 3, 10, 17, 0, 0, time.UTC), true},
		{time.Date(2026, 1, 3, 13, 40, 59, 0, time.UTC), true},
		{time.Date(2026, 1, 3, 13, 41, 0, 0, time.UTC), false},
		{time.Date(2026, 1, 9, 16, 4, 0, 0, time.UTC), true},   // a Saturday in Tokyo
		{time.Date(2026, 1, 11, 15, 0, 0, 0, time.UTC), false}, // a Monday in Tokyo
		{time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), false},  // the other service's
	} {
		if got := InMaintenance(windows, tc.at); got != tc.want {
			t.Errorf("at %v: %v, want %v", tc.at, got, tc.want)
		}
	}
}
