package slo

import "time"

// Tier is one multi-window burn-rate alert condition: it fires when both the
// long and the short window burn faster than the rate that would consume
// BudgetShare of the period's budget within the long window.
type Tier struct {
	Name        string
	Severity    string
	BudgetShare float64
	Long, Short time.Duration
}

// DefaultTiers returns the SRE Workbook tiers: page on 2% of the budget in 1h
// (checked over 1h and 5m) and 5% in 6h (6h and 30m); ticket on 10% in 1d
// (1d and 2h) and 10% in 3d (3d and 6h).
func DefaultTiers() []Tier {
	return []Tier{
		{Name: "page-1h", Severity: "page", BudgetShare: 0.02, Long: time.Hour, Short: 5 * time.Minute},
		{Name: "page-6h", Severity: "page", BudgetShare: 0.05, Long: 6 * time.Hour, Short: 30 * time.Minute},
		{Name: "ticket-1d", Severity: "ticket", BudgetShare: 0.10, Long: 24 * time.Hour, Short: 2 * time.Hour},
		{Name: "ticket-3d", Severity: "ticket", BudgetShare: 0.10, Long: 72 * time.Hour, Short: 6 * time.Hour},
	}
}

// Threshold returns the burn rate above which the tier fires for an SLO whose
// period is period: BudgetShare·P/Long.
func (t Tier) Threshold(period time.Duration) float64 {
	return BurnRateFor(t.BudgetShare, t.Long, period)
}

// StatusWindows are the burn-rate windows headroom reports for every SLO.
var StatusWindows = []time.Duration{
	5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour,
}
