package capacity

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/genhist"
	"github.com/headroom-slo/headroom/internal/store"
)

// grown is 12 weeks of a service growing 10% a week, busiest at 14:00 UTC
// (±40% over the day), 30% quieter at weekends, each minute wobbling ±5%.
func grown(routes []genhist.Route) *genhist.History {
	return &genhist.History{
		Start: monday, Days: 84, Seed: 42,
		Services: []genhist.Service{{
			Name: "web", RPS: 100, WeeklyGrowth: 0.10, DailyAmplitude: 0.4, PeakHour: 14,
			WeekendDip: 0.3, Noise: 0.05, Routes: routes,
		}},
	}
}

// small is a two-route mix: the bar's history in a second, not ten.
var small = []genhist.Route{
	{Method: "GET", Template: "/api/deals", Group: genhist.APIRead, Weight: 0.8, ErrorRate: 0.001,
		Latency: []genhist.LatencyShare{{Ms: 20, Share: 0.6}, {Ms: 40, Share: 0.3}, {Ms: 200, Share: 0.1}}},
	{Method: "POST", Template: "/api/deals", Group: genhist.APIWrite, Weight: 0.2,
		Latency: []genhist.LatencyShare{{Ms: 100, Share: 0.9}, {Ms: 400, Share: 0.1}}},
}

func write(t testing.TB, h *genhist.History) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := h.Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestBarGeneratedHistory is the bar: on generated history growing
// 10% a week with daily and weekly seasonality, every daily peak equals a
// brute force over the generator's minutes, and the forecast crossing
// dates are within a week of the truth computed from the generator's
// parameters.
func TestBarGeneratedHistory(t *testing.T) {
	h := grown(small)
	st := write(t, h)
	at := h.To().Add(3 * time.Hour) // the next day, 03:00
	const capRPS = 1200.0
	r, err := Read(context.Background(), st, "web", at, ReadOptions{Options: Options{CapacityRPS: capRPS}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Days) != 84 || !r.Exact {
		t.Fatalf("%d days (exact %v), want 84 exact", len(r.Days), r.Exact)
	}
	for _, d := range r.Days {
		// Brute force: every minute's requests from the generator, the
		// 15th largest of the day's 1,440 (nearest rank: ⌈0.99·1440⌉ = 1426).
		var ns []uint64
		var total uint64
		for m := range MinutesPerDay {
			var n uint64
			for _, c := range h.Minute("web", d.Date.Add(time.Duration(m)*time.Minute)) {
				n += c.N
			}
			ns = append(ns, n)
			total += n
		}
		slices.Sort(ns)
		if want := float64(ns[1425]) / 60; d.PeakRPS != want {
			t.Fatalf("%s: peak %v rps, brute force %v", d.Date.Format(time.DateOnly), d.PeakRPS, want)
		}
		if d.Requests != total {
			t.Fatalf("%s: %d requests, brute force %d", d.Date.Format(time.DateOnly), d.Requests, total)
		}
	}
	if last := r.Days[len(r.Days)-1]; r.PeakRPS != last.PeakRPS || !r.PeakDate.Equal(last.Date) {
		t.Errorf("peak_rps %v of %v, want the last day's %v", r.PeakRPS, r.PeakDate, last.PeakRPS)
	}
	if r.Trend == nil {
		t.Fatalf("no trend: %s", r.Why)
	}
	if g := r.Trend.WeeklyGrowth; math.Abs(g-0.10) > 0.005 {
		t.Errorf("weekly growth %.4f, want 0.10 ± 0.005", g)
	}
	if !(r.Trend.WeeklyGrowthLow <= 0.10 && 0.10 <= r.Trend.WeeklyGrowthHigh) {
		t.Errorf("interval [%.4f, %.4f] misses the true 0.10", r.Trend.WeeklyGrowthLow, r.Trend.WeeklyGrowthHigh)
	}
	// The truth: the first day whose p99 of the generator's noiseless
	// per-minute rates reaches the level (its parameters, no noise).
	exact := grown(small)
	exact.Services[0].Noise = 0
	truePeak := func(d time.Time) float64 {
		rates := make([]float64, MinutesPerDay)
		for m := range rates {
			rates[m] = exact.Rate("web", d.Add(time.Duration(m)*time.Minute))
		}
		slices.Sort(rates)
		return rates[NearestRank(MinutesPerDay, PeakQuantile)]
	}
	if len(r.Crossings) != 2 {
		t.Fatalf("%d crossings, want 2", len(r.Crossings))
	}
	for _, c := range r.Crossings {
		var want time.Time
		for d := r.Today; d.Before(r.Today.AddDate(2, 0, 0)); d = d.AddDate(0, 0, 1) {
			if truePeak(d) >= c.RPS {
				want = d
				break
			}
		}
		if want.IsZero() || want.Sub(r.Today) < 14*24*time.Hour {
			t.Fatalf("%d%%: the truth %v is not weeks ahead: the test's capacity is wrong", c.Level, want)
		}
		if c.Date == nil || math.Abs(c.Date.Sub(want).Hours()) > 7*24 {
			t.Errorf("%d%% (%.0f rps): forecast crossing %v, truth %v: want within a week", c.Level, c.RPS, c.Date, want)
		} else {
			t.Logf("%d%% (%.0f rps): forecast %s, truth %s (%+.0f days), interval %s … %s", c.Level, c.RPS,
				c.Date.Format(time.DateOnly), want.Format(time.DateOnly), c.Date.Sub(want).Hours()/24,
				c.Earliest.Format(time.DateOnly), c.Latest.Format(time.DateOnly))
		}
	}
	if r.Seasonality.Worst == time.Saturday || r.Seasonality.Worst == time.Sunday {
		t.Errorf("worst weekday %v: weekends are 30%% quieter", r.Seasonality.Worst)
	}
	if len(r.Load) == 0 {
		t.Fatal("no latency against load")
	}
	// The mix's latencies do not move with load: no bend.
	if r.Bend != nil {
		t.Errorf("bend at %+v, want none", r.Bend)
	}
}

// TestPrunedMinutesUseHours: days whose minute cells were pruned are read
// from hour cells, marked inexact with the busiest hour's mean rate (a
// brute force over the generator's hours), said in the note, and left
// out of the fit while 14 exact days remain.
func TestPrunedMinutesUseHours(t *testing.T) {
	h := grown(small)
	h.Days = 42
	st := write(t, h)
	// Keep the last 28 days of minutes.
	if _, err := st.Prune(context.Background(), h.To(), 28*24*time.Hour, 0, 0); err != nil {
		t.Fatal(err)
	}
	r, err := Read(context.Background(), st, "web", h.To(), ReadOptions{Options: Options{CapacityRPS: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Days) != 42 || r.Exact || !strings.Contains(r.Note, "minute cells before 2026-01-19 were pruned") {
		t.Fatalf("%d days, exact %v, note %q: want 42, false, pruned before 2026-01-19", len(r.Days), r.Exact, r.Note)
	}
	for i, d := range r.Days {
		if d.Exact != (i >= 14) {
			t.Fatalf("%s: exact %v", d.Date.Format(time.DateOnly), d.Exact)
		}
		if d.Exact {
			continue
		}
		var busiest uint64
		for hr := range 24 {
			from := d.Date.Add(time.Duration(hr) * time.Hour)
			busiest = max(busiest, h.Totals("web", from, from.Add(time.Hour), nil))
		}
		if want := float64(busiest) / 3600; d.PeakRPS != want {
			t.Fatalf("%s: peak %v, want the busiest hour's mean %v", d.Date.Format(time.DateOnly), d.PeakRPS, want)
		}
	}
	if r.Trend == nil || r.Trend.Days != 28 || math.Abs(r.Trend.WeeklyGrowth-0.10) > 0.01 {
		t.Errorf("trend %+v: want 28 exact days fitted, about 10%% a week", r.Trend)
	}
}
