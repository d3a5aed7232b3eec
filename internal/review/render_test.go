package review

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroom-slo/headroom/internal/report"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var jst = time.FixedZone("JST", 9*3600)

func at(day, hour, minute int) time.Time { return time.Date(2025, 3, day, hour, minute, 0, 0, jst) }

func ptr(f float64) *float64 { return &f }

// sampleReview is sprint 5 of a team with two SLOs on web: availability
// missed its objective after a deploy that paged, overspent its budget and
// has little left, latency was met; toil went over the 50% cap with a
// recurring tag. Its W and T are what Build finds in such a sprint.
func sampleReview() *Review {
	return &Review{
		Service: "web",
		Sprint:  Sprint{Number: 5, Start: at(3, 0, 0), End: at(17, 0, 0), Location: jst},
		At:      at(17, 9, 0),
		SLOs: []SLOReview{
			{
				Name: "web-availability", Service: "web", Objective: 99.9, Window: "28d", Period: 28 * 24 * time.Hour,
				SprintSLI: ptr(0.998120), SprintTotal: 1254300, SprintBad: 2358, Met: false,
				WindowSLI: 0.99887, BudgetRemaining: 0.12, BudgetSpent: 0.67,
				Alerts: []Alert{
					{Key: "burn/web-availability/ticket-1d", Severity: "ticket", Tier: "ticket-1d",
						Fired: at(11, 15, 0), Resolved: at(12, 3, 10), Duration: 12*time.Hour + 10*time.Minute},
					{Key: "burn/web-availability/page-1h", Severity: "page", Tier: "page-1h",
						Fired: at(11, 14, 5), Resolved: at(11, 15, 32), Duration: 87 * time.Minute},
				},
				TopRoutes:   []Offender{{"POST /api/deals", 1462, 0.62}, {"GET /api/deals", 495, 0.21}, {"/login", 212, 0.09}},
				TopStatuses: []Offender{{"503", 1674, 0.71}, {"500", 590, 0.25}},
				Policy:      &PolicyState{Below: 25, Action: "reliability work first"},
			},
			{
				Name: "web-latency", Service: "web", Objective: 95, Window: "28d", Period: 28 * 24 * time.Hour,
				SprintSLI: ptr(0.97120), SprintTotal: 1254300, SprintBad: 36124, Met: true,
				WindowSLI: 0.9698, BudgetRemaining: 0.40, BudgetSpent: 0.29,
			},
		},
		Changes: []Change{
			{Service: "web", Kind: "deploy", Version: "v1.4.2", Description: "new deals API", At: at(11, 13, 50),
				Burns: []ChangeBurn{
					{SLO: "web-availability", Before: 0.01, After: 0.415, BadAfter: 1462, TopRouteAfter: "POST /api/deals", ShareOfSprint: 0.62},
					{SLO: "web-latency", Before: 0.02, After: 0.05, BadAfter: 2100, TopRouteAfter: "POST /api/deals", ShareOfSprint: 0.058},
				},
				Paged: true, Failed: true},
			{Service: "web", Kind: "deploy", Version: "v1.4.1", At: at(4, 11, 20),
				Burns: []ChangeBurn{
					{SLO: "web-availability", Before: 0.004, After: 0.002},
					{SLO: "web-latency", Before: 0.01, After: 0.012},
				}},
			{Service: "web", Kind: "config", Description: "DB pool 20 → 40", At: at(13, 10, 0),
				Burns: []ChangeBurn{
					{SLO: "web-availability", Before: 0.0003, After: 0},
					{SLO: "web-latency", Before: 0.008, After: 0.006},
				}},
		},
		Maintenance: []report.Window{
			{Service: "web", Start: at(8, 2, 0), End: at(8, 4, 0), Note: "PostgreSQL 17 upgrade"},
			{Start: at(15, 3, 0), End: at(15, 3, 30), Recurring: true},
		},
		ChangeFailureRate: ptr(1.0 / 3),
		ChangeWindow:      3 * time.Hour,
		FailedShare:       0.10,
		Toil: Toil{
			Hours: 136.5, CapacityHours: 240, Share: 136.5 / 240, SpareHours: 48, SpareUsed: true, OverCap: true,
			ByCategory: []Amount{{"interrupt", 72.5, 31}, {"maintenance", 40, 9}, {"release", 24, 6}},
			ByTag:      []Amount{{"db-restart", 18.5, 11}, {"cert-renew", 6, 2}, {"flaky-ci", 4.5, 5}},
			Recurring:  []Amount{{"db-restart", 18.5, 11}},
			Trend: []SprintToil{
				{Number: 3, Start: at(3, 0, 0).AddDate(0, 0, -28), Hours: 80, Share: 80.0 / 240},
				{Number: 4, Start: at(3, 0, 0).AddDate(0, 0, -14), Hours: 110, Share: 110.0 / 240},
				{Number: 5, Start: at(3, 0, 0), Hours: 136.5, Share: 136.5 / 240},
			},
			Entries: 46,
		},
		Capacity: []CapacityForecast{{Service: "web", Level: 80, Growth: ptr(0.1), At: at(17, 0, 0).AddDate(0, 0, 63)}},
		Findings: []Finding{
			{Kind: FindingPagesFired, SLO: "web-availability", Count: 1, Tiers: []string{"page-1h"}, Duration: 87 * time.Minute},
			{Kind: FindingSLOMissed, SLO: "web-availability"},
			{Kind: FindingBudgetAtRisk, SLO: "web-availability", Share: 0.12, At: at(19, 12, 10)},
			{Kind: FindingBudgetOverspent, SLO: "web-availability", Share: 0.67, Limit: 0.5},
			{Kind: FindingChangeFailed, Change: "v1.4.2", Paged: true, SLO: "web-availability", Share: 0.415, Window: 3 * time.Hour},
			{Kind: FindingTicketsFired, SLO: "web-availability", Count: 1, Tiers: []string{"ticket-1d"}, Duration: 12*time.Hour + 10*time.Minute},
			{Kind: FindingChangeBurn, SLO: "web-availability", Change: "v1.4.2", Route: "POST /api/deals", Share: 0.62, Window: 3 * time.Hour},
			{Kind: FindingOutageRoute, SLO: "web-availability", Route: "POST /api/deals", Status: "503", Share: 0.62},
			{Kind: FindingToilOverCap, Share: 136.5 / 240},
			{Kind: FindingSpareUsed},
			{Kind: FindingToilRecurring, Tag: "db-restart", Hours: 18.5},
			{Kind: FindingCapacity, Capacity: &CapacityForecast{Service: "web", Level: 80, Growth: ptr(0.1), At: at(17, 0, 0).AddDate(0, 0, 63)}},
		},
		Suggestions: []Suggestion{
			{Kind: SuggestionPolicyAction, SLO: "web-availability", Action: "reliability work first"},
			{Kind: SuggestionPostmortem, SLO: "web-availability", Count: 1},
			{Kind: SuggestionFixRoute, SLO: "web-availability", Route: "POST /api/deals"},
			{Kind: SuggestionReviewChange, Change: "v1.4.2"},
			{Kind: SuggestionGuardChanges, Service: "web", Count: 1, Total: 3},
			{Kind: SuggestionAutomateToil, Tag: "db-restart", Hours: 18.5},
			{Kind: SuggestionReduceToil, Hours: 136.5},
		},
	}
}

// quietReview is a sprint without changes, alerts, toil, findings or
// suggestions, with an SLO that had no events.
func quietReview() *Review {
	return &Review{
		Sprint: Sprint{Number: 1, Start: at(3, 0, 0), End: at(17, 0, 0), Location: jst},
		At:     at(17, 9, 0),
		SLOs: []SLOReview{{
			Name: "batch-availability", Service: "batch", Objective: 99.5, Window: "28d",
			Met: true, WindowSLI: 1, BudgetRemaining: 1,
		}},
		ChangeWindow: 3 * time.Hour,
		FailedShare:  0.10,
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/review -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the rendering at line %d:\n got: %q\nwant: %q\n(run go test ./internal/review -update after checking the change)", path, i+1, g, w)
			}
		}
		t.Fatalf("%s differs from the rendering", path)
	}
}

func TestGolden(t *testing.T) {
	// The output depends on the sprint's time zone only, not the process's.
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("XST", -5*3600)

	r := sampleReview()
	for _, c := range []struct {
		file   string
		render func(*Review, string) ([]byte, error)
		lang   string
	}{
		{"review_en.md", Markdown, "en"},
		{"review_ja.md", Markdown, "ja"},
		{"review_en.html", HTML, "en"},
	} {
		t.Run(c.file, func(t *testing.T) {
			got, err := c.render(r, c.lang)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.file, got)
			again, err := c.render(r, c.lang)
			if err != nil || !bytes.Equal(got, again) {
				t.Errorf("a second rendering differs (err %v)", err)
			}
		})
	}
}

func TestUnknownLanguage(t *testing.T) {
	r := sampleReview()
	for _, lang := range []string{"", "de", "EN", "ja-JP"} {
		if _, err := Markdown(r, lang); err == nil {
			t.Errorf("Markdown(%q): no error", lang)
		}
		if _, err := HTML(r, lang); err == nil {
			t.Errorf("HTML(%q): no error", lang)
		}
		if _, err := HTMLBody(r, lang); err == nil {
			t.Errorf("HTMLBody(%q): no error", lang)
		}
	}
	if _, err := Markdown(nil, "en"); err == nil {
		t.Error("Markdown(nil): no error")
	}
}

func TestNoneLines(t *testing.T) {
	r := quietReview()
	want := map[string][]string{
		"en": {
			"No alerts fired in the sprint.", "No changes recorded in the sprint.", "No toil logged in the sprint.",
			"No findings.", "No suggestions.", "All services · computed at 2025-03-17 09:00 JST", "no data",
		},
		"ja": {
			"スプリント中に発火したアラートなし", "スプリント中に記録された変更なし", "スプリント中に記録されたトイルなし",
			"特になし", "提案なし", "全サービス · 集計日時：2025-03-17 09:00 JST", "データなし",
		},
	}
	for lang, lines := range want {
		md, err := Markdown(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		body, err := HTMLBody(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if !strings.Contains(string(md), l) {
				t.Errorf("Markdown(%s) lacks %q:\n%s", lang, l, md)
			}
			if !strings.Contains(string(body), l) {
				t.Errorf("HTMLBody(%s) lacks %q:\n%s", lang, l, body)
			}
		}
		for _, absent := range []string{"Change failure rate", "変更失敗率", "|---|---|---|", "trend", "推移"} {
			if strings.Contains(string(md), absent) {
				t.Errorf("Markdown(%s) has %q without changes or toil:\n%s", lang, absent, md)
			}
		}
	}
}

// TestHTMLBodyCSP checks that the dashboard's markup needs no inline style
// or script, and that HTML is HTMLBody in a standalone page.
func TestHTMLBodyCSP(t *testing.T) {
	for _, r := range []*Review{sampleReview(), quietReview()} {
		for _, lang := range Languages {
			body, err := HTMLBody(r, lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"style", "<script", " onclick=", " onload=", "javascript:"} {
				if strings.Contains(string(body), bad) {
					t.Errorf("HTMLBody(%s) contains %q", lang, bad)
				}
			}
			if !strings.HasPrefix(string(body), `<article class="review" lang="`+lang+`">`) {
				t.Errorf("HTMLBody(%s) starts with %.60q", lang, body)
			}
			page, err := HTML(r, lang)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(page, []byte("<main>\n"+string(body)+"</main>")) {
				t.Errorf("HTML(%s) does not hold HTMLBody in its <main>", lang)
			}
			if !bytes.Contains(page, []byte(`<html lang="`+lang+`">`)) || !bytes.Contains(page, []byte("<style>\n"+CSS+"</style>")) {
				t.Errorf("HTML(%s): no lang or no inline CSS", lang)
			}
		}
	}
}

// TestEscaping feeds markup through the user's strings (descriptions,
// routes, versions).
func TestEscaping(t *testing.T) {
	r := quietReview()
	r.Service = "web"
	r.Changes = []Change{{Service: "web", Kind: "deploy", Version: "v`1|2", Description: "<script>alert(1)</script> a|b *x* [l](u)", At: at(4, 10, 0)}}
	r.ChangeFailureRate = ptr(0)
	r.Findings = []Finding{{Kind: FindingOutageRoute, SLO: "batch-availability", Route: "/a|b/<c>", Share: 0.4}}
	body, err := HTMLBody(r, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt; a|b *x* [l](u)", "<code>v`1|2</code>", "<code>/a|b/&lt;c&gt;</code>",
		"The largest share of bad events of <code>batch-availability</code> came from",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("HTMLBody lacks %q:\n%s", want, body)
		}
	}
	md, err := Markdown(r, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| `` v`1\\|2 `` \\<script\\>alert(1)\\</script\\> a\\|b \\*x\\* \\[l\\](u) | deploy |",
		"came from `/a|b/<c>` (40%)",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0%"}, {1, "100%"}, {0.62, "62%"}, {0.625, "63%"}, {1.0 / 3, "33%"}, {0.0095, "1%"}, {0.009, "0.9%"},
		{0.004, "0.4%"}, {0.0004, "0.04%"}, {0.00001, "<0.01%"}, {-0.35, "-35%"}, {2.5, "250%"},
	} {
		if got := Pct(c.f); got != c.want {
			t.Errorf("pct(%v) = %q, want %q", c.f, got, c.want)
		}
	}
	// SLIs are written by report.FormatSLI (tested there), as everywhere.
	for f, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1254300: "1,254,300", 12.25: "12.3", 1234567.5: "1,234,567.5"} {
		if got := FmtCount(f); got != want {
			t.Errorf("fmtCount(%v) = %q, want %q", f, got, want)
		}
	}
	en, ja := &printer{m: english{}}, &printer{m: japanese{}}
	for d, want := range map[time.Duration][2]string{
		0:                                {"0 min", "0分"},
		20 * time.Second:                 {"< 1 min", "1分未満"},
		45 * time.Minute:                 {"45 min", "45分"},
		3 * time.Hour:                    {"3 h", "3時間"},
		87*time.Minute + 20*time.Second:  {"1 h 27 min", "1時間27分"},
		26*time.Hour + 10*time.Minute:    {"26 h 10 min", "26時間10分"},
		89*time.Minute + 40*time.Second:  {"1 h 30 min", "1時間30分"},
		119*time.Minute + 50*time.Second: {"2 h", "2時間"},
	} {
		if got := [2]string{en.dur(d), ja.dur(d)}; got != want {
			t.Errorf("dur(%v) = %q, want %q", d, got, want)
		}
	}
	instant := time.Date(2025, 3, 10, 5, 5, 0, 0, time.UTC)
	for _, c := range []struct {
		loc  *time.Location
		want string
	}{
		{jst, "2025-03-10 14:05 JST"},
		{time.UTC, "2025-03-10 05:05 UTC"},
		{time.FixedZone("", 5*3600+1800), "2025-03-10 10:35 +05:30"},
		{time.FixedZone("-03", -3*3600), "2025-03-10 02:05 -03:00"},
	} {
		p := &printer{loc: c.loc}
		if got := p.time(instant); got != c.want {
			t.Errorf("time in %v = %q, want %q", c.loc, got, c.want)
		}
	}
}

func TestPolicyAndFindingVariants(t *testing.T) {
	r := quietReview()
	r.SLOs[0].Policy = &PolicyState{Below: 0, Action: "feature freeze except fixes", Freeze: true}
	r.Findings = []Finding{
		{Kind: FindingOutageRoute, SLO: "batch-availability", Status: "503", Share: 0.8},
		{Kind: "something_new", SLO: "batch-availability", Share: 0.2},
	}
	r.Suggestions = []Suggestion{{Kind: SuggestionPolicyAction, SLO: "batch-availability", Action: "feature freeze except fixes"}}
	want := map[string][]string{
		"en": {
			"- `batch-availability`: feature freeze except fixes (budget left below 0%; freeze)",
			"- Most bad events of `batch-availability` had status `503` (80%)",
			"- `something_new` slo `batch-availability` 20%",
			"- [ ] `batch-availability`: feature freeze except fixes (budget below 0%)",
		},
		"ja": {
			"- `batch-availability`：feature freeze except fixes（残バジェット0%未満・凍結）",
			"- `batch-availability` の不良イベントの大半（80%）はステータス `503`",
			"- [ ] `batch-availability`：feature freeze except fixes（残バジェット0%未満）",
		},
	}
	hasLines(t, r, want)
}

// TestAlertChangeBudgetVariants: the sentences of the findings and
// suggestions on alerts, failed changes and budgets the golden sample does
// not show, in both languages.
func TestAlertChangeBudgetVariants(t *testing.T) {
	r := quietReview()
	r.Findings = []Finding{
		{Kind: FindingPagesFired, SLO: "batch-availability", Count: 3, Tiers: []string{"page-1h", "page-6h"}, Duration: 70 * time.Minute, Firing: true},
		{Kind: FindingTicketsFired, SLO: "batch-availability", Count: 2, Tiers: []string{"ticket-3d"}, Duration: 9*time.Hour + 5*time.Minute},
		{Kind: FindingChangeFailed, Change: "v2", Paged: true},
		{Kind: FindingChangeFailed, Change: "v3", SLO: "batch-availability", Share: 0.12, Window: time.Hour},
		{Kind: FindingBudgetOverspent, SLO: "batch-availability", Share: 0.6, Limit: 0.25},
		{Kind: FindingBudgetAtRisk, SLO: "batch-availability", Share: -0.05},
		{Kind: FindingBudgetAtRisk, SLO: "batch-availability", Share: 0.2},
	}
	r.Suggestions = []Suggestion{
		{Kind: SuggestionPostmortem, SLO: "batch-availability", Count: 3},
		{Kind: SuggestionGuardChanges, Service: "batch", Count: 2, Total: 2},
		{Kind: SuggestionReliabilityWork, SLO: "batch-availability", Share: 0.6, Left: -0.05},
		{Kind: SuggestionKeepGoing},
	}
	want := map[string][]string{
		"en": {
			"- 3 pages fired for `batch-availability` (`page-1h`, `page-6h`), firing for 1 h 10 min of the sprint and still firing at its end",
			"- 2 tickets fired for `batch-availability` (`ticket-3d`), firing for 9 h 5 min of the sprint",
			"- `v2` failed: a page fired in the 3 h after it",
			"- `v3` failed: it burned 12% of `batch-availability`'s budget in the 1 h after it",
			"- `batch-availability` spent 60% of its error budget in the sprint, more than its even share (25%, the sprint's length over the window's)",
			"- `batch-availability` has spent all its error budget (-5% left)",
			"- `batch-availability` has only 20% of its error budget left",
			"- [ ] Hold a postmortem of the 3 pages of `batch-availability`",
			"- [ ] Review how changes to `batch` ship, and add a canary or a staged rollout: 2 of 2 changes failed",
			"- [ ] Put reliability work on `batch-availability` ahead of features next sprint: the sprint spent 60% of its error budget, -5% is left",
			"- [ ] All SLOs met: keep the current pace",
		},
		"ja": {
			"- `batch-availability` でページが3回発火（`page-1h`、`page-6h`）：スプリント中の発火時間は計1時間10分、スプリント終了時点でも発火中",
			"- `batch-availability` でチケットが2回発火（`ticket-3d`）：スプリント中の発火時間は計9時間5分",
			"- `v2` は失敗：変更後3時間以内にページが発火",
			"- `v3` は失敗：変更後1時間で `batch-availability` のエラーバジェットの12%を消費",
			"- `batch-availability` は今スプリントでエラーバジェットの60%を消費し、均等配分（スプリント長÷ウィンドウ長＝25%）を超過",
			"- `batch-availability` はエラーバジェットを使い切り（残り-5%）",
			"- `batch-availability` の残りのエラーバジェットはわずか20%",
			"- [ ] `batch-availability` のページ（3回）についてポストモーテムを実施",
			"- [ ] `batch` の変更のリリース手順を見直し、カナリアか段階的ロールアウトを導入：2件中2件の変更が失敗",
			"- [ ] 次のスプリントは `batch-availability` の信頼性改善を機能開発より優先：今スプリントでエラーバジェットの60%を消費、残り-5%",
			"- [ ] 全 SLO 達成：現在のペースを維持",
		},
	}
	hasLines(t, r, want)
}

// hasLines checks that the review's Markdown in each language has each of
// the wanted lines.
func hasLines(t *testing.T, r *Review, want map[string][]string) {
	t.Helper()
	for lang, lines := range want {
		md, err := Markdown(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if !strings.Contains(string(md), l+"\n") {
				t.Errorf("Markdown(%s) lacks %q:\n%s", lang, l, md)
			}
		}
	}
}
