package slodoc_test

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/slodoc"
	"github.com/headroom-slo/headroom/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fixture is the goldens' config: an availability SLO, a latency SLO, a
// composite of the two and a frontend SLO; sprints, a policy and notify
// targets. The {SPRINTS} line is replaced to test without sprints.
const fixture = `
storage: {dir: ./data, retention: {minutes: forever}}
{SPRINTS}
policy:
  - {below: 50, action: reliability work first in the next sprint}
  - {below: 0, action: freeze feature deploys, freeze: true}
notify:
  - {name: oncall, type: alertmanager, url: "http://127.0.0.1:9093", severities: [page]}
  - {name: team-slack, type: slack, webhook_url_env: SLACK_URL}
  - {name: other-team, type: webhook, url: "http://127.0.0.1:9000/hook", services: [app]}
services:
  - name: web
    logs:
      - path: /var/log/nginx/access.log*
        log_format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time'
    exclude:
      - route: ^/health
      - {user_agent: kube-probe, method: GET}
  - name: app
    rum: {origins: ["https://app.example.com"], sample_rate: 0.5}
slos:
  - name: web-availability
    service: web
    description: Customers can load and use the deals pages and API.
    objective: 99.9
    window: 28d
    runbook: https://runbooks.example.com/web
    sli: {type: availability, bad_status: [5xx, 429]}
  - name: api-latency
    service: web
    objective: 99
    window: 28d
    filter: {route: ^/api/, method: [GET]}
    sli: {type: latency, threshold: 300ms}
    alerting:
      min_events: 100
      tiers:
        - {name: ticket-3d, disabled: true}
        - {name: page-1h, for: 2m}
  - name: checkout
    service: web
    objective: 99.5
    window: month
    sli: {type: composite, components: [{slo: web-availability, weight: 2}, {slo: api-latency}]}
  - name: app-lcp
    service: app
    description: Pages show their main content quickly.
    objective: 75
    window: 28d
    sli: {type: web_vital, vital: LCP, threshold: 2.5s}
    alerting: {disabled: true}
`

const sprints = "sprints: {start: 2026-06-01, length: 14d, timezone: UTC}"

var (
	// first is where the stored traffic starts, at the start of sprint 2;
	// at is when the documents are written, in sprint 8.
	first = time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	at    = time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC)
	// incident: 300 503s an hour for 5 hours, in sprint 6 (2026-08-10 →
	// 2026-08-24); slowFrom, slowTo: 20 slow responses an hour instead of
	// 5, in sprint 4 (2026-07-13 → 2026-07-27).
	incident = time.Date(2026, 8, 12, 10, 0, 0, 0, time.UTC)
	slowFrom = time.Date(2026, 7, 13, 0, 0, 0, 0, time.UTC)
	slowTo   = time.Date(2026, 7, 27, 0, 0, 0, 0, time.UTC)
)

// hour is the traffic stored in the first minute of each hour h: the
// generator, and the truth the tests compute the SLIs from by hand.
type hour struct {
	fast, slow, checkout, e503, e429 uint64
}

func traffic(h time.Time) hour {
	t := hour{fast: 900, slow: 5, checkout: 100}
	if h.Hour()%3 == 0 {
		t.e503 = 1
	}
	if h.Hour() == 3 {
		t.e429 = 1
	}
	if !h.Before(incident) && h.Before(incident.Add(5*time.Hour)) {
		t.e503 += 300
	}
	if !h.Before(slowFrom) && h.Before(slowTo) {
		t.slow = 20
	}
	return t
}

// want computes the SLOs' events over [from, to) from the generator alone.
func want(from, to time.Time) (avail, lat slo.Counts) {
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		if h.Before(first) || !h.Before(at) {
			continue
		}
		t := traffic(h)
		all := float64(t.fast + t.slow + t.checkout + t.e503 + t.e429)
		avail = avail.Add(slo.Counts{Total: all, Good: all - float64(t.e503+t.e429)})
		api := float64(t.fast + t.slow + t.e503 + t.e429) // GET /api/deals, every status timed
		lat = lat.Add(slo.Counts{Total: api, Good: api - float64(t.slow)})
	}
	return avail, lat
}

// open writes the fixture (with sprintsLine) and fills its store.
func open(t *testing.T, sprintsLine string) slodoc.Inputs {
	t.Helper()
	cfg, st, eng := headroomtest.Open(t, strings.Replace(fixture, "{SPRINTS}", sprintsLine, 1))
	layout := cells.NewLayout(300)
	fast, slow := layout.Bucket(100_000), layout.Bucket(1_000_000)
	deals := func(status int) store.DimValue {
		return store.DimValue{Host: "deals.example.com", Route: "/api/deals", Method: "GET", Status: status}
	}
	minutes := int(at.Sub(first) / time.Minute)
	headroomtest.Fill(t, st, "web", first, minutes, func(m time.Time, add headroomtest.AddFunc) {
		if m.Minute() != 0 {
			return
		}
		tr := traffic(m)
		add(deals(200), fast, tr.fast)
		add(deals(200), slow, tr.slow)
		add(store.DimValue{Host: "deals.example.com", Route: "/checkout", Method: "POST", Status: 200}, fast, tr.checkout)
		if tr.e503 > 0 {
			add(deals(503), fast, tr.e503)
		}
		if tr.e429 > 0 {
			add(deals(429), fast, tr.e429)
		}
	})
	return slodoc.Inputs{Config: cfg, Engine: eng, Store: st}
}

func build(t *testing.T, in slodoc.Inputs, name string) *slodoc.Document {
	t.Helper()
	d, err := slodoc.Build(context.Background(), in, slodoc.Options{SLO: name, At: at,
		Command: "headroom slo-doc --config headroom.yaml --slo " + name + " --at " + at.Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	w, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/slodoc -update to write it)", err)
	}
	if !bytes.Equal(got, w) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(w), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, l string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				l = wl[i]
			}
			if g != l {
				t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(run go test ./internal/slodoc -update after checking the change)", path, i+1, g, l)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	// Dates are in the sprints' time zone, never the process's.
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("XST", -5*3600)

	in := open(t, sprints)
	for _, c := range []struct {
		slo   string
		langs []string
		html  bool
	}{
		{"web-availability", []string{"en", "ja"}, true},
		{"api-latency", []string{"en", "ja"}, false},
		{"checkout", []string{"en", "ja"}, false},
		{"app-lcp", []string{"en", "ja"}, false},
	} {
		d := build(t, in, c.slo)
		for _, lang := range c.langs {
			t.Run(c.slo+"_"+lang, func(t *testing.T) {
				md, err := slodoc.Markdown(d, lang)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, c.slo+"_"+lang+".md", md)
				checkTables(t, md)
				again, err := slodoc.Markdown(d, lang)
				if err != nil || !bytes.Equal(md, again) {
					t.Errorf("a second rendering differs (err %v)", err)
				}
				if !c.html {
					return
				}
				h, err := slodoc.HTML(d, lang)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, c.slo+"_"+lang+".html", h)
				checkHTML(t, h)
			})
		}
	}
}

// TestRationaleBySprint: the rationale's SLIs, per complete sprint of the
// stored history, equal those computed from the generator by hand, and the
// sprints that met the objective are those the generator's incidents leave.
func TestRationaleBySprint(t *testing.T) {
	in := open(t, sprints)
	sprintStarts := []time.Time{}
	for s := first; !s.Add(14 * 24 * time.Hour).After(at); s = s.Add(14 * 24 * time.Hour) {
		sprintStarts = append(sprintStarts, s)
	}
	if len(sprintStarts) != 6 {
		t.Fatalf("the fixture has %d complete sprints, want 6", len(sprintStarts))
	}
	for _, c := range []struct {
		slo    string
		missed []int // the sprints that missed the objective
	}{
		{"web-availability", []int{6}},
		{"api-latency", []int{4}},
		{"checkout", []int{4, 6}},
	} {
		t.Run(c.slo, func(t *testing.T) {
			d := build(t, in, c.slo)
			h := d.History
			if len(h.Periods) != len(sprintStarts) {
				t.Fatalf("%d periods, want %d", len(h.Periods), len(sprintStarts))
			}
			for i, p := range h.Periods {
				from, to := sprintStarts[i], sprintStarts[i].Add(14*24*time.Hour)
				if !p.From.Equal(from) || !p.To.Equal(to) || p.Sprint != i+2 {
					t.Fatalf("period %d: sprint %d %v → %v, want sprint %d %v → %v", i, p.Sprint, p.From, p.To, i+2, from, to)
				}
				a, l := want(from, to)
				var w slo.Counts
				switch c.slo {
				case "web-availability":
					w = a
				case "api-latency":
					w = l
				default:
					sli := (2*a.SLI() + l.SLI()) / 3
					w = slo.Counts{Total: a.Total + l.Total, Good: (a.Total + l.Total) * sli}
				}
				if math.Abs(p.Counts.Total-w.Total) > 1e-6 || math.Abs(p.SLI()-w.SLI()) > 1e-9 {
					t.Errorf("sprint %d: total %v, SLI %v; want %v, %v", p.Sprint, p.Counts.Total, p.SLI(), w.Total, w.SLI())
				}
				missed := false
				for _, n := range c.missed {
					missed = missed || n == p.Sprint
				}
				if p.Met == missed {
					t.Errorf("sprint %d: met %v, want %v (SLI %v)", p.Sprint, p.Met, !missed, p.SLI())
				}
			}
			if got := h.Met(); got != 6-len(c.missed) {
				t.Errorf("met in %d, want %d", got, 6-len(c.missed))
			}
		})
	}
}

// TestRationaleByWindow: without sprints, the periods are the SLO's
// window: 28d back to back from the last midnight, calendar months.
func TestRationaleByWindow(t *testing.T) {
	in := open(t, "")
	day := 24 * time.Hour
	end := time.Date(2026, 9, 10, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		slo     string
		periods [][2]time.Time
	}{
		{"web-availability", [][2]time.Time{{end.Add(-84 * day), end.Add(-56 * day)}, {end.Add(-56 * day), end.Add(-28 * day)}, {end.Add(-28 * day), end}}},
		{"checkout", [][2]time.Time{
			{time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)},
			{time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		}},
	} {
		t.Run(c.slo, func(t *testing.T) {
			h := build(t, in, c.slo).History
			if h.Unit != slodoc.UnitWindow || len(h.Periods) != len(c.periods) {
				t.Fatalf("unit %v, %d periods; want windows, %d", h.Unit, len(h.Periods), len(c.periods))
			}
			for i, p := range h.Periods {
				if !p.From.Equal(c.periods[i][0]) || !p.To.Equal(c.periods[i][1]) {
					t.Errorf("period %d: %v → %v, want %v → %v", i, p.From, p.To, c.periods[i][0], c.periods[i][1])
				}
				a, l := want(p.From, p.To)
				w := a
				if c.slo == "checkout" {
					sli := (2*a.SLI() + l.SLI()) / 3
					w = slo.Counts{Total: a.Total + l.Total, Good: (a.Total + l.Total) * sli}
				}
				if math.Abs(p.Counts.Total-w.Total) > 1e-6 || math.Abs(p.SLI()-w.SLI()) > 1e-9 {
					t.Errorf("period %d: total %v, SLI %v; want %v, %v", i, p.Counts.Total, p.SLI(), w.Total, w.SLI())
				}
			}
		})
	}
}

// TestWithoutStore: from the config alone, the document says there is no
// history and gives no numbers of the window.
func TestWithoutStore(t *testing.T) {
	cfg := headroomtest.Config(t, strings.Replace(fixture, "{SPRINTS}", "", 1))
	d, err := slodoc.Build(context.Background(), slodoc.Inputs{Config: cfg}, slodoc.Options{SLO: "web-availability", At: at, Command: "headroom slo-doc"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.History.NoStore || d.Status != nil {
		t.Fatalf("history %+v, status %v: want no store, no status", d.History, d.Status)
	}
	for _, lang := range slodoc.Languages {
		md, err := slodoc.Markdown(d, lang)
		if err != nil {
			t.Fatal(err)
		}
		checkTables(t, md)
		if !strings.Contains(string(md), "headroom import") {
			t.Errorf("%s: the rationale does not say how to get history:\n%s", lang, md)
		}
	}
}

func TestUnknownSLOAndLanguage(t *testing.T) {
	cfg := headroomtest.Config(t, strings.Replace(fixture, "{SPRINTS}", "", 1))
	_, err := slodoc.Build(context.Background(), slodoc.Inputs{Config: cfg}, slodoc.Options{SLO: "web-availabilty", At: at})
	if err == nil || !strings.Contains(err.Error(), `did you mean "web-availability"`) {
		t.Errorf("unknown SLO: %v, want a did-you-mean", err)
	}
	d, err := slodoc.Build(context.Background(), slodoc.Inputs{Config: cfg}, slodoc.Options{SLO: "checkout", At: at})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"", "de", "EN"} {
		if _, err := slodoc.Markdown(d, lang); err == nil {
			t.Errorf("Markdown(%q): no error", lang)
		}
		if _, err := slodoc.HTML(d, lang); err == nil {
			t.Errorf("HTML(%q): no error", lang)
		}
	}
}

// TestEscaping: config text reaches the document as text, never markup.
func TestEscaping(t *testing.T) {
	y := strings.Replace(fixture, "description: Customers can load and use the deals pages and API.",
		"description: '<script>alert(1)</script> *bold* | pipe `tick` [link](http://x)'", 1)
	y = strings.Replace(y, "filter: {route: ^/api/, method: [GET]}", "filter: {route: '^/(api|v2)/`x`<b>', method: [GET]}", 1)
	cfg := headroomtest.Config(t, strings.Replace(y, "{SPRINTS}", "", 1))
	for _, name := range []string{"web-availability", "api-latency"} {
		d, err := slodoc.Build(context.Background(), slodoc.Inputs{Config: cfg}, slodoc.Options{SLO: name, At: at, Command: "headroom slo-doc"})
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range slodoc.Languages {
			h, err := slodoc.HTML(d, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkHTML(t, h)
			if bytes.Contains(h, []byte("<script>")) || bytes.Contains(h, []byte("<b>")) {
				t.Errorf("%s %s: config text is not escaped in HTML", name, lang)
			}
			md, err := slodoc.Markdown(d, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkTables(t, md)
			s := string(md)
			if name == "web-availability" && !strings.Contains(s, `\<script\>alert(1)\</script\> \*bold\* \| pipe \`+"`tick\\`"+` \[link\](http://x)`) {
				t.Errorf("%s %s: the description is not escaped in Markdown:\n%s", name, lang, s)
			}
			if name == "api-latency" && !strings.Contains(s, "`` ^/(api\\|v2)/`x`<b> ``") {
				t.Errorf("%s %s: the route filter is not a code span with its pipe escaped:\n%s", name, lang, s)
			}
		}
	}
}

// TestCheckersCatch: the checks the goldens rely on fail on what they are
// for.
func TestCheckersCatch(t *testing.T) {
	var ft fakeT
	checkTables(&ft, []byte("| a | b |\n|---|---|\n| 1 | 2 | 3 |\n"))
	if !ft.failed {
		t.Error("checkTables passed a row with three cells under two columns")
	}
	ft = fakeT{}
	checkTables(&ft, []byte("no tables here\n"))
	if !ft.failed {
		t.Error("checkTables passed a document without tables")
	}
	ft = fakeT{}
	checkHTML(&ft, []byte("<!doctype html><html><body><p>x<script>alert(1)</script></p></body></html>"))
	if !ft.failed {
		t.Error("checkHTML passed a script element")
	}
}

// TestPeriods: the complete periods before at that start at or after
// first, oldest first, at most n.
func TestPeriods(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	win := func(s string) slo.Window {
		w, err := slo.ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for _, c := range []struct {
		name      string
		w         slo.Window
		first, at time.Time
		n         int
		want      []time.Time // the periods' bounds, in order: from, to, from, to…
	}{
		{"rolling, at a midnight", win("7d"), d(2026, 1, 1), d(2026, 1, 22), 12,
			[]time.Time{d(2026, 1, 1), d(2026, 1, 8), d(2026, 1, 8), d(2026, 1, 15), d(2026, 1, 15), d(2026, 1, 22)}},
		{"rolling, mid-day, the oldest incomplete", win("7d"), d(2026, 1, 2), d(2026, 1, 22).Add(13 * time.Hour), 12,
			[]time.Time{d(2026, 1, 8), d(2026, 1, 15), d(2026, 1, 15), d(2026, 1, 22)}},
		{"rolling, at most n", win("7d"), d(2025, 1, 1), d(2026, 1, 22), 2,
			[]time.Time{d(2026, 1, 8), d(2026, 1, 15), d(2026, 1, 15), d(2026, 1, 22)}},
		{"weeks start on Monday", win("week"), d(2026, 1, 1), d(2026, 1, 22), 12, // a Thursday
			[]time.Time{d(2026, 1, 5), d(2026, 1, 12), d(2026, 1, 12), d(2026, 1, 19)}},
		{"quarters", win("quarter"), d(2025, 4, 1), d(2026, 1, 22), 12,
			[]time.Time{d(2025, 4, 1), d(2025, 7, 1), d(2025, 7, 1), d(2025, 10, 1), d(2025, 10, 1), d(2026, 1, 1)}},
		{"nothing complete", win("month"), d(2026, 1, 3), d(2026, 1, 22), 12, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []time.Time
			for _, p := range slodoc.Periods(c.w, nil, c.first, c.at, c.n) {
				got = append(got, p.From, p.To)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if !got[i].Equal(c.want[i]) {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}

// TestRationaleInexact: sprints starting at a Tokyo midnight need hour
// cells; once retention pruned them, the rationale says its periods were
// widened, and why.
func TestRationaleInexact(t *testing.T) {
	in := open(t, "sprints: {start: 2026-06-01, length: 14d, timezone: Asia/Tokyo}")
	d := build(t, in, "web-availability")
	if d.History.Inexact != "" || len(d.History.Periods) == 0 {
		t.Fatalf("before pruning: inexact %q, %d periods", d.History.Inexact, len(d.History.Periods))
	}
	st := in.Store.(*store.Store)
	if _, err := st.Prune(context.Background(), at, 24*time.Hour, 24*time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	d = build(t, in, "web-availability")
	if !strings.Contains(d.History.Inexact, "storage.retention.hours") {
		t.Fatalf("after pruning hour cells: inexact %q", d.History.Inexact)
	}
	md, err := slodoc.Markdown(d, "en")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Some periods are counted from hour or day cells") {
		t.Errorf("the document does not say its periods were widened:\n%s", md)
	}
}

// TestSuggestFacts: the rationale's suggest figures for the availability
// SLO (99.9%, 28d) equal a count from the fixture's traffic: every
// complete 28d window ending at a UTC midnight, 5xx as bad.
func TestSuggestFacts(t *testing.T) {
	in := open(t, "")
	f := build(t, in, "web-availability").Suggest
	if f == nil || f.Own == nil {
		t.Fatalf("suggest facts %+v: want the candidate of 99.9%%", f)
	}
	day := 24 * time.Hour
	var windows, met int
	for end := first.Truncate(day).Add(28 * day); !end.After(at.Truncate(day)); end = end.Add(day) {
		if end.Add(-28 * day).Before(first) {
			continue
		}
		var total, bad float64
		for h := end.Add(-28 * day); h.Before(end); h = h.Add(time.Hour) {
			tr := traffic(h)
			total += float64(tr.fast + tr.slow + tr.checkout + tr.e503 + tr.e429)
			bad += float64(tr.e503)
		}
		windows++
		if (total-bad)/total >= 0.999 {
			met++
		}
	}
	if windows == 0 || f.Own.Windows != windows || f.Own.Met != met {
		t.Errorf("suggest: %d windows, %d met; counted %d, %d", f.Own.Windows, f.Own.Met, windows, met)
	}
	if f.Recommended == nil || f.Best == nil || f.Recommended.Objective != f.Best.Objective {
		t.Errorf("recommended %+v from %+v", f.Recommended, f.Best)
	}
	// No suggest figures for a composite or a browser SLO.
	for _, name := range []string{"checkout", "app-lcp"} {
		if f := build(t, in, name).Suggest; f != nil {
			t.Errorf("%s: suggest facts %+v, want none", name, f)
		}
	}
}
