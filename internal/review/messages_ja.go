package review

import (
	"fmt"
	"strconv"
	"strings"
)

// japanese is the review in Japanese.
type japanese struct{}

var _ messages = japanese{}

// The document.

func (japanese) Title(sprint int, from, to string) string {
	return fmt.Sprintf("SLO レビュー — スプリント %d（%s → %s）", sprint, from, to)
}
func (japanese) MetaAll(at string) rich { return rich{txt("全サービス · 集計日時：" + at)} }
func (japanese) MetaService(service, at string) rich {
	return rich{txt("サービス："), code(service), txt(" · 集計日時：" + at)}
}
func (japanese) HeadingY() string { return "やったこと" }
func (japanese) HeadingW() string { return "わかったこと" }
func (japanese) HeadingT() string { return "つぎにやること" }

// Punctuation and units.

func (japanese) Colon() string                  { return "：" }
func (japanese) Semicolon() string              { return "；" }
func (japanese) Comma() string                  { return "、" }
func (japanese) Paren(s string) string          { return "（" + s + "）" }
func (japanese) Hours(h float64) string         { return fmtHours(h) + "時間" }
func (japanese) Minutes(m int64) string         { return strconv.FormatInt(m, 10) + "分" }
func (japanese) HoursMinutes(h, m int64) string { return fmt.Sprintf("%d時間%d分", h, m) }
func (japanese) UnderAMinute() string           { return "1分未満" }
func (japanese) Entries(n int) string           { return strconv.Itoa(n) + "件" }
func (japanese) PolicyWhen(below float64, freeze bool) string {
	s := "（残バジェット" + fmtFloat(below) + "%未満"
	if freeze {
		s += "・凍結"
	}
	return s + "）"
}

// Y: SLOs.

func (japanese) SLOs() string           { return "SLO" }
func (japanese) NoSLOs() string         { return "SLO なし" }
func (japanese) ColObjective() string   { return "目標" }
func (japanese) ColSprintSLI() string   { return "スプリント SLI" }
func (japanese) ColMet() string         { return "達成" }
func (japanese) ColBadEvents() string   { return "不良 / 全イベント" }
func (japanese) ColBudgetSpent() string { return "バジェット消費" }
func (japanese) ColBudgetLeft() string  { return "残バジェット" }
func (japanese) ColWindowSLI() string   { return "ウィンドウ SLI" }
func (japanese) NoData() string         { return "データなし" }
func (japanese) BudgetNote() string {
	return "バジェット消費：スプリント中の不良イベントが SLO のウィンドウのエラーバジェットに占める割合。残バジェットとウィンドウ SLI：スプリント終了時点。"
}
func (japanese) PolicyIntro() string {
	return "スプリント終了時点のエラーバジェットポリシー："
}
func (japanese) WhereIntro() string { return "スプリント中の不良イベントの発生元：" }
func (japanese) Routes() string     { return "ルート " }
func (japanese) Statuses() string   { return "ステータス " }

// Y: alerts.

func (japanese) Alerts() string      { return "アラート" }
func (japanese) NoAlerts() string    { return "スプリント中に発火したアラートなし" }
func (japanese) ColAlert() string    { return "アラート" }
func (japanese) ColSeverity() string { return "重大度" }
func (japanese) ColFired() string    { return "発火" }
func (japanese) ColResolved() string { return "解決" }
func (japanese) ColDuration() string { return "継続時間" }
func (japanese) StillFiring() string { return "継続中" }

// Y: maintenance windows.

func (japanese) Maintenance() string { return "メンテナンスウィンドウ" }
func (japanese) ColNote() string     { return "メモ" }
func (japanese) Weekly() string      { return "毎週" }
func (japanese) AllServices() string { return "全サービス" }
func (japanese) MaintenanceNote() string {
	return "これらのウィンドウ内のイベントは、このレビューのすべての数値（SLI、バジェット、バーンレート）から除外され、ウィンドウ中はアラートを保留しました。"
}

// Y: changes.

func (japanese) Changes() string                 { return "変更" }
func (japanese) NoChanges() string               { return "スプリント中に記録された変更なし" }
func (japanese) ColWhen() string                 { return "日時" }
func (japanese) ColService() string              { return "サービス" }
func (japanese) ColChange() string               { return "変更" }
func (japanese) ColKind() string                 { return "種類" }
func (japanese) ColBurn() string                 { return "バジェット消費 前 → 後" }
func (japanese) ColResult() string               { return "結果" }
func (japanese) Failed() string                  { return "失敗" }
func (japanese) ReasonPage() string              { return "ページ" }
func (japanese) ReasonBudget() string            { return "バジェット消費" }
func (japanese) JoinReasons(why []string) string { return strings.Join(why, "・") }
func (japanese) ChangeFailureRate(rate float64, failed, changes int) string {
	return "変更失敗率：" + Pct(rate) + "（" + strconv.Itoa(changes) + "件中" + strconv.Itoa(failed) + "件）"
}
func (japanese) ChangeNote(w string, failedShare float64) string {
	s := "バジェット消費：各変更の前と後の" + w + "に消費した、SLO のウィンドウのエラーバジェットの割合。変更後" + w + "以内にページが発火"
	if failedShare > 0 {
		s += "したか、バジェットの" + Pct(failedShare) + "超を消費"
	}
	return s + "した変更を失敗とする。"
}

// Y: toil.

func (japanese) Toil() string   { return "トイル" }
func (japanese) NoToil() string { return "スプリント中に記録されたトイルなし" }
func (j japanese) ToilSummary(t Toil) string {
	s := "トイル：" + j.Entries(t.Entries) + "・" + j.Hours(t.Hours)
	switch {
	case t.CapacityHours <= 0:
		return s + "（キャパシティ未設定）"
	case t.OverCap:
		return s + " — チームのキャパシティ" + j.Hours(t.CapacityHours) + "の" + Pct(t.Share) + "、上限50%を超過"
	}
	return s + " — チームのキャパシティ" + j.Hours(t.CapacityHours) + "の" + Pct(t.Share) + "、上限50%以内"
}
func (j japanese) Spare(spare, interrupts float64, used bool) string {
	s := "割り込み用の予備キャパシティ：" + j.Hours(spare)
	if interrupts >= 0 {
		s += "、割り込み" + j.Hours(interrupts)
	}
	if used {
		return s + " — 使い切り"
	}
	return s + " — 残りあり"
}
func (japanese) ColCategory() string { return "カテゴリ" }
func (japanese) ColTag() string      { return "タグ" }
func (japanese) ColHours() string    { return "時間" }
func (japanese) ColEntries() string  { return "件数" }
func (japanese) Recurring(tags rich) rich {
	return append(rich{txt("繰り返し発生しているタグ：")}, tags...)
}
func (japanese) TrendIntro() string { return "直近スプリントのトイルの推移：" }
func (japanese) ColSprint() string  { return "スプリント" }
func (japanese) ColStart() string   { return "開始" }
func (japanese) ColToil() string    { return "トイル（時間）" }
func (japanese) ColShare() string   { return "キャパシティ比" }
func (japanese) ThisSprint() string { return "今回" }

// W: findings.

func (japanese) NoFindings() string { return "特になし" }
func (j japanese) PagesFired(slo string, count int, tiers rich, firing string, open bool) rich {
	return j.fired("ページ", slo, count, tiers, firing, open)
}
func (j japanese) TicketsFired(slo string, count int, tiers rich, firing string, open bool) rich {
	return j.fired("チケット", slo, count, tiers, firing, open)
}
func (japanese) fired(alerts, slo string, count int, tiers rich, firing string, open bool) rich {
	out := append(append(rich{code(slo), txt(" で" + alerts + "が" + strconv.Itoa(count) + "回発火（")}, tiers...), txt("）：スプリント中の発火時間は計"+firing))
	if open {
		out = append(out, txt("、スプリント終了時点でも発火中"))
	}
	return out
}
func (japanese) ChangeFailed(change string, paged bool, slo string, share float64, window string) rich {
	out := rich{code(change), txt(" は失敗")}
	switch {
	case paged && slo != "":
		return append(out, txt("：変更後"+window+"以内にページが発火し、"), code(slo), txt(" のエラーバジェットの"+Pct(share)+"を消費"))
	case paged:
		return append(out, txt("：変更後"+window+"以内にページが発火"))
	case slo != "":
		return append(out, txt("：変更後"+window+"で "), code(slo), txt(" のエラーバジェットの"+Pct(share)+"を消費"))
	}
	return out
}
func (japanese) BudgetOverspent(slo string, spent, limit float64) rich {
	out := rich{code(slo), txt(" は今スプリントでエラーバジェットの" + Pct(spent) + "を消費し、")}
	if limit >= 0.5 {
		return append(out, txt("半分を超過"))
	}
	return append(out, txt("均等配分（スプリント長÷ウィンドウ長＝"+Pct(limit)+"）を超過"))
}
func (japanese) BudgetAtRisk(slo string, left float64, runsOut string) rich {
	switch {
	case left <= 0:
		return rich{code(slo), txt(" はエラーバジェットを使い切り（残り" + Pct(left) + "）")}
	case runsOut != "":
		return rich{txt("今スプリントのペースが続くと、"), code(slo), txt(" の残りのエラーバジェット（" + Pct(left) + "）は" + runsOut + "ごろに尽きる")}
	}
	return rich{code(slo), txt(" の残りのエラーバジェットはわずか" + Pct(left))}
}
func (japanese) ChangeBurn(slo, change, route string, share float64, window string) rich {
	out := rich{code(slo), txt(" のスプリント中のバジェット消費の" + Pct(share) + "が "), code(change), txt(" 後の" + window + "に集中")}
	if route != "" {
		out = append(out, txt("（ルート "), code(route), txt("）"))
	}
	return out
}
func (japanese) OutageRoute(slo, route, status string, share float64, most bool) rich {
	which := "最多"
	if most {
		which = "大半"
	}
	out := rich{code(slo), txt(" の不良イベントの" + which + "（" + Pct(share) + "）は")}
	switch {
	case route != "" && status != "":
		return append(out, txt(" "), code(route), txt(" から（主にステータス "), code(status), txt("）"))
	case route != "":
		return append(out, txt(" "), code(route), txt(" から"))
	}
	return append(out, txt("ステータス "), code(status))
}
func (japanese) SLOMissed(slo, sli, objective string) rich {
	out := rich{code(slo), txt(" は今スプリントの目標未達")}
	if sli != "" {
		out = append(out, txt("（"+sli+"、目標"+objective+"）"))
	}
	return out
}
func (j japanese) ToilRecurs(tag string, hours float64) rich {
	return rich{txt("トイルタグ "), code(tag), txt(" が再発：今スプリント" + j.Hours(hours))}
}
func (japanese) ToilOverCap(share float64) rich {
	return rich{txt("トイルがキャパシティの" + Pct(share) + "を占め、上限の50%を超過")}
}
func (j japanese) SpareUsed(hours float64) rich {
	if hours == 0 {
		return rich{txt("割り込みで予備キャパシティを使い切り")}
	}
	return rich{txt("割り込みで予備キャパシティ（" + j.Hours(hours) + "）を使い切り")}
}
func (japanese) CapacityForecast(service string, level int, growth *float64, days int, date string, already bool) rich {
	of := fmt.Sprintf("負荷試験で確かめたキャパシティの%d%%", level)
	switch {
	case growth == nil:
		return rich{code(service), txt(" はトラフィックの履歴が短く、キャパシティの予測はまだできない（14日分必要）")}
	case already:
		return rich{code(service), txt(" のピークはすでに" + of + "に達している")}
	}
	pace := fmt.Sprintf("今の伸び（週%s）が続くと、", signedPct(*growth))
	if date == "" {
		return rich{txt(pace), code(service), txt(" は2年以内に" + of + "には達しない")}
	}
	in := fmt.Sprintf("約%d週間後", (days+3)/7)
	if days < 14 {
		in = fmt.Sprintf("%d日後", days)
	}
	return rich{txt(pace), code(service), txt(" は" + in + "（" + date + "ごろ）に" + of + "に達する")}
}

// T: suggestions.

func (japanese) NoSuggestions() string { return "提案なし" }
func (japanese) EditHint() rich {
	return rich{bold("チームで編集する提案"), txt("：採用・修正・削除はチームで判断")}
}
func (japanese) PolicyAction(slo, action string, rule *PolicyState) rich {
	out := rich{code(slo), txt("：" + action)}
	if rule != nil {
		out = append(out, txt("（残バジェット"+fmtFloat(rule.Below)+"%未満）"))
	}
	return out
}
func (j japanese) AutomateToil(tag string, hours float64) rich {
	return rich{code(tag), txt(" を自動化：今スプリント" + j.Hours(hours))}
}
func (j japanese) ReduceToilOf(tag string, hours float64) rich {
	return rich{code(tag), txt(" のトイルを削減：今スプリント" + j.Hours(hours))}
}
func (j japanese) ReduceToil(hours, share float64) rich {
	return rich{txt("トイルをキャパシティの半分未満に削減：今スプリント" + j.Hours(hours) + "（" + Pct(share) + "）")}
}
func (japanese) FixRoute(route, slo string) rich {
	return rich{code(route), txt(" を修正（"), code(slo), txt(" のエラーバジェットを消費）")}
}
func (japanese) ReviewChange(change string) rich {
	return rich{txt("失敗した変更 "), code(change), txt(" を振り返る")}
}
func (japanese) Postmortem(slo string, pages int) rich {
	if pages == 1 {
		return rich{code(slo), txt(" のページについてポストモーテムを実施")}
	}
	return rich{code(slo), txt(" のページ（" + strconv.Itoa(pages) + "回）についてポストモーテムを実施")}
}
func (japanese) GuardChanges(service string, failed, changes int) rich {
	return rich{code(service), txt(" の変更のリリース手順を見直し、カナリアか段階的ロールアウトを導入：" +
		strconv.Itoa(changes) + "件中" + strconv.Itoa(failed) + "件の変更が失敗")}
}
func (japanese) ReliabilityWork(slo string, spent, left float64) rich {
	return rich{txt("次のスプリントは "), code(slo), txt(" の信頼性改善を機能開発より優先：今スプリントでエラーバジェットの" +
		Pct(spent) + "を消費、残り" + Pct(left))}
}
func (japanese) KeepGoing() rich { return rich{txt("全 SLO 達成：現在のペースを維持")} }
