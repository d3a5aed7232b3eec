package slodoc

import (
	"math"
	"strconv"
	"time"

	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/slo"
)

// Formatting of numbers and instants, the same in every language:
// deterministic, independent of the process's locale and time zone. Shares,
// counts and instants are written as the sprint review writes them.
var (
	pct      = review.Pct
	fmtCount = review.FmtCount
	fmtDate  = review.FmtDate
	fmtTime  = review.FmtTime
)

// percent formats a percentage as configured: 99.9 → 99.9%.
func percent(p float64) string { return fmtFloat(p) + "%" }

// budgetPct formats an error budget (a ratio) as the percentage it is,
// without the float noise of 1 − 0.999: 0.1%.
func budgetPct(eps float64) string {
	return strconv.FormatFloat(eps*100, 'g', 10, 64) + "%"
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// fmtRate formats a burn rate with at most two decimals: 14.4, 0.93.
func fmtRate(f float64) string { return fmtFloat(math.Round(f*100) / 100) }

// fmtDur formats a duration as configs write it (28d, 1h30m), to the
// second.
func fmtDur(d time.Duration) string { return slo.FormatDuration(d.Round(time.Second)) }

// fmtThreshold formats a latency threshold exactly: 300ms, 2.5s, 1m30s.
func fmtThreshold(d time.Duration) string {
	if d < time.Minute {
		return d.String()
	}
	return slo.FormatDuration(d)
}
