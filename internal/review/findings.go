package review

// The rules that turn the facts (Y) into findings (W) and suggestions (T).

// findings derives the W and T sections from the facts.
func findings(r *Review) ([]Finding, []Suggestion) {
	var fs []Finding
	var ss []Suggestion
	allMet := true
	for _, s := range r.SLOs {
		if !s.Met {
			allMet = false
			fs = append(fs, Finding{Kind: FindingSLOMissed, SLO: s.Name})
		}
		if len(s.TopRoutes) > 0 && s.TopRoutes[0].Share >= 0.5 && s.SprintBad > 0 && (!s.Met || s.BudgetSpent > 0.1) {
			fs = append(fs, Finding{Kind: FindingOutageRoute, SLO: s.Name, Route: s.TopRoutes[0].Key, Share: s.TopRoutes[0].Share})
			ss = append(ss, Suggestion{Kind: SuggestionFixRoute, SLO: s.Name, Route: s.TopRoutes[0].Key})
		}
		if s.Policy != nil {
			ss = append(ss, Suggestion{Kind: SuggestionPolicyAction, SLO: s.Name, Action: s.Policy.Action})
		}
	}
	for _, c := range r.Changes {
		for _, b := range c.Burns {
			if b.ShareOfSprint >= 0.3 {
				fs = append(fs, Finding{Kind: FindingChangeBurn, SLO: b.SLO, Change: changeName(c), Route: b.TopRouteAfter, Share: b.ShareOfSprint, Window: r.ChangeWindow})
			}
		}
		if c.Failed {
			ss = append(ss, Suggestion{Kind: SuggestionReviewChange, Change: changeName(c)})
		}
	}
	for _, a := range r.Toil.Recurring {
		fs = append(fs, Finding{Kind: FindingToilRecurring, Tag: a.Name, Hours: a.Hours})
		ss = append(ss, Suggestion{Kind: SuggestionAutomateToil, Tag: a.Name, Hours: a.Hours})
	}
	if r.Toil.OverCap {
		fs = append(fs, Finding{Kind: FindingToilOverCap, Share: r.Toil.Share})
		ss = append(ss, Suggestion{Kind: SuggestionReduceToil, Hours: r.Toil.Hours})
	}
	if r.Toil.SpareUsed {
		fs = append(fs, Finding{Kind: FindingSpareUsed, Hours: r.Toil.SpareHours})
	}
	if allMet && len(ss) == 0 {
		ss = append(ss, Suggestion{Kind: SuggestionKeepGoing})
	}
	return fs, ss
}

func changeName(c Change) string {
	if c.Version != "" {
		return c.Version
	}
	return c.Kind + " " + c.At.UTC().Format("2006-01-02 15:04 UTC")
}
