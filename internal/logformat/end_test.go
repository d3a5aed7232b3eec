package logformat

import (
	"strings"
	"testing"
)

// ingestNeeds is what ingest asks for (see ingest.Service.needs).
var ingestNeeds = []Var{VarTimeLocal, VarTimeISO8601, VarMsec, VarRequest, VarRequestMethod, VarRequestURI, VarURI,
	VarStatus, VarHost, VarHTTPHost, VarServerName, VarRequestTime}

// TestLineEnd checks that a line must end where its format does: text after
// the format's end, or a last field cut short, is an error whether every
// variable is parsed or only those ingest needs (with the jump to the last
// '"'); nginx's own lines, junk requests included, still parse.
func TestLineEnd(t *testing.T) {
	const (
		head     = `46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET /scripts/grok-py-test/configlib.py HTTP/1.1" 200 235`
		combined = head + ` "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"`
		custom   = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time`
		customOK = head + ` "http://r" "curl/8" 0.031 0.004, 0.027`
		trailing = "unexpected text after the end of the format"
	)
	tests := []struct {
		name, format string // a preset name or a log_format
		esc          Escape
		line         string
		want         string // "" for a line that parses, else the error
	}{
		{"combined", "combined", 0, combined, ""},
		{"combined, trailing blanks", "combined", 0, combined + " \t ", ""},
		{"combined, last quoted field cut short", "combined", 0, strings.TrimSuffix(combined, `)"`),
			`expected "\"" after $http_user_agent`},
		{"combined, cut inside the referer", "combined", 0, head + ` "http://ref`, `expected "\" \"" after $http_referer`},
		{"combined, cut after the body bytes", "combined", 0, head, `expected " \"" after $body_bytes_sent`},
		{"combined on a main line", "combined", 0, combined + ` "10.0.0.1"`, trailing + ` (it ends with $http_user_agent")`},
		{"main", "main", 0, combined + ` "10.0.0.1, 10.0.0.2"`, ""},
		{"main with rt= after the user agent", "main", 0, combined + ` rt=0.123`, `expected "\" \"" after $http_user_agent`},
		{"main with rt= at the end", "main", 0, combined + ` "-" rt=0.123`, trailing + ` (it ends with $http_x_forwarded_for")`},
		{"common on a combined line", "common", 0, combined, trailing + ` (it ends with $body_bytes_sent)`},
		{"TLS handshake", "combined", 0, `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" 400 157 "-" "-"`, ""},
		{"empty request", "combined", 0, `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "" 400 0 "-" "-"`, ""},
		{"escaped quotes in the user agent", "combined", 0, head + ` "a\"b" "x\" \"y\""`, ""},
		{"escaped quote at the end of a cut line", "combined", 0, head + ` "-" "x\"`, `expected "\"" after $http_user_agent`},
		{"escape=none: a raw quote in the user agent", "combined", EscapeNone, head + ` "-" "say "hi""`, trailing + ` (it ends with $http_user_agent")`},
		{"custom", custom, 0, customOK, ""},
		{"custom, groups of upstreams", custom, 0, head + ` "http://r" "curl/8" 0.031 0.004, - : 0.010`, ""},
		{"custom, an extra field after the groups", custom, 0, head + ` "http://r" "curl/8" 0.031 0.004 : 0.010 x`, trailing + ` (it ends with $upstream_response_time)`},
		{"custom, an extra field after the list", custom, 0, customOK + ` example.com`, trailing + ` (it ends with $upstream_response_time)`},
		{"custom, an extra dash", custom, 0, customOK + ` -`, trailing + ` (it ends with $upstream_response_time)`},
		{"custom, cut in the list", custom, 0, head + ` "http://r" "curl/8" 0.031 0.004,`, ""}, // "0.004," is one element: not checked unless needed
		{"custom, cut before the last variable", custom, 0, head + ` "http://r" "curl/8" 0.031`, `expected " " after $request_time`},
		{"last number and more", "$status $request_time", 0, "200 0.5 0.7", trailing + ` (it ends with $request_time)`},
		{"last number and a tab-separated field", "$status $request_time", 0, "200 0.5\tx", trailing + ` (it ends with $request_time)`},
		{"last msec and more", "$status $msec", 0, "200 1700000000.123 x", trailing + ` (it ends with $msec)`},
		{"last status and more", "$time_iso8601 $status", 0, "2023-11-14T22:13:20Z 200 x", trailing + ` (it ends with $status)`},
		{"last iso time and more", "$status $time_iso8601", 0, "200 2023-11-14T22:13:20+00:00 x", trailing + ` (it ends with $time_iso8601)`},
		{"last local time and more", "$status [$time_local", 0, "200 [14/Nov/2023:22:13:20 +0000 x", trailing + ` (it ends with $time_local)`},
		{"last literal and more", "[$time_local] $status;", 0, "[14/Nov/2023:22:13:20 +0000] 200; x", trailing + ` (it ends with $status;)`},
		{"free text runs to the end", "$time_iso8601 $status $http_user_agent", 0, "2023-11-14T22:13:20Z 200 curl/8 (x; y)", ""},
		{"unknown variable last", "$time_iso8601 $status $connection", 0, "2023-11-14T22:13:20Z 200 12 x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var full *Parser
			if _, _, ok := Preset(tt.format); ok {
				full = mustPreset(t, tt.format)
				if tt.esc != 0 {
					f, _, _ := Preset(tt.format)
					full = mustCompile(t, f, tt.esc)
				}
			} else {
				full = mustCompile(t, tt.format, tt.esc)
			}
			need := full.Clone()
			need.Need(ingestNeeds...)
			for _, p := range []struct {
				name string
				p    *Parser
			}{{"every variable", full}, {"what ingest needs", need}} {
				var r Record
				err := p.p.Parse([]byte(tt.line), &r)
				got := ""
				if err != nil {
					got = err.Error()
				}
				if got != tt.want {
					t.Errorf("%s: Parse error %q, want %q", p.name, got, tt.want)
				}
			}
		})
	}
}
