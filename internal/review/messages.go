package review

// messages is the text of the review in one language: every word the
// renderers print that is not data, and every sentence made of data.
// Numbers come in raw and each language formats them (with the shared
// pct, fmtHours, report.FormatSLI…). Each language is a type that implements all of
// it (english, japanese), so a message missing in one language does not
// compile, and nothing falls back to another language.
type messages interface {
	// The document.
	Title(sprint int, from, to string) string // from and to: dates
	MetaAll(at string) rich                   // the review of every service, computed at
	MetaService(service, at string) rich      // the review of one service, computed at
	HeadingY() string                         // what we did
	HeadingW() string                         // what we learned
	HeadingT() string                         // what we do next

	// Punctuation and units.
	Colon() string                  // after a name, before what is said of it
	Semicolon() string              // between the parts of a line
	Comma() string                  // between the items of a run
	Paren(s string) string          // s in parentheses, after a word
	Hours(h float64) string         // an amount of hours: 6 h
	Minutes(m int64) string         // a duration under an hour: 45 min
	HoursMinutes(h, m int64) string // a duration of whole hours and minutes, both > 0
	UnderAMinute() string           // a duration under a minute
	Entries(n int) string           // a count of toil entries

	// Y: SLOs.
	SLOs() string
	NoSLOs() string
	ColObjective() string
	ColSprintSLI() string
	ColMet() string
	ColBadEvents() string
	ColBudgetSpent() string
	ColBudgetLeft() string
	ColWindowSLI() string
	NoData() string     // the sprint SLI of an SLO without events
	BudgetNote() string // what the budget columns mean
	PolicyIntro() string
	// PolicyWhen says when a policy rule applies, after its action
	// (below: percent of budget left).
	PolicyWhen(below float64, freeze bool) string
	WhereIntro() string // before the lines of where the bad events came from
	Routes() string     // before the top routes
	Statuses() string   // before the top statuses

	// Y: alerts.
	Alerts() string
	NoAlerts() string
	ColAlert() string
	ColSeverity() string
	ColFired() string
	ColResolved() string
	ColDuration() string
	StillFiring() string

	// Y: changes.
	Changes() string
	NoChanges() string
	ColWhen() string
	ColService() string
	ColChange() string
	ColKind() string
	ColBurn() string
	ColResult() string
	Failed() string
	ReasonPage() string
	ReasonBudget() string
	JoinReasons(why []string) string
	ChangeFailureRate(rate float64, failed, changes int) string
	// ChangeNote says what the burn columns mean and when a change failed
	// (failedShare 0: only a page makes it fail).
	ChangeNote(window string, failedShare float64) string

	// Y: maintenance windows (shown only when the sprint has some).
	Maintenance() string
	ColNote() string
	Weekly() string          // a window that repeats weekly
	AllServices() string     // the service of a window of every service
	MaintenanceNote() string // that their events were left out

	// Y: toil.
	Toil() string
	NoToil() string
	ToilSummary(t Toil) string
	// Spare says how the spare capacity went; interrupts < 0: no toil of
	// the category "interrupt".
	Spare(spare, interrupts float64, used bool) string
	ColCategory() string
	ColTag() string
	ColHours() string
	ColEntries() string
	Recurring(tags rich) rich // the line of the recurring tags, each with its hours and entries
	TrendIntro() string
	ColSprint() string
	ColStart() string
	ColToil() string
	ColShare() string
	ThisSprint() string

	// W: findings (see FindingKind).
	NoFindings() string
	// PagesFired and TicketsFired say how many alerts of the severity
	// fired for an SLO, their tiers, how long one was firing within the
	// sprint, and whether one still was at its end (open).
	PagesFired(slo string, count int, tiers rich, firing string, open bool) rich
	TicketsFired(slo string, count int, tiers rich, firing string, open bool) rich
	// ChangeFailed says why a change failed: a page in the window after it
	// (paged), and the largest burn there above the failed share (slo ""
	// without).
	ChangeFailed(change string, paged bool, slo string, share float64, window string) rich
	// BudgetOverspent: an SLO spent more than limit of its budget in the
	// sprint (limit: half, or less for the even share of a short sprint).
	BudgetOverspent(slo string, spent, limit float64) rich
	// BudgetAtRisk: an SLO's budget left is spent (left ≤ 0), runs out
	// around a date at the sprint's pace (runsOut "" when not), or is low.
	BudgetAtRisk(slo string, left float64, runsOut string) rich
	ChangeBurn(slo, change, route string, share float64, window string) rich // route "" unknown
	// OutageRoute says where an SLO's bad events came from: route or
	// status "" when unknown; most: more than half of them.
	OutageRoute(slo, route, status string, share float64, most bool) rich
	SLOMissed(slo, sli, objective string) rich // sli "" without events
	ToilRecurs(tag string, hours float64) rich
	ToilOverCap(share float64) rich
	SpareUsed(hours float64) rich // hours 0: unknown
	// CapacityForecast says when a service's peak reaches level percent
	// of its tested capacity at its current weekly growth: in days (date
	// the day; days < 0 and date "": not within two years), or already
	// (already); growth nil: too little history to tell.
	CapacityForecast(service string, level int, growth *float64, days int, date string, already bool) rich

	// T: suggestions (see SuggestionKind).
	NoSuggestions() string
	EditHint() rich
	PolicyAction(slo, action string, rule *PolicyState) rich // rule: the one in force, nil if none
	AutomateToil(tag string, hours float64) rich
	ReduceToilOf(tag string, hours float64) rich
	ReduceToil(hours, share float64) rich
	FixRoute(route, slo string) rich
	ReviewChange(change string) rich
	Postmortem(slo string, pages int) rich
	GuardChanges(service string, failed, changes int) rich
	ReliabilityWork(slo string, spent, left float64) rich
	KeepGoing() rich
}

// catalog returns the messages of a language, nil for a language the
// review is not written in (see Languages).
func catalog(lang string) messages {
	switch lang {
	case "en":
		return english{}
	case "ja":
		return japanese{}
	}
	return nil
}
