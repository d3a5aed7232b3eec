package capacity

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
)

func TestNearestRank(t *testing.T) {
	for _, c := range []struct {
		n    int
		p    float64
		want int
	}{
		{1440, 0.99, 1425}, // ⌈1425.6⌉ = 1426th smallest
		{100, 0.99, 98},
		{100, 0.5, 49},
		{1, 0.99, 0},
		{10, 0.99, 9},
	} {
		if got := NearestRank(c.n, c.p); got != c.want {
			t.Errorf("NearestRank(%d, %g) = %d, want %d", c.n, c.p, got, c.want)
		}
	}
}

// TestDailyPeakBruteForce: the peak is the smallest count that at least
// 99% of the minutes are at or below, over 60.
func TestDailyPeakBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		counts := make([]uint32, MinutesPerDay)
		for i := range counts {
			if rng.IntN(5) > 0 { // some minutes without requests
				counts[i] = uint32(rng.IntN(1 + trial*50))
			}
		}
		var want uint32
		for _, c := range counts { // the least c with #{≤ c} ≥ 0.99·n
			le := 0
			for _, d := range counts {
				if d <= c {
					le++
				}
			}
			if le*100 >= 99*len(counts) && (want == 0 && le > 0 || c < want) {
				want = c
			}
		}
		if got := DailyPeak(slices.Clone(counts)); got != float64(want)/60 {
			t.Fatalf("trial %d: DailyPeak = %v, want %v", trial, got, float64(want)/60)
		}
	}
}

var monday = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// series makes n days of peaks growing by g a week from p0, with the
// weekday factors f (by time.Weekday) and a multiplicative noise of ±noise.
func series(n int, p0, g float64, f [7]float64, noise float64, seed uint64) []Day {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []Day
	for i := range n {
		d := monday.AddDate(0, 0, i)
		p := p0 * math.Pow(1+g, float64(i)/7) * f[d.Weekday()] * (1 + noise*(2*rng.Float64()-1))
		out = append(out, Day{Date: d, PeakRPS: p, Requests: 1, Exact: true})
	}
	return out
}

var flat = [7]float64{1, 1, 1, 1, 1, 1, 1}

func TestTrendExactOnCleanGrowth(t *testing.T) {
	days := series(84, 100, 0.10, flat, 0, 1)
	today := days[len(days)-1].Date.AddDate(0, 0, 1)
	a := Analyze(days, today, Options{CapacityRPS: 1000})
	if a.Trend == nil {
		t.Fatalf("no trend: %s", a.Why)
	}
	if math.Abs(a.Trend.WeeklyGrowth-0.10) > 1e-9 {
		t.Errorf("weekly growth %v, want 0.10", a.Trend.WeeklyGrowth)
	}
	// Peak on day x is 100·1.1^(x/7); it reaches 800 at x = 7·ln 8/ln 1.1.
	for _, c := range a.Crossings {
		x := int(math.Ceil(7 * math.Log(float64(c.Level)*10/100) / math.Log(1.1)))
		want := monday.AddDate(0, 0, x)
		if c.Date == nil || !c.Date.Equal(want) {
			t.Errorf("%d%%: crossing %v, want %v", c.Level, c.Date, want)
		}
	}
}

func TestTrendWithWeeklySeasonalityAndNoise(t *testing.T) {
	// Weekends at 60%, Monday busiest.
	f := [7]float64{0.6, 1.2, 1.1, 1.05, 1.0, 0.95, 0.6}
	for seed := range uint64(20) {
		days := series(84, 100, 0.10, f, 0.05, seed)
		today := days[len(days)-1].Date.AddDate(0, 0, 1)
		a := Analyze(days, today, Options{CapacityRPS: 1000})
		tr := a.Trend
		if math.Abs(tr.WeeklyGrowth-0.10) > 0.01 {
			t.Errorf("seed %d: weekly growth %.4f, want 0.10 ± 0.01", seed, tr.WeeklyGrowth)
		}
		if !(tr.WeeklyGrowthLow <= tr.WeeklyGrowth && tr.WeeklyGrowth <= tr.WeeklyGrowthHigh) || tr.WeeklyGrowthHigh-tr.WeeklyGrowthLow > 0.02 {
			t.Errorf("seed %d: interval [%.4f, %.4f] around %.4f", seed, tr.WeeklyGrowthLow, tr.WeeklyGrowthHigh, tr.WeeklyGrowth)
		}
		if a.Seasonality.Worst != time.Monday {
			t.Errorf("seed %d: worst weekday %v, want Monday", seed, a.Seasonality.Worst)
		}
		if got, want := a.Seasonality.Factors[time.Saturday]/a.Seasonality.Factors[time.Monday], 0.5; math.Abs(got-want) > 0.03 {
			t.Errorf("seed %d: Saturday/Monday %.3f, want %.3f", seed, got, want)
		}
		// The truth: the first day whose noiseless peak reaches the level.
		for _, c := range a.Crossings {
			var want time.Time
			for d := today; ; d = d.AddDate(0, 0, 1) {
				x := d.Sub(monday).Hours() / 24
				if 100*math.Pow(1.1, x/7)*f[d.Weekday()] >= c.RPS {
					want = d
					break
				}
			}
			if c.Date == nil || math.Abs(c.Date.Sub(want).Hours()) > 7*24 {
				t.Errorf("seed %d: %d%% crossing %v, want %v ± 1 week", seed, c.Level, c.Date, want)
			}
			if c.Earliest == nil || c.Latest == nil || c.Earliest.After(*c.Date) || c.Latest.Before(*c.Date) {
				t.Errorf("seed %d: %d%% crossing %v outside [%v, %v]", seed, c.Level, c.Date, c.Earliest, c.Latest)
			}
		}
	}
}

func TestCrossingsNullWhenFlatOrFar(t *testing.T) {
	for _, c := range []struct {
		name   string
		growth float64
		cap    float64
	}{
		{"flat", 0, 1000},
		{"shrinking", -0.05, 1000},
		{"beyond two years", 0.001, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			days := series(56, 100, c.growth, flat, 0, 1)
			a := Analyze(days, days[len(days)-1].Date.AddDate(0, 0, 1), Options{CapacityRPS: c.cap})
			if len(a.Crossings) != len(Levels) {
				t.Fatalf("%d crossings, want %d", len(a.Crossings), len(Levels))
			}
			for _, cr := range a.Crossings {
				if cr.Date != nil || cr.Already {
					t.Errorf("%d%%: crossing %v (already %v), want none", cr.Level, cr.Date, cr.Already)
				}
			}
		})
	}
}

func TestCrossingAlready(t *testing.T) {
	days := series(28, 900, 0.01, flat, 0, 1)
	today := days[len(days)-1].Date.AddDate(0, 0, 1)
	a := Analyze(days, today, Options{CapacityRPS: 1000})
	if c := a.Crossings[0]; !c.Already || c.Date == nil || !c.Date.Equal(today) {
		t.Errorf("80%%: %+v, want already, today", c)
	}
	if c := a.Crossings[1]; c.Already || c.Date == nil || !c.Date.After(today) {
		t.Errorf("100%%: %+v, want a date after today", c)
	}
}

func TestTooFewDays(t *testing.T) {
	days := series(13, 100, 0.1, flat, 0, 1)
	a := Analyze(days, days[len(days)-1].Date.AddDate(0, 0, 1), Options{CapacityRPS: 1000})
	if a.Trend != nil || a.Why == "" || a.Crossings != nil {
		t.Errorf("13 days: trend %+v, why %q, crossings %v: want no trend and a reason", a.Trend, a.Why, a.Crossings)
	}
}

// TestFitSkipsEstimatedDays: days read from hour cells (low estimates)
// stay out of the fit when 14 exact days remain.
func TestFitSkipsEstimatedDays(t *testing.T) {
	days := series(42, 100, 0.10, flat, 0, 1)
	for i := range 14 {
		days[i].Exact = false
		days[i].PeakRPS /= 2
	}
	a := Analyze(days, days[len(days)-1].Date.AddDate(0, 0, 1), Options{})
	if a.Trend.Days != 28 || math.Abs(a.Trend.WeeklyGrowth-0.10) > 1e-9 {
		t.Errorf("fitted %d days, growth %v: want 28 days, 0.10", a.Trend.Days, a.Trend.WeeklyGrowth)
	}
}

// TestLatencyBends: minutes of 1 to 1,000 requests, each answered in
// 100 ms up to 800 requests and 300 ms above: ten deciles of 100 minutes,
// the p99 tripling from the ninth, which is where latency bends.
func TestLatencyBends(t *testing.T) {
	bins := map[uint32]*loadBin{}
	for n := uint64(1); n <= 1000; n++ {
		le := uint32(100)
		if n > 800 {
			le = 300
		}
		k := binKey(n)
		b := bins[k]
		if b == nil {
			b = &loadBin{key: k, lo: n, hi: n}
			bins[k] = b
		}
		b.minutes++
		b.lo, b.hi = min(b.lo, n), max(b.hi, n)
		b.hist.Merge(cells.Hist{{Le: le, N: n}})
	}
	bs := bands(bins)
	if len(bs) != 10 {
		t.Fatalf("%d bands, want 10: %+v", len(bs), bs)
	}
	total := 0
	for i, b := range bs {
		total += b.Minutes
		if b.Decile != i+1 || b.Minutes < 95 || b.Minutes > 105 {
			t.Errorf("band %d: %+v, want decile %d of about 100 minutes", i, b, i+1)
		}
	}
	if total != 1000 {
		t.Errorf("%d minutes in the bands, want 1000", total)
	}
	got := bend(bs)
	if got == nil || got.Decile != 9 || got.P99 < 250 || got.BaseP99 > 100 || math.Abs(got.RPS-bs[8].FromRPS) > 0 {
		t.Fatalf("bend %+v, want decile 9 (p99 ~300 ms over ~100 ms)", got)
	}
	// Flat latency: no bend.
	for _, b := range bins {
		b.hist = cells.Hist{{Le: 100, N: 1}}
	}
	if b := bend(bands(bins)); b != nil {
		t.Errorf("flat latency bends at %+v", b)
	}
}
