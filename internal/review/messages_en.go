package review

import (
	"fmt"
	"strconv"
	"strings"
)

// english is the review in English.
type english struct{}

var _ messages = english{}

// The document.

func (english) Title(sprint int, from, to string) string {
	return fmt.Sprintf("SLO review — sprint %d (%s → %s)", sprint, from, to)
}
func (english) MetaAll(at string) rich { return rich{txt("All services · computed at " + at)} }
func (english) MetaService(service, at string) rich {
	return rich{txt("Service: "), code(service), txt(" · computed at " + at)}
}
func (english) HeadingY() string { return "what we did" }
func (english) HeadingW() string { return "what we learned" }
func (english) HeadingT() string { return "what we do next" }

// Punctuation and units.

func (english) Colon() string          { return ": " }
func (english) Semicolon() string      { return "; " }
func (english) Comma() string          { return ", " }
func (english) Paren(s string) string  { return " (" + s + ")" }
func (english) Hours(h float64) string { return fmtHours(h) + " h" }
func (english) Minutes(m int64) string { return strconv.FormatInt(m, 10) + " min" }
func (english) HoursMinutes(h, m int64) string {
	return fmt.Sprintf("%d h %d min", h, m)
}
func (english) UnderAMinute() string { return "< 1 min" }
func (english) Entries(n int) string { return plural(n, "entry", "entries") }

// plural is a count of things in English: 1 entry, 2 entries.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
func (english) PolicyWhen(below float64, freeze bool) string {
	s := " (budget left below " + fmtFloat(below) + "%"
	if freeze {
		s += "; freeze"
	}
	return s + ")"
}

// Y: SLOs.

func (english) SLOs() string           { return "SLOs" }
func (english) NoSLOs() string         { return "No SLOs." }
func (english) ColObjective() string   { return "objective" }
func (english) ColSprintSLI() string   { return "sprint SLI" }
func (english) ColMet() string         { return "met" }
func (english) ColBadEvents() string   { return "bad / events" }
func (english) ColBudgetSpent() string { return "budget spent" }
func (english) ColBudgetLeft() string  { return "budget left" }
func (english) ColWindowSLI() string   { return "window SLI" }
func (english) NoData() string         { return "no data" }
func (english) BudgetNote() string {
	return "Budget spent: the sprint's bad events as a share of the SLO's window error budget. Budget left and window SLI: as of the sprint's end."
}
func (english) PolicyIntro() string { return "Error budget policy at the sprint's end:" }
func (english) WhereIntro() string  { return "Where the sprint's bad events came from:" }
func (english) Routes() string      { return "routes " }
func (english) Statuses() string    { return "statuses " }

// Y: alerts.

func (english) Alerts() string      { return "Alerts" }
func (english) NoAlerts() string    { return "No alerts fired in the sprint." }
func (english) ColAlert() string    { return "alert" }
func (english) ColSeverity() string { return "severity" }
func (english) ColFired() string    { return "fired" }
func (english) ColResolved() string { return "resolved" }
func (english) ColDuration() string { return "duration" }
func (english) StillFiring() string { return "still firing" }

// Y: maintenance windows.

func (english) Maintenance() string { return "Maintenance windows" }
func (english) ColNote() string     { return "note" }
func (english) Weekly() string      { return "weekly" }
func (english) AllServices() string { return "every service" }
func (english) MaintenanceNote() string {
	return "The events of these windows were left out of every number of this review (SLIs, budgets, burn rates), and alerts were held while they were open."
}

// Y: changes.

func (english) Changes() string                 { return "Changes" }
func (english) NoChanges() string               { return "No changes recorded in the sprint." }
func (english) ColWhen() string                 { return "when" }
func (english) ColService() string              { return "service" }
func (english) ColChange() string               { return "change" }
func (english) ColKind() string                 { return "kind" }
func (english) ColBurn() string                 { return "budget burned before → after" }
func (english) ColResult() string               { return "result" }
func (english) Failed() string                  { return "failed" }
func (english) ReasonPage() string              { return "page" }
func (english) ReasonBudget() string            { return "budget" }
func (english) JoinReasons(why []string) string { return strings.Join(why, ", ") }
func (english) ChangeFailureRate(rate float64, failed, changes int) string {
	return "Change failure rate: " + Pct(rate) + " (" + strconv.Itoa(failed) + " of " + strconv.Itoa(changes) + " changes)."
}
func (english) ChangeNote(w string, failedShare float64) string {
	s := "Budget burned: the share of the SLO's window error budget burned in the " + w + " before and in the " + w +
		" after each change. A change failed when a page fired in the " + w + " after it"
	if failedShare > 0 {
		s += " or it burned more than " + Pct(failedShare) + " of the budget"
	}
	return s + "."
}

// Y: toil.

func (english) Toil() string   { return "Toil" }
func (english) NoToil() string { return "No toil logged in the sprint." }
func (e english) ToilSummary(t Toil) string {
	s := "Toil: " + e.Hours(t.Hours) + " in " + e.Entries(t.Entries)
	switch {
	case t.CapacityHours <= 0:
		return s + " (no capacity configured)."
	case t.OverCap:
		return s + " — " + Pct(t.Share) + " of the team's capacity of " + e.Hours(t.CapacityHours) + ", above the 50% cap."
	}
	return s + " — " + Pct(t.Share) + " of the team's capacity of " + e.Hours(t.CapacityHours) + ", within the 50% cap."
}
func (e english) Spare(spare, interrupts float64, used bool) string {
	s := "Spare capacity for interrupts: " + e.Hours(spare)
	if interrupts >= 0 {
		s += "; interrupts took " + e.Hours(interrupts)
	}
	if used {
		return s + " — all used."
	}
	return s + " — not all used."
}
func (english) ColCategory() string { return "category" }
func (english) ColTag() string      { return "tag" }
func (english) ColHours() string    { return "hours" }
func (english) ColEntries() string  { return "entries" }
func (english) Recurring(tags rich) rich {
	return append(append(rich{txt("Recurring tags: ")}, tags...), txt("."))
}
func (english) TrendIntro() string { return "Toil over the last sprints:" }
func (english) ColSprint() string  { return "sprint" }
func (english) ColStart() string   { return "start" }
func (english) ColToil() string    { return "toil (h)" }
func (english) ColShare() string   { return "share of capacity" }
func (english) ThisSprint() string { return "this sprint" }

// W: findings.

func (english) NoFindings() string { return "No findings." }
func (e english) PagesFired(slo string, count int, tiers rich, firing string, open bool) rich {
	return e.fired(plural(count, "page", "pages"), slo, tiers, firing, open)
}
func (e english) TicketsFired(slo string, count int, tiers rich, firing string, open bool) rich {
	return e.fired(plural(count, "ticket", "tickets"), slo, tiers, firing, open)
}
func (english) fired(alerts, slo string, tiers rich, firing string, open bool) rich {
	out := append(append(rich{txt(alerts + " fired for "), code(slo), txt(" (")}, tiers...), txt("), firing for "+firing+" of the sprint"))
	if open {
		out = append(out, txt(" and still firing at its end"))
	}
	return out
}
func (english) ChangeFailed(change string, paged bool, slo string, share float64, window string) rich {
	out := rich{code(change), txt(" failed")}
	switch {
	case paged && slo != "":
		return append(out, txt(": a page fired in the "+window+" after it, and it burned "+Pct(share)+" of "), code(slo), txt("'s budget"))
	case paged:
		return append(out, txt(": a page fired in the "+window+" after it"))
	case slo != "":
		return append(out, txt(": it burned "+Pct(share)+" of "), code(slo), txt("'s budget in the "+window+" after it"))
	}
	return out
}
func (english) BudgetOverspent(slo string, spent, limit float64) rich {
	out := rich{code(slo), txt(" spent " + Pct(spent) + " of its error budget in the sprint, more than ")}
	if limit >= 0.5 {
		return append(out, txt("half of it"))
	}
	return append(out, txt("its even share ("+Pct(limit)+", the sprint's length over the window's)"))
}
func (english) BudgetAtRisk(slo string, left float64, runsOut string) rich {
	switch {
	case left <= 0:
		return rich{code(slo), txt(" has spent all its error budget (" + Pct(left) + " left)")}
	case runsOut != "":
		return rich{txt("At the sprint's pace, "), code(slo), txt(" runs out of error budget around " + runsOut + " (" + Pct(left) + " left)")}
	}
	return rich{code(slo), txt(" has only " + Pct(left) + " of its error budget left")}
}
func (english) ChangeBurn(slo, change, route string, share float64, window string) rich {
	out := rich{txt(Pct(share) + " of the sprint's burn of "), code(slo), txt(" was in the " + window + " after "), code(change)}
	if route != "" {
		out = append(out, txt(" (route "), code(route), txt(")"))
	}
	return out
}
func (english) OutageRoute(slo, route, status string, share float64, most bool) rich {
	which := "The largest share of"
	if most {
		which = "Most"
	}
	out := rich{txt(which + " bad events of "), code(slo)}
	if route == "" {
		return append(out, txt(" had status "), code(status), txt(" ("+Pct(share)+")"))
	}
	out = append(out, txt(" came from "), code(route), txt(" ("+Pct(share)))
	if status != "" {
		out = append(out, txt(", mostly status "), code(status))
	}
	return append(out, txt(")"))
}
func (english) SLOMissed(slo, sli, objective string) rich {
	out := rich{code(slo), txt(" missed its objective this sprint")}
	if sli != "" {
		out = append(out, txt(" ("+sli+" against "+objective+")"))
	}
	return out
}
func (e english) ToilRecurs(tag string, hours float64) rich {
	return rich{txt("Toil tag "), code(tag), txt(" recurs: " + e.Hours(hours) + " this sprint")}
}
func (english) ToilOverCap(share float64) rich {
	return rich{txt("Toil took " + Pct(share) + " of capacity, above the 50% cap")}
}
func (e english) SpareUsed(hours float64) rich {
	if hours == 0 {
		return rich{txt("Interrupts used all the spare capacity")}
	}
	return rich{txt("Interrupts used all the spare capacity (" + e.Hours(hours) + ")")}
}
func (english) CapacityForecast(service string, level int, growth *float64, days int, date string, already bool) rich {
	of := " of its tested capacity"
	switch {
	case growth == nil:
		return rich{txt("Too little traffic history for a capacity forecast of "), code(service), txt(" (14 days needed)")}
	case already:
		return rich{code(service), txt(fmt.Sprintf("'s peak is already at %d%%%s", level, of))}
	}
	pace := fmt.Sprintf("At current growth (%s a week), ", signedPct(*growth))
	if date == "" {
		return rich{txt(pace), code(service), txt(fmt.Sprintf(" does not reach %d%%%s within two years", level, of))}
	}
	in := fmt.Sprintf("about %d weeks", (days+3)/7)
	switch {
	case days == 1:
		in = "1 day"
	case days < 14:
		in = fmt.Sprintf("%d days", days)
	}
	return rich{txt(pace), code(service), txt(fmt.Sprintf(" reaches %d%%%s in %s (around %s)", level, of, in, date))}
}

// T: suggestions.

func (english) NoSuggestions() string { return "No suggestions." }
func (english) EditHint() rich {
	return rich{bold("Suggestions for the team to edit"), txt(": keep, change or drop each one.")}
}
func (english) PolicyAction(slo, action string, rule *PolicyState) rich {
	out := rich{code(slo), txt(": " + action)}
	if rule != nil {
		out = append(out, txt(" (budget below "+fmtFloat(rule.Below)+"%)"))
	}
	return out
}
func (e english) AutomateToil(tag string, hours float64) rich {
	return rich{txt("Automate "), code(tag), txt(": " + e.Hours(hours) + " this sprint")}
}
func (e english) ReduceToilOf(tag string, hours float64) rich {
	return rich{txt("Reduce the toil of "), code(tag), txt(": " + e.Hours(hours) + " this sprint")}
}
func (e english) ReduceToil(hours, share float64) rich {
	return rich{txt("Reduce toil below half of the team's capacity: " + e.Hours(hours) + " this sprint (" + Pct(share) + ")")}
}
func (english) FixRoute(route, slo string) rich {
	return rich{txt("Fix "), code(route), txt(", which burned "), code(slo), txt("'s budget")}
}
func (english) ReviewChange(change string) rich {
	return rich{txt("Review "), code(change), txt(", which failed")}
}
func (english) Postmortem(slo string, pages int) rich {
	if pages == 1 {
		return rich{txt("Hold a postmortem of the page of "), code(slo)}
	}
	return rich{txt("Hold a postmortem of the " + strconv.Itoa(pages) + " pages of "), code(slo)}
}
func (english) GuardChanges(service string, failed, changes int) rich {
	return rich{txt("Review how changes to "), code(service), txt(" ship, and add a canary or a staged rollout: " +
		strconv.Itoa(failed) + " of " + plural(changes, "change", "changes") + " failed")}
}
func (english) ReliabilityWork(slo string, spent, left float64) rich {
	return rich{txt("Put reliability work on "), code(slo), txt(" ahead of features next sprint: the sprint spent " +
		Pct(spent) + " of its error budget, " + Pct(left) + " is left")}
}
func (english) KeepGoing() rich { return rich{txt("All SLOs met: keep the current pace")} }
