package review

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Formatting of numbers and instants, the same in every language:
// deterministic, independent of the process's locale and time zone.

// Pct formats a share as a percentage: no decimals from 1% on, one below
// 1%, two below 0.1%.
func Pct(f float64) string {
	v := f * 100
	a := math.Abs(v)
	switch {
	case v == 0 || math.IsNaN(v):
		return "0%"
	case math.IsInf(v, 0):
		return "∞%"
	case a >= 0.95:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + "%"
	case a >= 0.095:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case a >= 0.005:
		return strconv.FormatFloat(v, 'f', 2, 64) + "%"
	case v > 0:
		return "<0.01%"
	}
	return "-<0.01%"
}

// signedPct formats a growth as a signed percentage with one decimal:
// +10.0%, -2.5%.
func signedPct(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// fmtHours formats hours with at most one decimal: 6, 12.5.
func fmtHours(h float64) string {
	return strconv.FormatFloat(math.Round(h*10)/10, 'f', -1, 64)
}

// FmtCount formats an event count with thousands separators, one decimal
// for fractional (weighted) counts.
func FmtCount(f float64) string {
	f = math.Round(f*10) / 10
	neg := f < 0
	f = math.Abs(f)
	whole := math.Floor(f)
	s := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac := math.Round((f - whole) * 10); frac > 0 {
		b.WriteString("." + strconv.Itoa(int(frac)))
	}
	return b.String()
}

// FmtDate formats the day of an instant in loc: 2025-03-10.
func FmtDate(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02") }

// FmtTime formats an instant in loc, with the zone's abbreviation or, for
// zones without one, its offset: 2025-03-10 14:05 JST.
func FmtTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	zone, _ := t.Zone()
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		zone = t.Format("-07:00")
	}
	return t.Format("2006-01-02 15:04") + " " + zone
}
