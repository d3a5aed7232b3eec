package slodoc

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/slo"
)

// Languages are the languages the document is written in.
var Languages = []string{"en", "ja"}

// Markdown writes the document as Markdown (GitHub flavoured: tables) in
// lang, "en" or "ja".
func Markdown(d *Document, lang string) ([]byte, error) {
	w, err := write(d, lang)
	if err != nil {
		return nil, err
	}
	return w.markdown(), nil
}

// HTML writes the document as a self-contained HTML page in lang.
func HTML(d *Document, lang string) ([]byte, error) {
	w, err := write(d, lang)
	if err != nil {
		return nil, err
	}
	return w.html()
}

// writer writes one document in one language.
type writer struct {
	d *Document
	m messages
}

func write(d *Document, lang string) (*doc, error) {
	if d == nil {
		return nil, fmt.Errorf("slo-doc: no document")
	}
	m := catalog(lang)
	if m == nil {
		return nil, fmt.Errorf("slo-doc: language %q: %w", lang, errNoLanguage)
	}
	w := writer{d: d, m: m}
	out := &doc{Lang: lang, Title: m.Title(d.SLO.Name)}
	out.Meta = []rich{m.Generated(d.Command, filepath.Base(d.Config), w.time(d.At))}
	out.Sections = []section{
		{m.HeadStatus(), w.status()},
		{m.HeadOverview(), w.overview()},
		{m.HeadSLIs(), w.slis()},
		{m.HeadRationale(), w.rationale()},
		{m.HeadBudget(), w.budget()},
		{m.HeadPolicy(), w.policy()},
		{m.HeadAlerting(), w.alerting()},
		{m.HeadReview(), w.review()},
		{m.HeadCaveats(), w.caveats()},
		{m.HeadApproval(), []block{paraR(m.Approval())}},
	}
	return out, nil
}

func (w writer) date(t time.Time) string { return fmtDate(t, w.d.Loc) }
func (w writer) time(t time.Time) string { return fmtTime(t, w.d.Loc) }

// status is the workbook's header: status, author, dates, approvers.
func (w writer) status() []block {
	m, d := w.m, w.d
	blank := rich{txt(m.ToFill())}
	revisit := rich{txt(w.date(d.Revisit))}
	if d.Sprints != nil {
		revisit = append(revisit, txt(m.Paren(m.SprintEnd(d.Sprints.Current.Number))))
	}
	return []block{tbl(&table{
		Cols: []col{{Head: m.ColField()}, {Head: m.ColValue()}},
		Rows: [][]rich{
			{{txt(m.Status())}, {txt(m.Draft())}},
			{{txt(m.Author())}, blank},
			{{txt(m.Date())}, {txt(w.date(d.At))}},
			{{txt(m.Reviewers())}, blank},
			{{txt(m.Approvers())}, blank},
			{{txt(m.ApprovalDate())}, blank},
			{{txt(m.RevisitDate())}, revisit},
		},
	})}
}

func (w writer) overview() []block {
	m, d := w.m, w.d
	out := []block{paraR(m.Overview(d.SLO.Name, d.SLO.Service, d.SLO.Description))}
	out = append(out, w.sources(d.Service)...)
	if len(d.Siblings) > 0 {
		var names []rich
		for _, s := range d.Siblings {
			names = append(names, rich{code(s)})
		}
		out = append(out, paraR(append(rich{txt(m.Siblings())}, join(names, m.Comma())...)))
	}
	for _, c := range d.Components {
		if c.SLO.Service != d.SLO.Service {
			out = append(out, paraR(m.ComponentService(c.SLO.Name, c.SLO.Service)))
			out = append(out, w.sources(c.Service)...)
		}
	}
	return out
}

// sources says where a service's events come from and which are dropped.
func (w writer) sources(s config.Service) []block {
	m := w.m
	var out []block
	switch {
	case s.RUM != nil:
		rate := 1.0
		if s.RUM.SampleRate != nil {
			rate = *s.RUM.SampleRate
		}
		var origins []rich
		for _, o := range s.RUM.Origins {
			origins = append(origins, rich{code(o)})
		}
		out = append(out, paraR(m.RUMSource(s.Name, join(origins, m.Comma()), pct(rate))))
	case len(s.Logs) > 0:
		out = append(out, paraR(m.LogsIntro(s.Name)))
		var items []rich
		for _, l := range s.Logs {
			format := l.Format
			if l.LogFormat != "" {
				format = "log_format"
			}
			r := rich{code(w.path(l.Path)), txt(m.Paren(m.Format(format)))}
			if l.Wrapper != "" && l.Wrapper != "none" {
				r = append(r, txt(m.Paren(m.Wrapper(l.Wrapper))))
			}
			items = append(items, r)
		}
		out = append(out, list(items))
	default:
		out = append(out, paraR(m.AgentSource(s.Name)))
	}
	if !s.Match.IsZero() {
		var parts []rich
		for _, p := range []struct {
			key string
			re  config.Regexp
		}{{"host", s.Match.Host}, {"upstream", s.Match.Upstream}, {"route", s.Match.Route}} {
			if !p.re.IsZero() {
				parts = append(parts, rich{txt(m.Key(p.key)), code(p.re.String())})
			}
		}
		out = append(out, paraR(append(rich{txt(m.MatchIntro())}, join(parts, m.Semicolon())...)))
	}
	if len(s.Exclude) > 0 {
		var items []rich
		for _, e := range s.Exclude {
			items = append(items, w.exclude(e))
		}
		out = append(out, para(txt(m.ExcludeIntro())), list(items))
	}
	return out
}

func (w writer) exclude(e config.Exclude) rich {
	m := w.m
	var parts []rich
	for _, p := range []struct {
		key string
		re  config.Regexp
	}{{"route", e.Route}, {"user_agent", e.UserAgent}, {"host", e.Host}} {
		if !p.re.IsZero() {
			parts = append(parts, rich{txt(m.Key(p.key)), code(p.re.String())})
		}
	}
	if len(e.Method) > 0 {
		parts = append(parts, rich{txt(m.Key("method")), code(commaList(e.Method))})
	}
	if !e.Status.IsZero() {
		parts = append(parts, rich{txt(m.Key("status")), code(statuses(e.Status))})
	}
	return join(parts, m.And())
}

// slis is the table of the SLI and its objective (a composite's
// components below it), with what each counts.
func (w writer) slis() []block {
	m, d := w.m, w.d
	t := &table{Cols: []col{{Head: m.ColCategory()}, {Head: m.ColSLI()}, {Head: m.ColImplementation()}, {Head: m.ColSLO()}}}
	t.Rows = append(t.Rows, w.sliRow(d.SLO, d.Service, ""))
	for _, c := range d.Components {
		t.Rows = append(t.Rows, w.sliRow(c.SLO, c.Service, fmtFloat(c.Weight)))
	}
	out := []block{tbl(t)}
	out = append(out, note(m.HistoryApplies()))
	return out
}

func (w writer) sliRow(o config.SLO, s config.Service, weight string) []rich {
	m := w.m
	cat := rich{txt(m.Category(o.SLI.Type))}
	if weight != "" {
		cat = append(rich{txt(m.ComponentOf(weight))}, cat...)
	}
	def := m.Definition(o.SLI.Type, w.threshold(o), o.SLI.Vital)
	if o.SLI.Type == config.Availability {
		def = m.AvailabilityDefinition(statuses(o.SLI.BadStatus))
	}
	var impl []rich
	switch o.SLI.Type {
	case config.Availability:
		impl = append(impl, m.ImplStatus(s.Name, statuses(o.SLI.BadStatus)))
	case config.Latency:
		impl = append(impl, m.ImplLatency(s.Name, "$"+s.Latency, w.threshold(o)))
	case config.Composite:
		impl = append(impl, m.ImplComposite())
	default:
		impl = append(impl, m.ImplBrowser(o.SLI.Type, s.Name, o.SLI.Vital, w.threshold(o)))
	}
	impl = append(impl, w.filter(o)...)
	sloText := rich{bold(percent(o.Objective)), txt(m.Over(w.window(o)))}
	name := rich{code(o.Name), txt(m.Colon())}
	return []rich{cat, append(name, def...), join(impl, m.Semicolon()), sloText}
}

// threshold is a latency or vital SLI's threshold as configured.
func (w writer) threshold(o config.SLO) string {
	if o.SLI.Score != nil {
		return fmtFloat(*o.SLI.Score)
	}
	return fmtThreshold(time.Duration(o.SLI.Threshold))
}

// window says an SLO's window in words.
func (w writer) window(o config.SLO) string {
	win := o.Window.Window()
	switch win.Kind {
	case slo.CalendarWeek, slo.CalendarMonth, slo.CalendarQuarter:
		return w.m.Calendar(win.String())
	case slo.SprintWindow:
		return w.m.EachSprint()
	}
	return w.m.Rolling(fmtDur(win.Duration))
}

// filter says which requests (or page views) an SLO counts: nil for a
// composite, whose components say.
func (w writer) filter(o config.SLO) []rich {
	m, f := w.m, o.Filter
	if o.SLI.Type == config.Composite {
		return nil
	}
	var parts []rich
	if !f.Host.IsZero() {
		parts = append(parts, rich{txt(m.Key("host")), code(f.Host.String())})
	}
	if !f.Route.IsZero() {
		parts = append(parts, rich{txt(m.Key("route")), code(f.Route.String())})
	}
	if len(f.Method) > 0 {
		parts = append(parts, rich{txt(m.Key("method")), code(commaList(f.Method))})
	}
	if !f.Status.IsZero() {
		parts = append(parts, rich{txt(m.Key("status")), code(statuses(f.Status))})
	}
	browser := o.SLI.Type == config.WebVital || o.SLI.Type == config.JSErrors || o.SLI.Type == config.BrowserAPI
	if len(parts) == 0 {
		return []rich{{txt(m.AllEvents(browser))}}
	}
	return []rich{append(rich{txt(m.OnlyIntro(browser))}, join(parts, m.Comma())...)}
}

func (w writer) rationale() []block {
	m, d := w.m, w.d
	h := d.History
	obj := percent(d.SLO.Objective)
	command := rich{code(fmt.Sprintf("headroom suggest --config %s --service %s", filepath.Base(d.Config), d.SLO.Service))}
	if h.NoStore {
		return []block{paraR(m.NoStore(obj)), paraR(append(rich{txt(m.SuggestLater())}, command...))}
	}
	worst, best, ok := h.Range()
	if !ok {
		first := ""
		if !h.First.IsZero() {
			first = w.date(h.First)
		}
		unit := w.window(d.SLO)
		return []block{paraR(m.NoHistory(h.Unit, unit, first, obj)), paraR(append(rich{txt(m.SuggestLater())}, command...))}
	}
	n := len(h.Periods)
	from, to := h.Periods[0].From, h.Periods[n-1].To
	sli := func(p Period) string { return report.FormatSLI(p.SLI(), d.SLO.Objective) }
	out := []block{paraR(m.Achieved(h.Unit, w.window(d.SLO), n, w.date(from), w.date(to.Add(-time.Nanosecond)), sli(worst), sli(best), obj, h.Met()))}
	if h.Met() < n {
		out = append(out, paraR(m.Worst(w.period(worst), sli(worst))))
	}
	t := &table{Cols: []col{{Head: m.ColPeriod()}, {Head: m.ColEvents(), Num: true}, {Head: m.ColBad(), Num: true},
		{Head: m.ColAchieved(), Num: true}, {Head: m.ColMet()}}}
	for _, p := range h.Periods {
		met := m.No()
		if p.Met {
			met = m.Yes()
		}
		t.Rows = append(t.Rows, []rich{{txt(w.period(p))}, {txt(fmtCount(p.Counts.Total))}, {txt(fmtCount(report.Round(p.Counts.Bad())))},
			{txt(sli(p))}, {txt(met)}})
	}
	out = append(out, tbl(t))
	if h.Empty > 0 {
		out = append(out, note(rich{txt(m.EmptyPeriods(h.Empty))}))
	}
	if h.Inexact != "" {
		out = append(out, note(rich{txt(m.Inexact(h.Inexact))}))
	}
	out = append(out, w.suggested()...)
	out = append(out, paraR(append(rich{txt(m.SuggestMore())}, command...)))
	return out
}

// suggested says what `headroom suggest` finds over the same history.
func (w writer) suggested() []block {
	m, f := w.m, w.d.Suggest
	if f == nil {
		return nil
	}
	var out []block
	if c := f.Own; c != nil {
		out = append(out, paraR(m.SuggestOwn(fmtDur(f.Window), c.Windows, c.Met, c.Pages, c.Tickets, percent(c.Objective))))
	}
	if r, c := f.Recommended, f.Best; r != nil && c != nil {
		what := percent(r.Objective)
		if r.SLI.Threshold != "" {
			what += " ≤ " + r.SLI.Threshold
		}
		out = append(out, paraR(m.SuggestRecommends(what, c.Windows, c.Met, c.Pages, c.Tickets)))
	} else {
		out = append(out, paraR(m.SuggestRecommends("", 0, 0, 0, 0)))
	}
	return out
}

// period names a period: its sprint and dates, or its dates.
func (w writer) period(p Period) string {
	dates := w.date(p.From) + " → " + w.date(p.To.Add(-time.Nanosecond))
	if p.Sprint > 0 {
		return w.m.Sprint(p.Sprint) + w.m.Paren(dates)
	}
	return dates
}

func (w writer) budget() []block {
	m, d := w.m, w.d
	eps := slo.ErrorBudget(d.SLO.ObjectiveRatio())
	allowed := time.Duration(eps * float64(d.Period))
	out := []block{paraR(m.BudgetIs(budgetPct(eps), percent(d.SLO.Objective), fmtDur(d.Period), fmtDur(allowed)))}
	switch st := d.Status; {
	case st == nil:
	case st.NoData:
		out = append(out, paraR(m.BudgetNoData(w.time(st.WindowEnd))))
	default:
		budget := st.ErrorBudget * st.Total
		out = append(out, paraR(m.BudgetNow(w.time(st.WindowStart), w.time(st.WindowEnd), fmtCount(st.Total), fmtCount(budget),
			fmtCount(report.Round(st.Bad)), pct(st.BudgetRemaining))))
	}
	if d.Components != nil {
		out = append(out, note(rich{txt(m.CompositeBudget())}))
	}
	return out
}

func (w writer) policy() []block {
	m, d := w.m, w.d
	if len(d.Policy) == 0 {
		return []block{paraR(m.NoPolicy())}
	}
	out := []block{paraR(m.PolicyIntro())}
	t := &table{Cols: []col{{Head: m.ColBelow(), Num: true}, {Head: m.ColAction()}, {Head: m.ColFreeze()}}}
	for _, r := range d.Policy {
		fr := m.No()
		if r.Freeze {
			fr = m.Yes()
		}
		t.Rows = append(t.Rows, []rich{{txt(percent(r.Below))}, {txt(r.Action)}, {txt(fr)}})
	}
	out = append(out, tbl(t))
	if st := d.Status; st != nil {
		switch {
		case st.NoData:
			out = append(out, paraR(m.PolicyNoData(w.date(d.At))))
		case d.InForce == nil:
			out = append(out, paraR(m.PolicyNone(w.date(d.At), pct(st.BudgetRemaining))))
		default:
			out = append(out, paraR(m.PolicyInForce(w.date(d.At), pct(st.BudgetRemaining), percent(d.InForce.Below), d.InForce.Action, d.InForce.Freeze)))
		}
	}
	out = append(out, paraR(m.PolicyGate(fmt.Sprintf("headroom policy check --config %s --service %s", filepath.Base(d.Config), d.SLO.Service))))
	return out
}

func (w writer) alerting() []block {
	m, d := w.m, w.d
	a := d.Alerting
	if a == nil {
		return []block{paraR(m.AlertingDisabled())}
	}
	out := []block{paraR(m.AlertingIntro())}
	if len(a.Tiers) > 0 {
		t := &table{Cols: []col{{Head: m.ColTier()}, {Head: m.ColSeverity()}, {Head: m.ColShare(), Num: true}, {Head: m.ColLong(), Num: true},
			{Head: m.ColShort(), Num: true}, {Head: m.ColBurn(), Num: true}, {Head: m.ColFor(), Num: true}}}
		for _, tr := range a.Tiers {
			hold := "0s"
			if tr.For > 0 {
				hold = fmtDur(tr.For)
			}
			t.Rows = append(t.Rows, []rich{{code(tr.Name)}, {txt(tr.Severity)}, {txt(pct(tr.BudgetShare))}, {txt(fmtDur(tr.Long))},
				{txt(fmtDur(tr.Short))}, {txt(fmtRate(tr.Threshold(d.Period)))}, {txt(hold)}})
		}
		out = append(out, tbl(t), note(rich{txt(m.BurnNote(fmtDur(d.Period)))}))
	} else {
		out = append(out, paraR(m.NoTiers()))
	}
	items := []rich{m.MinEvents(fmtFloat(a.MinEvents)), m.Exhausted(a.Exhausted)}
	if d.NoDataSeverity != "" {
		items = append(items, m.NoDataAlert(fmtDur(d.NoDataAfter), d.NoDataSeverity))
	}
	if d.SLO.Runbook != "" {
		items = append(items, rich{txt(m.Runbook()), code(d.SLO.Runbook)})
	}
	out = append(out, list(items))
	if len(d.Notify) == 0 {
		return append(out, paraR(m.NoNotify()))
	}
	var targets []rich
	for _, t := range d.Notify {
		targets = append(targets, m.Target(t.Name, t.Type, t.Severities))
	}
	return append(out, para(txt(m.NotifyIntro())), list(targets))
}

func (w writer) review() []block {
	m, d := w.m, w.d
	if sp := d.Sprints; sp != nil {
		return []block{
			paraR(m.Sprints(fmtDur(sp.Length), w.date(sp.First), sp.First.Location().String())),
			paraR(m.NextReview(sp.Current.Number, w.date(sp.Current.End), fmt.Sprintf("headroom review --config %s --service %s", filepath.Base(d.Config), d.SLO.Service))),
			paraR(m.Revisit()),
		}
	}
	every := fmtDur(d.Period)
	if win := d.SLO.Window.Window(); win.Kind != slo.Rolling && win.Kind != slo.SprintWindow {
		every = win.String()
	}
	return []block{paraR(m.NoSprints(every, w.date(d.Revisit))), paraR(m.Revisit())}
}

// path is a log's path as the config has it: relative to the config's
// directory when it is under it, so that the document does not depend on
// where the config was read from.
func (w writer) path(p string) string {
	if w.d.Config == "" || p == "-" {
		return p
	}
	dir, err := filepath.Abs(filepath.Dir(w.d.Config))
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		return rel
	}
	return p
}

func (w writer) caveats() []block {
	m, d := w.m, w.d
	var items []rich
	types := []config.SLO{d.SLO}
	svcs := []config.Service{d.Service}
	for _, c := range d.Components {
		types = append(types, c.SLO)
		svcs = append(svcs, c.Service)
	}
	var logs, rum, good499 bool
	var sample []string
	lat := map[string]bool{}
	for i, o := range types {
		s := svcs[i]
		switch o.SLI.Type {
		case config.Availability:
			good499 = good499 || !o.SLI.BadStatus.Contains(499)
		case config.Latency:
			lat["$"+s.Latency] = true
		}
		if s.RUM != nil {
			rum = true
			if r := s.RUM.SampleRate; r != nil && *r < 1 {
				sample = append(sample, pct(*r))
			}
		} else if o.SLI.Type != config.Composite {
			logs = true
		}
	}
	if logs {
		items = append(items, m.CaveatUnlogged(), m.CaveatTime())
	}
	if good499 {
		items = append(items, m.Caveat499())
	}
	for _, v := range []string{"$request_time", "$upstream_response_time"} {
		if lat[v] {
			items = append(items, m.CaveatLatency(v))
		}
	}
	if len(d.Service.Exclude) > 0 {
		items = append(items, m.CaveatExcluded())
	}
	if rum {
		items = append(items, m.CaveatBeacons())
		for _, s := range sample {
			items = append(items, m.CaveatSample(s))
		}
	}
	if d.Components != nil {
		items = append(items, m.CaveatComposite())
	}
	if r := d.MinuteRetention; r > 0 {
		items = append(items, m.CaveatRetention(fmtDur(r)))
	}
	items = append(items, m.CaveatConfig())
	return []block{list(items)}
}

// statuses writes a status set as configured: 5xx, 429.
func statuses(s config.StatusSet) string {
	l, _ := s.MarshalYAML()
	ss, _ := l.([]string)
	return commaList(ss)
}

func commaList[S ~[]string](l S) string { return strings.Join(l, ", ") }
