package review

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Languages are the languages Markdown, HTML and HTMLBody write.
var Languages = []string{"en", "ja"}

// Markdown renders the review as Markdown (GitHub flavoured: tables and
// task lists) in lang, "en" or "ja".
func Markdown(r *Review, lang string) ([]byte, error) {
	d, err := build(r, lang)
	if err != nil {
		return nil, err
	}
	return d.markdown(), nil
}

// HTMLBody renders the review as the markup of a page's <main>: an
// <article class="review">, styled by classes only (no style attributes, no
// <style>, no script), for pages served under a Content-Security-Policy
// without inline styles. CSS styles it.
func HTMLBody(r *Review, lang string) (template.HTML, error) {
	d, err := build(r, lang)
	if err != nil {
		return "", err
	}
	return d.body()
}

// HTML renders the review as a complete, self-contained HTML document to
// print or save: HTMLBody in a <main>, with CSS inline.
func HTML(r *Review, lang string) ([]byte, error) {
	d, err := build(r, lang)
	if err != nil {
		return nil, err
	}
	body, err := d.body()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = pageTemplate.Execute(&b, struct {
		Lang, Title string
		CSS         template.CSS
		Body        template.HTML
	}{d.Lang, d.Title, template.CSS(CSS), body})
	if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	return b.Bytes(), nil
}

// The renderers first build a doc: the review's text in one language,
// numbers formatted, as blocks both formats print the same way.
type doc struct {
	Lang, Title string
	Meta        rich
	Sections    []section
}

// section is Y, W or T.
type section struct {
	Letter, Heading, Class string
	Blocks                 []block
}

// block is a subheading (h3), a paragraph (p: Class "review-note" for notes
// and "review-none" for the lines that say there is nothing), a table, a
// list or a list of suggestions (todo).
type block struct {
	Kind  string
	Class string
	Text  rich
	Table *table
	Items []rich
}

type table struct {
	Class string
	Cols  []col
	Rows  [][]cell
}

// col is a column: Align "num" (right), "mark" (centred), "nowrap"
// (times) or "".
type col struct {
	Head, Align string
}

type cell struct {
	R     rich
	Class string
}

// rich is text with code spans (names, routes, versions).
type rich []seg

type seg struct {
	Text         string
	Code, Strong bool
}

func txt(s string) seg  { return seg{Text: s} }
func code(s string) seg { return seg{Text: s, Code: true} }
func bold(s string) seg { return seg{Text: s, Strong: true} }

// printer builds the doc of one review in one language.
type printer struct {
	r   *Review
	ja  bool
	loc *time.Location
}

func build(r *Review, lang string) (*doc, error) {
	if r == nil {
		return nil, errors.New("review: no review to render")
	}
	if !slices.Contains(Languages, lang) {
		return nil, fmt.Errorf("review: unknown language %q (want %s)", lang, strings.Join(Languages, " or "))
	}
	p := &printer{r: r, ja: lang == "ja", loc: r.Sprint.Location}
	if p.loc == nil {
		p.loc = r.Sprint.Start.Location()
	}
	d := &doc{Lang: lang, Title: p.title(), Meta: p.meta()}
	d.Sections = []section{
		{Letter: "Y", Heading: p.s("what we did", "やったこと"), Class: "review-y", Blocks: p.did()},
		{Letter: "W", Heading: p.s("what we learned", "わかったこと"), Class: "review-w", Blocks: p.learned()},
		{Letter: "T", Heading: p.s("what we do next", "つぎにやること"), Class: "review-t", Blocks: p.next()},
	}
	return d, nil
}

// s picks the language's text.
func (p *printer) s(en, ja string) string {
	if p.ja {
		return ja
	}
	return en
}

func (p *printer) title() string {
	sp := p.r.Sprint
	last := sp.End
	if sp.End.After(sp.Start) {
		last = sp.End.Add(-time.Nanosecond) // End is exclusive: the sprint's last day
	}
	from, to := p.date(sp.Start), p.date(last)
	if p.ja {
		return fmt.Sprintf("SLO レビュー — スプリント %d（%s → %s）", sp.Number, from, to)
	}
	return fmt.Sprintf("SLO review — sprint %d (%s → %s)", sp.Number, from, to)
}

func (p *printer) meta() rich {
	at := p.time(p.r.At)
	if p.r.Service == "" {
		return rich{txt(p.s("All services · computed at ", "全サービス · 集計日時：") + at)}
	}
	return rich{txt(p.s("Service: ", "サービス：")), code(p.r.Service), txt(p.s(" · computed at ", " · 集計日時：") + at)}
}

// did is Y: the facts.
func (p *printer) did() []block {
	var bs []block
	bs = append(bs, h3(p.s("SLOs", "SLO")))
	bs = append(bs, p.slos()...)
	bs = append(bs, h3(p.s("Alerts", "アラート")))
	bs = append(bs, p.alerts()...)
	bs = append(bs, h3(p.s("Changes", "変更")))
	bs = append(bs, p.changes()...)
	bs = append(bs, h3(p.s("Toil", "トイル")))
	bs = append(bs, p.toil()...)
	return bs
}

func h3(s string) block         { return block{Kind: "h3", Text: rich{txt(s)}} }
func para(r ...seg) block       { return block{Kind: "p", Text: r} }
func note(s string) block       { return block{Kind: "p", Class: "review-note", Text: rich{txt(s)}} }
func none(s string) block       { return block{Kind: "p", Class: "review-none", Text: rich{txt(s)}} }
func list(items []rich) block   { return block{Kind: "list", Items: items} }
func tableBlock(t *table) block { return block{Kind: "table", Table: t} }
func plain(s string) cell       { return cell{R: rich{txt(s)}} }
func codeCell(s string) cell    { return cell{R: rich{code(s)}} }
func classed(c cell, cls string) cell {
	c.Class = cls
	return c
}

func (p *printer) slos() []block {
	r := p.r
	if len(r.SLOs) == 0 {
		return []block{none(p.s("No SLOs.", "SLO なし"))}
	}
	t := &table{Class: "review-slos", Cols: []col{
		{Head: "SLO"},
		{Head: p.s("objective", "目標"), Align: "num"},
		{Head: p.s("sprint SLI", "スプリント SLI"), Align: "num"},
		{Head: p.s("met", "達成"), Align: "mark"},
		{Head: p.s("bad / events", "不良 / 全イベント"), Align: "num"},
		{Head: p.s("budget spent", "バジェット消費"), Align: "num"},
		{Head: p.s("budget left", "残バジェット"), Align: "num"},
		{Head: p.s("window SLI", "ウィンドウ SLI"), Align: "num"},
	}}
	for _, s := range r.SLOs {
		digits := sliDigits(s.Objective)
		sli, met := cell{R: rich{txt(p.s("no data", "データなし"))}, Class: "review-muted"}, plain("—")
		events := plain("—")
		if s.SprintSLI != nil {
			sli = plain(fmtSLI(*s.SprintSLI, digits))
			met = classed(plain("✓"), "review-ok")
			if !s.Met {
				met = classed(plain("✗"), "review-bad")
			}
		}
		if s.SprintTotal > 0 {
			events = plain(fmtCount(s.SprintBad) + " / " + fmtCount(s.SprintTotal))
		}
		left := plain(pct(s.BudgetRemaining))
		if s.BudgetRemaining <= 0 {
			left.Class = "review-bad"
		}
		window := fmtSLI(s.WindowSLI, digits)
		if s.Window != "" {
			window += p.paren(s.Window)
		}
		t.Rows = append(t.Rows, []cell{
			codeCell(s.Name), plain(fmtFloat(s.Objective) + "%"), sli, met, events,
			plain(pct(s.BudgetSpent)), left, plain(window),
		})
	}
	bs := []block{tableBlock(t), note(p.s(
		"Budget spent: the sprint's bad events as a share of the SLO's window error budget. Budget left and window SLI: as of the sprint's end.",
		"バジェット消費：スプリント中の不良イベントが SLO のウィンドウのエラーバジェットに占める割合。残バジェットとウィンドウ SLI：スプリント終了時点。"))}

	var policies []rich
	for _, s := range r.SLOs {
		if s.Policy == nil {
			continue
		}
		policies = append(policies, append(rich{code(s.Name), txt(p.s(": ", "：") + s.Policy.Action)}, txt(p.policyWhen(s.Policy))))
	}
	if len(policies) > 0 {
		bs = append(bs, para(txt(p.s("Error budget policy at the sprint's end:", "スプリント終了時点のエラーバジェットポリシー："))), list(policies))
	}

	var where []rich
	for _, s := range r.SLOs {
		if len(s.TopRoutes) == 0 && len(s.TopStatuses) == 0 {
			continue
		}
		line := rich{code(s.Name), txt(p.s(": ", "："))}
		if len(s.TopRoutes) > 0 {
			line = append(line, txt(p.s("routes ", "ルート ")))
			line = append(line, p.offenders(s.TopRoutes)...)
		}
		if len(s.TopStatuses) > 0 {
			if len(s.TopRoutes) > 0 {
				line = append(line, txt(p.s("; ", "；")))
			}
			line = append(line, txt(p.s("statuses ", "ステータス ")))
			line = append(line, p.offenders(s.TopStatuses)...)
		}
		where = append(where, line)
	}
	if len(where) > 0 {
		bs = append(bs, para(txt(p.s("Where the sprint's bad events came from:", "スプリント中の不良イベントの発生元："))), list(where))
	}
	return bs
}

// policyWhen says when a policy rule applies: " (budget left below 25%)".
// Below is in percent, as configured (and as PolicyFor fills it).
func (p *printer) policyWhen(ps *PolicyState) string {
	if p.ja {
		s := "（残バジェット" + fmtFloat(ps.Below) + "%未満"
		if ps.Freeze {
			s += "・凍結"
		}
		return s + "）"
	}
	s := " (budget left below " + fmtFloat(ps.Below) + "%"
	if ps.Freeze {
		s += "; freeze"
	}
	return s + ")"
}

func (p *printer) offenders(os []Offender) rich {
	var out rich
	for i, o := range os {
		if i > 0 {
			out = append(out, txt(p.s(", ", "、")))
		}
		out = append(out, code(o.Key), txt(" "+pct(o.Share)))
	}
	return out
}

func (p *printer) alerts() []block {
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
		return []block{none(p.s("No alerts fired in the sprint.", "スプリント中に発火したアラートなし"))}
	}
	slices.SortStableFunc(all, func(a, b sloAlert) int {
		if c := a.a.Fired.Compare(b.a.Fired); c != 0 {
			return c
		}
		return strings.Compare(a.a.Key, b.a.Key)
	})
	t := &table{Class: "review-alerts", Cols: []col{
		{Head: "SLO"},
		{Head: p.s("alert", "アラート")},
		{Head: p.s("severity", "重大度")},
		{Head: p.s("fired", "発火"), Align: "nowrap"},
		{Head: p.s("resolved", "解決"), Align: "nowrap"},
		{Head: p.s("duration", "継続時間"), Align: "num"},
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
		resolved := plain(p.s("still firing", "継続中"))
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
	r := p.r
	if len(r.Changes) == 0 {
		return []block{none(p.s("No changes recorded in the sprint.", "スプリント中に記録された変更なし"))}
	}
	changes := slices.Clone(r.Changes)
	slices.SortStableFunc(changes, func(a, b Change) int { return a.At.Compare(b.At) })
	withService := r.Service == ""
	cols := []col{{Head: p.s("when", "日時"), Align: "nowrap"}}
	if withService {
		cols = append(cols, col{Head: p.s("service", "サービス")})
	}
	cols = append(cols,
		col{Head: p.s("change", "変更")},
		col{Head: p.s("kind", "種類")},
		col{Head: p.s("budget burned before → after", "バジェット消費 前 → 後")},
		col{Head: p.s("result", "結果")},
	)
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
				burns = append(burns, txt(p.s("; ", "；")))
			}
			burns = append(burns, code(b.SLO), txt(" "+pct(b.Before)+" → "+pct(b.After)))
		}
		if len(burns) == 0 {
			burns = rich{txt("—")}
		}
		result := classed(plain("✓"), "review-ok")
		if c.Failed {
			failed++
			result = classed(plain("✗ "+p.s("failed", "失敗")+p.failReasons(c)), "review-bad")
		}
		t.Rows = append(t.Rows, append(row, cell{R: what}, plain(c.Kind), cell{R: burns}, result))
	}
	bs := []block{tableBlock(t)}
	if r.ChangeFailureRate != nil {
		n := strconv.Itoa(len(changes))
		if p.ja {
			bs = append(bs, para(txt("変更失敗率："+pct(*r.ChangeFailureRate)+"（"+n+"件中"+strconv.Itoa(failed)+"件）")))
		} else {
			bs = append(bs, para(txt("Change failure rate: "+pct(*r.ChangeFailureRate)+" ("+strconv.Itoa(failed)+" of "+n+" changes).")))
		}
	}
	w := p.dur(r.ChangeWindow)
	if p.ja {
		s := "バジェット消費：各変更の前と後の" + w + "に消費した、SLO のウィンドウのエラーバジェットの割合。変更後" + w + "以内にページが発火"
		if r.FailedShare > 0 {
			s += "したか、バジェットの" + pct(r.FailedShare) + "超を消費"
		}
		bs = append(bs, note(s+"した変更を失敗とする。"))
	} else {
		s := "Budget burned: the share of the SLO's window error budget burned in the " + w + " before and in the " + w +
			" after each change. A change failed when a page fired in the " + w + " after it"
		if r.FailedShare > 0 {
			s += " or it burned more than " + pct(r.FailedShare) + " of the budget"
		}
		bs = append(bs, note(s+"."))
	}
	return bs
}

// failReasons says why a change failed: " (page, budget)".
func (p *printer) failReasons(c Change) string {
	var why []string
	if c.Paged {
		why = append(why, p.s("page", "ページ"))
	}
	if p.r.FailedShare > 0 && slices.ContainsFunc(c.Burns, func(b ChangeBurn) bool { return b.After > p.r.FailedShare }) {
		why = append(why, p.s("budget", "バジェット消費"))
	}
	if len(why) == 0 {
		return ""
	}
	return p.paren(strings.Join(why, p.s(", ", "・")))
}

func (p *printer) toil() []block {
	tl := p.r.Toil
	var bs []block
	if tl.Entries == 0 && tl.Hours == 0 {
		bs = append(bs, none(p.s("No toil logged in the sprint.", "スプリント中に記録されたトイルなし")))
	} else {
		bs = append(bs, para(txt(p.toilSummary())))
		if tl.SpareHours > 0 {
			bs = append(bs, para(txt(p.spare())))
		}
		if len(tl.ByCategory) > 0 {
			bs = append(bs, tableBlock(p.amounts(tl.ByCategory, p.s("category", "カテゴリ"), false)))
		}
		if len(tl.ByTag) > 0 {
			bs = append(bs, tableBlock(p.amounts(tl.ByTag, p.s("tag", "タグ"), true)))
		}
		if len(tl.Recurring) > 0 {
			line := rich{txt(p.s("Recurring tags: ", "繰り返し発生しているタグ："))}
			for i, a := range tl.Recurring {
				if i > 0 {
					line = append(line, txt(p.s(", ", "、")))
				}
				line = append(line, code(a.Name), txt(" "+p.hours(a.Hours)+p.paren(p.entries(a.Count))))
			}
			if !p.ja {
				line = append(line, txt("."))
			}
			bs = append(bs, para(line...))
		}
	}
	if slices.ContainsFunc(tl.Trend, func(s SprintToil) bool { return s.Hours > 0 }) {
		t := &table{Class: "review-trend", Cols: []col{
			{Head: p.s("sprint", "スプリント")},
			{Head: p.s("start", "開始"), Align: "nowrap"},
			{Head: p.s("toil (h)", "トイル（時間）"), Align: "num"},
			{Head: p.s("share of capacity", "キャパシティ比"), Align: "num"},
		}}
		for _, s := range tl.Trend {
			n := strconv.Itoa(s.Number)
			if s.Number == p.r.Sprint.Number {
				n += p.paren(p.s("this sprint", "今回"))
			}
			share := plain(pct(s.Share))
			if s.Share > 0.5 {
				share.Class = "review-bad"
			}
			t.Rows = append(t.Rows, []cell{plain(n), plain(p.date(s.Start)), plain(fmtHours(s.Hours)), share})
		}
		bs = append(bs, para(txt(p.s("Toil over the last sprints:", "直近スプリントのトイルの推移："))), tableBlock(t))
	}
	return bs
}

func (p *printer) toilSummary() string {
	tl := p.r.Toil
	if p.ja {
		s := "トイル：" + p.entries(tl.Entries) + "・" + p.hours(tl.Hours)
		switch {
		case tl.CapacityHours <= 0:
			return s + "（キャパシティ未設定）"
		case tl.OverCap:
			return s + " — チームのキャパシティ" + p.hours(tl.CapacityHours) + "の" + pct(tl.Share) + "、上限50%を超過"
		}
		return s + " — チームのキャパシティ" + p.hours(tl.CapacityHours) + "の" + pct(tl.Share) + "、上限50%以内"
	}
	s := "Toil: " + p.hours(tl.Hours) + " in " + p.entries(tl.Entries)
	switch {
	case tl.CapacityHours <= 0:
		return s + " (no capacity configured)."
	case tl.OverCap:
		return s + " — " + pct(tl.Share) + " of the team's capacity of " + p.hours(tl.CapacityHours) + ", above the 50% cap."
	}
	return s + " — " + pct(tl.Share) + " of the team's capacity of " + p.hours(tl.CapacityHours) + ", within the 50% cap."
}

// spare says how the spare capacity went: interrupts are the toil of the
// category "interrupt".
func (p *printer) spare() string {
	tl := p.r.Toil
	interrupts := -1.0
	for _, c := range tl.ByCategory {
		if c.Name == "interrupt" {
			interrupts = c.Hours
		}
	}
	if p.ja {
		s := "割り込み用の予備キャパシティ：" + p.hours(tl.SpareHours)
		if interrupts >= 0 {
			s += "、割り込み" + p.hours(interrupts)
		}
		if tl.SpareUsed {
			return s + " — 使い切り"
		}
		return s + " — 残りあり"
	}
	s := "Spare capacity for interrupts: " + p.hours(tl.SpareHours)
	if interrupts >= 0 {
		s += "; interrupts took " + p.hours(interrupts)
	}
	if tl.SpareUsed {
		return s + " — all used."
	}
	return s + " — not all used."
}

// entries is "3 entries" or "3件".
func (p *printer) entries(n int) string {
	switch {
	case p.ja:
		return strconv.Itoa(n) + "件"
	case n == 1:
		return "1 entry"
	}
	return strconv.Itoa(n) + " entries"
}

func (p *printer) amounts(as []Amount, head string, tags bool) *table {
	t := &table{Class: "review-toil", Cols: []col{
		{Head: head},
		{Head: p.s("hours", "時間"), Align: "num"},
		{Head: p.s("entries", "件数"), Align: "num"},
	}}
	for _, a := range as {
		name := plain(a.Name)
		if tags {
			name = codeCell(a.Name)
		}
		t.Rows = append(t.Rows, []cell{name, plain(fmtHours(a.Hours)), plain(strconv.Itoa(a.Count))})
	}
	return t
}

// learned is W: one sentence per finding.
func (p *printer) learned() []block {
	if len(p.r.Findings) == 0 {
		return []block{none(p.s("No findings.", "特になし"))}
	}
	items := make([]rich, len(p.r.Findings))
	for i, f := range p.r.Findings {
		items[i] = p.finding(f)
	}
	return []block{list(items)}
}

func (p *printer) finding(f Finding) rich {
	switch f.Kind {
	case FindingChangeBurn:
		w := f.Window
		if w == 0 {
			w = p.r.ChangeWindow
		}
		var out rich
		if p.ja {
			out = rich{code(f.SLO), txt(" のスプリント中のバジェット消費の" + pct(f.Share) + "が "), code(f.Change), txt(" 後の" + p.dur(w) + "に集中")}
		} else {
			out = rich{txt(pct(f.Share) + " of the sprint's burn of "), code(f.SLO), txt(" was in the " + p.dur(w) + " after "), code(f.Change)}
		}
		if f.Route != "" {
			out = append(out, txt(p.s(" (route ", "（ルート ")), code(f.Route), txt(p.s(")", "）")))
		}
		return out
	case FindingOutageRoute:
		most := f.Share > 0.5
		if p.ja {
			out := rich{code(f.SLO), txt(" の不良イベントの" + map[bool]string{true: "大半", false: "最多"}[most] + "（" + pct(f.Share) + "）は")}
			switch {
			case f.Route != "" && f.Status != "":
				return append(out, txt(" "), code(f.Route), txt(" から（主にステータス "), code(f.Status), txt("）"))
			case f.Route != "":
				return append(out, txt(" "), code(f.Route), txt(" から"))
			}
			return append(out, txt("ステータス "), code(f.Status))
		}
		out := rich{txt(map[bool]string{true: "Most", false: "The largest share of"}[most] + " bad events of "), code(f.SLO)}
		if f.Route == "" {
			return append(out, txt(" had status "), code(f.Status), txt(" ("+pct(f.Share)+")"))
		}
		out = append(out, txt(" came from "), code(f.Route), txt(" ("+pct(f.Share)))
		if f.Status != "" {
			out = append(out, txt(", mostly status "), code(f.Status))
		}
		return append(out, txt(")"))
	case FindingSLOMissed:
		out := rich{code(f.SLO), txt(p.s(" missed its objective this sprint", " は今スプリントの目標未達"))}
		if s := p.slo(f.SLO); s != nil && s.SprintSLI != nil {
			sli, obj := fmtSLI(*s.SprintSLI, sliDigits(s.Objective)), fmtFloat(s.Objective)+"%"
			out = append(out, txt(p.s(" ("+sli+" against "+obj+")", "（"+sli+"、目標"+obj+"）")))
		}
		return out
	case FindingToilRecurring:
		if p.ja {
			return rich{txt("トイルタグ "), code(f.Tag), txt(" が再発：今スプリント" + p.hours(f.Hours))}
		}
		return rich{txt("Toil tag "), code(f.Tag), txt(" recurs: " + p.hours(f.Hours) + " this sprint")}
	case FindingToilOverCap:
		share := f.Share
		if share == 0 {
			share = p.r.Toil.Share
		}
		return rich{txt(p.s("Toil took "+pct(share)+" of capacity, above the 50% cap", "トイルがキャパシティの"+pct(share)+"を占め、上限の50%を超過"))}
	case FindingSpareUsed:
		h := f.Hours
		if h == 0 {
			h = p.r.Toil.SpareHours
		}
		if h == 0 {
			return rich{txt(p.s("Interrupts used all the spare capacity", "割り込みで予備キャパシティを使い切り"))}
		}
		return rich{txt(p.s("Interrupts used all the spare capacity ("+p.hours(h)+")", "割り込みで予備キャパシティ（"+p.hours(h)+"）を使い切り"))}
	}
	return p.unknown(string(f.Kind), map[string]string{"slo": f.SLO, "route": f.Route, "status": f.Status, "change": f.Change, "tag": f.Tag}, f.Share, f.Hours)
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
		out = append(out, txt(" "+pct(share)))
	}
	if hours != 0 {
		out = append(out, txt(" "+p.hours(hours)))
	}
	return out
}

func (p *printer) slo(name string) *SLOReview {
	for i := range p.r.SLOs {
		if p.r.SLOs[i].Name == name {
			return &p.r.SLOs[i]
		}
	}
	return nil
}

// next is T: the suggestions, for the team to edit.
func (p *printer) next() []block {
	if len(p.r.Suggestions) == 0 {
		return []block{none(p.s("No suggestions.", "提案なし"))}
	}
	items := make([]rich, len(p.r.Suggestions))
	for i, s := range p.r.Suggestions {
		items[i] = p.suggestion(s)
	}
	return []block{
		{Kind: "p", Class: "review-edit", Text: rich{
			bold(p.s("Suggestions for the team to edit", "チームで編集する提案")),
			txt(p.s(": keep, change or drop each one.", "：採用・修正・削除はチームで判断")),
		}},
		{Kind: "todo", Items: items},
	}
}

func (p *printer) suggestion(s Suggestion) rich {
	switch s.Kind {
	case SuggestionPolicyAction:
		action := s.Action
		sr := p.slo(s.SLO)
		if action == "" && sr != nil && sr.Policy != nil {
			action = sr.Policy.Action
		}
		out := rich{code(s.SLO), txt(p.s(": ", "：") + action)}
		if sr != nil && sr.Policy != nil {
			if p.ja {
				out = append(out, txt("（残バジェット"+fmtFloat(sr.Policy.Below)+"%未満）"))
			} else {
				out = append(out, txt(" (budget below "+fmtFloat(sr.Policy.Below)+"%)"))
			}
		}
		return out
	case SuggestionAutomateToil:
		if p.ja {
			return rich{code(s.Tag), txt(" を自動化：今スプリント" + p.hours(s.Hours))}
		}
		return rich{txt("Automate "), code(s.Tag), txt(": " + p.hours(s.Hours) + " this sprint")}
	case SuggestionReduceToil:
		if s.Tag != "" {
			if p.ja {
				return rich{code(s.Tag), txt(" のトイルを削減：今スプリント" + p.hours(s.Hours))}
			}
			return rich{txt("Reduce the toil of "), code(s.Tag), txt(": " + p.hours(s.Hours) + " this sprint")}
		}
		h := s.Hours
		if h == 0 {
			h = p.r.Toil.Hours
		}
		if p.ja {
			return rich{txt("トイルをキャパシティの半分未満に削減：今スプリント" + p.hours(h) + "（" + pct(p.r.Toil.Share) + "）")}
		}
		return rich{txt("Reduce toil below half of the team's capacity: " + p.hours(h) + " this sprint (" + pct(p.r.Toil.Share) + ")")}
	case SuggestionFixRoute:
		if p.ja {
			return rich{code(s.Route), txt(" を修正（"), code(s.SLO), txt(" のエラーバジェットを消費）")}
		}
		return rich{txt("Fix "), code(s.Route), txt(", which burned "), code(s.SLO), txt("'s budget")}
	case SuggestionReviewChange:
		if p.ja {
			return rich{txt("失敗した変更 "), code(s.Change), txt(" を振り返る")}
		}
		return rich{txt("Review "), code(s.Change), txt(", which failed")}
	case SuggestionKeepGoing:
		return rich{txt(p.s("All SLOs met: keep the current pace", "全 SLO 達成：現在のペースを維持"))}
	}
	return p.unknown(string(s.Kind), map[string]string{"slo": s.SLO, "route": s.Route, "tag": s.Tag, "action": s.Action, "change": s.Change}, 0, s.Hours)
}

// Formatting: deterministic, independent of the process's locale and time
// zone.

// pct formats a share as a percentage: no decimals from 1% on, one below
// 1%, two below 0.1%.
func pct(f float64) string {
	v := f * 100
	a := math.Abs(v)
	switch {
	case v == 0 || math.IsNaN(v):
		return "0%"
	case math.IsInf(v, 0):
		return "∞%"
	case a >= 0.95:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + "%"
	case a >= 0.095:
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case a >= 0.005:
		return strconv.FormatFloat(v, 'f', 2, 64) + "%"
	case v > 0:
		return "<0.01%"
	}
	return "-<0.01%"
}

// sliDigits is the decimals an SLI is shown with next to an objective: one
// more than the objective has, at least 2 (99.9 → 99.87%).
func sliDigits(objective float64) int {
	s := fmtFloat(objective)
	d := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		d = len(s) - i - 1
	}
	return max(2, d+1)
}

// fmtSLI formats an SLI (a ratio) as a percentage with digits decimals,
// rounded down so that an SLI below its objective never shows as meeting it.
func fmtSLI(f float64, digits int) string {
	scale := math.Pow10(digits)
	v := math.Floor(f*100*scale+1e-6) / scale
	return strconv.FormatFloat(v, 'f', digits, 64) + "%"
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// fmtHours formats hours with at most one decimal: 6, 12.5.
func fmtHours(h float64) string {
	return strconv.FormatFloat(math.Round(h*10)/10, 'f', -1, 64)
}

func (p *printer) hours(h float64) string {
	return fmtHours(h) + p.s(" h", "時間")
}

// fmtCount formats an event count with thousands separators, one decimal
// for fractional (weighted) counts.
func fmtCount(f float64) string {
	f = math.Round(f*10) / 10
	neg := f < 0
	f = math.Abs(f)
	whole := math.Floor(f)
	s := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac := math.Round((f - whole) * 10); frac > 0 {
		b.WriteString("." + strconv.Itoa(int(frac)))
	}
	return b.String()
}

// dur formats a duration in whole minutes: 3 h, 1 h 25 min, 45 min.
func (p *printer) dur(d time.Duration) string {
	m := int64(d.Round(time.Minute) / time.Minute)
	if m <= 0 {
		if d > 0 {
			return p.s("< 1 min", "1分未満")
		}
		return p.s("0 min", "0分")
	}
	h, mm := m/60, m%60
	switch {
	case h > 0 && mm > 0:
		return fmt.Sprintf(p.s("%d h %d min", "%d時間%d分"), h, mm)
	case h > 0:
		return fmt.Sprintf(p.s("%d h", "%d時間"), h)
	}
	return fmt.Sprintf(p.s("%d min", "%d分"), mm)
}

func (p *printer) paren(s string) string { return p.s(" ("+s+")", "（"+s+"）") }

func (p *printer) date(t time.Time) string { return t.In(p.loc).Format("2006-01-02") }

// time formats an instant in the sprint's time zone, with the zone's
// abbreviation or, for zones without one, its offset: 2025-03-10 14:05 JST.
func (p *printer) time(t time.Time) string {
	t = t.In(p.loc)
	zone, _ := t.Zone()
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		zone = t.Format("-07:00")
	}
	return t.Format("2006-01-02 15:04") + " " + zone
}

// Markdown.

func (d *doc) markdown() []byte {
	var b strings.Builder
	b.WriteString("# " + mdText(d.Title) + "\n\n")
	b.WriteString(mdRich(d.Meta, false) + "\n")
	for _, s := range d.Sections {
		b.WriteString("\n## " + s.Letter + " — " + s.Heading + "\n")
		for _, bl := range s.Blocks {
			b.WriteString("\n")
			switch bl.Kind {
			case "h3":
				b.WriteString("### " + mdRich(bl.Text, false) + "\n")
			case "table":
				mdTable(&b, bl.Table)
			case "list", "todo":
				mark := "- "
				if bl.Kind == "todo" {
					mark = "- [ ] "
				}
				for _, it := range bl.Items {
					b.WriteString(mark + mdRich(it, false) + "\n")
				}
			default:
				b.WriteString(mdRich(bl.Text, false) + "\n")
			}
		}
	}
	return []byte(b.String())
}

func mdTable(b *strings.Builder, t *table) {
	b.WriteString("|")
	for _, c := range t.Cols {
		b.WriteString(" " + mdText(c.Head) + " |")
	}
	b.WriteString("\n|")
	for _, c := range t.Cols {
		switch c.Align {
		case "num":
			b.WriteString("---:|")
		case "mark":
			b.WriteString(":-:|")
		default:
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + mdRich(c.R, true) + " |")
		}
		b.WriteString("\n")
	}
}

func mdRich(r rich, inTable bool) string {
	var b strings.Builder
	for _, s := range r {
		switch {
		case s.Code:
			b.WriteString(mdCode(s.Text, inTable))
		case s.Strong:
			b.WriteString("**" + mdText(s.Text) + "**")
		default:
			b.WriteString(mdText(s.Text))
		}
	}
	return b.String()
}

// mdEscaper escapes what Markdown would read as markup in text.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`, `|`, `\|`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCode writes a code span, with a fence longer than any run of backticks
// in s; in a table, | is escaped (GitHub reads \| in a code span as |).
func mdCode(s string, inTable bool) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return ""
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// HTML.

func (d *doc) body() (template.HTML, error) {
	var b bytes.Buffer
	if err := bodyTemplate.ExecuteTemplate(&b, "body", d); err != nil {
		return "", fmt.Errorf("review: %w", err)
	}
	return template.HTML(b.String()), nil
}

var bodyTemplate = template.Must(template.New("review").Funcs(template.FuncMap{
	"cellClass": func(c col, cl cell) string { return strings.TrimSpace(c.Align + " " + cl.Class) },
	"colClass":  func(c col) string { return c.Align },
	"at":        func(cols []col, i int) col { return cols[i] },
}).Parse(`{{define "rich"}}{{range .}}{{if .Code}}<code>{{.Text}}</code>{{else if .Strong}}<strong>{{.Text}}</strong>{{else}}{{.Text}}{{end}}{{end}}{{end}}
{{- define "block"}}{{if eq .Kind "h3"}}<h3>{{template "rich" .Text}}</h3>
{{else if eq .Kind "table"}}{{$cols := .Table.Cols}}<div class="review-scroll"><table class="review-table {{.Table.Class}}">
<thead><tr>{{range .Table.Cols}}<th{{with colClass .}} class="{{.}}"{{end}}>{{.Head}}</th>{{end}}</tr></thead>
<tbody>
{{range .Table.Rows}}<tr>{{range $i, $c := .}}<td{{with cellClass (at $cols $i) $c}} class="{{.}}"{{end}}>{{template "rich" $c.R}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{else if eq .Kind "list"}}<ul class="review-list">
{{range .Items}}<li>{{template "rich" .}}</li>
{{end}}</ul>
{{else if eq .Kind "todo"}}<ul class="review-todo">
{{range .Items}}<li>{{template "rich" .}}</li>
{{end}}</ul>
{{else}}<p{{with .Class}} class="{{.}}"{{end}}>{{template "rich" .Text}}</p>
{{end}}{{end}}
{{- define "body"}}<article class="review" lang="{{.Lang}}">
<header class="review-head">
<h1>{{.Title}}</h1>
<p class="review-meta">{{template "rich" .Meta}}</p>
</header>
{{range .Sections}}<section class="review-section {{.Class}}">
<h2><span class="review-letter">{{.Letter}}</span> — {{.Heading}}</h2>
{{range .Blocks}}{{template "block" .}}{{end}}</section>
{{end}}</article>
{{end}}`))

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
{{.CSS}}</style>
</head>
<body class="review-page">
<main>
{{.Body}}</main>
</body>
</html>
`))

// CSS styles HTMLBody's classes, on screen and in print. HTML inlines it;
// a page served under a Content-Security-Policy without inline styles
// serves it as a stylesheet of its own. It reads the dashboard's colour
// variables (--fg, --muted, --border, --line, --panel, --red, --ok) where
// they are set.
const CSS = `.review-page { margin: 0; background: #fff; color: #1d2530;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Hiragino Sans", "Noto Sans JP", sans-serif; }
.review-page main { max-width: 980px; margin: 0 auto; padding: 1.5rem; }
.review { color: var(--fg, #1d2530); }
.review h1 { font-size: 1.45rem; font-weight: 650; margin: 0 0 0.3rem; }
.review h2 { font-size: 1.15rem; font-weight: 650; margin: 1.8rem 0 0.6rem; padding-bottom: 0.25rem; border-bottom: 2px solid var(--border, #dde1e6); }
.review h3 { font-size: 0.95rem; font-weight: 600; margin: 1.2rem 0 0.4rem; }
.review p { margin: 0.4rem 0; }
.review code { font: 0.92em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--line, #eceef1); padding: 0 0.3em; border-radius: 3px; }
.review-letter { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 4px; background: var(--fg, #1d2530); color: var(--panel, #fff); }
.review-meta, .review-note, .review-none, .review-muted { color: var(--muted, #67727e); }
.review-note { font-size: 0.85rem; }
.review-edit { display: inline-block; padding: 0.2rem 0.6rem; border: 1px dashed var(--muted, #67727e); border-radius: 4px; }
.review-scroll { overflow-x: auto; margin: 0.5rem 0; }
.review-table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
.review-table th, .review-table td { padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line, #eceef1); }
.review-table th { font-size: 0.75rem; font-weight: 600; color: var(--muted, #67727e); border-bottom-color: var(--border, #dde1e6); white-space: nowrap; }
.review-table .num { text-align: right; white-space: nowrap; }
.review-table .mark { text-align: center; }
.review-table .nowrap { white-space: nowrap; }
.review-toil, .review-trend { width: auto; min-width: 50%; }
.review-ok { color: var(--ok, #17803d); }
.review-bad { color: var(--red, #c0262d); font-weight: 600; }
.review-list, .review-todo { margin: 0.4rem 0; padding-left: 1.4rem; }
.review-list li, .review-todo li { margin: 0.2rem 0; }
.review-todo { list-style: none; padding-left: 0.2rem; }
.review-todo li::before { content: "☐"; margin-right: 0.5rem; }
@media print {
  @page { margin: 15mm; }
  .review-page { font-size: 11pt; }
  .review-page main { max-width: none; padding: 0; }
  .review h2, .review h3 { break-after: avoid; }
  .review-table tr, .review li { break-inside: avoid; }
  .review-scroll { overflow: visible; }
}
`
