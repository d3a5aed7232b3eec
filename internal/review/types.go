// Package review prepares a team's sprint SLO review: per SLO what the
// sprint spent and why, the changes shipped and what they burned, the toil
// logged against the sprint's capacity, and the error budget policy — as
// YWT (Y: what we did, W: what we learned, T: what we do next).
package review

import (
	"time"

	"github.com/headroom-slo/headroom/internal/report"
)

// Review is one sprint's review: the facts (Y), the findings computed from
// them (W) and suggestions (T), in a form the renderers print.
type Review struct {
	Service string // "" for every service
	Sprint  Sprint
	At      time.Time // when the review was computed
	SLOs    []SLOReview
	Changes []Change
	// ChangeFailureRate is the share of the sprint's changes that failed
	// (a page fired or more than FailedShare of the budget burned in the
	// Window after it); nil without changes.
	ChangeFailureRate *float64
	ChangeWindow      time.Duration
	FailedShare       float64
	Toil              Toil
	// Maintenance are the maintenance windows in the sprint, whose events
	// every number of the review leaves out.
	Maintenance []report.Window
	Findings    []Finding    // W
	Suggestions []Suggestion // T

	// Capacity is the forecast of each service with a declared capacity
	// (services[].capacity), as of the review's end.
	Capacity []CapacityForecast
}

// Sprint is one sprint: [Start, End) in the configured time zone.
type Sprint struct {
	Number     int // 1 for the first sprint
	Start, End time.Time
	Location   *time.Location
}

// SLOReview is one SLO over the sprint.
type SLOReview struct {
	Name, Service string
	Objective     float64 // percent
	Window        string
	// SprintSLI and SprintEvents are over the sprint; WindowSLI and
	// BudgetRemaining over the SLO's window as of the sprint's end.
	SprintSLI       *float64 // nil without events
	SprintTotal     float64
	SprintBad       float64
	Met             bool    // SprintSLI ≥ objective (true without events)
	WindowSLI       float64 // over the window as of the sprint's end
	BudgetRemaining float64 // share of the window's budget left at the sprint's end
	// BudgetSpent is the share of the window's error budget the sprint's
	// bad events used: sprint bad ÷ (ε × the window's events).
	BudgetSpent float64
	// Period is the window's whole length (a calendar window's week, month
	// or quarter) and Resets, for a calendar or sprint window, when the
	// window holding the sprint's end is over (zero for a rolling window).
	Period      time.Duration
	Resets      time.Time
	Alerts      []Alert      // alerts of this SLO that fired in the sprint
	TopRoutes   []Offender   // where the sprint's bad events came from
	TopStatuses []Offender   //
	Policy      *PolicyState // the error budget policy rule in force at the sprint's end, if any
}

// Offender is a route or status with its bad events and share of the
// sprint's bad events.
type Offender struct {
	Key   string
	Bad   float64
	Share float64
}

// Alert is an alert that fired in the sprint.
type Alert struct {
	Key      string // burn/web-availability/page-1h
	Severity string
	Tier     string
	Fired    time.Time
	Resolved time.Time     // zero: still firing at the sprint's end
	Duration time.Duration // firing time within the sprint
}

// Change is a change event (a deploy, a config change, a flag flip).
type Change struct {
	Service, Kind, Version, Description string
	At                                  time.Time
	// Per SLO of the service: budget burned in the window after the
	// change and in the same length before it, as shares of the SLO's
	// window budget.
	Burns  []ChangeBurn
	Paged  bool // a page fired in the window after it
	Failed bool // paged, or an SLO's burn after exceeded the failed share
}

// ChangeBurn is one SLO's burn around a change.
type ChangeBurn struct {
	SLO           string
	Before, After float64 // shares of the window's error budget
	BadAfter      float64 // bad events in the window after
	TopRouteAfter string  // the route with the most bad events after ("" without)
	ShareOfSprint float64 // BadAfter ÷ the sprint's bad events of this SLO
}

// Toil is the sprint's toil against its capacity.
type Toil struct {
	Hours         float64
	CapacityHours float64      // people × hours
	Share         float64      // Hours ÷ CapacityHours
	SpareHours    float64      // capacity kept spare for interrupts
	SpareUsed     bool         // interrupts used all the spare
	OverCap       bool         // above the SRE book's 50% cap
	ByCategory    []Amount     // hours by category
	ByTag         []Amount     // hours by tag, most first
	Recurring     []Amount     // tags logged in this sprint and in earlier ones
	Trend         []SprintToil // the last sprints, oldest first, this one last
	Entries       int
}

// Amount is hours of toil under a name.
type Amount struct {
	Name  string
	Hours float64
	Count int
}

// SprintToil is one sprint's toil, for the trend.
type SprintToil struct {
	Number int
	Start  time.Time
	Hours  float64
	Share  float64
}

// PolicyState is the error budget policy rule in force for an SLO.
type PolicyState struct {
	Below  float64 // the rule applies below this percent of budget left
	Action string
	Freeze bool
}

// Finding is a W: something learned, computed from the data, with the
// numbers that back it (for the renderers' languages).
type Finding struct {
	Kind FindingKind
	// The data the sentence is made of; renderers phrase it per language.
	SLO, Route, Status, Change, Tag string
	Share, Hours                    float64
	Window                          time.Duration
	// Alerts: how many fired, their tiers in the order they first fired,
	// the time at least one was firing within the sprint, and whether one
	// was still firing at its end.
	Count    int
	Tiers    []string
	Duration time.Duration
	Firing   bool
	Paged    bool      // a failed change: a page fired after it
	Limit    float64   // an overspent budget: the share it spent more than
	At       time.Time // a budget at risk: when it runs out at the sprint's pace (zero: not projected)

	// Capacity is a capacity forecast (FindingCapacity).
	Capacity *CapacityForecast
}

// CapacityForecast is when a service's forecast daily peak reaches Level
// percent of its declared capacity (package capacity).
type CapacityForecast struct {
	Service string
	Level   int // percent of the capacity: 80
	// Growth is the peak's weekly growth (0.1: 10%); nil without enough
	// history for a trend.
	Growth *float64
	// At is the first day the forecast peak reaches the level (zero: not
	// within two years); Already is set when it is there now.
	At      time.Time
	Already bool
}

// Suggestion is a T: what the team could do next, marked as a suggestion
// for the team to edit.
type Suggestion struct {
	Kind                                     SuggestionKind
	SLO, Route, Tag, Action, Change, Service string
	Hours                                    float64
	Count, Total                             int     // pages of an SLO; failed changes of a service and all its changes
	Share, Left                              float64 // the sprint's budget spent and the budget left
}

// FindingKind is what a Finding says; the renderers phrase each kind in
// every language, and print a kind they do not know with its data.
type FindingKind string

// The kinds of findings (FindingKind.rank orders them by severity).
const (
	// FindingPagesFired: pages fired for an SLO in the sprint (SLO, Count,
	// Tiers, Duration, Firing).
	FindingPagesFired FindingKind = "pages_fired"
	// FindingTicketsFired: tickets fired for an SLO in the sprint (SLO,
	// Count, Tiers, Duration, Firing).
	FindingTicketsFired FindingKind = "tickets_fired"
	// FindingChangeFailed: a change failed: a page fired in the window
	// after it (Paged), or it burned more than the failed share of an
	// SLO's budget there (SLO, Share: the largest such burn) (Change,
	// Window).
	FindingChangeFailed FindingKind = "change_failed"
	// FindingBudgetOverspent: the sprint spent more of an SLO's window
	// budget than it could afford (SLO, Share: spent, Limit: the even
	// share or half the budget, the lower).
	FindingBudgetOverspent FindingKind = "budget_overspent"
	// FindingBudgetAtRisk: an SLO's budget left at the sprint's end is
	// spent, low, or runs out at the sprint's pace before its window
	// ends (SLO, Share: the budget left, At: when it runs out).
	FindingBudgetAtRisk FindingKind = "budget_at_risk"
	// FindingChangeBurn: a change was followed by a large share of an
	// SLO's sprint burn (SLO, Change, Route, Share, Window).
	FindingChangeBurn FindingKind = "change_burn"
	// FindingOutageRoute: most of an SLO's bad events came from one route
	// or status (SLO, Route, Status, Share).
	FindingOutageRoute FindingKind = "outage_route"
	// FindingSLOMissed: an SLO missed its objective over the sprint (SLO).
	FindingSLOMissed FindingKind = "slo_missed"
	// FindingToilRecurring: a toil tag recurs (Tag, Hours).
	FindingToilRecurring FindingKind = "toil_recurring"
	// FindingToilOverCap: toil took more than ToilCap of the capacity (Share).
	FindingToilOverCap FindingKind = "toil_over_cap"
	// FindingSpareUsed: interrupts used all the spare capacity (Hours).
	FindingSpareUsed FindingKind = "spare_used"
	// FindingCapacity: when a service's peak reaches 80% of its declared
	// capacity at its current growth (Capacity); one per service with a
	// capacity, whatever it says.
	FindingCapacity FindingKind = "capacity"
)

// SuggestionKind is what a Suggestion proposes; the renderers phrase each
// kind in every language, and print a kind they do not know with its data.
type SuggestionKind string

// The kinds of suggestions.
const (
	// SuggestionPolicyAction: do what the error budget policy says (SLO, Action).
	SuggestionPolicyAction SuggestionKind = "policy_action"
	// SuggestionAutomateToil: automate a recurring toil tag (Tag, Hours).
	SuggestionAutomateToil SuggestionKind = "automate_toil"
	// SuggestionReduceToil: reduce toil, of a tag or overall (Tag, Hours).
	SuggestionReduceToil SuggestionKind = "reduce_toil"
	// SuggestionFixRoute: fix the route that burned an SLO's budget (SLO, Route).
	SuggestionFixRoute SuggestionKind = "fix_route"
	// SuggestionReviewChange: look back at a change that failed (Change).
	SuggestionReviewChange SuggestionKind = "review_change"
	// SuggestionPostmortem: hold a postmortem of the pages of an SLO (SLO,
	// Count).
	SuggestionPostmortem SuggestionKind = "postmortem"
	// SuggestionGuardChanges: review how a service's changes ship and add a
	// canary or a staged rollout (Service, Count: failed, Total: changes).
	SuggestionGuardChanges SuggestionKind = "guard_changes"
	// SuggestionReliabilityWork: put reliability work on an SLO ahead of
	// features, as an error budget policy would (SLO, Share: the sprint's
	// budget spent, Left: the budget left).
	SuggestionReliabilityWork SuggestionKind = "reliability_work"
	// SuggestionKeepGoing: nothing was found and nothing else is suggested.
	SuggestionKeepGoing SuggestionKind = "keep_going"
)
