package capacity

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
)

// Service reads the capacity of a configured service as of at: its
// declared capacity (services[].capacity.rps) and, for a service that also
// takes browser beacons, requests only.
func Service(ctx context.Context, src Source, svc config.Service, at time.Time, weeks int) (*Report, error) {
	opts := ReadOptions{Weeks: weeks, Browser: svc.RUM != nil}
	if svc.Capacity != nil {
		opts.CapacityRPS = svc.Capacity.RPS
	}
	return Read(ctx, src, svc.Name, at, opts)
}

// View is a Report as the CLI's --json and the API give it: dates as
// YYYY-MM-DD, crossings by level ("80", "100"), null where there is no
// answer.
type View struct {
	Service string    `json:"service"`
	At      time.Time `json:"at"`
	From    string    `json:"from"` // the first day read
	To      string    `json:"to"`   // the day after the last
	// PeakRPS is the last day's peak (PeakDate), in requests per second.
	PeakRPS  float64 `json:"peak_rps"`
	PeakDate *string `json:"peak_date"`
	Exact    bool    `json:"exact"`
	Note     string  `json:"note,omitempty"`
	// WeeklyGrowth is the growth of the peak a week (0.1: 10%), null
	// without a trend (Why says why).
	WeeklyGrowth         *float64    `json:"weekly_growth"`
	WeeklyGrowthInterval *[2]float64 `json:"weekly_growth_interval"`
	Confidence           float64     `json:"confidence,omitempty"`
	FittedDays           int         `json:"fitted_days"`
	// Weekdays are each weekday's peak relative to the week's mean.
	Weekdays map[string]float64 `json:"weekdays"`
	Busiest  string             `json:"busiest_weekday,omitempty"`
	Why      string             `json:"why,omitempty"`
	// CapacityRPS is services[].capacity.rps (null: not set; then
	// Crosses is null too).
	CapacityRPS *float64 `json:"capacity_rps"`
	// Crosses is the first day the forecast peak reaches 80% and 100% of
	// the capacity; null when it does not within two years.
	Crosses         map[string]*string    `json:"crosses"`
	CrossesInterval map[string][2]*string `json:"crosses_interval"`
	Already         map[string]bool       `json:"already_crossed,omitempty"`
	Days            []DayView             `json:"days"`
	Forecast        []PointView           `json:"forecast"`
	Load            []LoadView            `json:"latency_by_load"`
	Bend            *Bend                 `json:"bend"`
}

// DayView is a day's peak.
type DayView struct {
	Date     string  `json:"date"`
	PeakRPS  float64 `json:"peak_rps"`
	Requests uint64  `json:"requests"`
	Exact    bool    `json:"exact"`
}

// PointView is a forecast day.
type PointView struct {
	Date    string  `json:"date"`
	PeakRPS float64 `json:"peak_rps"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
}

// LoadView is a load decile; percentiles null without timed requests.
type LoadView struct {
	Decile  int      `json:"decile"`
	FromRPS float64  `json:"from_rps"`
	ToRPS   float64  `json:"to_rps"`
	Minutes int      `json:"minutes"`
	P50     *float64 `json:"p50_ms"`
	P95     *float64 `json:"p95_ms"`
	P99     *float64 `json:"p99_ms"`
}

// WeekdayNames are the keys of View.Weekdays, by time.Weekday.
var WeekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func date(t time.Time) string { return t.Format(time.DateOnly) }

func datePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return ptr(date(*t))
}

func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// View returns the report as the CLI's --json and the API give it.
func (r *Report) View() *View {
	v := &View{
		Service: r.Service, At: r.At, From: date(r.From), To: date(r.To), PeakRPS: r.PeakRPS,
		Exact: r.Exact, Note: r.Note, Why: r.Why, Bend: r.Bend,
		Days: []DayView{}, Forecast: []PointView{}, Load: []LoadView{},
	}
	if !r.PeakDate.IsZero() {
		v.PeakDate = ptr(date(r.PeakDate))
	}
	for _, d := range r.Days {
		v.Days = append(v.Days, DayView{Date: date(d.Date), PeakRPS: d.PeakRPS, Requests: d.Requests, Exact: d.Exact})
	}
	if t := r.Trend; t != nil {
		v.WeeklyGrowth = ptr(t.WeeklyGrowth)
		v.WeeklyGrowthInterval = &[2]float64{t.WeeklyGrowthLow, t.WeeklyGrowthHigh}
		v.Confidence, v.FittedDays = t.Confidence, t.Days
		v.Weekdays = map[string]float64{}
		for w, f := range r.Seasonality.Factors {
			v.Weekdays[WeekdayNames[w]] = f
		}
		v.Busiest = WeekdayNames[r.Seasonality.Worst]
	}
	for _, p := range r.Forecast {
		v.Forecast = append(v.Forecast, PointView{Date: date(p.Date), PeakRPS: p.RPS, Low: p.Low, High: p.High})
	}
	if r.CapacityRPS > 0 {
		v.CapacityRPS = ptr(r.CapacityRPS)
		v.Crosses = map[string]*string{}
		v.CrossesInterval = map[string][2]*string{}
		for _, l := range Levels {
			v.Crosses[strconv.Itoa(l)] = nil
		}
		for _, c := range r.Crossings {
			k := strconv.Itoa(c.Level)
			v.Crosses[k] = datePtr(c.Date)
			v.CrossesInterval[k] = [2]*string{datePtr(c.Earliest), datePtr(c.Latest)}
			if c.Already {
				if v.Already == nil {
					v.Already = map[string]bool{}
				}
				v.Already[k] = true
			}
		}
	}
	for _, b := range r.Load {
		v.Load = append(v.Load, LoadView{Decile: b.Decile, FromRPS: b.FromRPS, ToRPS: b.ToRPS, Minutes: b.Minutes,
			P50: finite(b.P50), P95: finite(b.P95), P99: finite(b.P99)})
	}
	return v
}

// WeekPeak returns the highest forecast peak of the seven days from
// start, with its band.
func (t *Trend) WeekPeak(start time.Time) (rps, low, high float64) {
	for i := range 7 {
		d := start.AddDate(0, 0, i)
		rps, low, high = max(rps, t.At(d)), max(low, t.Band(d, false)), max(high, t.Band(d, true))
	}
	return rps, low, high
}

// RPS writes a request rate to three significant figures or so: 1234,
// 12.3, 0.25.
func RPS(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// Weeks says how far off d is, in English: "5 days" under two weeks,
// else "about 9 weeks".
func Weeks(d time.Duration) string {
	days := int(math.Round(d.Hours() / 24))
	switch {
	case days == 1:
		return "1 day"
	case days < 14:
		return strconv.Itoa(days) + " days"
	}
	return "about " + strconv.Itoa(int(math.Round(float64(days)/7))) + " weeks"
}
