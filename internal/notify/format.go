package notify

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// windows returns m's windows, longest first ("1h" before "5m"); names
// that are not durations come last, by name.
func windows(m map[string]float64) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		da, okA := parseWindow(a)
		db, okB := parseWindow(b)
		switch {
		case okA && okB && da != db:
			return cmp.Compare(db, da)
		case okA != okB:
			if okA {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// parseWindow parses a window like "5m", "1h" or "3d".
func parseWindow(s string) (time.Duration, bool) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, false
			}
			return time.Duration(v * float64(u.unit)), true
		}
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// fmtRate formats a burn rate or threshold: 15.2, 1.25, 240.
func fmtRate(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// fmtCount formats a count of events: 120, 12.5.
func fmtCount(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmtRate(v)
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// fmtPercent formats a percentage given as a percent: 99.9, 99.95, 99.
func fmtPercent(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmtRate(v)
	}
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}

// burnText is the burn rates by window, longest first: "1h=15.2 5m=20.1".
func burnText(m map[string]float64) string {
	var b strings.Builder
	for i, w := range windows(m) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w + "=" + fmtRate(m[w]))
	}
	return b.String()
}

// countsText is the groups and their bad events:
// "GET /api/cart (120), POST /login (30)".
func countsText(cs []Count) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Key + " (" + fmtCount(c.Bad) + ")"
	}
	return strings.Join(parts, ", ")
}

// truncate cuts s to at most n runes, ending it with "…" when cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
