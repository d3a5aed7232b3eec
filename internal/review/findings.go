package review

import (
	"cmp"
	"slices"
	"time"
)

// The rules that turn the facts (Y) into findings (W) and suggestions (T).
// docs/review.md says each of them, with these thresholds.
const (
	// overspentShare is the most of an SLO's window budget a sprint may
	// spend, however long the sprint and the window are; a sprint shorter
	// than half the window may spend its even share, the sprint's length
	// over the window's (what a burn rate of 1 spends).
	overspentShare = 0.5
	// lowBudget: an SLO with less than a quarter of its window's budget
	// left is at risk (the first rule of the usual error budget policy).
	lowBudget = 0.25
	// outageShare: one route with at least half of an SLO's bad events is
	// where its outage was, when the SLO missed or the sprint spent more
	// than outageSpent of its budget.
	outageShare = 0.5
	outageSpent = 0.1
	// changeBurnShare: a change whose window after holds at least this
	// share of an SLO's sprint burn is a lead.
	changeBurnShare = 0.3
)

// findings derives the W and T sections from the facts: the findings most
// severe first (FindingKind.rank), the suggestions in SuggestionKind.rank.
func findings(r *Review) ([]Finding, []Suggestion) {
	var fs []Finding
	var ss []Suggestion
	suggest := func(s Suggestion) {
		if !slices.Contains(ss, s) {
			ss = append(ss, s)
		}
	}
	end := reviewEnd(r.Sprint, r.At)
	for _, s := range r.SLOs {
		if pages := fired(s.Alerts, "page", r.Sprint.Start); pages.Count > 0 {
			pages.Kind, pages.SLO = FindingPagesFired, s.Name
			fs = append(fs, pages)
			suggest(Suggestion{Kind: SuggestionPostmortem, SLO: s.Name, Count: pages.Count})
			if len(s.TopRoutes) > 0 {
				suggest(Suggestion{Kind: SuggestionFixRoute, SLO: s.Name, Route: s.TopRoutes[0].Key})
			}
		}
		if tickets := fired(s.Alerts, "ticket", r.Sprint.Start); tickets.Count > 0 {
			tickets.Kind, tickets.SLO = FindingTicketsFired, s.Name
			fs = append(fs, tickets)
		}
		if !s.Met {
			fs = append(fs, Finding{Kind: FindingSLOMissed, SLO: s.Name})
		}
		if len(s.TopRoutes) > 0 && s.TopRoutes[0].Share >= outageShare && s.SprintBad > 0 && (!s.Met || s.BudgetSpent > outageSpent) {
			fs = append(fs, Finding{Kind: FindingOutageRoute, SLO: s.Name, Route: s.TopRoutes[0].Key, Share: s.TopRoutes[0].Share})
			suggest(Suggestion{Kind: SuggestionFixRoute, SLO: s.Name, Route: s.TopRoutes[0].Key})
		}
		over, overspent := overspending(s, r.Sprint, end)
		if overspent {
			fs = append(fs, over)
		}
		risk, atRisk := budgetRisk(s, r.Sprint, end)
		if atRisk {
			fs = append(fs, risk)
		}
		switch {
		case s.Policy != nil:
			suggest(Suggestion{Kind: SuggestionPolicyAction, SLO: s.Name, Action: s.Policy.Action})
		case overspent || atRisk:
			suggest(Suggestion{Kind: SuggestionReliabilityWork, SLO: s.Name, Share: s.BudgetSpent, Left: s.BudgetRemaining})
		}
	}
	var services []string
	failed, total := map[string]int{}, map[string]int{}
	for _, c := range r.Changes {
		for _, b := range c.Burns {
			if b.ShareOfSprint >= changeBurnShare {
				fs = append(fs, Finding{Kind: FindingChangeBurn, SLO: b.SLO, Change: changeName(c), Route: b.TopRouteAfter, Share: b.ShareOfSprint, Window: r.ChangeWindow})
			}
		}
		if total[c.Service] == 0 {
			services = append(services, c.Service)
		}
		total[c.Service]++
		if !c.Failed {
			continue
		}
		failed[c.Service]++
		f := Finding{Kind: FindingChangeFailed, Change: changeName(c), Paged: c.Paged, Window: r.ChangeWindow}
		for _, b := range c.Burns {
			if b.After > r.FailedShare && b.After > f.Share {
				f.SLO, f.Share = b.SLO, b.After
			}
		}
		fs = append(fs, f)
		suggest(Suggestion{Kind: SuggestionReviewChange, Change: changeName(c)})
	}
	slices.Sort(services)
	for _, svc := range services {
		if failed[svc] > 0 {
			suggest(Suggestion{Kind: SuggestionGuardChanges, Service: svc, Count: failed[svc], Total: total[svc]})
		}
	}
	for _, a := range r.Toil.Recurring {
		fs = append(fs, Finding{Kind: FindingToilRecurring, Tag: a.Name, Hours: a.Hours})
		suggest(Suggestion{Kind: SuggestionAutomateToil, Tag: a.Name, Hours: a.Hours})
	}
	if r.Toil.OverCap {
		fs = append(fs, Finding{Kind: FindingToilOverCap, Share: r.Toil.Share})
		suggest(Suggestion{Kind: SuggestionReduceToil, Hours: r.Toil.Hours})
	}
	if r.Toil.SpareUsed {
		fs = append(fs, Finding{Kind: FindingSpareUsed, Hours: r.Toil.SpareHours})
	}
	learned := len(fs)
	for _, c := range r.Capacity {
		fs = append(fs, Finding{Kind: FindingCapacity, Capacity: &c})
	}
	// Keeping the pace is only for a sprint with nothing to learn: never
	// after a page, a missed objective, a failed change or a budget spent
	// (a capacity forecast is said every sprint: it is no lesson).
	if learned == 0 && len(ss) == 0 {
		ss = append(ss, Suggestion{Kind: SuggestionKeepGoing})
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Kind.rank(), b.Kind.rank()), cmp.Compare(b.Count, a.Count), cmp.Compare(b.Duration, a.Duration))
	})
	slices.SortStableFunc(ss, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(a.Kind.rank(), b.Kind.rank()), cmp.Compare(b.Count, a.Count))
	})
	return fs, ss
}

// rank orders the findings by severity: what users felt first (pages, a
// missed objective), then the budget left and spent, the changes that
// failed, tickets, where the burn came from, and the team's time.
func (k FindingKind) rank() int {
	return rank(k, FindingPagesFired, FindingSLOMissed, FindingBudgetAtRisk, FindingBudgetOverspent,
		FindingChangeFailed, FindingTicketsFired, FindingChangeBurn, FindingOutageRoute,
		FindingToilOverCap, FindingSpareUsed, FindingToilRecurring, FindingCapacity)
}

// rank orders the suggestions: the team's own policy first, then what
// follows from pages, failed changes and budgets, then toil.
func (k SuggestionKind) rank() int {
	return rank(k, SuggestionPolicyAction, SuggestionPostmortem, SuggestionFixRoute, SuggestionReviewChange,
		SuggestionGuardChanges, SuggestionReliabilityWork, SuggestionAutomateToil, SuggestionReduceToil,
		SuggestionKeepGoing)
}

// rank is k's place in order; a kind not in it goes last.
func rank[K comparable](k K, order ...K) int {
	if i := slices.Index(order, k); i >= 0 {
		return i
	}
	return len(order)
}

// fired sums up an SLO's alerts of one severity as a finding: how many,
// their tiers in the order they first fired, the time at least one was
// firing within the sprint (which starts at from), and whether one still
// was at its end.
func fired(alerts []Alert, severity string, from time.Time) Finding {
	var f Finding
	as := slices.Clone(alerts)
	slices.SortStableFunc(as, func(a, b Alert) int { return a.Fired.Compare(b.Fired) })
	var spanFrom, spanTo time.Time // the span of overlapping alerts so far
	for _, a := range as {
		if a.Severity != severity {
			continue
		}
		f.Count++
		if tier := cmp.Or(a.Tier, a.Key); !slices.Contains(f.Tiers, tier) {
			f.Tiers = append(f.Tiers, tier)
		}
		f.Firing = f.Firing || a.Resolved.IsZero()
		start := a.Fired
		if start.Before(from) {
			start = from
		}
		stop := start.Add(a.Duration)
		if f.Count == 1 || start.After(spanTo) {
			f.Duration += spanTo.Sub(spanFrom)
			spanFrom, spanTo = start, stop
		} else if stop.After(spanTo) {
			spanTo = stop
		}
	}
	f.Duration += spanTo.Sub(spanFrom)
	return f
}

// overspending says whether the sprint spent more of an SLO's window
// budget than it may: its even share of the budget (the sprint so far over
// the window's length), and at most half of it.
func overspending(s SLOReview, sp Sprint, end time.Time) (Finding, bool) {
	limit := overspentShare
	if elapsed := end.Sub(sp.Start); elapsed > 0 && s.Period > 0 {
		limit = min(limit, elapsed.Seconds()/s.Period.Seconds())
	}
	f := Finding{Kind: FindingBudgetOverspent, SLO: s.Name, Share: s.BudgetSpent, Limit: limit}
	return f, s.SprintTotal > 0 && s.BudgetSpent > limit
}

// budgetRisk says whether an SLO's budget is at risk at the sprint's end:
// spent, below lowBudget, or running out before its window ends if it goes
// on being spent at the sprint's pace (At: when). A calendar window ends
// when it resets; a rolling one never does, so it is the next sprint's end
// (at most a window's length away), the horizon the team plans for.
func budgetRisk(s SLOReview, sp Sprint, end time.Time) (Finding, bool) {
	f := Finding{Kind: FindingBudgetAtRisk, SLO: s.Name, Share: s.BudgetRemaining}
	if s.BudgetRemaining <= 0 {
		return f, true
	}
	elapsed := end.Sub(sp.Start)
	if elapsed > 0 && s.BudgetSpent > 0 {
		horizon := s.Resets
		if horizon.IsZero() {
			horizon = sp.End.Add(sp.End.Sub(sp.Start))
			if s.Period > 0 && end.Add(s.Period).Before(horizon) {
				horizon = end.Add(s.Period)
			}
		}
		// The budget left lasts left ÷ spent times the sprint so far.
		if lasts := s.BudgetRemaining / s.BudgetSpent * elapsed.Seconds(); lasts < horizon.Sub(end).Seconds() {
			f.At = end.Add(time.Duration(lasts * float64(time.Second)))
			return f, true
		}
	}
	return f, s.BudgetRemaining < lowBudget
}

func changeName(c Change) string {
	if c.Version != "" {
		return c.Version
	}
	return c.Kind + " " + c.At.UTC().Format("2006-01-02 15:04 UTC")
}
