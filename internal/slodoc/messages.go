package slodoc

// messages is the text of the document in one language: every word the
// writer prints that is not data, and every sentence made of data. Numbers
// and dates come in formatted. Each language is a type that implements all
// of it (english, japanese), so a message missing in one language does not
// compile, and nothing falls back to another language.
type messages interface {
	// The document and its sections.
	Title(slo string) string
	Generated(command, config, at string) rich // how and when it was made
	HeadStatus() string
	HeadOverview() string
	HeadSLIs() string
	HeadRationale() string
	HeadBudget() string
	HeadPolicy() string
	HeadAlerting() string
	HeadReview() string
	HeadCaveats() string
	HeadApproval() string
	Approval() rich // the line to sign

	// Punctuation and small words.
	Colon() string
	Semicolon() string
	Comma() string
	And() string // between the conditions of one rule
	Paren(s string) string
	Yes() string
	No() string
	Key(k string) string // a config key before its value: "route "

	// The header table.
	ColField() string
	ColValue() string
	Status() string
	Draft() string
	Author() string
	Date() string
	Reviewers() string
	Approvers() string
	ApprovalDate() string
	RevisitDate() string
	ToFill() string
	SprintEnd(n int) string // when the revisit date is a sprint's end

	// Service overview.
	Overview(slo, service, description string) rich // description "" when the config has none
	Siblings() string                               // before the service's other SLOs
	ComponentService(slo, service string) rich      // a composite's component of another service
	RUMSource(service string, origins rich, rate string) rich
	LogsIntro(service string) rich
	Format(format string) string // a log's format: a preset, or log_format
	Wrapper(w string) string     // a container runtime's framing
	AgentSource(service string) rich
	MatchIntro() string
	ExcludeIntro() string

	// SLIs and SLOs.
	ColCategory() string
	ColSLI() string
	ColImplementation() string
	ColSLO() string
	Category(typ string) string
	ComponentOf(weight string) string // before a component's category
	// Definition says what the SLI is, for every type but availability
	// (threshold: a latency or vital's; vital: a web vital's name).
	Definition(typ, threshold, vital string) rich
	AvailabilityDefinition(bad string) rich // bad: the bad statuses
	ImplStatus(service, bad string) rich
	ImplLatency(service, variable, threshold string) rich
	ImplComposite() rich
	ImplBrowser(typ, service, vital, threshold string) rich
	AllEvents(browser bool) string // an SLO without filters (browser: of a frontend app)
	OnlyIntro(browser bool) string // before the filters of an SLO
	Over(window string) string
	Rolling(d string) string
	Calendar(kind string) string // week, month, quarter
	EachSprint() string
	HistoryApplies() rich

	// Rationale.
	NoStore(objective string) rich
	// NoHistory: no complete period with events is stored (first: the
	// oldest stored day, "" when nothing is stored).
	NoHistory(unit Unit, window, first, objective string) rich
	SuggestLater() string
	// Achieved: over n periods from from to to, the SLI ranged from worst
	// to best; the objective was met in met of them.
	Achieved(unit Unit, window string, n int, from, to, worst, best, objective string, met int) rich
	Worst(period, sli string) rich
	ColPeriod() string
	ColEvents() string
	ColBad() string
	ColAchieved() string
	ColMet() string
	Sprint(n int) string
	EmptyPeriods(n int) string
	Inexact(why string) string
	SuggestMore() string
	// SuggestOwn: over n complete windows of length window ending at a
	// UTC midnight, the objective was met in met, and the default tiers
	// would have paged pages times and opened tickets tickets (suggest
	// counts 5xx as bad).
	SuggestOwn(window string, n, met, pages, tickets int, objective string) rich
	// SuggestRecommends: suggest recommends what (an objective, and a
	// threshold for latency), met in met of n, with its pages and
	// tickets; what is "" when it recommends none.
	SuggestRecommends(what string, n, met, pages, tickets int) rich

	// Error budget.
	BudgetIs(budget, objective, period, allowed string) rich
	BudgetNow(from, to, total, budget, bad, left string) rich
	BudgetNoData(end string) rich
	CompositeBudget() string

	// Error budget policy.
	NoPolicy() rich
	PolicyIntro() rich
	ColBelow() string
	ColAction() string
	ColFreeze() string
	PolicyNoData(date string) rich
	PolicyNone(date, left string) rich
	PolicyInForce(date, left, below, action string, freeze bool) rich
	PolicyGate(command string) rich

	// Alerting.
	AlertingDisabled() rich
	AlertingIntro() rich
	ColTier() string
	ColSeverity() string
	ColShare() string
	ColLong() string
	ColShort() string
	ColBurn() string
	ColFor() string
	BurnNote(period string) string
	NoTiers() rich
	MinEvents(n string) rich
	Exhausted(severity string) rich // "" when off
	NoDataAlert(after, severity string) rich
	Runbook() string
	NoNotify() rich
	NotifyIntro() string
	Target(name, typ string, severities []string) rich

	// Review cadence.
	Sprints(length, first, zone string) rich
	NextReview(sprint int, end, command string) rich
	NoSprints(every, by string) rich // every: a duration (28d) or week, month, quarter
	Revisit() rich

	// Clarifications and caveats.
	CaveatUnlogged() rich
	CaveatTime() rich
	Caveat499() rich
	CaveatLatency(variable string) rich
	CaveatExcluded() rich
	CaveatBeacons() rich
	CaveatSample(rate string) rich
	CaveatComposite() rich
	CaveatRetention(minutes string) rich
	CaveatConfig() rich
}

// catalog returns the messages of a language, nil for a language the
// document is not written in (see Languages).
func catalog(lang string) messages {
	switch lang {
	case "en":
		return english{}
	case "ja":
		return japanese{}
	}
	return nil
}
