// Package capacity answers "when does this service run out of room": from
// the stored cells of a service it computes each UTC day's peak request rate
// (the nearest-rank p99 of the day's per-minute rates), the weekly
// seasonality, the growth trend (a Theil–Sen fit of the log of the daily
// peak, with a rank-based interval), the latency percentiles against load,
// and, against a declared capacity, the dates the forecast peak crosses 80%
// and 100% of it. docs/capacity.md gives the math.
//
// Analyze is pure (days in, report out, the instant given); Read gathers the
// days and the load bands from a store.
package capacity

import (
	"math"
	"slices"
	"time"
)

// Day is one UTC day's traffic.
type Day struct {
	Date     time.Time `json:"date"`     // UTC midnight
	PeakRPS  float64   `json:"peak_rps"` // nearest-rank p99 of the day's 1,440 per-minute rates
	Requests uint64    `json:"requests"`
	// Exact is false for a day read from hour cells (its minute cells were
	// pruned): its peak is then the busiest hour's mean rate, a low
	// estimate of the p99 of its minutes.
	Exact bool `json:"exact"`
}

// MinutesPerDay is how many per-minute rates a day's peak is taken over.
const MinutesPerDay = 1440

// PeakQuantile is the quantile of a day's per-minute rates that is its peak.
const PeakQuantile = 0.99

// NearestRank returns the nearest-rank index (0-based) of the p-quantile in
// n sorted values: the ⌈p·n⌉-th smallest. For p = 0.99 and n = 1,440 it is
// index 1,425: the 15th largest minute.
func NearestRank(n int, p float64) int {
	// p·n in integer hundredths so that 0.99·1440 is not 1425.6000000000001.
	r := (int(math.Round(p*100))*n + 99) / 100
	return max(r, 1) - 1
}

// DailyPeak returns the peak of a day from its per-minute request counts
// (minutes without a count had no requests): the nearest-rank p99 of the
// counts, divided by 60. It sorts counts.
func DailyPeak(counts []uint32) float64 {
	if len(counts) == 0 {
		return 0
	}
	slices.Sort(counts)
	return float64(counts[NearestRank(len(counts), PeakQuantile)]) / 60
}

// Options configure Analyze.
type Options struct {
	// CapacityRPS is the declared capacity (0: none; no crossings).
	CapacityRPS float64
	// Horizon is how far ahead crossings are looked for (default two
	// years) and Forecast reaches (default 13 weeks, at most Horizon).
	Horizon, ForecastFor time.Duration
	// Confidence of the slope's interval (default 0.95).
	Confidence float64
}

func (o Options) defaults() Options {
	if o.Horizon <= 0 {
		o.Horizon = 2 * 365 * 24 * time.Hour
	}
	if o.ForecastFor <= 0 {
		o.ForecastFor = 13 * 7 * 24 * time.Hour
	}
	o.ForecastFor = min(o.ForecastFor, o.Horizon)
	if o.Confidence <= 0 || o.Confidence >= 1 {
		o.Confidence = 0.95
	}
	return o
}

// MinDays is how many days with traffic a trend needs.
const MinDays = 14

// Levels are the shares of the capacity whose crossing dates are reported.
var Levels = []int{80, 100}

// AlertLevel is the share of the capacity whose crossing the sprint
// review reports and the capacity alert watches: 80%, leaving room for
// the peak's noise and for the work of adding capacity.
const AlertLevel = 80

// Trend is the growth of the daily peak: ln(peak) = Intercept + Slope·d on
// day d (days since the first day fitted), plus the weekday's effect.
type Trend struct {
	Slope     float64 `json:"slope_per_day"` // of ln(peak), Theil–Sen
	SlopeLow  float64 `json:"slope_low"`
	SlopeHigh float64 `json:"slope_high"`
	Intercept float64 `json:"intercept"`
	// InterceptLow and InterceptHigh go with SlopeLow and SlopeHigh.
	InterceptLow  float64 `json:"intercept_low"`
	InterceptHigh float64 `json:"intercept_high"`
	// WeeklyGrowth is exp(7·Slope)−1: 0.1 is 10% a week.
	WeeklyGrowth     float64 `json:"weekly_growth"`
	WeeklyGrowthLow  float64 `json:"weekly_growth_low"`
	WeeklyGrowthHigh float64 `json:"weekly_growth_high"`
	Confidence       float64 `json:"confidence"`
	Days             int     `json:"days"` // days fitted
	// Origin is day 0 of the fit.
	Origin time.Time `json:"origin"`
	// Effects are ln-scale weekday effects, by time.Weekday (Sunday 0).
	Effects [7]float64 `json:"-"`
}

// Seasonality is the weekly pattern: each weekday's peak relative to the
// week's mean peak (1.2: 20% above).
type Seasonality struct {
	Factors [7]float64 // by time.Weekday
	Worst   time.Weekday
}

// Crossing is when the forecast peak reaches a share of the capacity.
type Crossing struct {
	Level int     `json:"level"` // percent of the capacity
	RPS   float64 `json:"rps"`
	// Date is the first day whose forecast peak reaches RPS; nil when the
	// peak does not grow or not within the horizon. Earliest and Latest
	// come from the slope's interval.
	Date     *time.Time `json:"date"`
	Earliest *time.Time `json:"earliest"`
	Latest   *time.Time `json:"latest"`
	// Already is set when the fitted peak today is at or above RPS (Date
	// is then today).
	Already bool `json:"already"`
}

// Point is a forecast day: the fitted peak with its weekday effect, and
// the band from the slope's interval.
type Point struct {
	Date time.Time `json:"date"`
	RPS  float64   `json:"rps"`
	Low  float64   `json:"low"`
	High float64   `json:"high"`
}

// Analysis is what Analyze finds in the daily peaks.
type Analysis struct {
	// Today is the UTC day of the instant analysed; the days are those
	// before it.
	Today       time.Time    `json:"-"`
	Trend       *Trend       `json:"-"` // nil with fewer than MinDays days with traffic
	Seasonality *Seasonality `json:"-"` // nil without a trend
	Crossings   []Crossing   `json:"-"` // one per Levels entry with a capacity
	Forecast    []Point      `json:"-"`
	// Why says why there is no trend ("" when there is).
	Why string `json:"-"`
}

// Analyze fits the trend of days (in date order, UTC midnights before
// today) and forecasts from it. Days without traffic are left out of the
// fit; days that are not exact are left out when at least MinDays exact
// ones remain.
func Analyze(days []Day, today time.Time, opts Options) *Analysis {
	opts = opts.defaults()
	a := &Analysis{Today: today}
	fit := make([]Day, 0, len(days))
	exact := 0
	for _, d := range days {
		if d.PeakRPS > 0 {
			fit = append(fit, d)
			if d.Exact {
				exact++
			}
		}
	}
	if exact >= MinDays && exact < len(fit) {
		fit = slices.DeleteFunc(fit, func(d Day) bool { return !d.Exact })
	}
	if len(fit) < MinDays {
		a.Why = "a trend needs at least 14 days with traffic"
		return a
	}
	origin := fit[0].Date
	xs := make([]float64, len(fit))
	ys := make([]float64, len(fit))
	wd := make([]time.Weekday, len(fit))
	for i, d := range fit {
		xs[i] = math.Round(d.Date.Sub(origin).Hours() / 24)
		ys[i] = math.Log(d.PeakRPS)
		wd[i] = d.Date.Weekday()
	}
	// Fit, take the weekday effects out, fit again: the weekly pattern
	// would otherwise tilt the slopes of pairs of different weekdays.
	var eff [7]float64
	adj := make([]float64, len(ys))
	var slopes []float64
	var b, c float64
	for range 2 {
		for i := range ys {
			adj[i] = ys[i] - eff[wd[i]]
		}
		slopes = pairSlopes(xs, adj, slopes[:0])
		b = median(slopes)
		c = intercept(xs, adj, b)
		eff = effects(xs, ys, wd, b, c)
	}
	lo, hi := slopeInterval(slopes, len(xs), opts.Confidence)
	t := &Trend{
		Slope: b, SlopeLow: lo, SlopeHigh: hi,
		Intercept: c, InterceptLow: intercept(xs, adj, lo), InterceptHigh: intercept(xs, adj, hi),
		WeeklyGrowth: math.Expm1(7 * b), WeeklyGrowthLow: math.Expm1(7 * lo), WeeklyGrowthHigh: math.Expm1(7 * hi),
		Confidence: opts.Confidence, Days: len(fit), Origin: origin, Effects: eff,
	}
	a.Trend = t
	s := &Seasonality{}
	var mean float64
	for w := range eff {
		mean += math.Exp(eff[w]) / 7
	}
	for w := range eff {
		s.Factors[w] = math.Exp(eff[w]) / mean
		if eff[w] > eff[s.Worst] {
			s.Worst = time.Weekday(w)
		}
	}
	a.Seasonality = s

	for d := today; d.Before(today.Add(opts.ForecastFor)); d = d.AddDate(0, 0, 1) {
		a.Forecast = append(a.Forecast, Point{Date: d, RPS: t.At(d), Low: t.Band(d, false), High: t.Band(d, true)})
	}
	if opts.CapacityRPS > 0 {
		end := today.Add(opts.Horizon)
		for _, l := range Levels {
			level := opts.CapacityRPS * float64(l) / 100
			cr := Crossing{Level: l, RPS: level}
			if t.At(today) >= level {
				cr.Already = true
				cr.Date = ptr(today)
			} else {
				cr.Date = t.cross(today, end, level, t.Slope, t.Intercept)
			}
			cr.Earliest = t.cross(today, end, level, t.SlopeHigh, t.InterceptHigh)
			cr.Latest = t.cross(today, end, level, t.SlopeLow, t.InterceptLow)
			a.Crossings = append(a.Crossings, cr)
		}
	}
	return a
}

func ptr[T any](v T) *T { return &v }

// At returns the forecast peak of day d: the fit with d's weekday effect.
func (t *Trend) At(d time.Time) float64 { return t.at(d, t.Slope, t.Intercept) }

// Band returns the forecast peak of day d with the slope's lower (high
// false) or upper bound.
func (t *Trend) Band(d time.Time, high bool) float64 {
	if high {
		return t.at(d, t.SlopeHigh, t.InterceptHigh)
	}
	return t.at(d, t.SlopeLow, t.InterceptLow)
}

func (t *Trend) at(d time.Time, slope, icept float64) float64 {
	x := math.Round(d.Sub(t.Origin).Hours() / 24)
	return math.Exp(icept + slope*x + t.Effects[d.Weekday()])
}

// cross returns the first day in [from, end) whose peak on the line
// (slope, icept) reaches level; nil when none does. From the day the line
// with the worst weekday's effect reaches level it is at most a week.
func (t *Trend) cross(from, end time.Time, level, slope, icept float64) *time.Time {
	if slope <= 0 {
		if t.at(from, slope, icept) >= level {
			return ptr(from)
		}
		// Not growing: a crossing would need a worse weekday than today.
		if week := from.AddDate(0, 0, 7); week.Before(end) {
			end = week
		}
	} else {
		worst := slices.Max(t.Effects[:])
		x := (math.Log(level) - icept - worst) / slope
		if start := t.Origin.AddDate(0, 0, int(math.Floor(x))); start.After(from) {
			if !start.Before(end) {
				return nil
			}
			from = start
		}
	}
	for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
		if t.at(d, slope, icept) >= level {
			return ptr(d)
		}
	}
	return nil
}

// pairSlopes appends the slope of every pair of points with different x.
func pairSlopes(xs, ys []float64, dst []float64) []float64 {
	for i := range xs {
		for j := i + 1; j < len(xs); j++ {
			if dx := xs[j] - xs[i]; dx != 0 {
				dst = append(dst, (ys[j]-ys[i])/dx)
			}
		}
	}
	slices.Sort(dst)
	return dst
}

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// intercept is the median of y − slope·x.
func intercept(xs, ys []float64, slope float64) float64 {
	r := make([]float64, len(xs))
	for i := range xs {
		r[i] = ys[i] - slope*xs[i]
	}
	slices.Sort(r)
	return median(r)
}

// effects returns the mean residual of each weekday from the line, with
// the line's median residual 0: ln-scale weekday effects (0 for a weekday
// without days).
func effects(xs, ys []float64, wd []time.Weekday, slope, icept float64) [7]float64 {
	var sum [7]float64
	var n [7]int
	for i := range xs {
		r := ys[i] - icept - slope*xs[i]
		sum[wd[i]] += r
		n[wd[i]]++
	}
	var out [7]float64
	for w := range out {
		if n[w] > 0 {
			out[w] = sum[w] / float64(n[w])
		}
	}
	return out
}

// slopeInterval returns Sen's rank-based interval of the Theil–Sen slope
// from the sorted pair slopes of n points: with N slopes and
// C = z·√(n(n−1)(2n+5)/18) (the variance of Kendall's S without ties), the
// bounds are the slopes of rank (N−C)/2 and (N+C)/2 + 1.
func slopeInterval(slopes []float64, n int, conf float64) (lo, hi float64) {
	N := float64(len(slopes))
	if N == 0 {
		return 0, 0
	}
	z := normalQuantile(1 - (1-conf)/2)
	nf := float64(n)
	c := z * math.Sqrt(nf*(nf-1)*(2*nf+5)/18)
	i := int(math.Round((N - c) / 2))
	j := int(math.Round((N+c)/2)) + 1
	i = min(max(i, 1), len(slopes))
	j = min(max(j, 1), len(slopes))
	return slopes[i-1], slopes[j-1]
}

// normalQuantile is the standard normal distribution's quantile.
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }
