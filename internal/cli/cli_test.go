package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return result{code, out.String(), errb.String()}
}

const logFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time`

// writeFixture writes a config and a log of 2 hours of traffic: 10 requests a
// minute, a 5xx every 20th, a slow (400 ms) response every 10th.
func writeFixture(t *testing.T, slos string) (cfg string, lines int) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i := range 1200 {
		ts := start.Add(time.Duration(i) * 6 * time.Second)
		status, rt, path, method := 200, "0.050", fmt.Sprintf("/api/items/%d", i), "GET"
		if i%20 == 0 {
			status = 503
		}
		if i%10 == 5 {
			rt = "0.400"
		}
		if i%3 == 0 {
			path, method = "/login", "POST"
		}
		fmt.Fprintf(&b, "10.0.0.%d - - [%s] \"%s %s HTTP/1.1\" %d 100 \"-\" \"Mozilla\" %s %s\n",
			i%250, ts.Format("02/Jan/2006:15:04:05 -0700"), method, path, status, rt, rt)
	}
	writeFile(t, filepath.Join(dir, "access.log"), b.String())
	cfg = filepath.Join(dir, "headroom.yaml")
	y := fmt.Sprintf(`storage: {dir: ./data}
services:
  - name: web
    logs:
      - path: ./access.log*
        log_format: '%s'
slos:
%s`, logFormat, slos)
	writeFile(t, cfg, y)
	return cfg, 1200
}

// writeFile writes s to path, failing the test on an error.
func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const baseSLOs = `  - {name: avail, service: web, objective: 99, window: 28d, sli: {type: availability}}
  - {name: api-latency, service: web, objective: 90, window: 28d, filter: {route: ^/api/, method: [GET]}, sli: {type: latency, threshold: 300ms}}
`

func status(t *testing.T, cfg string) StatusReport {
	t.Helper()
	r := run(t, "", "status", "--config", cfg, "--at", "2026-11-20T12:00:00Z", "--json")
	if r.code != 0 {
		t.Fatalf("status: %d %s", r.code, r.stderr)
	}
	var rep StatusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return rep
}

func TestImportStatusAndRetroactiveSLO(t *testing.T) {
	cfg, lines := writeFixture(t, baseSLOs)
	r := run(t, "", "import", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "lines      1,200") {
		t.Fatalf("import: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rep := status(t, cfg)
	want := map[string][2]float64{
		"avail":       {1200, 1140},            // every 20th is a 503
		"api-latency": {800, 800 - 800/10 + 0}, // GETs: i%3 != 0; slow when i%10 == 5
	}
	// Count the slow GETs exactly: i%10 == 5 and i%3 != 0.
	slowGets := 0
	for i := range 1200 {
		if i%10 == 5 && i%3 != 0 {
			slowGets++
		}
	}
	want["api-latency"] = [2]float64{800, float64(800 - slowGets)}
	if len(rep.SLOs) != len(want) {
		t.Fatalf("status has %d SLOs, want %d", len(rep.SLOs), len(want))
	}
	for _, s := range rep.SLOs {
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected SLO %s", s.Name)
			continue
		}
		if s.Total != w[0] || s.Good != w[1] {
			t.Errorf("%s: total %v good %v, want %v %v", s.Name, s.Total, s.Good, w[0], w[1])
		}
		for _, k := range []string{"5m", "30m", "1h", "6h", "1d", "3d"} {
			if _, ok := s.BurnRates[k]; !ok {
				t.Errorf("%s: no burn rate %s", s.Name, k)
			}
		}
	}
	avail := rep.SLOs[0]
	if got, want := avail.ErrorBudgetRemaining, 1-(60.0/1200)/0.01; abs(got-want) > 1e-9 {
		t.Errorf("budget remaining %v, want %v", got, want)
	}
	// The last hour (11:00-12:00) has 600 requests, 30 of them 503.
	if got, want := avail.BurnRates["1h"], (30.0/600)/0.01; got == nil || abs(*got-want) > 1e-9 {
		t.Errorf("1h burn %v, want %v", got, want)
	}
	if len(rep.Sources) != 1 || rep.Sources[0].Lines != int64(lines) || rep.Sources[0].Malformed != 0 {
		t.Errorf("sources = %+v", rep.Sources)
	}

	// Importing again adds nothing.
	r = run(t, "", "import", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "already fully imported") {
		t.Fatalf("re-import: %d\n%s", r.code, r.stdout)
	}
	if again := status(t, cfg); again.SLOs[0].Total != 1200 {
		t.Fatalf("re-import changed totals: %v", again.SLOs[0].Total)
	}

	// A new SLO, and an edited threshold, apply to all stored history at once.
	// The log is gone: nothing is re-read.
	if err := os.Remove(filepath.Join(filepath.Dir(cfg), "access.log")); err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(y, []byte("threshold: 300ms"), []byte("threshold: 500ms"), 1)
	if bytes.Equal(edited, y) {
		t.Fatal("the fixture has no threshold: 300ms to edit")
	}
	edited = append(edited, []byte("  - {name: login, service: web, objective: 99.5, window: month, filter: {route: ^/login$, method: POST}, sli: {type: availability, bad_status: [5xx, 429]}}\n")...)
	writeFile(t, cfg, string(edited))
	rep = status(t, cfg)
	got := map[string][2]float64{}
	for _, s := range rep.SLOs {
		got[s.Name] = [2]float64{s.Total, s.Good}
	}
	if got["api-latency"] != [2]float64{800, 800} {
		t.Errorf("edited threshold: %v, want all 800 GETs under 500ms", got["api-latency"])
	}
	logins, bad := 0, 0
	for i := range 1200 {
		if i%3 == 0 {
			logins++
			if i%20 == 0 {
				bad++
			}
		}
	}
	if got["login"] != [2]float64{float64(logins), float64(logins - bad)} {
		t.Errorf("new SLO: %v, want %d total %d good", got["login"], logins, logins-bad)
	}
}

func TestImportStdinAndHumanStatus(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, string(b), "import", "--config", cfg, "-")
	if r.code != 0 || !strings.Contains(r.stdout, "lines      1,200") {
		t.Fatalf("import -: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The file is the same content: nothing more.
	r = run(t, "", "import", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "lines      0") {
		t.Fatalf("import after stdin: %d\n%s", r.code, r.stdout)
	}
	r = run(t, "", "status", "--config", cfg, "--at", "2026-11-20T12:00:00Z")
	for _, want := range []string{"avail", "api-latency", "95.00%", "-400.0%", "access.log*"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestValidate(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	if r := run(t, "", "validate", "--config", cfg); r.code != 0 || !strings.Contains(r.stdout, "ok (1 services, 2 SLOs)") {
		t.Errorf("validate good: %d %q %q", r.code, r.stdout, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, bad, "services:\n  - name: web\n    logz: []\nslos:\n  - {name: x, service: y, objective: 120, window: 28d, sli: {type: availability}}\n")
	r := run(t, "", "validate", "--config", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.yaml:3: services[0]: unknown key `logz` (did you mean `logs`?)") {
		t.Errorf("validate unknown key: %d %q", r.code, r.stderr)
	}
	writeFile(t, bad, "services:\n  - name: web\nslos:\n  - {name: x, service: y, objective: 120, window: 28d, sli: {type: availability}}\n")
	r = run(t, "", "validate", "--config", bad)
	if r.code != 1 || !strings.Contains(r.stderr, `bad.yaml:4: slos[0].service: unknown service "y"`) ||
		!strings.Contains(r.stderr, "slos[0].objective: 120") || !strings.Contains(r.stderr, "services[0].logs: required") ||
		!strings.Contains(r.stderr, "3 problems found") {
		t.Errorf("validate: %d %q", r.code, r.stderr)
	}
}

func TestUsageAndVersion(t *testing.T) {
	if r := run(t, ""); r.code != ExitUsage || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("no args: %+v", r)
	}
	if r := run(t, "", "frobnicate"); r.code != ExitUsage {
		t.Errorf("unknown command: %+v", r)
	}
	if r := run(t, "", "status", "--at", "yesterday", "--config", "x.yaml"); r.code != ExitUsage || !strings.Contains(r.stderr, "RFC 3339") {
		t.Errorf("bad --at: %+v", r)
	}
	if r := run(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "headroom ") {
		t.Errorf("version: %+v", r)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestBadInputSaysWhatAndWhere: every command-line mistake exits 2 with
// the command, the flag or argument, and what was wanted.
func TestBadInputSaysWhatAndWhere(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"evnt", "add"}, `headroom: unknown command "evnt" (did you mean "event"?)`},
		{[]string{"event"}, "headroom: event: want a subcommand: add or import"},
		{[]string{"event", "ad"}, `headroom: event: unknown subcommand "ad" (did you mean "add"?) (want add or import)`},
		{[]string{"status", "--at", "yesterday"}, `headroom status: --at "yesterday": want RFC 3339, like 2026-11-20T12:00:00Z`},
		{[]string{"status", "--at", "9999-12-31T23:59:59Z"}, `headroom status: --at "9999-12-31T23:59:59Z": out of range: want a time in 1971-01-01 .. 2199-12-31 UTC`},
		{[]string{"status", "--jsn"}, "headroom status: unknown flag --jsn (did you mean --json?)"},
		{[]string{"status", "--config"}, "headroom status: --config needs a value"},
		{[]string{"status", "--config", cfg, "now"}, `headroom status: unexpected argument "now": status takes flags only`},
		{[]string{"serve", "-v=maybe"}, `headroom serve: -v "maybe": want true or false`},
		{[]string{"alerts", "--since", "0s"}, `headroom alerts: --since "0s": want a duration of at least 1m, like 7d`},
		{[]string{"alerts", "backtest", "--from", "2026-11-15T00:00:00Z"}, "headroom alerts backtest: --to is required"},
		{[]string{"alerts", "backtest", "--config", cfg, "--slo", "avial", "--from", "2026-11-15T00:00:00Z", "--to", "2026-11-16T00:00:00Z"},
			`headroom alerts backtest: --slo "avial": no such SLO with alerting (did you mean "avail"?) (those with alerting: avail, api-latency)`},
		{[]string{"review", "--format", "pdf"}, `headroom review: --format "pdf": want md or html`},
		{[]string{"event", "import", "--format", "csv", "x"}, `headroom event import: --format "csv": want jsonl or git`},
		{[]string{"event", "import", "--format", "git", "-"}, "headroom event import: --format git: --service is required"},
		{[]string{"completion"}, "headroom completion: want one shell: bash, zsh or fish"},
		{[]string{"completion", "tcsh"}, `headroom completion: shell "tcsh": want bash, zsh or fish`},
		{[]string{"help", "frob"}, `headroom help: unknown command "frob"`},
		{[]string{"help", "import", "frob"}, `headroom help: import has no subcommand "frob"`},
		// An unknown service names the configured ones, wherever it is given.
		{[]string{"policy", "check", "--config", cfg, "--service", "wbe"}, `headroom policy check: --service: unknown service "wbe" (did you mean "web"? configured: web)`},
		{[]string{"review", "--config", cfg, "--service", "wbe"}, `headroom review: --service: unknown service "wbe" (did you mean "web"? configured: web)`},
		{[]string{"event", "add", "--config", cfg, "--service", "wbe", "v2"}, `headroom event add: --service: unknown service "wbe" (did you mean "web"? configured: web)`},
		{[]string{"toil", "add", "--config", cfg, "--minutes", "5", "--service", "wbe"}, `headroom toil add: --service: unknown service "wbe" (did you mean "web"? configured: web)`},
		// A --sprint date outside the times headroom computes with.
		{[]string{"review", "--config", cfg, "--sprint", "9999-12-31"}, `headroom review: --sprint "9999-12-31": out of range: want a date in 1971-01-01 .. 2199-12-31 UTC`},
		{[]string{"review", "--config", cfg, "--sprint", "1970-01-01"}, `headroom review: --sprint "1970-01-01": out of range: want a date in 1971-01-01 .. 2199-12-31 UTC`},
		{[]string{"import", "--config", cfg, "--service", "wbe", filepath.Join(filepath.Dir(cfg), "access.log")}, `headroom import: --service: unknown service "wbe" (did you mean "web"? configured: web)`},
	} {
		name := strings.Join(tc.args, " ")
		r := run(t, "", tc.args...)
		if r.code != ExitUsage || !strings.HasPrefix(r.stderr, tc.want+"\n") {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 2 and:\n%s", name, r.code, r.stderr, tc.want)
		}
		if !strings.Contains(r.stderr, "-h` for") {
			t.Errorf("%s: no pointer to -h:\n%s", name, r.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	modified := true
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/headroom-slo/headroom", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs.revision", Value: "fabb87e0c0ffee"}, {Key: "vcs.time", Value: "2026-11-30T09:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		},
	}
	got := readBuildInfo(bi)
	want := BuildInfo{Module: "github.com/headroom-slo/headroom", Version: "v1.2.3", Commit: "fabb87e0c0ffee",
		CommitTime: "2026-11-30T09:00:00Z", Modified: &modified, Go: "go1.26.8", Platform: "linux/amd64"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readBuildInfo (-want +got):\n%s", diff)
	}
	var b strings.Builder
	got.print(&b)
	if want := `headroom v1.2.3
  module:      github.com/headroom-slo/headroom
  commit:      fabb87e0c0ffee
  commit time: 2026-11-30T09:00:00Z
  modified:    true
  go:          go1.26.8 linux/amd64
`; b.String() != want {
		t.Errorf("version prints:\n%s\nwant:\n%s", b.String(), want)
	}
	// What this test binary recorded.
	r := run(t, "", "version", "--json")
	var v BuildInfo
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 || v.Module == "" || !strings.HasPrefix(v.Go, "go1.") {
		t.Errorf("version --json: %d %v\n%s", r.code, err, r.stdout)
	}
}
