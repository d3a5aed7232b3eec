package slo

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const day = 24 * time.Hour

// TestDefaultTiers: the SRE Workbook's four tiers, in order, exactly.
func TestDefaultTiers(t *testing.T) {
	want := []Tier{
		{Name: "page-1h", Severity: "page", BudgetShare: 0.02, Long: time.Hour, Short: 5 * time.Minute},
		{Name: "page-6h", Severity: "page", BudgetShare: 0.05, Long: 6 * time.Hour, Short: 30 * time.Minute},
		{Name: "ticket-1d", Severity: "ticket", BudgetShare: 0.10, Long: 24 * time.Hour, Short: 2 * time.Hour},
		{Name: "ticket-3d", Severity: "ticket", BudgetShare: 0.10, Long: 72 * time.Hour, Short: 6 * time.Hour},
	}
	if diff := cmp.Diff(want, DefaultTiers()); diff != "" {
		t.Errorf("DefaultTiers() (-want +got):\n%s", diff)
	}
}

func TestTierThresholdsMatchWorkbook(t *testing.T) {
	tests := []struct {
		name   string
		period time.Duration
		want   map[string]float64 // by tier name
	}{
		{"30d", 30 * day, map[string]float64{"page-1h": 14.4, "page-6h": 6, "ticket-1d": 3, "ticket-3d": 1}},
		{"28d", 28 * day, map[string]float64{"page-1h": 13.44, "page-6h": 5.6, "ticket-1d": 2.8, "ticket-3d": 0.9333}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tiers := DefaultTiers()
			if len(tiers) != len(tc.want) {
				t.Fatalf("%d default tiers, want %d", len(tiers), len(tc.want))
			}
			for _, tier := range tiers {
				want, ok := tc.want[tier.Name]
				if !ok {
					t.Errorf("unexpected tier %q", tier.Name)
					continue
				}
				if got := tier.Threshold(tc.period); math.Abs(got-want) > 0.001 {
					t.Errorf("%s: threshold = %v, want %v", tier.Name, got, want)
				}
			}
		})
	}
}

func TestBudgetMath(t *testing.T) {
	tests := []struct {
		name          string
		c             Counts
		objective     float64
		sli, burn, br float64
	}{
		{"no traffic", Counts{}, 0.999, 1, 0, 1},
		{"perfect", Counts{Total: 1000, Good: 1000}, 0.999, 1, 0, 1},
		{"exactly on budget", Counts{Total: 1000000, Good: 999000}, 0.999, 0.999, 1, 0},
		{"half budget", Counts{Total: 1000000, Good: 999500}, 0.999, 0.9995, 0.5, 0.5},
		{"overspent", Counts{Total: 1000, Good: 990}, 0.999, 0.99, 10, -9},
		{"full outage", Counts{Total: 100, Good: 0}, 0.999, 0, 1000, -999},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.SLI(); math.Abs(got-tc.sli) > 1e-9 {
				t.Errorf("SLI = %v, want %v", got, tc.sli)
			}
			if got := BurnRate(tc.c, tc.objective); math.Abs(got-tc.burn) > 1e-6 {
				t.Errorf("BurnRate = %v, want %v", got, tc.burn)
			}
			if got := BudgetRemaining(tc.c, tc.objective); math.Abs(got-tc.br) > 1e-6 {
				t.Errorf("BudgetRemaining = %v, want %v", got, tc.br)
			}
		})
	}
}

func TestBudgetConsumedRoundTrip(t *testing.T) {
	// 14.4 over 1h of a 30d period consumes 2% of the budget.
	if got := BudgetConsumed(14.4, time.Hour, 30*day); math.Abs(got-0.02) > 1e-9 {
		t.Errorf("BudgetConsumed = %v, want 0.02", got)
	}
}

func TestParseWindowAndBounds(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 30, 15, 0, time.UTC)
	tests := []struct {
		in         string
		start, end time.Time
		period     time.Duration
	}{
		{"28d", time.Date(2026, 4, 16, 10, 31, 0, 0, time.UTC), time.Date(2026, 5, 14, 10, 31, 0, 0, time.UTC), 28 * day},
		{"1h", time.Date(2026, 5, 14, 9, 31, 0, 0, time.UTC), time.Date(2026, 5, 14, 10, 31, 0, 0, time.UTC), time.Hour},
		{"month", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 14, 10, 31, 0, 0, time.UTC), 31 * day},
		{"quarter", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 14, 10, 31, 0, 0, time.UTC), 91 * day},
		{"week", time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 14, 10, 31, 0, 0, time.UTC), 7 * day},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			w, err := ParseWindow(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			s, e := w.Bounds(now, time.UTC)
			if !s.Equal(tc.start) || !e.Equal(tc.end) {
				t.Errorf("Bounds = [%v, %v), want [%v, %v)", s, e, tc.start, tc.end)
			}
			if p := w.Period(now, time.UTC); p != tc.period {
				t.Errorf("Period = %v, want %v", p, tc.period)
			}
			if w.String() != tc.in {
				t.Errorf("String = %q, want %q", w.String(), tc.in)
			}
		})
	}
	if got := EndMinute(time.Date(2026, 5, 14, 10, 30, 0, 0, time.UTC)); got.Minute() != 30 {
		t.Errorf("EndMinute on a boundary = %v, want the boundary itself", got)
	}
	for _, bad := range []string{"", "abc", "5m", "1.5s", "-3d"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) succeeded, want error", bad)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := map[string]time.Duration{
		"300ms": 300 * time.Millisecond, "2.5s": 2500 * time.Millisecond, "28d": 28 * day,
		"1d12h": 36 * time.Hour, "2w": 14 * day, "1h30m": 90 * time.Minute,
		"2y": 732 * day, "1y2d": 368 * day, "0.5y": 183 * day,
	}
	for in, want := range tests {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "3x", "1..2d", "300y", "1000000d", "2562047h1h", "1e300d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want error", bad)
		}
	}
	for _, d := range []time.Duration{28 * day, 90 * time.Minute, 6 * time.Hour, 300 * time.Millisecond} {
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Errorf("round trip %v → %q → %v, %v", d, FormatDuration(d), back, err)
		}
	}
}
