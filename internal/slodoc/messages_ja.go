package slodoc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/headroom-slo/headroom/internal/config"
)

// japanese is the document in Japanese.
type japanese struct{}

var _ messages = japanese{}

func (japanese) Title(slo string) string { return "SLO ドキュメント：" + slo }
func (japanese) Generated(command, cfg, at string) rich {
	return rich{code(command), txt(" が "), code(cfg), txt(" から生成（" + at + " 時点）。ここの数値は手で直さず、設定を直して生成し直してください。")}
}
func (japanese) HeadStatus() string    { return "ステータス" }
func (japanese) HeadOverview() string  { return "サービス概要" }
func (japanese) HeadSLIs() string      { return "SLI と SLO" }
func (japanese) HeadRationale() string { return "根拠" }
func (japanese) HeadBudget() string    { return "エラーバジェット" }
func (japanese) HeadPolicy() string    { return "エラーバジェットポリシー" }
func (japanese) HeadAlerting() string  { return "アラート" }
func (japanese) HeadReview() string    { return "レビューの周期" }
func (japanese) HeadCaveats() string   { return "補足と注意事項" }
func (japanese) HeadApproval() string  { return "承認" }
func (japanese) Approval() rich {
	return rich{txt("承認者：______________________（氏名・役割）　承認日：____________")}
}

func (japanese) Colon() string         { return "：" }
func (japanese) Semicolon() string     { return "；" }
func (japanese) Comma() string         { return "、" }
func (japanese) And() string           { return " かつ " }
func (japanese) Paren(s string) string { return "（" + s + "）" }
func (japanese) Yes() string           { return "はい" }
func (japanese) No() string            { return "いいえ" }
func (japanese) Key(k string) string   { return k + " " }

func (japanese) ColField() string       { return "" }
func (japanese) ColValue() string       { return "" }
func (japanese) Status() string         { return "ステータス" }
func (japanese) Draft() string          { return "草案（生成済み・未承認）" }
func (japanese) Author() string         { return "作成者" }
func (japanese) Date() string           { return "日付" }
func (japanese) Reviewers() string      { return "レビュアー" }
func (japanese) Approvers() string      { return "承認者" }
func (japanese) ApprovalDate() string   { return "承認日" }
func (japanese) RevisitDate() string    { return "見直し日" }
func (japanese) ToFill() string         { return "（記入してください）" }
func (japanese) SprintEnd(n int) string { return fmt.Sprintf("スプリント %d の終わり", n) }

func (japanese) Overview(slo, service, description string) rich {
	r := rich{code(slo), txt(" はサービス "), code(service), txt(" の SLO です")}
	if description == "" {
		return append(r, txt("。設定に説明がありません：ユーザーのどんな操作を守るのかを slos[].description に書いてください。"))
	}
	return append(r, txt("："+strings.TrimRight(description, "。.")+"。"))
}
func (japanese) Siblings() string { return "このサービスのほかの SLO：" }
func (japanese) ComponentService(slo, service string) rich {
	return rich{txt("構成要素 "), code(slo), txt(" はサービス "), code(service), txt(" のものです。")}
}
func (japanese) RUMSource(service string, origins rich, rate string) rich {
	r := rich{code(service), txt(" はフロントエンドアプリです：ページを読み込んだブラウザが headroom の "), code("rum.js"),
		txt(" を動かし、ビーコン（ページビュー、Web Vitals、JavaScript エラー、API 呼び出し）を送ります。送信元：")}
	r = append(r, origins...)
	return append(r, txt("。ページビューの "+rate+" を保持します。"))
}
func (japanese) LogsIntro(service string) rich {
	return rich{txt("headroom は "), code(service), txt(" の Nginx アクセスログを読みます：")}
}
func (japanese) Format(f string) string {
	if f == "log_format" {
		return "nginx.conf から貼り付けた log_format"
	}
	return "形式 " + f
}
func (japanese) Wrapper(w string) string { return w + " のコンテナログ行" }
func (japanese) AgentSource(service string) rich {
	return rich{code(service), txt(" には "), code("headroom agent"), txt(" が各ホストで Nginx ログを読み、分ごとの集計を headroom に送ります。")}
}
func (japanese) MatchIntro() string {
	return "そのうち次に一致する行を取り込みます："
}
func (japanese) ExcludeIntro() string {
	return "どこにも数える前に除外するリクエスト（services[].exclude）："
}

func (japanese) ColCategory() string       { return "カテゴリ" }
func (japanese) ColSLI() string            { return "SLI" }
func (japanese) ColImplementation() string { return "SLI の計測方法" }
func (japanese) ColSLO() string            { return "SLO" }
func (japanese) Category(typ string) string {
	switch typ {
	case config.Availability:
		return "可用性"
	case config.Latency:
		return "レイテンシ"
	case config.WebVital:
		return "ページ体験"
	case config.JSErrors:
		return "ページのエラー"
	case config.BrowserAPI:
		return "ブラウザからの API 呼び出し"
	case config.Composite:
		return "複合"
	}
	return typ
}
func (japanese) ComponentOf(weight string) string {
	return "構成要素（重み " + weight + "）："
}
func (japanese) Definition(typ, threshold, vital string) rich {
	switch typ {
	case config.Latency:
		return rich{txt(threshold + " 以内に応答したリクエストの割合。")}
	case config.WebVital:
		return rich{txt(vital + " が " + threshold + " 以下だったページビューの割合。")}
	case config.JSErrors:
		return rich{txt("捕捉されない JavaScript エラーや未処理の reject がなかったページビューの割合。")}
	case config.BrowserAPI:
		return rich{txt("ページの API 呼び出し（fetch、XHR）のうち成功したものの割合。")}
	case config.Composite:
		return rich{txt("構成要素（下表）の SLI の加重平均。")}
	}
	return nil
}
func (japanese) AvailabilityDefinition(bad string) rich {
	return rich{txt("サーバーエラー（ステータス " + bad + "）を返さなかったリクエストの割合。")}
}
func (japanese) ImplStatus(service, bad string) rich {
	return rich{txt(service + " の Nginx アクセスログ：各リクエストの "), code("$status"), txt("；不良：" + bad)}
}
func (japanese) ImplLatency(service, variable, threshold string) rich {
	return rich{txt(service + " の Nginx アクセスログ："), code(variable), txt(" ≤ " + threshold +
		"（しきい値ちょうどで正確に数えます）；時間が記録されていないリクエストは数えません")}
}
func (japanese) ImplComposite() rich {
	return rich{txt("構成要素の良好イベント数と全イベント数から計算（OpenSLO の compositeWeight）；ある範囲にイベントがない構成要素は除きます")}
}
func (japanese) ImplBrowser(typ, service, vital, threshold string) rich {
	switch typ {
	case config.WebVital:
		return rich{txt(service + " の "), code("rum.js"), txt(" ビーコン：ブラウザが計測した各ページビューの " + vital + "、" + threshold + " 以下なら良好")}
	case config.JSErrors:
		return rich{txt(service + " の "), code("rum.js"), txt(" ビーコン：ページビューと、その最初の捕捉されないエラー（window の error・unhandledrejection イベント）")}
	}
	return rich{txt(service + " の "), code("rum.js"), txt(" ビーコン：fetch と XHR の呼び出し；失敗：ネットワークエラーまたはステータス 500 以上")}
}
func (japanese) AllEvents(browser bool) string {
	if browser {
		return "アプリの全ページを数えます"
	}
	return "サービスの全リクエストを数えます（除外分を除く）"
}
func (japanese) OnlyIntro(browser bool) string {
	if browser {
		return "数える対象：次のページだけ："
	}
	return "数える対象：次のリクエストだけ："
}
func (japanese) Over(window string) string   { return "（" + window + "）" }
func (japanese) Rolling(d string) string     { return "直近 " + d + " のローリングウィンドウ" }
func (japanese) Calendar(kind string) string { return "暦の" + calendarJa(kind) + "ごと（UTC）" }
func (japanese) EachSprint() string          { return "スプリントごと" }
func (japanese) HistoryApplies() rich {
	return rich{txt("headroom は分・ホスト・ルート・メソッド・ステータスごとの件数（とレイテンシのヒストグラム）を保存するので、設定に追加・変更した SLO はすぐに保存済みの全履歴に適用されます。")}
}

func calendarJa(kind string) string {
	switch kind {
	case "week":
		return "週"
	case "month":
		return "月"
	case "quarter":
		return "四半期"
	}
	return kind
}

func (japanese) NoStore(objective string) rich {
	return rich{txt("保存された履歴がまだないため、目標 " + objective + " を裏付けるデータはありません。サービスのログを取り込む（"),
		code("headroom import"), txt("）か "), code("headroom serve"), txt(" を動かして集めてください。")}
}
func (japanese) NoHistory(unit Unit, window, first, objective string) rich {
	what := "ウィンドウ（" + window + "）"
	if unit == UnitSprint {
		what = "スプリント"
	}
	since := "まだ何も保存されていません"
	if first != "" {
		since = "履歴は " + first + " から"
	}
	return rich{txt("イベントのある完了した" + what + "が保存されていない（" + since + "）ため、目標 " + objective + " を裏付けるデータはまだありません。")}
}
func (japanese) SuggestLater() string {
	return "履歴がたまったら、それが支える目標を確かめてください："
}
func (japanese) Achieved(unit Unit, window string, n int, from, to, worst, best, objective string, met int) rich {
	what := "スプリント"
	if unit == UnitWindow {
		what = window + "のウィンドウ"
	}
	sli := "SLI は " + worst + "〜" + best
	if worst == best {
		sli = "SLI は " + worst
	}
	r := rich{txt(fmt.Sprintf("保存された直近 %d 回の%s（%s → %s）で、%s、目標 ", n, what, from, to, sli)), bold(objective)}
	if met == n {
		return append(r, txt(fmt.Sprintf(" を %d 回すべてで達成しました。", n)))
	}
	return append(r, txt(fmt.Sprintf(" を %d 回中 %d 回達成しました。", n, met)))
}
func (japanese) Worst(period, sli string) rich {
	return rich{txt("最も悪かったのは" + period + "の " + sli + " です。その期間のレビューにバジェットの行き先があります。")}
}
func (japanese) ColPeriod() string   { return "期間" }
func (japanese) ColEvents() string   { return "イベント" }
func (japanese) ColBad() string      { return "不良" }
func (japanese) ColAchieved() string { return "SLI" }
func (japanese) ColMet() string      { return "達成" }
func (japanese) Sprint(n int) string { return "スプリント " + strconv.Itoa(n) }
func (japanese) EmptyPeriods(n int) string {
	return "イベントのない完了した期間 " + strconv.Itoa(n) + " 件は除いています。"
}
func (japanese) Inexact(why string) string {
	return "一部の期間は時間・日単位のセルから、時間・日の区切りまで広げて数えています：" + why + "。"
}
func (japanese) SuggestOwn(window string, n, met, pages, tickets int, objective string) rich {
	return rich{code("headroom suggest"), txt(fmt.Sprintf(" で同じ履歴（5xx を不良とする）を UTC の 0 時に終わる完全な %s のウィンドウ %d 回で再生すると、%s は %d 回中 %d 回達成され、既定のアラート段階ではページが %d 回、チケットが %d 件出ていました。",
		window, n, objective, n, met, pages, tickets))}
}
func (japanese) SuggestRecommends(what string, n, met, pages, tickets int) rich {
	if what == "" {
		return rich{txt("この種類の目標は推奨されていません：どの候補もルールを満たしません（docs/suggest.md）。")}
	}
	return rich{txt("この種類の SLO への推奨："), bold(what), txt(fmt.Sprintf("（%d 回中 %d 回達成、ページ %d 回、チケット %d 件）。", n, met, pages, tickets))}
}

func (japanese) SuggestMore() string {
	return "同じ履歴でほかの目標やしきい値を比べるには："
}

func (japanese) BudgetIs(budget, objective, period, allowed string) rich {
	return rich{txt("エラーバジェットは 100% − " + objective + " = "), bold(budget), txt("（各ウィンドウのイベントに対して）です。時間に直すと、" +
		period + " あたり完全停止（全リクエストが失敗）" + allowed + " に相当します。")}
}
func (japanese) BudgetNow(from, to, total, budget, bad, left string) rich {
	return rich{txt("ウィンドウ " + from + " → " + to + "：イベント " + total + " 件、よってバジェットは不良 " + budget + " 件；不良は " +
		bad + " 件で、バジェットの "), bold(left), txt(" が残っています。")}
}
func (japanese) BudgetNoData(end string) rich {
	return rich{txt(end + " に終わるウィンドウにはまだイベントがなく、バジェットは使われていません。")}
}
func (japanese) CompositeBudget() string {
	return "複合 SLO の不良イベントはイベント数 ×（1 − SLI）です：構成要素のエラーが重みに応じてバジェットを使います。"
}

func (japanese) NoPolicy() rich {
	return rich{txt("エラーバジェットポリシーが設定されていません（"), code("policy:"), txt("）。バジェットが減ったときにチームが何をするかを決めてそこに書けば、"),
		code("headroom policy check"), txt(" とスプリントレビューがそれを適用します。")}
}
func (japanese) PolicyIntro() rich {
	return rich{txt("チームのエラーバジェットポリシー（"), code("policy:"), txt("、全 SLO 共通）：残バジェットを上回るしきい値のうち最も低いルールが適用されます。")}
}
func (japanese) ColBelow() string  { return "残バジェットがこれ未満" }
func (japanese) ColAction() string { return "対応" }
func (japanese) ColFreeze() string { return "デプロイ凍結" }
func (japanese) PolicyNoData(date string) rich {
	return rich{txt(date + " 時点でウィンドウにイベントがなく、適用されるルールはありません。")}
}
func (japanese) PolicyNone(date, left string) rich {
	return rich{txt(date + " 時点で残バジェットは " + left + " で、適用されるルールはありません。")}
}
func (japanese) PolicyInForce(date, left, below, action string, freeze bool) rich {
	r := rich{txt(date + " 時点で残バジェットは " + left + " で、" + below + " 未満のルールが適用されます："), bold(action)}
	if freeze {
		return append(r, txt("（デプロイ凍結）。"))
	}
	return append(r, txt("。"))
}
func (japanese) PolicyGate(command string) rich {
	return rich{code(command), txt(" はルールがデプロイを凍結している間 1 で終了します：CI のゲートに使えます。")}
}

func (japanese) AlertingDisabled() rich {
	return rich{txt("この SLO のアラートは無効です（"), code("slos[].alerting.disabled"), txt("）：バジェットを使っても誰にも知らされません。")}
}
func (japanese) AlertingIntro() rich {
	return rich{code("headroom serve"), txt(" はマルチウィンドウ・マルチバーンレートのティア（SRE ワークブックのもの）でアラートします：長短両方のウィンドウで、ティアのバーンレート（長いウィンドウの間にバジェットの割り当て分を使い切る速さ）を超えてバジェットを使っていると発火します。")}
}
func (japanese) ColTier() string     { return "ティア" }
func (japanese) ColSeverity() string { return "重大度" }
func (japanese) ColShare() string    { return "バジェット割合" }
func (japanese) ColLong() string     { return "長いウィンドウ" }
func (japanese) ColShort() string    { return "短いウィンドウ" }
func (japanese) ColBurn() string     { return "バーンレート" }
func (japanese) ColFor() string      { return "継続" }
func (japanese) BurnNote(period string) string {
	return "バーンレート = バジェット割合 × " + period + " ÷ 長いウィンドウ：1 はちょうど 1 ウィンドウでバジェットを使い切る速さです。"
}
func (japanese) NoTiers() rich {
	return rich{txt("バーンレートのティアはすべて無効です。")}
}
func (japanese) MinEvents(n string) rich {
	return rich{txt("長いウィンドウのイベントが " + n + " 件以上のときだけ発火します：トラフィックが少ないときの数件のエラーは緊急事態ではありません。")}
}
func (japanese) Exhausted(severity string) rich {
	if severity == "" {
		return rich{txt("バジェットを使い切ってもアラートしません。")}
	}
	return rich{txt("ウィンドウのバジェットを使い切ったとき：" + severity + "。")}
}
func (japanese) NoDataAlert(after, severity string) rich {
	return rich{txt("ログやエージェントが " + after + " 途絶えたとき：" + severity + "（データなし）。")}
}
func (japanese) Runbook() string { return "ランブック：" }
func (japanese) NoNotify() rich {
	return rich{txt("通知先がありません（"), code("notify:"), txt("）：アラートはダッシュボードと "), code("headroom alerts"), txt(" にだけ表示されます。")}
}
func (japanese) NotifyIntro() string { return "通知先（notify:）：" }
func (japanese) Target(name, typ string, severities []string) rich {
	return rich{code(name), txt("（" + typ + "）：" + strings.Join(severities, "、"))}
}

func (japanese) Sprints(length, first, zone string) rich {
	return rich{txt("チームは " + first + "（" + zone + "）から " + length + " のスプリントで働き、各スプリントの終わりに SLO をレビューします。")}
}
func (japanese) NextReview(sprint int, end, command string) rich {
	return rich{txt(fmt.Sprintf("この SLO の次のレビューはスプリント %d の終わり（%s）です：", sprint, end)), code(command), txt(" がそれを書きます（YWT）。")}
}
func (japanese) NoSprints(every, by string) rich {
	return rich{txt("スプリントが設定されていません（"), code("sprints:"), txt("）：この SLO を少なくとも " + calendarJa(every) + " に一度、次は " + by + " までにレビューしてください。")}
}
func (japanese) Revisit() rich {
	return rich{txt("目標を達成できなかったとき、誰も対応しないページが発火したとき、あるいは少なくとも四半期ごとにこのドキュメントを見直し、SLO を変えたら生成し直してください。")}
}

func (japanese) CaveatUnlogged() rich {
	return rich{txt("headroom に見えるのは Nginx が記録したものだけです：Nginx に届かなかったリクエスト（DNS・TLS・ネットワークの障害、前段のロードバランサーの障害）や Nginx が書かなかった行（ログ無効、ディスクフル）は良好にも不良にも数えられません。")}
}
func (japanese) CaveatTime() rich {
	return rich{txt("リクエストはログ行の時刻の分に数えられます。Nginx はリクエストが終わったときにそれを書きます。")}
}
func (japanese) Caveat499() rich {
	return rich{txt("クライアントが待たずに切断したリクエストはステータス 499 で記録され、"), code("sli.bad_status"), txt(" に 499 がなければ良好に数えられます。")}
}
func (japanese) CaveatLatency(variable string) rich {
	if variable == "$upstream_response_time" {
		return rich{code(variable), txt(" はアップストリームの時間だけです：Nginx での待ち時間やクライアントへの送信時間は含みません。")}
	}
	return rich{code(variable), txt(" はクライアントから最初のバイトを読んでから最後のバイトを送るまでです：クライアントの遅いネットワークで長くなります。")}
}
func (japanese) CaveatExcluded() rich {
	return rich{txt("除外したリクエスト（上記）はどこにも数えられません：この SLO にも、そのバジェットにも、アラートにも。")}
}
func (japanese) CaveatBeacons() rich {
	return rich{code("rum.js"), txt(" を実行しビーコンが届いたブラウザだけが見えます：ブロックされたスクリプト、ビーコン送信前に閉じられたページ、許可されていない送信元やレート制限を超えたビーコンは数えられません。")}
}
func (japanese) CaveatSample(rate string) rich {
	return rich{txt("ページビューの " + rate + " だけを保持します（"), code("rum.sample_rate"), txt("、ページビュー単位で選択）：SLI は標本のものです。")}
}
func (japanese) CaveatComposite() rich {
	return rich{txt("複合 SLO は構成要素をトラフィックではなく重みで扱います：イベントの少ない構成要素も、同じ重みの多いものと同じだけ動かします。")}
}
func (japanese) CaveatRetention(minutes string) rich {
	return rich{txt("分単位の件数は " + minutes + " 保持します（"), code("storage.retention.minutes"), txt("）。それより古い範囲は時間・日単位の件数から答え、時間・日の区切りでは正確です。")}
}
func (japanese) CaveatConfig() rich {
	return rich{txt("このドキュメントは現在の設定を説明します：後でフィルター・除外・しきい値を変えると、履歴全体もそれに合わせて変わります。")}
}
