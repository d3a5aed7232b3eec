package logformat

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nginxLogs compiles the formats of testdata/nginx/nginx.conf, as pasted from
// the log_format directives, and parses every line nginx wrote with them. It
// returns the parsed lines by log name.
func nginxLogs(t *testing.T) map[string][]view {
	t.Helper()
	conf, err := os.ReadFile("testdata/nginx/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	formats := map[string]*Parser{"combined": mustPreset(t, "combined")}
	directive := regexp.MustCompile(`(?s)log_format\s+(\w+)\s+(?:escape=(\w+)\s+)?('.*?';)`)
	for _, m := range directive.FindAllStringSubmatch(string(conf), -1) {
		esc, err := ParseEscape(m[2])
		if err != nil {
			t.Fatal(err)
		}
		formats[m[1]] = mustCompile(t, m[3], esc)
	}
	logs := map[string][]view{}
	accessLog := regexp.MustCompile(`access_log\s+TESTDIR/(\w+)\.log\s+(\w+);`)
	for _, m := range accessLog.FindAllStringSubmatch(string(conf), -1) {
		p := formats[m[2]]
		if p == nil {
			t.Fatalf("no log_format %s", m[2])
		}
		data, err := os.ReadFile(filepath.Join("testdata/nginx", m[1]+".log"))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			var r Record
			if err := p.Parse(line, &r); err != nil {
				t.Errorf("%s.log:%d: %v\n%q", m[1], i+1, err, line)
				continue
			}
			checkRecord(t, line, &r)
			logs[m[1]] = append(logs[m[1]], toView(&r))
		}
	}
	if len(logs) != 7 {
		t.Fatalf("parsed %d logs, want 7", len(logs))
	}
	for name, lines := range logs {
		if len(lines) != 16 {
			t.Fatalf("%s.log: parsed %d lines, want 16", name, len(lines))
		}
	}
	return logs
}

// TestNginxLogs parses logs written by a real nginx (1.22.1) in seven
// formats, for the same sixteen requests, and checks that every format
// yields the same values for the fields it logs.
func TestNginxLogs(t *testing.T) {
	logs := nginxLogs(t)
	// Fields compared across the logs that carry them.
	fields := []struct {
		name string
		logs []string
		get  func(v view) any
	}{
		{"Status", []string{"combined", "main", "upstream", "json", "jsonbare", "textjson", "none"},
			func(v view) any { return v.Status }},
		{"Request", []string{"combined", "main", "upstream", "json", "textjson", "none"},
			func(v view) any { return [4]string{v.Method, v.URI, v.Path, v.Protocol} }},
		{"Second", []string{"combined", "main", "upstream", "json", "jsonbare", "none"},
			func(v view) any { return v.Time / 1000 }},
		{"RequestTime", []string{"upstream", "json", "jsonbare", "textjson", "none"},
			func(v view) any { return v.RequestTime }},
		{"Upstream", []string{"upstream", "json", "jsonbare", "textjson"},
			func(v view) any { return [2]int64{int64(v.UpstreamStatus), v.UpstreamTime} }},
		{"UpstreamAddr", []string{"upstream", "json"}, func(v view) any { return v.UpAddr }},
		{"Host", []string{"upstream", "json"}, func(v view) any { return v.Host }},
		{"UserAgent", []string{"combined", "main", "json", "textjson"}, func(v view) any { return v.UserAgent }},
		{"Referer", []string{"combined", "main", "json"}, func(v view) any { return v.Referer }},
		{"XForwardedFor", []string{"main", "json"}, func(v view) any { return v.XForwardedFor }},
	}
	for _, f := range fields {
		ref := logs[f.logs[0]]
		for _, name := range f.logs[1:] {
			for i, v := range logs[name] {
				if i >= len(ref) {
					break
				}
				if diff := cmp.Diff(f.get(ref[i]), f.get(v)); diff != "" {
					t.Errorf("%s, line %d: %s.log disagrees with %s.log (-%s +%s):\n%s",
						f.name, i+1, name, f.logs[0], f.logs[0], name, diff)
				}
			}
		}
	}

	// What the requests (see testdata/nginx/nginx.conf) must parse to.
	up, main := logs["upstream"], logs["main"]
	type want struct {
		Status, UpstreamStatus      int
		Method, URI, Path, Protocol string
		Host, UpAddr                string
	}
	got := func(i int) want {
		u := up[i]
		return want{u.Status, u.UpstreamStatus, u.Method, u.URI, u.Path, u.Protocol, u.Host, u.UpAddr}
	}
	tests := []struct {
		line int
		want want
	}{
		{1, want{200, 200, "GET", "/api/x?q=1", "/api/x", "HTTP/1.1", "127.0.0.1", "127.0.0.1:18092, 127.0.0.1:18091"}},
		{3, want{200, 200, "GET", "/redir", "/redir", "HTTP/1.1", "127.0.0.1", "127.0.0.1:18091 : 127.0.0.1:18091"}},
		{4, want{200, 0, "GET", "/static/h", "/static/h", "HTTP/1.1", "example.com", ""}},
		{5, want{400, 0, "", "", "", "", "test.local", ""}},
		{7, want{400, 0, "", "", "", "", "test.local", ""}},
		{8, want{200, 200, "GET", "/nover", "/nover", "", "test.local", "127.0.0.1:18091"}},
		{9, want{400, 0, "GET", "/sp ace", "/sp ace", "HTTP/1.1", "test.local", ""}},
		{12, want{502, 502, "GET", "/down/z", "/down/z", "HTTP/1.1", "127.0.0.1", "127.0.0.1:18092, 127.0.0.1:18093"}},
		{13, want{200, 0, "GET", "/static/café?\xff", "/static/café", "HTTP/1.1", "x", ""}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, got(tt.line-1)); diff != "" {
			t.Errorf("upstream.log:%d mismatch (-want +got):\n%s", tt.line, diff)
		}
	}
	if diff := cmp.Diff([3]string{`Mo"zilla\ é` + "\ttab", `http://r/"x"`, "1.1.1.1, 2.2.2.2"},
		[3]string{main[1].UserAgent, main[1].Referer, main[1].XForwardedFor}); diff != "" {
		t.Errorf("main.log:2 mismatch (-want +got):\n%s", diff)
	}
	if got := main[10].UserAgent; got != `a\"b\` {
		t.Errorf("main.log:11 user agent %q", got)
	}
	if got := main[14].URI; len(got) != len("/static/")+6000+3+100 || !strings.HasSuffix(got, "?q="+strings.Repeat("b", 100)) {
		t.Errorf("main.log:15 URI of %d bytes", len(got))
	}
}
