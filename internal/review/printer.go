package review

import (
	"github.com/headroom-slo/headroom/internal/report"

	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Languages are the languages Markdown, HTML and HTMLBody write.
var Languages = []string{"en", "ja"}

// printer builds the doc of one review in one language: it decides what
// the review shows, its messages say it.
type printer struct {
	r   *Review
	m   messages
	loc *time.Location
}

func build(r *Review, lang string) (*doc, error) {
	if r == nil {
		return nil, errors.New("review: no review to render")
	}
	m := catalog(lang)
	if m == nil {
		return nil, fmt.Errorf("review: unknown language %q (want %s)", lang, strings.Join(Languages, " or "))
	}
	p := &printer{r: r, m: m, loc: r.Sprint.Location}
	if p.loc == nil {
		p.loc = r.Sprint.Start.Location()
	}
	d := &doc{Lang: lang, Title: p.title(), Meta: p.meta()}
	d.Sections = []section{
		{Letter: "Y", Heading: m.HeadingY(), Class: "review-y", Blocks: p.did()},
		{Letter: "W", Heading: m.HeadingW(), Class: "review-w", Blocks: p.learned()},
		{Letter: "T", Heading: m.HeadingT(), Class: "review-t", Blocks: p.next()},
	}
	return d, nil
}

func (p *printer) title() string {
	sp := p.r.Sprint
	last := sp.End
	if sp.End.After(sp.Start) {
		last = sp.End.Add(-time.Nanosecond) // End is exclusive: the sprint's last day
	}
	return p.m.Title(sp.Number, p.date(sp.Start), p.date(last))
}

func (p *printer) meta() rich {
	if p.r.Service == "" {
		return p.m.MetaAll(p.time(p.r.At))
	}
	return p.m.MetaService(p.r.Service, p.time(p.r.At))
}

// learned is W: one sentence per finding.
func (p *printer) learned() []block {
	if len(p.r.Findings) == 0 {
		return []block{none(p.m.NoFindings())}
	}
	return []block{list(each(p.r.Findings, p.finding))}
}

func (p *printer) finding(f Finding) rich {
	m := p.m
	switch f.Kind {
	case FindingPagesFired:
		return m.PagesFired(f.SLO, f.Count, p.codes(f.Tiers), p.dur(f.Duration), f.Firing)
	case FindingTicketsFired:
		return m.TicketsFired(f.SLO, f.Count, p.codes(f.Tiers), p.dur(f.Duration), f.Firing)
	case FindingChangeFailed:
		return m.ChangeFailed(f.Change, f.Paged, f.SLO, f.Share, p.changeWindow(f.Window))
	case FindingBudgetOverspent:
		return m.BudgetOverspent(f.SLO, f.Share, f.Limit)
	case FindingBudgetAtRisk:
		var runsOut string
		if !f.At.IsZero() {
			runsOut = p.date(f.At)
		}
		return m.BudgetAtRisk(f.SLO, f.Share, runsOut)
	case FindingChangeBurn:
		return m.ChangeBurn(f.SLO, f.Change, f.Route, f.Share, p.changeWindow(f.Window))
	case FindingOutageRoute:
		return m.OutageRoute(f.SLO, f.Route, f.Status, f.Share, f.Share > 0.5)
	case FindingSLOMissed:
		var sli, obj string
		if s := p.slo(f.SLO); s != nil && s.SprintSLI != nil {
			sli, obj = report.FormatSLI(*s.SprintSLI, s.Objective), fmtFloat(s.Objective)+"%"
		}
		return m.SLOMissed(f.SLO, sli, obj)
	case FindingToilRecurring:
		return m.ToilRecurs(f.Tag, f.Hours)
	case FindingToilOverCap:
		share := f.Share
		if share == 0 {
			share = p.r.Toil.Share
		}
		return m.ToilOverCap(share)
	case FindingCapacity:
		c := f.Capacity
		if c == nil {
			break
		}
		var date string
		days := -1
		if !c.At.IsZero() {
			date, days = p.date(c.At), int(c.At.Sub(reviewEnd(p.r.Sprint, p.r.At)).Hours()/24+0.5)
		}
		return m.CapacityForecast(c.Service, c.Level, c.Growth, days, date, c.Already)
	case FindingSpareUsed:
		h := f.Hours
		if h == 0 {
			h = p.r.Toil.SpareHours
		}
		return m.SpareUsed(h)
	}
	return p.unknown(string(f.Kind), map[string]string{"slo": f.SLO, "route": f.Route, "status": f.Status, "change": f.Change, "tag": f.Tag}, f.Share, f.Hours)
}

// next is T: the suggestions, for the team to edit.
func (p *printer) next() []block {
	if len(p.r.Suggestions) == 0 {
		return []block{none(p.m.NoSuggestions())}
	}
	return []block{
		{Kind: blockPara, Class: "review-edit", Text: p.m.EditHint()},
		todo(each(p.r.Suggestions, p.suggestion)),
	}
}

func (p *printer) suggestion(s Suggestion) rich {
	m := p.m
	switch s.Kind {
	case SuggestionPolicyAction:
		var rule *PolicyState
		if sr := p.slo(s.SLO); sr != nil {
			rule = sr.Policy
		}
		action := s.Action
		if action == "" && rule != nil {
			action = rule.Action
		}
		return m.PolicyAction(s.SLO, action, rule)
	case SuggestionAutomateToil:
		return m.AutomateToil(s.Tag, s.Hours)
	case SuggestionReduceToil:
		if s.Tag != "" {
			return m.ReduceToilOf(s.Tag, s.Hours)
		}
		h := s.Hours
		if h == 0 {
			h = p.r.Toil.Hours
		}
		return m.ReduceToil(h, p.r.Toil.Share)
	case SuggestionFixRoute:
		return m.FixRoute(s.Route, s.SLO)
	case SuggestionReviewChange:
		return m.ReviewChange(s.Change)
	case SuggestionPostmortem:
		return m.Postmortem(s.SLO, s.Count)
	case SuggestionGuardChanges:
		return m.GuardChanges(s.Service, s.Count, s.Total)
	case SuggestionReliabilityWork:
		return m.ReliabilityWork(s.SLO, s.Share, s.Left)
	case SuggestionKeepGoing:
		return m.KeepGoing()
	}
	return p.unknown(string(s.Kind), map[string]string{"slo": s.SLO, "route": s.Route, "tag": s.Tag, "action": s.Action, "change": s.Change, "service": s.Service}, 0, s.Hours)
}

// unknown prints a finding or suggestion of a kind this renderer does not
// know, with its data, rather than drop it.
func (p *printer) unknown(kind string, fields map[string]string, share, hours float64) rich {
	out := rich{code(kind)}
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, txt(" "+k+" "), code(fields[k]))
	}
	if share != 0 {
		out = append(out, txt(" "+Pct(share)))
	}
	if hours != 0 {
		out = append(out, txt(" "+p.m.Hours(hours)))
	}
	return out
}

// changeWindow formats the window after a change a finding speaks of (the
// review's, when the finding does not say).
func (p *printer) changeWindow(w time.Duration) string {
	if w == 0 {
		w = p.r.ChangeWindow
	}
	return p.dur(w)
}

// join runs items together, separated by commas.
func (p *printer) join(items []rich) rich {
	var out rich
	for i, it := range items {
		if i > 0 {
			out = append(out, txt(p.m.Comma()))
		}
		out = append(out, it...)
	}
	return out
}

// codes is names as code, separated by commas.
func (p *printer) codes(names []string) rich {
	return p.join(each(names, func(n string) rich { return rich{code(n)} }))
}

func (p *printer) slo(name string) *SLOReview {
	for i := range p.r.SLOs {
		if p.r.SLOs[i].Name == name {
			return &p.r.SLOs[i]
		}
	}
	return nil
}

// dur formats a duration in whole minutes: 3 h, 1 h 25 min, 45 min.
func (p *printer) dur(d time.Duration) string {
	m := int64(d.Round(time.Minute) / time.Minute)
	h, mm := m/60, m%60
	switch {
	case m <= 0 && d > 0:
		return p.m.UnderAMinute()
	case m <= 0:
		return p.m.Minutes(0)
	case h > 0 && mm > 0:
		return p.m.HoursMinutes(h, mm)
	case h > 0:
		return p.m.Hours(float64(h))
	}
	return p.m.Minutes(mm)
}

func (p *printer) date(t time.Time) string { return FmtDate(t, p.loc) }
func (p *printer) time(t time.Time) string { return FmtTime(t, p.loc) }
