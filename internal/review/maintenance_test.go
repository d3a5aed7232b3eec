package review

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestMaintenanceInReview: the sprint's 90-minute outage inside a
// maintenance window recorded in the store spends nothing in the review,
// which lists the window and says its events were left out.
func TestMaintenanceInReview(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, testConfig+`maintenance:
  - {start: "2025-03-05T02:00:00Z", duration: 1h, every: [wed], note: weekly patch}
`)
	ctx := context.Background()
	outage := day0.Add(5*24*time.Hour + 10*time.Hour)
	headroomtest.Traffic(t, st, "web", day0, 14*24*60, 100, func(m time.Time) int {
		if !m.Before(outage) && m.Before(outage.Add(90*time.Minute)) {
			return 40
		}
		return 0
	})
	if _, err := st.AddMaintenance(ctx, store.MaintenanceWindow{Service: "web", Start: outage.Add(-5 * time.Minute), End: outage.Add(95 * time.Minute), Note: "db failover", Added: outage}); err != nil {
		t.Fatal(err)
	}
	sprints := NewSprints(cfg)
	r, err := Build(ctx, Inputs{Config: cfg, Engine: eng, Store: st, Sprints: sprints}, sprints.At(day0), "web", day0.Add(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := r.SLOs[0]
	// 14 days of 100 a minute, less the 100 recorded minutes and two
	// weekly hours (Wednesdays 5 and 12 March).
	if want := float64((14*1440 - 100 - 120) * 100); s.SprintBad != 0 || s.SprintTotal != want || s.BudgetSpent != 0 {
		t.Errorf("SLO over the sprint: bad %v, total %v (want %v), spent %v", s.SprintBad, s.SprintTotal, want, s.BudgetSpent)
	}
	if len(r.Maintenance) != 3 || r.Maintenance[1].Note != "db failover" || !r.Maintenance[0].Recurring {
		t.Errorf("maintenance: %+v", r.Maintenance)
	}
	for lang, want := range map[string]string{"en": "| 2025-03-08 09:55 UTC – 2025-03-08 11:35 UTC | 1 h 40 min | db failover |", "ja": "メンテナンスウィンドウ"} {
		md, err := Markdown(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(md), want) {
			t.Errorf("Markdown(%s) lacks %q:\n%s", lang, want, md)
		}
	}
}
