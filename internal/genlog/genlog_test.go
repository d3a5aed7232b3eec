package genlog

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

func generate(t *testing.T, opts Options) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := Generate(&buf, opts); err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	s := buf.String()
	if opts.Lines > 0 && !strings.HasSuffix(s, "\n") {
		t.Fatalf("output does not end with a newline")
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// customLine matches a CustomLogFormat line.
var customLine = regexp.MustCompile(`^(\S+) - - \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "((?:[^"\\]|\\x[0-9A-F]{2})*)" (\d{3}) (\d+) "([^"]*)" "((?:[^"\\]|\\x[0-9A-F]{2})*)" (\d+\.\d{3}) (-|\d+\.\d{3}(?:(?:, | : )\d+\.\d{3})*)$`)

func TestGenerateCustom(t *testing.T) {
	t.Parallel()
	const n = 100000
	// At this rate the lines span two days, over which the daily cycle
	// averages out.
	const rate = n / (2 * 86400.0)
	lines := generate(t, Options{Lines: n, Format: FormatCustom, Rate: rate, Seed: 7})
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	statuses := map[int]int{}
	var prev time.Time
	backwards, lists, noUpstream := 0, 0, 0
	for i, line := range lines {
		m := customLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d does not match the custom format: %s", i+1, line)
		}
		ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[2])
		if err != nil {
			t.Fatalf("line %d: time: %v", i+1, err)
		}
		if ts.Before(prev) {
			backwards++
			if prev.Sub(ts) > 3*time.Second {
				t.Errorf("line %d: %v is %v behind the previous line", i+1, ts, prev.Sub(ts))
			}
		}
		prev = ts
		status, _ := strconv.Atoi(m[4])
		statuses[status]++
		garbage := status == 400 && strings.HasPrefix(m[3], `\x16\x03`)
		if rt, _ := strconv.ParseFloat(m[8], 64); (rt < 0.001 && !garbage) || rt > 5 {
			t.Errorf("line %d: request_time %s outside 0.001..5", i+1, m[8])
		}
		switch {
		case m[9] == "-":
			noUpstream++
		case strings.ContainsAny(m[9], ",:"):
			lists++
		}
	}

	// The shares of the statuses: mostly 200, every listed status present.
	for _, s := range []int{200, 201, 204, 301, 304, 400, 401, 403, 404, 429, 499, 500, 502, 503, 504} {
		if statuses[s] == 0 {
			t.Errorf("no line with status %d", s)
		}
	}
	if share := float64(statuses[200]) / n; share < 0.75 || share > 0.92 {
		t.Errorf("share of 200: %.3f, want 0.75..0.92", share)
	}
	fivexx := statuses[500] + statuses[502] + statuses[503] + statuses[504]
	if share := float64(fivexx) / n; share < 0.0003 || share > 0.005 {
		t.Errorf("share of 5xx: %.4f, want 0.0003..0.005", share)
	}
	if backwards == 0 || backwards > n/500 {
		t.Errorf("%d lines go back in time, want a few", backwards)
	}
	if lists == 0 || lists > n/50 {
		t.Errorf("%d upstream time lists, want a few", lists)
	}
	if share := float64(noUpstream) / n; share < 0.1 || share > 0.5 {
		t.Errorf("share of lines without upstream: %.3f, want 0.1..0.5", share)
	}
	first, _ := time.Parse("02/Jan/2006:15:04:05 -0700", customLine.FindStringSubmatch(lines[0])[2])
	if span := prev.Sub(first); span < 43*time.Hour || span > 53*time.Hour {
		t.Errorf("%d lines at %.3f/s span %v, want about 48h", n, rate, span)
	}
}

func TestGenerateJSON(t *testing.T) {
	t.Parallel()
	const n = 20000
	lines := generate(t, Options{Lines: n, Format: FormatJSON, Seed: 7})
	keys := []string{"time", "remote_addr", "host", "request", "status", "bytes", "request_time",
		"upstream_response_time", "http_user_agent", "http_referer"}
	hosts := map[string]int{}
	for i, line := range lines {
		var rec map[string]string
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		if len(rec) != len(keys) {
			t.Fatalf("line %d has %d keys, want %d: %s", i+1, len(rec), len(keys), line)
		}
		for _, k := range keys {
			if _, ok := rec[k]; !ok {
				t.Fatalf("line %d: no key %q: %s", i+1, k, line)
			}
		}
		if _, err := time.Parse(time.RFC3339, rec["time"]); err != nil {
			t.Fatalf("line %d: time: %v", i+1, err)
		}
		if rec["upstream_response_time"] == "-" || rec["http_referer"] == "-" {
			t.Fatalf(`line %d: escape=json logs a missing value as "", not "-": %s`, i+1, line)
		}
		hosts[rec["host"]]++
	}
	if len(hosts) != 3 {
		t.Errorf("hosts: %v, want 3", hosts)
	}
}

// TestFormatsShareEvents checks that a seed gives the same requests in every
// format, so results from the formats can be compared.
func TestFormatsShareEvents(t *testing.T) {
	t.Parallel()
	const n = 10000
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))
	combined := generate(t, Options{Lines: n, Format: FormatCombined, Start: start, Seed: 3})
	custom := generate(t, Options{Lines: n, Format: FormatCustom, Start: start, Seed: 3})
	js := generate(t, Options{Lines: n, Format: FormatJSON, Start: start, Seed: 3})
	if !strings.Contains(custom[0], "[20/Nov/2026:09:00:00 +0900]") {
		t.Errorf("first line does not start at -start in its zone: %s", custom[0])
	}
	for i := range n {
		if !strings.HasPrefix(custom[i], combined[i]+" ") {
			t.Fatalf("line %d: custom is not combined + times:\n%s\n%s", i+1, combined[i], custom[i])
		}
		var rec map[string]string
		if err := json.Unmarshal([]byte(js[i]), &rec); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		m := customLine.FindStringSubmatch(custom[i])
		if m[1] != rec["remote_addr"] || m[4] != rec["status"] || m[5] != rec["bytes"] || m[8] != rec["request_time"] {
			t.Fatalf("line %d differs between formats:\n%s\n%s", i+1, custom[i], js[i])
		}
	}
}

func TestIncident(t *testing.T) {
	g := newGenerator(Options{Rate: DefaultRate, Seed: 5, Format: FormatCustom, Start: DefaultStart()})
	g.setSecond(g.start)
	from, to := g.incidentFrom, g.incidentTo
	if d := to - from; d < 600 || d > 2400 {
		t.Fatalf("incident lasts %ds, want 10 to 40 minutes", d)
	}
	share5xx := func(sec int64) float64 {
		g.setSecond(sec)
		n := 0
		var e event
		for range 50000 {
			g.draw(&e)
			if e.status >= 500 {
				n++
			}
		}
		return float64(n) / 50000
	}
	in, out := share5xx(from+1), share5xx(to+1)
	t.Logf("5xx share: %.4f in the incident, %.4f after it", in, out)
	if g.inIncident || in < 2*out {
		t.Errorf("5xx share inside the incident %.4f, outside %.4f; want at least twice as many inside", in, out)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a := generate(t, Options{Lines: 5000, Seed: 42})
	b := generate(t, Options{Lines: 5000, Seed: 42})
	c := generate(t, Options{Lines: 5000, Seed: 43})
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("the same options gave different output")
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Error("different seeds gave the same output")
	}
}

// TestStream: a live stream's lines, taken in steps, are Generate's lines
// for the same options, each written once its time has come; Steady keeps
// the rate flat whatever the hour.
func TestStream(t *testing.T) {
	start := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC) // 02:00: the daily cycle's low, 0.4 times the rate
	opts := Options{Format: FormatCustom, Start: start, Rate: 2000, Seed: 9, Steady: true}
	s, err := NewStream(opts)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	total := 0
	for step := range 200 { // 10 s of log time in 50 ms steps
		until := start.Add(time.Duration(step+1) * 50 * time.Millisecond)
		from := len(b)
		var n int
		b, n = s.AppendUntil(b, until)
		total += n
		if got := bytes.Count(b[from:], []byte("\n")); got != n {
			t.Fatalf("step %d: %d lines appended, %d reported", step, got, n)
		}
		if n == 0 {
			continue
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(b[from:]), "\n"), "\n") {
			m := customLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("step %d: not a custom line: %s", step, line)
			}
			ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[2])
			if err != nil {
				t.Fatal(err)
			}
			if !ts.Before(until) {
				t.Fatalf("step %d: line of %v written before its time %v: %s", step, ts, until, line)
			}
		}
	}
	// Poisson arrivals: 20,000 expected, a standard deviation of ~140.
	if total < 19400 || total > 20600 {
		t.Errorf("%d lines in 10 s at a steady 2000/s", total)
	}
	opts.Lines = total
	want := generate(t, opts)
	if got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the stream's lines differ from Generate's")
	}
}

func TestGenerateOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"format", Options{Format: "xml"}, `unknown format "xml"`},
		{"lines", Options{Lines: -1}, "lines -1"},
		{"rate", Options{Rate: -2}, "rate -2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Generate(&bytes.Buffer{}, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate(%+v) = %v, want an error containing %q", tc.opts, err, tc.want)
			}
		})
	}
}

// TestEscapeMatchesNginx sends the malformed requests genlog imitates to a
// real nginx and checks that genlog escapes them the way nginx logged them.
var noAgentNoUpstream = regexp.MustCompile(`"-" "-" \d+\.\d{3} -$`)

func TestEscapeMatchesNginx(t *testing.T) {
	itest.Require(t, "nginx")
	for _, format := range []string{FormatCustom, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			lf, escape, err := LogFormat(format)
			if err != nil {
				t.Fatal(err)
			}
			ngx := itest.StartNginx(t, itest.NginxOptions{LogFormat: lf, Escape: escape})
			g := newGenerator(Options{Format: format})
			const ua = `Mozilla/5.0 "scanner" \x`
			path := "/検索/東京?q=\"x\""
			raw := [][]byte{
				[]byte("GET " + path + " HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: " + ua + "\r\nConnection: close\r\n\r\n"),
				{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03},
			}
			for _, req := range raw {
				c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(ngx.Port))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Write(req); err != nil {
					t.Fatal(err)
				}
				if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
					t.Fatal(err)
				}
				_, _ = io.ReadAll(c) // until nginx closes the connection
				c.Close()
			}
			lines := ngx.WaitLogLines(t, 2)
			wantReq := `"` + string(g.escape(nil, []byte("GET "+path+" HTTP/1.1"))) + `"`
			wantUA := `"` + string(g.escape(nil, []byte(ua))) + `"`
			if !strings.Contains(lines[0], wantReq) || !strings.Contains(lines[0], wantUA) {
				t.Errorf("nginx logged\n%s\nwant it to contain %s and %s", lines[0], wantReq, wantUA)
			}
			wantTLS := `"` + string(g.escape(nil, raw[1][:3]))
			if !strings.Contains(lines[1], wantTLS) || !strings.Contains(lines[1], "400") {
				t.Errorf("nginx logged\n%s\nwant a 400 with a request starting %s", lines[1], wantTLS)
			}
			// The request time is whatever nginx measured (0.000 or, on a busy
			// machine, 0.001); what matters is no agent, referer or upstream.
			if !noAgentNoUpstream.MatchString(lines[1]) && !strings.Contains(lines[1], `"http_user_agent":"","http_referer":""`) {
				t.Errorf("nginx logged\n%s\nwant no user agent, no referer and no upstream", lines[1])
			}
			t.Logf("nginx logged:\n%s", strings.Join(lines, "\n"))
		})
	}
}
