package itest_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/headroom-slo/headroom/internal/itest"
)

// mainFormat is the custom format most tests and the benchmark use: combined
// plus request and upstream times.
const mainFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time`

// mainLine matches a mainFormat line and captures request, status,
// request_time and upstream_response_time.
var mainLine = regexp.MustCompile(`^127\.0\.0\.1 - - \[[^\]]+\] "([^"]*)" (\d{3}) \d+ "-" "[^"]*" (\d+\.\d{3}) (\S+(?:, \S+)*)$`)

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	return resp.StatusCode
}

func TestNginxAccessLog(t *testing.T) {
	itest.Require(t, "nginx")
	up := itest.StartUpstream(t)
	ngx := itest.StartNginx(t, itest.NginxOptions{
		LogFormat:    mainFormat,
		Upstream:     up.URL,
		DeadUpstream: true,
	})

	requests := []struct {
		path   string
		status int
	}{
		{"/", 200},
		{"/status/404", 404},
		{"/status/500", 500},
		{"/dead/x", 502},
		{"/slow/120", 200},
	}
	for _, r := range requests {
		if got := get(t, ngx.URL+r.path); got != r.status {
			t.Errorf("GET %s = %d, want %d", r.path, got, r.status)
		}
	}

	lines := ngx.WaitLogLines(t, len(requests))
	if len(lines) != len(requests) {
		t.Fatalf("access log has %d lines, want %d:\n%s", len(lines), len(requests), strings.Join(lines, "\n"))
	}
	for i, line := range lines {
		m := mainLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d does not match the format: %s", i+1, line)
			continue
		}
		want := requests[i]
		if m[1] != "GET "+want.path+" HTTP/1.1" {
			t.Errorf("line %d: request %q, want GET %s", i+1, m[1], want.path)
		}
		if m[2] != strconv.Itoa(want.status) {
			t.Errorf("line %d: status %s, want %d", i+1, m[2], want.status)
		}
	}
	if m := mainLine.FindStringSubmatch(lines[4]); m != nil {
		if rt, _ := strconv.ParseFloat(m[3], 64); rt < 0.120 {
			t.Errorf("slow request: request_time %s, want >= 0.120", m[3])
		}
		if ut, _ := strconv.ParseFloat(m[4], 64); ut < 0.120 {
			t.Errorf("slow request: upstream_response_time %s, want >= 0.120", m[4])
		}
	}
}

func TestNginxReopen(t *testing.T) {
	itest.Require(t, "nginx")
	ngx := itest.StartNginx(t, itest.NginxOptions{})

	get(t, ngx.URL+"/one")
	ngx.WaitLogLines(t, 1)
	rotated := ngx.AccessLog + ".1"
	if err := os.Rename(ngx.AccessLog, rotated); err != nil {
		t.Fatal(err)
	}
	get(t, ngx.URL+"/two") // still written to the renamed file
	itest.WaitLines(t, rotated, 2)
	if got := len(itest.ReadLines(t, ngx.AccessLog)); got != 0 {
		t.Fatalf("access log has %d lines before reopen, want 0", got)
	}
	ngx.Reopen(t)
	get(t, ngx.URL+"/three")

	lines := ngx.WaitLogLines(t, 1)
	if len(lines) != 1 || !strings.Contains(lines[0], `"GET /three HTTP/1.1" 200 `) {
		t.Errorf("new access log = %q, want one line for /three", lines)
	}
	old := itest.ReadLines(t, rotated)
	if len(old) != 2 || !strings.Contains(old[0], "/one") || !strings.Contains(old[1], "/two") {
		t.Errorf("rotated access log = %q, want the lines for /one and /two", old)
	}
}

func TestNginxJSONEscape(t *testing.T) {
	itest.Require(t, "nginx")
	ngx := itest.StartNginx(t, itest.NginxOptions{
		LogFormat: `{"status":"$status","ua":"$http_user_agent","referer":"$http_referer"}`,
		Escape:    "json",
	})
	req, err := http.NewRequest("GET", ngx.URL+"/status/201", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", `say "hi"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	lines := ngx.WaitLogLines(t, 1)
	// With escape=json nginx escapes quotes with a backslash and logs a
	// missing variable as an empty string, not "-".
	want := `{"status":"201","ua":"say \"hi\"","referer":""}`
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("access log = %q, want %q", lines, want)
	}
}

func TestUpstream(t *testing.T) {
	up := itest.StartUpstream(t) // no nginx: runs under -short too
	for path, want := range map[string]int{
		"/":           200,
		"/anything":   200,
		"/status/204": 204,
		"/status/429": 429,
		"/status/503": 503,
		"/status/abc": 400,
		"/status/700": 400,
		"/slow/1":     200,
	} {
		if got := get(t, up.URL+path); got != want {
			t.Errorf("GET %s = %d, want %d", path, got, want)
		}
	}
}

func TestLookPathSbin(t *testing.T) {
	const bin = "/usr/sbin/nginx"
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s not installed", bin)
	}
	t.Setenv("PATH", t.TempDir())
	got, err := itest.LookPath("nginx")
	if err != nil || got != bin {
		t.Errorf("LookPath(nginx) with an empty PATH = %q, %v; want %s", got, err, bin)
	}
	if _, err := itest.LookPath("headroom-no-such-binary"); err == nil {
		t.Error("LookPath of a missing binary: no error")
	}
}

// fakeTB records Skip and Fatal calls instead of stopping the test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper()                       {}
func (f *fakeTB) Skip(args ...any)              { f.skipped = true }
func (f *fakeTB) Skipf(format string, a ...any) { f.skipped, f.msg = true, format }
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.failed, f.msg = true, format
}

func TestRequireMissingBinary(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      string
		wantFail bool
	}{
		{name: "required", env: "1", wantFail: true},
		{name: "optional", env: "", wantFail: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(itest.EnvIntegration, tc.env)
			f := &fakeTB{TB: t}
			itest.Require(f, "headroom-no-such-binary")
			if testing.Short() {
				if !f.skipped || f.failed {
					t.Errorf("under -short: skipped=%v failed=%v, want a skip", f.skipped, f.failed)
				}
				return
			}
			if f.failed != tc.wantFail || f.skipped == tc.wantFail {
				t.Errorf("failed=%v skipped=%v, want failed=%v", f.failed, f.skipped, tc.wantFail)
			}
		})
	}
}

func TestNginxConfInTempDir(t *testing.T) {
	itest.Require(t, "nginx")
	ngx := itest.StartNginx(t, itest.NginxOptions{ServerDirectives: "add_header X-Itest yes;"})
	conf, err := os.ReadFile(filepath.Join(ngx.Dir, "conf", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), "listen 127.0.0.1:"+strconv.Itoa(ngx.Port)+";") {
		t.Errorf("nginx.conf does not listen on 127.0.0.1:%d only:\n%s", ngx.Port, conf)
	}
	if _, err := os.Stat(filepath.Join(ngx.Dir, "nginx.pid")); err != nil {
		t.Errorf("pid file not in Dir: %v", err)
	}
	resp, err := http.Get(ngx.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Itest") != "yes" {
		t.Errorf("ServerDirectives not applied: X-Itest = %q", resp.Header.Get("X-Itest"))
	}
	ngx.Stop(t)
	if _, err := http.Get(ngx.URL + "/"); err == nil {
		t.Error("nginx still answers after Stop")
	}
}
