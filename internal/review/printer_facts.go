package review

import (
	"github.com/headroom-slo/headroom/internal/report"

	"slices"
	"strconv"
	"strings"
)

// did is Y: the facts.
func (p *printer) did() []block {
	m := p.m
	var bs []block
	bs = append(bs, h3(m.SLOs()))
	bs = append(bs, p.slos()...)
	bs = append(bs, h3(m.Alerts()))
	bs = append(bs, p.alerts()...)
	bs = append(bs, h3(m.Changes()))
	bs = append(bs, p.changes()...)
	if len(p.r.Maintenance) > 0 {
		bs = append(bs, h3(m.Maintenance()))
		bs = append(bs, p.maintenance()...)
	}
	bs = append(bs, h3(m.Toil()))
	bs = append(bs, p.toil()...)
	return bs
}

func (p *printer) slos() []block {
	r, m := p.r, p.m
	if len(r.SLOs) == 0 {
		return []block{none(m.NoSLOs())}
	}
	t := &table{Class: "review-slos", Cols: []col{
		{Head: "SLO"},
		{Head: m.ColObjective(), Align: alignNum},
		{Head: m.ColSprintSLI(), Align: alignNum},
		{Head: m.ColMet(), Align: alignMark},
		{Head: m.ColBadEvents(), Align: alignNum},
		{Head: m.ColBudgetSpent(), Align: alignNum},
		{Head: m.ColBudgetLeft(), Align: alignNum},
		{Head: m.ColWindowSLI(), Align: alignNum},
	}}
	for _, s := range r.SLOs {
		sli, met := cell{R: rich{txt(m.NoData())}, Class: "review-muted"}, plain("—")
		events := plain("—")
		if s.SprintSLI != nil {
			sli = plain(report.FormatSLI(*s.SprintSLI, s.Objective))
			met = classed(plain("✓"), "review-ok")
			if !s.Met {
				met = classed(plain("✗"), "review-bad")
			}
		}
		if s.SprintTotal > 0 {
			events = plain(FmtCount(s.SprintBad) + " / " + FmtCount(s.SprintTotal))
		}
		left := plain(Pct(s.BudgetRemaining))
		if s.BudgetRemaining <= 0 {
			left.Class = "review-bad"
		}
		window := report.FormatSLI(s.WindowSLI, s.Objective)
		if s.Window != "" {
			window += m.Paren(s.Window)
		}
		t.Rows = append(t.Rows, []cell{
			codeCell(s.Name), plain(fmtFloat(s.Objective) + "%"), sli, met, events,
			plain(Pct(s.BudgetSpent)), left, plain(window),
		})
	}
	bs := []block{tableBlock(t), note(m.BudgetNote())}

	var policies []rich
	for _, s := range r.SLOs {
		if s.Policy != nil {
			policies = append(policies, rich{code(s.Name), txt(m.Colon() + s.Policy.Action), txt(m.PolicyWhen(s.Policy.Below, s.Policy.Freeze))})
		}
	}
	if len(policies) > 0 {
		bs = append(bs, para(txt(m.PolicyIntro())), list(policies))
	}

	var where []rich
	for _, s := range r.SLOs {
		if len(s.TopRoutes) == 0 && len(s.TopStatuses) == 0 {
			continue
		}
		line := rich{code(s.Name), txt(m.Colon())}
		if len(s.TopRoutes) > 0 {
			line = append(line, txt(m.Routes()))
			line = append(line, p.offenders(s.TopRoutes)...)
		}
		if len(s.TopStatuses) > 0 {
			if len(s.TopRoutes) > 0 {
				line = append(line, txt(m.Semicolon()))
			}
			line = append(line, txt(m.Statuses()))
			line = append(line, p.offenders(s.TopStatuses)...)
		}
		where = append(where, line)
	}
	if len(where) > 0 {
		bs = append(bs, para(txt(m.WhereIntro())), list(where))
	}
	return bs
}

func (p *printer) offenders(os []Offender) rich {
	return p.join(each(os, func(o Offender) rich { return rich{code(o.Key), txt(" " + Pct(o.Share))} }))
}

func (p *printer) alerts() []block {
	m := p.m
	type sloAlert struct {
		slo string
		a   Alert
	}
	var all []sloAlert
	for _, s := range p.r.SLOs {
		for _, a := range s.Alerts {
			all = append(all, sloAlert{s.Name, a})
		}
	}
	if len(all) == 0 {
		return []block{none(m.NoAlerts())}
	}
	slices.SortStableFunc(all, func(a, b sloAlert) int {
		if c := a.a.Fired.Compare(b.a.Fired); c != 0 {
			return c
		}
		return strings.Compare(a.a.Key, b.a.Key)
	})
	t := &table{Class: "review-alerts", Cols: []col{
		{Head: "SLO"},
		{Head: m.ColAlert()},
		{Head: m.ColSeverity()},
		{Head: m.ColFired(), Align: alignNowrap},
		{Head: m.ColResolved(), Align: alignNowrap},
		{Head: m.ColDuration(), Align: alignNum},
	}}
	for _, x := range all {
		name := x.a.Tier
		if name == "" {
			name = x.a.Key
		}
		sev := plain(x.a.Severity)
		if x.a.Severity == "page" {
			sev.Class = "review-bad"
		}
		resolved := plain(m.StillFiring())
		if !x.a.Resolved.IsZero() {
			resolved = plain(p.time(x.a.Resolved))
		}
		t.Rows = append(t.Rows, []cell{
			codeCell(x.slo), codeCell(name), sev, plain(p.time(x.a.Fired)), resolved, plain(p.dur(x.a.Duration)),
		})
	}
	return []block{tableBlock(t)}
}

func (p *printer) changes() []block {
	r, m := p.r, p.m
	if len(r.Changes) == 0 {
		return []block{none(m.NoChanges())}
	}
	changes := slices.Clone(r.Changes)
	slices.SortStableFunc(changes, func(a, b Change) int { return a.At.Compare(b.At) })
	withService := r.Service == ""
	cols := []col{{Head: m.ColWhen(), Align: alignNowrap}}
	if withService {
		cols = append(cols, col{Head: m.ColService()})
	}
	cols = append(cols, col{Head: m.ColChange()}, col{Head: m.ColKind()}, col{Head: m.ColBurn()}, col{Head: m.ColResult()})
	t := &table{Class: "review-changes", Cols: cols}
	failed := 0
	for _, c := range changes {
		row := []cell{plain(p.time(c.At))}
		if withService {
			row = append(row, codeCell(c.Service))
		}
		var what rich
		switch {
		case c.Version != "" && c.Description != "":
			what = rich{code(c.Version), txt(" " + c.Description)}
		case c.Version != "":
			what = rich{code(c.Version)}
		case c.Description != "":
			what = rich{txt(c.Description)}
		default:
			what = rich{txt("—")}
		}
		var burns rich
		for i, b := range c.Burns {
			if i > 0 {
				burns = append(burns, txt(m.Semicolon()))
			}
			burns = append(burns, code(b.SLO), txt(" "+Pct(b.Before)+" → "+Pct(b.After)))
		}
		if len(burns) == 0 {
			burns = rich{txt("—")}
		}
		result := classed(plain("✓"), "review-ok")
		if c.Failed {
			failed++
			result = classed(plain("✗ "+m.Failed()+p.failReasons(c)), "review-bad")
		}
		t.Rows = append(t.Rows, append(row, cell{R: what}, plain(c.Kind), cell{R: burns}, result))
	}
	bs := []block{tableBlock(t)}
	if r.ChangeFailureRate != nil {
		bs = append(bs, para(txt(m.ChangeFailureRate(*r.ChangeFailureRate, failed, len(changes)))))
	}
	return append(bs, note(m.ChangeNote(p.dur(r.ChangeWindow), r.FailedShare)))
}

// failReasons says why a change failed: " (page, budget)".
func (p *printer) failReasons(c Change) string {
	var why []string
	if c.Paged {
		why = append(why, p.m.ReasonPage())
	}
	if p.r.FailedShare > 0 && slices.ContainsFunc(c.Burns, func(b ChangeBurn) bool { return b.After > p.r.FailedShare }) {
		why = append(why, p.m.ReasonBudget())
	}
	if len(why) == 0 {
		return ""
	}
	return p.m.Paren(p.m.JoinReasons(why))
}

func (p *printer) toil() []block {
	tl, m := p.r.Toil, p.m
	var bs []block
	if tl.Entries == 0 && tl.Hours == 0 {
		bs = append(bs, none(m.NoToil()))
	} else {
		bs = append(bs, para(txt(m.ToilSummary(tl))))
		if tl.SpareHours > 0 {
			bs = append(bs, para(txt(m.Spare(tl.SpareHours, interrupts(tl), tl.SpareUsed))))
		}
		if len(tl.ByCategory) > 0 {
			bs = append(bs, tableBlock(p.amounts(tl.ByCategory, m.ColCategory(), plain)))
		}
		if len(tl.ByTag) > 0 {
			bs = append(bs, tableBlock(p.amounts(tl.ByTag, m.ColTag(), codeCell)))
		}
		if len(tl.Recurring) > 0 {
			tags := p.join(each(tl.Recurring, func(a Amount) rich {
				return rich{code(a.Name), txt(" " + m.Hours(a.Hours) + m.Paren(m.Entries(a.Count)))}
			}))
			bs = append(bs, para(m.Recurring(tags)...))
		}
	}
	if slices.ContainsFunc(tl.Trend, func(s SprintToil) bool { return s.Hours > 0 }) {
		t := &table{Class: "review-trend", Cols: []col{
			{Head: m.ColSprint()},
			{Head: m.ColStart(), Align: alignNowrap},
			{Head: m.ColToil(), Align: alignNum},
			{Head: m.ColShare(), Align: alignNum},
		}}
		for _, s := range tl.Trend {
			n := strconv.Itoa(s.Number)
			if s.Number == p.r.Sprint.Number {
				n += m.Paren(m.ThisSprint())
			}
			share := plain(Pct(s.Share))
			if s.Share > 0.5 {
				share.Class = "review-bad"
			}
			t.Rows = append(t.Rows, []cell{plain(n), plain(p.date(s.Start)), plain(fmtHours(s.Hours)), share})
		}
		bs = append(bs, para(txt(m.TrendIntro())), tableBlock(t))
	}
	return bs
}

// interrupts is the sprint's toil of the category "interrupt" (what the
// spare capacity is for), -1 without any.
func interrupts(tl Toil) float64 {
	h := -1.0
	for _, c := range tl.ByCategory {
		if c.Name == "interrupt" {
			h = c.Hours
		}
	}
	return h
}

// amounts is a table of toil hours and entries by name (a category, or a
// tag in a code cell).
func (p *printer) amounts(as []Amount, head string, name func(string) cell) *table {
	t := &table{Class: "review-toil", Cols: []col{
		{Head: head},
		{Head: p.m.ColHours(), Align: alignNum},
		{Head: p.m.ColEntries(), Align: alignNum},
	}}
	for _, a := range as {
		t.Rows = append(t.Rows, []cell{name(a.Name), plain(fmtHours(a.Hours)), plain(strconv.Itoa(a.Count))})
	}
	return t
}

// maintenance lists the sprint's maintenance windows.
func (p *printer) maintenance() []block {
	r, m := p.r, p.m
	withService := r.Service == ""
	cols := []col{{Head: m.ColWhen(), Align: alignNowrap}}
	if withService {
		cols = append(cols, col{Head: m.ColService()})
	}
	cols = append(cols, col{Head: m.ColDuration()}, col{Head: m.ColNote()})
	t := &table{Class: "review-maintenance", Cols: cols}
	for _, w := range r.Maintenance {
		row := []cell{plain(p.time(w.Start) + " – " + p.time(w.End))}
		if withService {
			if w.Service == "" {
				row = append(row, plain(m.AllServices()))
			} else {
				row = append(row, codeCell(w.Service))
			}
		}
		note := w.Note
		if w.Recurring {
			note = strings.TrimSpace(m.Weekly() + " " + note)
		}
		if note == "" {
			note = "—"
		}
		t.Rows = append(t.Rows, append(row, plain(p.dur(w.End.Sub(w.Start))), plain(note)))
	}
	return []block{tableBlock(t), note(m.MaintenanceNote())}
}
