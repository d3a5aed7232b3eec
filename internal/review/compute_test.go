package review

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

var day0 = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)

// testConfig: a 99% / 7-day availability SLO of service web, with sprints
// and a policy.
const testConfig = `
storage: {retention: {minutes: forever}}
sprints: {start: 2025-03-03, length: 14d, capacity: {people: 2, hours: 10, spare: 20}}
policy:
  - {below: 25, action: reliability work first}
  - {below: 0, action: feature freeze except fixes, freeze: true}
changes: {window: 3h, failed_share: 10}
services: [{name: web, logs: [{path: /dev/null}]}]
slos:
  - {name: avail, service: web, objective: 99, window: 7d, sli: {type: availability}}
`

// TestBurnAfterChangeByHand: 2 days of 100 requests a minute; 2 errors a
// minute for the 30 minutes before a deploy, 10 a minute for the hour after.
func TestBurnAfterChangeByHand(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, testConfig)
	deploy := day0.Add(36 * time.Hour)
	headroomtest.Traffic(t, st, "web", day0, 2*24*60, 100, func(m time.Time) int {
		switch {
		case !m.Before(deploy.Add(-30*time.Minute)) && m.Before(deploy):
			return 2
		case !m.Before(deploy) && m.Before(deploy.Add(time.Hour)):
			return 10
		}
		return 0
	})
	ctx := context.Background()
	// The budget: ε × the window's events = 0.01 × 2 days × 1,440 × 100.
	budget := 0.01 * 2 * 1440 * 100
	b, err := BurnAround(ctx, eng, "avail", deploy, 3*time.Hour, budget)
	if err != nil {
		t.Fatal(err)
	}
	// After: 60 minutes × 10 = 600 bad → 600/2880; before: 30 × 2 = 60.
	if b.BadAfter != 600 || math.Abs(b.After-600.0/2880) > 1e-12 || math.Abs(b.Before-60.0/2880) > 1e-12 || b.TopRouteAfter != "/api/deals" {
		t.Errorf("burn around the deploy: %+v, want 600 bad after, 600/2880 = %.6f after, 60/2880 = %.6f before", b, 600.0/2880, 60.0/2880)
	}
	// In the review: the change failed (it burned 20.8% > 10% of the
	// budget), and the finding says it burned the whole sprint's burn.
	if _, err := st.AddChanges(ctx, []store.ChangeEvent{{Service: "web", Kind: "deploy", Version: "v1.4.2", At: deploy}}); err != nil {
		t.Fatal(err)
	}
	sprints := NewSprints(cfg)
	r, err := Build(ctx, Inputs{Config: cfg, Engine: eng, Store: st, Sprints: sprints}, sprints.At(day0), "", day0.Add(2*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Changes) != 1 || !r.Changes[0].Failed || r.ChangeFailureRate == nil || *r.ChangeFailureRate != 1 {
		t.Fatalf("changes %+v", r.Changes)
	}
	cb := r.Changes[0].Burns[0]
	if math.Abs(cb.ShareOfSprint-600.0/660) > 1e-12 {
		t.Errorf("share of the sprint's burn after the deploy: %v, want 600/660", cb.ShareOfSprint)
	}
	var found bool
	for _, f := range r.Findings {
		found = found || f.Kind == FindingChangeBurn && f.Change == "v1.4.2" && f.Route == "/api/deals"
	}
	if !found {
		t.Errorf("no change_burn finding: %+v", r.Findings)
	}
}

// TestPolicyFlipsToFreeze: as the budget is spent the policy goes from ok
// to reliability work first (below 25%) to a freeze (below 0).
func TestPolicyFlipsToFreeze(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, testConfig)
	ctx := context.Background()
	check := func(at time.Time, want string, action string) {
		t.Helper()
		p, err := Policy(ctx, cfg, eng, "web", at)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != want || p.SLOs[0].Action != action {
			t.Errorf("at %v: %s %+v, want %s %q", at, p.Status, p.SLOs, want, action)
		}
	}
	// A clean day: the whole budget left.
	headroomtest.Traffic(t, st, "web", day0, 1440, 100, func(time.Time) int { return 0 })
	check(day0.Add(24*time.Hour), "ok", "")
	// 1% errors on day 2: the window's error ratio is 0.5%, half the
	// budget left: ok.
	headroomtest.Traffic(t, st, "web", day0.Add(24*time.Hour), 1440, 100, func(time.Time) int { return 1 })
	check(day0.Add(48*time.Hour), "ok", "")
	// 23 hours of day 3 at 2%: 4,200 bad of 426,000, 1.4% of the budget
	// left, under 25%: reliability work first, no freeze.
	headroomtest.Traffic(t, st, "web", day0.Add(48*time.Hour), 1440, 100, func(time.Time) int { return 2 })
	check(day0.Add(71*time.Hour), "ok", "reliability work first")
	// Day 4 at 5%: 11,520 bad of 576,000, 2%: overspent, a freeze.
	headroomtest.Traffic(t, st, "web", day0.Add(72*time.Hour), 1440, 100, func(time.Time) int { return 5 })
	check(day0.Add(96*time.Hour), "freeze", "feature freeze except fixes")
}

// TestReviewFromDataGolden builds a sprint review from a stored data set —
// traffic with an outage after a deploy, three deploys, a page that fired
// and resolved, toil entries over the cap with a recurring tag — and
// compares its Markdown in English and Japanese with golden files.
func TestReviewFromDataGolden(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, testConfig)
	ctx := context.Background()
	outage := day0.Add(5*24*time.Hour + 10*time.Hour) // Saturday 10:00
	headroomtest.Traffic(t, st, "web", day0, 14*24*60, 100, func(m time.Time) int {
		if !m.Before(outage) && m.Before(outage.Add(90*time.Minute)) {
			return 40
		}
		return 0
	})
	if _, err := st.AddChanges(ctx, []store.ChangeEvent{
		{Service: "web", Kind: "deploy", Version: "v1.4.1", At: day0.Add(2 * 24 * time.Hour)},
		{Service: "web", Kind: "deploy", Version: "v1.4.2", At: outage.Add(-10 * time.Minute)},
		{Service: "web", Kind: "config", Version: "flags-7", At: outage.Add(3 * 24 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	page := func(at time.Time, from, to string) store.AlertEvent {
		b, _ := json.Marshal(map[string]any{
			"state": map[string]any{"key": "burn/avail/page-1h", "kind": "burn", "slo": "avail", "service": "web", "tier": "page-1h", "severity": "page", "phase": to},
			"from":  from, "to": to, "at": at,
		})
		return store.AlertEvent{Key: "burn/avail/page-1h", At: at, Data: b}
	}
	if err := st.SaveAlerts(ctx, nil, []store.AlertEvent{page(outage.Add(3*time.Minute), "inactive", "firing"), page(outage.Add(95*time.Minute), "firing", "inactive")}, nil); err != nil {
		t.Fatal(err)
	}
	for i, e := range []store.ToilEntry{
		{Minutes: 300, Category: "interrupt", Tag: "db-restart"},
		{Minutes: 240, Category: "interrupt", Tag: "db-restart"},
		{Minutes: 180, Category: "manual", Tag: "cert-renewal"},
	} {
		e.At = day0.Add(time.Duration(24*(i+1)) * time.Hour)
		if _, err := st.AddToil(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	sprints := NewSprints(cfg)
	r, err := Build(ctx, Inputs{Config: cfg, Engine: eng, Store: st, Sprints: sprints}, sprints.At(day0), "", day0.Add(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ja"} {
		md, err := Markdown(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "sprint_from_data_"+lang+".md", md)
	}
	// The facts the golden files show, checked by hand: 90 minutes × 40
	// bad = 3,600 bad of 14 days × 144,000 = 2,016,000 (99.82%: met); the
	// deploy 10 minutes before the outage has all of it in its 3 h; the
	// sprint spent 3,600 of the 7-day window's 0.01 × 1,008,000 = 10,080.
	s := r.SLOs[0]
	if s.SprintBad != 3600 || s.SprintTotal != 14*1440*100 || !s.Met || math.Abs(s.BudgetSpent-3600.0/10080) > 1e-12 || s.Period != 7*24*time.Hour || !s.Resets.IsZero() {
		t.Errorf("SLO over the sprint: %+v", s)
	}
	var v142 *Change
	for i := range r.Changes {
		if r.Changes[i].Version == "v1.4.2" {
			v142 = &r.Changes[i]
		}
	}
	if v142 == nil || v142.Burns[0].BadAfter != 3600 || math.Abs(v142.Burns[0].After-3600.0/10080) > 1e-12 || !v142.Paged || !v142.Failed || len(s.Alerts) != 1 || s.Alerts[0].Duration != 92*time.Minute {
		t.Errorf("v1.4.2: %+v; alerts %+v", v142, s.Alerts)
	}
	if r.Toil.Hours != 12 || !r.Toil.OverCap || len(r.Toil.Recurring) != 1 || r.Toil.Recurring[0].Name != "db-restart" {
		t.Errorf("toil: %+v", r.Toil)
	}
	// W: the page first, then the failed deploy. 36% of the budget in a
	// sprint of two 7-day windows is under half of it, and with the
	// outage out of the window at the sprint's end the whole budget is
	// left: neither overspent nor at risk. T: never keep the pace.
	var kinds []FindingKind
	for _, f := range r.Findings {
		kinds = append(kinds, f.Kind)
	}
	want := []FindingKind{FindingPagesFired, FindingChangeFailed, FindingChangeBurn, FindingOutageRoute, FindingToilOverCap, FindingSpareUsed, FindingToilRecurring}
	if !slices.Equal(kinds, want) {
		t.Errorf("findings %v, want %v", kinds, want)
	}
	if f := r.Findings[0]; f.SLO != "avail" || f.Count != 1 || f.Duration != 92*time.Minute {
		t.Errorf("the page: %+v", f)
	}
	if slices.ContainsFunc(r.Suggestions, func(s Suggestion) bool { return s.Kind == SuggestionKeepGoing }) ||
		!slices.ContainsFunc(r.Suggestions, func(s Suggestion) bool { return s.Kind == SuggestionPostmortem && s.SLO == "avail" }) {
		t.Errorf("suggestions: %+v", r.Suggestions)
	}
}

// TestWindowLengthAndReset: the review knows each SLO's window length and,
// for calendar and sprint windows, when the window holding the sprint's
// end is over — what the budget rules measure the sprint against.
func TestWindowLengthAndReset(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, `
storage: {retention: {minutes: forever}}
sprints: {start: 2025-03-03, length: 14d}
services: [{name: web, logs: [{path: /dev/null}]}]
slos:
  - {name: rolling, service: web, objective: 99, window: 7d, sli: {type: availability}}
  - {name: monthly, service: web, objective: 99, window: month, sli: {type: availability}}
  - {name: sprintly, service: web, objective: 99, window: sprint, sli: {type: availability}}
`)
	headroomtest.Traffic(t, st, "web", day0, 60, 100, func(time.Time) int { return 1 })
	sprints := NewSprints(cfg)
	sp := sprints.At(day0)
	for _, c := range []struct {
		name   string
		now    time.Time
		period time.Duration
		resets time.Time
	}{
		{"rolling", sp.End, 7 * 24 * time.Hour, time.Time{}},
		{"monthly", sp.End, 31 * 24 * time.Hour, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)},
		{"sprintly", sp.End, 14 * 24 * time.Hour, sp.End},
		// In progress on 2025-03-10: still March, still sprint 1.
		{"monthly", day0.Add(7 * 24 * time.Hour), 31 * 24 * time.Hour, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)},
	} {
		r, err := Build(context.Background(), Inputs{Config: cfg, Engine: eng, Store: st, Sprints: sprints}, sp, "", c.now)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(r.SLOs, func(s SLOReview) bool { return s.Name == c.name })
		if i < 0 {
			t.Fatalf("no SLO %s in the review", c.name)
		}
		if s := r.SLOs[i]; s.Period != c.period || !s.Resets.Equal(c.resets) {
			t.Errorf("%s as of %v: period %v, resets %v; want %v, %v", s.Name, c.now, s.Period, s.Resets, c.period, c.resets)
		}
	}
}
