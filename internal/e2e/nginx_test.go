package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// nginxFormat is the log_format nginx writes and headroom is configured with.
const nginxFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time`

// nginxLine matches an nginxFormat line. It is the test's own parser,
// independent of headroom's: remote_addr, remote_user, time_local, request,
// status, body_bytes_sent, referer, user agent, request_time and the
// upstream_response_time list.
var nginxLine = regexp.MustCompile(`^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+\.\d{3}) (\S+(?:(?:, | : )\S+)*)$`)

// logged is one access-log line as the test understands it.
type logged struct {
	at         time.Time
	method     string
	path       string // without the query string
	route      string // the path with id segments replaced by :id
	status     int
	userAgent  string
	requestMs  int64 // $request_time in milliseconds
	upstreamMs int64 // $upstream_response_time summed over its list; -1 for "-"
	excluded   bool  // by the service's exclude rules
}

func parseNginxLine(line string) (logged, error) {
	m := nginxLine.FindStringSubmatch(line)
	if m == nil {
		return logged{}, fmt.Errorf("line does not match the log format: %q", line)
	}
	at, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[3])
	if err != nil {
		return logged{}, fmt.Errorf("time %q: %w", m[3], err)
	}
	req := strings.Fields(m[4])
	if len(req) != 3 {
		return logged{}, fmt.Errorf("request %q: want METHOD TARGET PROTOCOL", m[4])
	}
	path, _, _ := strings.Cut(req[1], "?")
	l := logged{at: at, method: req[0], path: path, route: templateRoute(path), userAgent: m[8], upstreamMs: -1}
	if l.status, err = strconv.Atoi(m[5]); err != nil {
		return logged{}, err
	}
	if l.requestMs, err = millis(m[9]); err != nil {
		return logged{}, err
	}
	for _, group := range strings.Split(m[10], " : ") {
		for _, v := range strings.Split(group, ", ") {
			if v == "-" {
				continue
			}
			ms, err := millis(v)
			if err != nil {
				return logged{}, err
			}
			l.upstreamMs = max(l.upstreamMs, 0) + ms
		}
	}
	// The services' exclude rules: route ^/health, user_agent kube-probe.
	l.excluded = strings.HasPrefix(path, "/health") || strings.Contains(l.userAgent, "kube-probe")
	return l, nil
}

// millis reads nginx's seconds-with-milliseconds ("0.350") exactly.
func millis(s string) (int64, error) {
	sec, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 3 {
		return 0, fmt.Errorf("time %q: want seconds with 3 decimals", s)
	}
	a, err1 := strconv.ParseInt(sec, 10, 64)
	b, err2 := strconv.ParseInt(frac, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("time %q: %w", s, err)
	}
	return a*1000 + b, nil
}

var (
	uuidSegment = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexSegment  = regexp.MustCompile(`^[0-9a-fA-F]{8,}$`)
	digits      = regexp.MustCompile(`^[0-9]+$`)
)

// templateRoute is the documented templating, for the kinds of ids this test
// sends: numbers, UUIDs and hex ids of 8+ characters holding a digit.
func templateRoute(path string) string {
	var segs []string
	for _, s := range strings.Split(path, "/") {
		switch {
		case s == "":
			continue
		case digits.MatchString(s), uuidSegment.MatchString(s),
			hexSegment.MatchString(s) && strings.ContainsAny(s, "0123456789"):
			s = ":id"
		}
		segs = append(segs, s)
	}
	r := "/" + strings.Join(segs, "/")
	if strings.HasSuffix(path, "/") && r != "/" {
		r += "/"
	}
	return r
}

// sloCase is one SLO: its YAML (filter and sli) and, independently, which
// logged requests it counts and which of those are good.
type sloCase struct {
	name  string
	yaml  string
	count func(l logged) bool
	good  func(l logged) bool
}

func class(status, c int) bool { return status/100 == c }

func isGET(l logged) bool { return l.method == "GET" }

// requestTimeSLOs are the SLOs of service web, whose latency is $request_time.
var requestTimeSLOs = []sloCase{
	{
		name:  "all-availability",
		yaml:  `sli: {type: availability}`,
		count: func(logged) bool { return true },
		good:  func(l logged) bool { return !class(l.status, 5) },
	},
	{
		name:  "api-availability",
		yaml:  "filter: {route: ^/api/}\n    sli: {type: availability, bad_status: [5xx, 429]}",
		count: func(l logged) bool { return strings.HasPrefix(l.route, "/api/") },
		good:  func(l logged) bool { return !class(l.status, 5) && l.status != 429 },
	},
	{
		name:  "get-latency-300ms",
		yaml:  "filter: {method: [GET]}\n    sli: {type: latency, threshold: 300ms}",
		count: isGET,
		good:  func(l logged) bool { return l.requestMs <= 300 },
	},
	{
		name: "api-slow-latency-100ms",
		yaml: "filter: {route: ^/api/slow/, method: [GET, POST]}\n    sli: {type: latency, threshold: 100ms}",
		count: func(l logged) bool {
			return strings.HasPrefix(l.route, "/api/slow/") && (l.method == "GET" || l.method == "POST")
		},
		good: func(l logged) bool { return l.requestMs <= 100 },
	},
	{
		name: "orders-availability",
		yaml: "filter: {route: '^/api/users/:id/orders$', status: [2xx, 5xx]}\n    sli: {type: availability}",
		count: func(l logged) bool {
			return l.route == "/api/users/:id/orders" && (class(l.status, 2) || class(l.status, 5))
		},
		good: func(l logged) bool { return !class(l.status, 5) },
	},
	{
		name:  "post-latency-250ms",
		yaml:  "filter: {method: POST, status: 2xx}\n    sli: {type: latency, threshold: 250ms}",
		count: func(l logged) bool { return l.method == "POST" && class(l.status, 2) },
		good:  func(l logged) bool { return l.requestMs <= 250 },
	},
	{
		name:  "found-availability",
		yaml:  "filter: {status: [200-299, 404]}\n    sli: {type: availability, bad_status: 404}",
		count: func(l logged) bool { return class(l.status, 2) || l.status == 404 },
		good:  func(l logged) bool { return l.status != 404 },
	},
}

// upstreamTimeSLOs are the SLOs of a service whose latency is
// $upstream_response_time: requests nginx answered itself log "-" and count
// in no latency SLI.
var upstreamTimeSLOs = []sloCase{
	{
		name:  "all-availability",
		yaml:  `sli: {type: availability}`,
		count: func(logged) bool { return true },
		good:  func(l logged) bool { return !class(l.status, 5) },
	},
	{
		name:  "upstream-latency-100ms",
		yaml:  `sli: {type: latency, threshold: 100ms}`,
		count: func(l logged) bool { return l.upstreamMs >= 0 },
		good:  func(l logged) bool { return l.upstreamMs <= 100 },
	},
	{
		name:  "api-upstream-latency-300ms",
		yaml:  "filter: {route: ^/api/}\n    sli: {type: latency, threshold: 300ms}",
		count: func(l logged) bool { return strings.HasPrefix(l.route, "/api/") && l.upstreamMs >= 0 },
		good:  func(l logged) bool { return l.upstreamMs <= 300 },
	},
}

// nginxConfig writes a headroom config for one service reading logGlob and
// returns its path.
func nginxConfig(t *testing.T, dir, logGlob, latency string, slos []sloCase) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "storage:\n  dir: %s\n", filepath.Join(dir, "data"))
	fmt.Fprintf(&b, "services:\n  - name: web\n    logs:\n      - path: %s\n        log_format: '%s'\n", logGlob, nginxFormat)
	b.WriteString("    exclude:\n      - route: ^/health\n      - user_agent: kube-probe\n")
	if latency != "" {
		fmt.Fprintf(&b, "    latency: %s\n", latency)
	}
	b.WriteString("slos:\n")
	for _, s := range slos {
		fmt.Fprintf(&b, "  - name: %s\n    service: web\n    objective: 99\n    window: 28d\n    %s\n", s.name, s.yaml)
	}
	path := filepath.Join(dir, "headroom.yaml")
	writeFile(t, path, b.String())
	return path
}

// request is one request the test sends through nginx.
type request struct {
	method, path, userAgent string
	want                    int
}

// traffic returns cycle c of the deterministic request mix: ids vary with c.
func traffic(c int) []request {
	id := 100 + 7*c
	uuid := fmt.Sprintf("%08x-1a2b-4c3d-8e9f-%012x", 0x9f8e0000+c, 0xabc000000+c)
	hexID := fmt.Sprintf("9f8e7d%06x", c)
	r := func(method, path string, want int) request {
		return request{method: method, path: path, userAgent: "headroom-e2e/1.0", want: want}
	}
	reqs := []request{
		r("GET", fmt.Sprintf("/api/users/%d", id), 200),
		r("GET", fmt.Sprintf("/api/users/%d", id+1), 200),
		r("HEAD", fmt.Sprintf("/api/users/%d", id+2), 200),
		r("PUT", fmt.Sprintf("/api/users/%d", id+3), 200),
		r("GET", fmt.Sprintf("/api/users/%d/orders?page=%d", id, c), 200),
		r("POST", fmt.Sprintf("/api/users/%d/orders", id+4), 200),
		r("GET", fmt.Sprintf("/api/users/%s/orders", uuid), 200),
		r("GET", fmt.Sprintf("/api/users/%d/orders?fail=1", id+5), 503),
		r("GET", fmt.Sprintf("/api/users/%d/orders?missing=1", id+6), 404),
		r("GET", "/api/orders/"+hexID, 200),
		r("GET", "/status/404", 404),
		r("GET", "/status/500", 500),
		r("POST", "/status/500", 500),
		r("GET", fmt.Sprintf("/dead/%d", c), 502),
		r("GET", fmt.Sprintf("/api/code/429/%d", c), 429),
		r("POST", "/api/code/503", 503),
		r("GET", "/api/code/201", 201),
		r("GET", "/api/slow/60", 200),
		r("POST", "/api/slow/120", 200),
		r("GET", "/slow/120", 200),
		r("GET", "/local", 200),
		r("GET", "/api/ping", 204),
		r("GET", "/health/live", 200),
		{method: "GET", path: "/", userAgent: "kube-probe/1.30", want: 200},
	}
	if c%2 == 0 {
		reqs = append(reqs, r("GET", "/slow/350", 200))
	} else {
		reqs = append(reqs, r("POST", "/slow/350", 200))
	}
	return reqs
}

// drive sends cycles [from, to) of traffic through nginx, 8 at a time, and
// returns how many requests it sent. A response with an unexpected status
// is a broken test environment, reported as an error.
func drive(t *testing.T, baseURL string, from, to int) int {
	t.Helper()
	var all []request
	for c := from; c < to; c++ {
		all = append(all, traffic(c)...)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	work := make(chan request)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range 8 {
		wg.Go(func() {
			for r := range work {
				err := send(client, baseURL, r)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, r := range all {
		work <- r
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Errorf("driving traffic through nginx: %v", err)
	}
	return len(all)
}

func send(client *http.Client, baseURL string, r request) error {
	req, err := http.NewRequest(r.method, baseURL+r.path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", r.userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("%s %s: body: %w", r.method, r.path, err)
	}
	if resp.StatusCode != r.want {
		return fmt.Errorf("%s %s: %d, want %d", r.method, r.path, resp.StatusCode, r.want)
	}
	return nil
}

// parseAll parses log lines with the test's own parser.
func parseAll(t *testing.T, lines []string) []logged {
	t.Helper()
	out := make([]logged, 0, len(lines))
	for i, line := range lines {
		l, err := parseNginxLine(line)
		if err != nil {
			t.Fatalf("log line %d: %v", i+1, err)
		}
		out = append(out, l)
	}
	return out
}

// lastAt returns the latest timestamp of the lines.
func lastAt(lines []logged) time.Time {
	var last time.Time
	for _, l := range lines {
		if l.at.After(last) {
			last = l.at
		}
	}
	return last
}

// mismatches compares a status report with the counts the test computes from
// the log lines, and returns every difference (nil when all agree).
func mismatches(rep *statusReport, slos []sloCase, lines []logged) error {
	var errs []error
	for _, c := range slos {
		var total, good int64
		for _, l := range lines {
			if l.excluded || !c.count(l) {
				continue
			}
			total++
			if c.good(l) {
				good++
			}
		}
		var got *sloStatus
		for i := range rep.SLOs {
			if rep.SLOs[i].Name == c.name {
				got = &rep.SLOs[i]
			}
		}
		if got == nil {
			errs = append(errs, fmt.Errorf("SLO %s missing from status", c.name))
			continue
		}
		if got.Total != float64(total) || got.Good != float64(good) || got.Bad != float64(total-good) {
			errs = append(errs, fmt.Errorf("SLO %s: total/good/bad %v/%v/%v, want %d/%d/%d",
				c.name, got.Total, got.Good, got.Bad, total, good, total-good))
		}
		// Every request was sent within the last hour before --at.
		if e := got.Events["1h"]; e.Total != float64(total) || e.Good != float64(good) {
			errs = append(errs, fmt.Errorf("SLO %s: events[1h] total/good %v/%v, want %d/%d", c.name, e.Total, e.Good, total, good))
		}
	}
	var excluded int64
	for _, l := range lines {
		if l.excluded {
			excluded++
		}
	}
	if len(rep.Sources) != 1 {
		errs = append(errs, fmt.Errorf("status has %d sources, want 1", len(rep.Sources)))
	} else if s := rep.Sources[0]; s.Lines != int64(len(lines)) || s.Malformed != 0 || s.Excluded != excluded {
		errs = append(errs, fmt.Errorf("source %s: lines/malformed/excluded %d/%d/%d, want %d/0/%d (malformed samples: %+v)",
			s.Log, s.Lines, s.Malformed, s.Excluded, len(lines), excluded, s.Samples))
	}
	return errors.Join(errs...)
}

// checkWindow asserts a 28d window ends at the instant status was asked
// for (at, to the second, as status passes it) rounded up to the minute.
func checkWindow(t *testing.T, rep *statusReport, at time.Time) {
	t.Helper()
	asked := at.UTC().Truncate(time.Second)
	wantEnd := asked.Truncate(time.Minute)
	if !wantEnd.Equal(asked) {
		wantEnd = wantEnd.Add(time.Minute)
	}
	if len(rep.SLOs) == 0 {
		t.Error("status has no SLOs")
	}
	for _, s := range rep.SLOs {
		if !s.WindowEnd.Equal(wantEnd) || !s.WindowStart.Equal(wantEnd.Add(-28*24*time.Hour)) || s.Window != "28d" {
			t.Errorf("SLO %s: window %s [%s, %s), want 28d [%s, %s)", s.Name, s.Window,
				s.WindowStart.Format(time.RFC3339), s.WindowEnd.Format(time.RFC3339),
				wantEnd.Add(-28*24*time.Hour).Format(time.RFC3339), wantEnd.Format(time.RFC3339))
		}
	}
}

var summaryLines = regexp.MustCompile(`(?m)^\s*lines\s+([\d,]+)\s`)

// TestNginx drives a deterministic request mix through a real nginx and checks
// that headroom's totals and good counts, through `import` and through
// `serve` (across a real rename rotation with SIGUSR1), equal those the test
// computes from the raw log lines.
func TestNginx(t *testing.T) {
	itest.Require(t, "nginx")
	headroomBin(t) // build before the clock starts mattering

	up := itest.StartUpstream(t)
	ngx := itest.StartNginx(t, itest.NginxOptions{
		LogFormat:    nginxFormat,
		Upstream:     up.URL,
		DeadUpstream: true,
		ServerDirectives: fmt.Sprintf(`location /api/users/ {
    if ($arg_fail) { return 503; }
    if ($arg_missing) { return 404; }
    proxy_pass %[1]s;
}
location /api/code/ {
    rewrite ^/api/code/(\d+) /status/$1 break;
    proxy_pass %[1]s;
}
location /api/slow/ {
    rewrite ^/api/slow/(\d+) /slow/$1 break;
    proxy_pass %[1]s;
}
location = /api/ping { return 204; }
location = /local { return 200 "local\n"; }
`, up.URL),
	})
	logGlob := ngx.AccessLog + "*"

	sent := drive(t, ngx.URL, 0, 12)
	lines := parseAll(t, ngx.WaitLogLines(t, sent))
	if len(lines) != sent {
		t.Fatalf("access log has %d lines, want %d", len(lines), sent)
	}
	at := lastAt(lines).Add(time.Minute)
	t.Logf("import phase: %d requests, %d log lines, --at %s", sent, len(lines), at.UTC().Format(time.RFC3339))

	t.Run("import", func(t *testing.T) {
		cfg := nginxConfig(t, t.TempDir(), logGlob, "", requestTimeSLOs)
		out := runHeadroom(t, "import", "--config", cfg, ngx.AccessLog)
		if m := summaryLines.FindStringSubmatch(out); m == nil || strings.ReplaceAll(m[1], ",", "") != strconv.Itoa(len(lines)) {
			t.Errorf("import summary does not report %d lines:\n%s", len(lines), out)
		}
		rep := status(t, cfg, at)
		checkWindow(t, rep, at)
		if err := mismatches(rep, requestTimeSLOs, lines); err != nil {
			t.Errorf("import: status disagrees with the log:\n%v", err)
		}
		logCounts(t, rep)
	})

	t.Run("import-upstream-latency", func(t *testing.T) {
		cfg := nginxConfig(t, t.TempDir(), logGlob, "upstream_response_time", upstreamTimeSLOs)
		runHeadroom(t, "import", "--config", cfg) // the configured glob
		rep := status(t, cfg, at)
		if err := mismatches(rep, upstreamTimeSLOs, lines); err != nil {
			t.Errorf("import: status disagrees with the log:\n%v", err)
		}
		logCounts(t, rep)
	})

	t.Run("serve", func(t *testing.T) {
		dir := t.TempDir()
		cfg := nginxConfig(t, dir, logGlob, "", requestTimeSLOs)
		serveLog, err := os.Create(filepath.Join(dir, "serve.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer serveLog.Close()
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("headroom serve output:\n%s", tailFile(serveLog.Name(), 8<<10))
			}
		})
		srv := startServe(t, cfg, serveLog)
		if h := srv.health(t, 10*time.Second); h["status"] != "ok" {
			t.Errorf("/healthz = %v, want status ok", h)
		}

		// Half the traffic, then the logrotate dance: rename, SIGUSR1, the
		// other half into the new file.
		first := drive(t, ngx.URL, 100, 104)
		ngx.WaitLogLines(t, sent+first)
		rotated := ngx.AccessLog + ".1"
		if err := os.Rename(ngx.AccessLog, rotated); err != nil {
			t.Fatal(err)
		}
		ngx.Reopen(t)
		second := drive(t, ngx.URL, 104, 108)
		ngx.WaitLogLines(t, second)

		raw := append(itest.ReadLines(t, rotated), itest.ReadLines(t, ngx.AccessLog)...)
		all := parseAll(t, raw)
		if want := sent + first + second; len(all) != want {
			t.Fatalf("access logs have %d lines, want %d", len(all), want)
		}
		at := lastAt(all).Add(time.Minute)
		t.Logf("serve phase: %d more requests, %d log lines in 2 files, --at %s", first+second, len(all), at.UTC().Format(time.RFC3339))

		rep := waitStatus(t, cfg, at, 10*time.Second, func(r *statusReport) error { return mismatches(r, requestTimeSLOs, all) })
		logCounts(t, rep)
		// Still exact a few polls later: nothing is read twice.
		waitFor(t, time.Second)
		if err := mismatches(status(t, cfg, at), requestTimeSLOs, all); err != nil {
			t.Errorf("serve: status changed after it matched the log:\n%v", err)
		}
		if err := srv.stop(t); err != nil {
			t.Errorf("serve: exit after SIGTERM: %v, want status 0", err)
		}
	})
}

// logCounts logs headroom's counts, for the record of a passing run.
func logCounts(t *testing.T, rep *statusReport) {
	t.Helper()
	for _, s := range rep.SLOs {
		t.Logf("  %-26s total %6.0f good %6.0f", s.Name, s.Total, s.Good)
	}
	for _, s := range rep.Sources {
		t.Logf("  source %s: lines %d malformed %d excluded %d", filepath.Base(s.Log), s.Lines, s.Malformed, s.Excluded)
	}
}

// waitFor lets d pass: used only to span headroom's own poll cycles, where
// what is checked is that nothing changes.
func waitFor(t *testing.T, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	<-timer.C
}
