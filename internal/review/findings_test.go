package review

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const sprintLen = 14 * 24 * time.Hour

// calmReview is a finished 14-day sprint of one SLO (avail, 28-day rolling
// window) that met its objective, spent nothing and had nothing happen:
// each rule's case below adds one thing to it.
func calmReview() *Review {
	return &Review{
		Sprint: Sprint{Number: 1, Start: day0, End: day0.Add(sprintLen), Location: time.UTC},
		At:     day0.Add(sprintLen + 9*time.Hour),
		SLOs: []SLOReview{{
			Name: "avail", Service: "web", Objective: 99, Window: "28d", Period: 28 * 24 * time.Hour,
			SprintSLI: ptr(1), SprintTotal: 100000, Met: true, WindowSLI: 1, BudgetRemaining: 1,
		}},
		ChangeWindow: 3 * time.Hour,
		FailedShare:  0.10,
	}
}

// TestFindingRules checks the rules on alerts and changes one at a time:
// the findings and suggestions a calm sprint gets with one thing added (no
// alert or one, a burn at the failed share or over it). TestBudgetRules
// checks the budget rules.
func TestFindingRules(t *testing.T) {
	end := day0.Add(sprintLen)
	keepGoing := []Suggestion{{Kind: SuggestionKeepGoing}}
	page := func(fired time.Time, d time.Duration, tier string) Alert {
		return Alert{Key: "burn/avail/" + tier, Severity: "page", Tier: tier, Fired: fired, Resolved: fired.Add(d), Duration: d}
	}
	for _, tc := range []struct {
		name  string
		edit  func(r *Review)
		wantF []Finding
		wantS []Suggestion
	}{
		{name: "nothing happened: keep going", edit: func(*Review) {}, wantS: keepGoing},

		// Pages and tickets.
		{
			name: "one page: a postmortem and the top route",
			edit: func(r *Review) {
				r.SLOs[0].Alerts = []Alert{page(day0.Add(50*time.Hour), 87*time.Minute, "page-1h")}
				r.SLOs[0].TopRoutes = []Offender{{Key: "/api/deals", Bad: 30, Share: 0.3}}
			},
			wantF: []Finding{{Kind: FindingPagesFired, SLO: "avail", Count: 1, Tiers: []string{"page-1h"}, Duration: 87 * time.Minute}},
			wantS: []Suggestion{
				{Kind: SuggestionPostmortem, SLO: "avail", Count: 1},
				{Kind: SuggestionFixRoute, SLO: "avail", Route: "/api/deals"},
			},
		},
		{
			name: "pages overlapping, one from before the sprint, one still firing: the time one fired, once",
			edit: func(r *Review) {
				before := page(day0.Add(-time.Hour), 0, "page-6h")
				before.Duration = 2 * time.Hour // fired an hour before the sprint: 2 h in it
				overlapping := page(day0.Add(90*time.Minute), 20*time.Minute, "page-1h")
				late := page(day0.Add(5*time.Hour), 10*time.Minute, "page-1h")
				open := page(end.Add(-30*time.Minute), 30*time.Minute, "page-1h")
				open.Resolved = time.Time{}
				ticket := Alert{Key: "burn/avail/ticket-1d", Severity: "ticket", Tier: "ticket-1d", Fired: day0, Resolved: day0.Add(time.Hour), Duration: time.Hour}
				r.SLOs[0].Alerts = []Alert{open, late, overlapping, ticket, before}
			},
			wantF: []Finding{
				{Kind: FindingPagesFired, SLO: "avail", Count: 4, Tiers: []string{"page-6h", "page-1h"}, Duration: 2*time.Hour + 40*time.Minute, Firing: true},
				{Kind: FindingTicketsFired, SLO: "avail", Count: 1, Tiers: []string{"ticket-1d"}, Duration: time.Hour},
			},
			wantS: []Suggestion{{Kind: SuggestionPostmortem, SLO: "avail", Count: 4}},
		},
		{
			name: "a ticket alone: a finding, no suggestion, and not keep going",
			edit: func(r *Review) {
				r.SLOs[0].Alerts = []Alert{{Key: "burn/avail/ticket-3d", Severity: "ticket", Fired: day0, Resolved: day0.Add(25 * time.Minute), Duration: 25 * time.Minute}}
			},
			wantF: []Finding{{Kind: FindingTicketsFired, SLO: "avail", Count: 1, Tiers: []string{"burn/avail/ticket-3d"}, Duration: 25 * time.Minute}},
		},

		// Failed changes.
		{
			name: "a change that paged, burning no more than the failed share",
			edit: func(r *Review) {
				r.Changes = []Change{
					{Service: "web", Kind: "deploy", Version: "v2", At: day0.Add(time.Hour), Paged: true, Failed: true,
						Burns: []ChangeBurn{{SLO: "avail", After: 0.10}}},
					{Service: "web", Kind: "deploy", Version: "v3", At: day0.Add(48 * time.Hour), Burns: []ChangeBurn{{SLO: "avail", After: 0.02}}},
				}
			},
			wantF: []Finding{{Kind: FindingChangeFailed, Change: "v2", Paged: true, Window: 3 * time.Hour}},
			wantS: []Suggestion{
				{Kind: SuggestionReviewChange, Change: "v2"},
				{Kind: SuggestionGuardChanges, Service: "web", Count: 1, Total: 2},
			},
		},
		{
			name: "a change that burned just over the failed share: the SLO it burned most",
			edit: func(r *Review) {
				r.Changes = []Change{{Service: "web", Kind: "config", At: day0.Add(time.Hour), Failed: true,
					Burns: []ChangeBurn{{SLO: "avail", After: 0.101}, {SLO: "latency", After: 0.12}}}}
			},
			wantF: []Finding{{Kind: FindingChangeFailed, Change: "config 2025-03-03 01:00 UTC", SLO: "latency", Share: 0.12, Window: 3 * time.Hour}},
			wantS: []Suggestion{
				{Kind: SuggestionReviewChange, Change: "config 2025-03-03 01:00 UTC"},
				{Kind: SuggestionGuardChanges, Service: "web", Count: 1, Total: 1},
			},
		},
		{
			name: "changes that did not fail: keep going",
			edit: func(r *Review) {
				r.Changes = []Change{{Service: "web", Kind: "deploy", Version: "v2", At: day0, Burns: []ChangeBurn{{SLO: "avail", After: 0.10}}}}
			},
			wantS: keepGoing,
		},

		// Nothing but a change burn: nothing to suggest, but something learned.
		{
			name: "a change followed by a third of a small burn",
			edit: func(r *Review) {
				r.Changes = []Change{{Service: "web", Kind: "deploy", Version: "v2", At: day0, Burns: []ChangeBurn{{SLO: "avail", After: 0.001, ShareOfSprint: 0.3}}}}
			},
			wantF: []Finding{{Kind: FindingChangeBurn, SLO: "avail", Change: "v2", Share: 0.3, Window: 3 * time.Hour}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := calmReview()
			tc.edit(r)
			fs, ss := findings(r)
			diffFindings(t, fs, ss, tc.wantF, tc.wantS)
		})
	}
}

// diffFindings compares the findings and suggestions with the wanted ones,
// shares to 1e-9 and instants to the second.
func diffFindings(t *testing.T, fs []Finding, ss []Suggestion, wantF []Finding, wantS []Suggestion) {
	t.Helper()
	opts := cmp.Options{cmpopts.EquateApprox(0, 1e-9), cmpopts.EquateApproxTime(time.Second), cmpopts.EquateEmpty()}
	if d := cmp.Diff(wantF, fs, opts); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantS, ss, opts); d != "" {
		t.Errorf("suggestions (-want +got):\n%s", d)
	}
}

// TestBudgetRules checks the budget rules at their thresholds: a sprint
// overspent when it spent more than its even share (its length over the
// window's) or half the budget, the lower; the budget is at risk when less
// than a quarter is left, or when what is left runs out at the sprint's
// pace before the window ends (a calendar window's reset; for a rolling
// one the next sprint's end, at most a window's length away). Either
// suggests reliability work, unless a policy rule is in force.
func TestBudgetRules(t *testing.T) {
	const none = -1.0
	end := day0.Add(sprintLen)
	days := func(n float64) time.Duration { return time.Duration(n * float64(24*time.Hour)) }
	for _, tc := range []struct {
		name        string
		spent, left float64
		window      float64 // days; 0: 28
		calendar    bool    // the window resets, resets days after the sprint's end
		resets      float64 //
		sofar       float64 // days of a sprint in progress; 0: the sprint is over
		limit       float64 // overspent above this share (none: not overspent)
		atRisk      bool
		runsOut     float64 // days after the review's end the budget left runs out (0: not projected)
	}{
		{name: "half of a 28d budget in 14 days", spent: 0.5, left: 0.5, limit: none},
		{name: "just over half of a 28d budget", spent: 0.501, left: 0.6, limit: 0.5},
		{name: "just under the even share of a 30d window", spent: 0.466, left: 0.6, window: 30, limit: none},
		{name: "just over the even share of a 30d window", spent: 0.467, left: 0.6, window: 30, limit: 14.0 / 30},
		{name: "a 7d window: half its budget still is the most", spent: 0.51, left: 0.9, window: 7, limit: 0.5},
		{name: "in progress, 7 days of 28: just under a quarter", spent: 0.24, left: 0.9, sofar: 7, limit: none},
		{name: "in progress, 7 days of 28: just over a quarter", spent: 0.26, left: 0.9, sofar: 7, limit: 0.25},
		{name: "a quarter left", left: 0.25, limit: none},
		{name: "just under a quarter left", left: 0.249, limit: none, atRisk: true},
		{name: "nothing left", left: 0, limit: none, atRisk: true},
		{name: "overspent, not projected", spent: 1.2, left: -0.2, limit: 0.5, atRisk: true},
		{name: "what is left lasts exactly to the next sprint's end", spent: 0.3, left: 0.3, limit: none},
		{name: "what is left runs out just before", spent: 0.31, left: 0.3, limit: none, atRisk: true, runsOut: 14 * 0.3 / 0.31},
		{name: "a rolling 8d window: what is left outlasts it", spent: 0.43, left: 0.25, window: 8, limit: none},
		{name: "a rolling 8d window: runs out within it", spent: 0.45, left: 0.25, window: 8, limit: none, atRisk: true, runsOut: 14 * 0.25 / 0.45},
		{name: "a calendar window resetting in 3 days: lasts them", spent: 1.3, left: 0.3, calendar: true, resets: 3, limit: 0.5},
		{name: "a calendar window resetting in 3 days: runs out before", spent: 1.5, left: 0.3, calendar: true, resets: 3, limit: 0.5, atRisk: true, runsOut: 14 * 0.3 / 1.5},
		{name: "a sprint window: resets as the sprint ends", spent: 0.2, left: 0.3, window: 14, calendar: true, limit: none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := calmReview()
			s := &r.SLOs[0]
			s.BudgetSpent, s.BudgetRemaining = tc.spent, tc.left
			if tc.window > 0 {
				s.Period = days(tc.window)
			}
			if tc.calendar {
				s.Resets = end.Add(days(tc.resets))
			}
			reviewed := end
			if tc.sofar > 0 {
				r.At = day0.Add(days(tc.sofar))
				reviewed = r.At
			}
			var wantF []Finding
			if tc.atRisk {
				f := Finding{Kind: FindingBudgetAtRisk, SLO: "avail", Share: tc.left}
				if tc.runsOut > 0 {
					f.At = reviewed.Add(days(tc.runsOut))
				}
				wantF = append(wantF, f)
			}
			if tc.limit != none {
				wantF = append(wantF, Finding{Kind: FindingBudgetOverspent, SLO: "avail", Share: tc.spent, Limit: tc.limit})
			}
			wantS := []Suggestion{{Kind: SuggestionKeepGoing}}
			if len(wantF) > 0 {
				wantS = []Suggestion{{Kind: SuggestionReliabilityWork, SLO: "avail", Share: tc.spent, Left: tc.left}}
			}
			fs, ss := findings(r)
			diffFindings(t, fs, ss, wantF, wantS)

			// Under a policy rule, its action instead of reliability work.
			s.Policy = &PolicyState{Below: 25, Action: "reliability work first"}
			if _, ss := findings(r); len(wantF) > 0 && slices.ContainsFunc(ss, func(s Suggestion) bool { return s.Kind == SuggestionReliabilityWork }) {
				t.Errorf("reliability work under a policy rule: %+v", ss)
			}
		})
	}
}

// TestFindingsBySeverity: pages come first, the SLO with the most pages
// first; the suggestions start with the policy and the postmortems.
func TestFindingsBySeverity(t *testing.T) {
	r := calmReview()
	calm := r.SLOs[0]
	r.SLOs = nil
	for _, name := range []string{"a", "b"} {
		s := calm
		s.Name, s.Met, s.BudgetSpent, s.BudgetRemaining = name, false, 0.6, 0.1
		s.Policy = &PolicyState{Below: 25, Action: "reliability work first"}
		r.SLOs = append(r.SLOs, s)
	}
	r.SLOs[0].Alerts = []Alert{{Severity: "page", Tier: "page-1h", Fired: day0, Duration: time.Hour}}
	r.SLOs[1].Alerts = []Alert{
		{Severity: "ticket", Tier: "ticket-1d", Fired: day0, Duration: time.Hour},
		{Severity: "page", Tier: "page-1h", Fired: day0, Duration: time.Hour},
		{Severity: "page", Tier: "page-6h", Fired: day0.Add(2 * time.Hour), Duration: time.Hour},
	}
	r.Changes = []Change{{Service: "web", Version: "v2", At: day0, Paged: true, Failed: true, Burns: []ChangeBurn{{SLO: "a", ShareOfSprint: 0.5}}}}
	r.Toil = Toil{Recurring: []Amount{{Name: "db-restart", Hours: 3, Count: 2}}, OverCap: true, Share: 0.6, SpareUsed: true}

	fs, ss := findings(r)
	type kindOf struct {
		Kind FindingKind
		SLO  string
	}
	var got []kindOf
	for _, f := range fs {
		got = append(got, kindOf{f.Kind, f.SLO})
	}
	want := []kindOf{
		{FindingPagesFired, "b"}, {FindingPagesFired, "a"},
		{FindingSLOMissed, "a"}, {FindingSLOMissed, "b"},
		{FindingBudgetAtRisk, "a"}, {FindingBudgetAtRisk, "b"},
		{FindingBudgetOverspent, "a"}, {FindingBudgetOverspent, "b"},
		{FindingChangeFailed, ""},
		{FindingTicketsFired, "b"},
		{FindingChangeBurn, "a"},
		{FindingToilOverCap, ""}, {FindingSpareUsed, ""}, {FindingToilRecurring, ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("findings in order (-want +got):\n%s", d)
	}
	var kinds []SuggestionKind
	for _, s := range ss {
		kinds = append(kinds, s.Kind)
	}
	wantKinds := []SuggestionKind{
		SuggestionPolicyAction, SuggestionPolicyAction, SuggestionPostmortem, SuggestionPostmortem,
		SuggestionReviewChange, SuggestionGuardChanges, SuggestionAutomateToil, SuggestionReduceToil,
	}
	if d := cmp.Diff(wantKinds, kinds); d != "" {
		t.Errorf("suggestions in order (-want +got):\n%s", d)
	}
	if ss[2].SLO != "b" {
		t.Errorf("the first postmortem is of %q, want b (2 pages)", ss[2].SLO)
	}
}

// TestSampleFindings: the W and T of the golden sample are what the rules
// find in its facts (but for the outage's status and the spare hours, left
// out to show how the renderers fill them in).
func TestSampleFindings(t *testing.T) {
	r := sampleReview()
	fs, ss := findings(r)
	opts := cmp.Options{cmpopts.IgnoreFields(Finding{}, "Status", "Hours"), cmpopts.EquateApproxTime(time.Minute)}
	if d := cmp.Diff(r.Findings, fs, opts); d != "" {
		t.Errorf("findings (-sample +found):\n%s", d)
	}
	if d := cmp.Diff(r.Suggestions, ss); d != "" {
		t.Errorf("suggestions (-sample +found):\n%s", d)
	}
}
