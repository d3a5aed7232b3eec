package logformat

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const combinedLine = `203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1#top HTTP/1.0" 200 2326 ` +
	`"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`

// combinedView is what combinedLine parses to.
func combinedView() view {
	return with(func(v *view) {
		v.Time = ms(2000, time.October, 10, 20, 55, 36, 0)
		v.RemoteAddr, v.RemoteUser = "203.0.113.9", "alice"
		v.Method, v.URI, v.Path, v.Protocol = "GET", "/apache_pb.gif?x=1#top", "/apache_pb.gif", "HTTP/1.0"
		v.Status, v.BodyBytes = 200, 2326
		v.Referer, v.UserAgent = "http://www.example.com/start.html", "Mozilla/4.08 [en] (Win98; I ;Nav)"
	})
}

func TestParsePresets(t *testing.T) {
	tests := []struct {
		name, preset, line string
		want               view
	}{
		{"combined", "combined", combinedLine, combinedView()},
		{"combined CRLF", "combined", combinedLine + "\r\n", combinedView()},
		{"main", "main", combinedLine + ` "198.51.100.1, 10.0.0.1"`, with(func(v *view) {
			*v = combinedView()
			v.XForwardedFor = "198.51.100.1, 10.0.0.1"
		})},
		{"combined with trailing spaces", "combined", combinedLine + " \t ", combinedView()},
		{"common", "common", `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
			with(func(v *view) {
				v.Time = ms(2000, time.October, 10, 20, 55, 36, 0)
				v.RemoteAddr, v.RemoteUser = "127.0.0.1", "frank"
				v.Method, v.URI, v.Path, v.Protocol = "GET", "/apache_pb.gif", "/apache_pb.gif", "HTTP/1.0"
				v.Status, v.BodyBytes = 200, 2326
			})},
		{"json", "json", `{"time_iso8601":"2023-11-14T22:13:20+00:00","status":"200","request_time":"0.010",` +
			`"request":"GET /api?q=1 HTTP/1.1","$upstream_response_time":"0.004, 0.005","$host":"example.com"}`,
			with(func(v *view) {
				v.Time = ms(2023, time.November, 14, 22, 13, 20, 0)
				v.Status, v.RequestTime, v.UpstreamTime = 200, 10000, 9000
				v.Method, v.URI, v.Path, v.Protocol = "GET", "/api?q=1", "/api", "HTTP/1.1"
				v.Host = "example.com"
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPreset(t, tt.preset)
			var r Record
			if err := p.Parse([]byte(tt.line), &r); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, toView(&r)); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// parseCase is one line parsed with one format.
type parseCase struct {
	name, format string
	esc          Escape
	line         string
	want         view
}

func runParseCases(t *testing.T, tests []parseCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.format, tt.esc)
			var r Record
			if err := p.Parse([]byte(tt.line), &r); err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if diff := cmp.Diff(tt.want, toView(&r)); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
			checkRecord(t, []byte(tt.line), &r)
		})
	}
}

func TestParseVariables(t *testing.T) {
	oct10 := ms(2000, time.October, 10, 20, 55, 36, 0)
	runParseCases(t, []parseCase{
		{name: "remote_addr remote_user", format: "$remote_addr - $remote_user .", line: "2001:db8::1 - bob .",
			want: with(func(v *view) { v.RemoteAddr, v.RemoteUser = "2001:db8::1", "bob" })},
		{name: "time_local", format: "[$time_local] $status", line: "[10/Oct/2000:13:55:36 -0700] 200",
			want: with(func(v *view) { v.Time, v.Status = oct10, 200 })},
		{name: "time_local followed by a space", format: "$time_local $status", line: "10/Oct/2000:13:55:36 -0700 200",
			want: with(func(v *view) { v.Time, v.Status = oct10, 200 })},
		{name: "time_local east of UTC", format: "[$time_local]", line: "[01/Jan/2024:05:00:00 +0530]",
			want: with(func(v *view) { v.Time = ms(2023, time.December, 31, 23, 30, 0, 0) })},
		{name: "time_local UTC", format: "[$time_local]", line: "[31/Dec/1999:23:59:59 +0000]",
			want: with(func(v *view) { v.Time = ms(1999, time.December, 31, 23, 59, 59, 0) })},
		{name: "time_local leap day", format: "[$time_local]", line: "[29/Feb/2024:12:00:00 -0130]",
			want: with(func(v *view) { v.Time = ms(2024, time.February, 29, 13, 30, 0, 0) })},
		{name: "time_iso8601 offset", format: "$time_iso8601 $status", line: "2000-10-10T13:55:36-07:00 204",
			want: with(func(v *view) { v.Time, v.Status = oct10, 204 })},
		{name: "time_iso8601 Z", format: "$time_iso8601 $status", line: "2000-10-10T20:55:36Z 204",
			want: with(func(v *view) { v.Time, v.Status = oct10, 204 })},
		{name: "time_iso8601 fraction", format: "t=$time_iso8601;", line: "t=2000-10-10T22:55:36.5+02:00;",
			want: with(func(v *view) { v.Time = oct10 + 500 })},
		{name: "msec", format: "$msec $status", line: "1700000000.123 200",
			want: with(func(v *view) { v.Time, v.Status = 1700000000123, 200 })},
		{name: "msec integer", format: "$msec $status", line: "1700000000 200",
			want: with(func(v *view) { v.Time, v.Status = 1700000000000, 200 })},
		{name: "msec wins over time_local", format: "[$time_local] $msec", line: "[10/Oct/2000:13:55:36 -0700] 971211336.789",
			want: with(func(v *view) { v.Time = oct10 + 789 })},
		{name: "request", format: `"$request" $status`, line: `"POST /a/b?c=d#e HTTP/2.0" 201`,
			want: with(func(v *view) {
				v.Method, v.URI, v.Path, v.Protocol, v.Status = "POST", "/a/b?c=d#e", "/a/b", "HTTP/2.0", 201
			})},
		{name: "request without protocol", format: `"$request" $status`, line: `"GET /foo" 200`,
			want: with(func(v *view) { v.Method, v.URI, v.Path, v.Status = "GET", "/foo", "/foo", 200 })},
		{name: "request with absolute URI", format: `"$request"`, line: `"GET http://example.com/x?y HTTP/1.1"`,
			want: with(func(v *view) {
				v.Method, v.URI, v.Path, v.Protocol = "GET", "http://example.com/x?y", "http://example.com/x", "HTTP/1.1"
			})},
		{name: "request_method request_uri server_protocol", format: "$request_method $request_uri $server_protocol",
			line: "PUT /x?y=1 HTTP/1.1",
			want: with(func(v *view) { v.Method, v.URI, v.Path, v.Protocol = "PUT", "/x?y=1", "/x", "HTTP/1.1" })},
		{name: "uri", format: "$uri $status", line: "/index.html 200",
			want: with(func(v *view) { v.URI, v.Path, v.Status = "/index.html", "/index.html", 200 })},
		{name: "document_uri", format: "$document_uri|", line: "/index.php|",
			want: with(func(v *view) { v.URI, v.Path = "/index.php", "/index.php" })},
		{name: "request_uri wins over request and uri", format: `$uri "$request" $request_uri`,
			line: `/index.php "GET /a?b HTTP/1.1" /a?b=2`,
			want: with(func(v *view) { v.Method, v.URI, v.Path, v.Protocol = "GET", "/a?b=2", "/a", "HTTP/1.1" })},
		{name: "request wins over uri", format: `$uri "$request"`, line: `/index.php "GET /a?b HTTP/1.1"`,
			want: with(func(v *view) { v.Method, v.URI, v.Path, v.Protocol = "GET", "/a?b", "/a", "HTTP/1.1" })},
		{name: "request_method wins over request", format: `$request_method "$request"`, line: `HEAD "GET / HTTP/1.1"`,
			want: with(func(v *view) { v.Method, v.URI, v.Path, v.Protocol = "HEAD", "/", "/", "HTTP/1.1" })},
		{name: "status dash", format: "$status $body_bytes_sent", line: "- 1",
			want: with(func(v *view) { v.BodyBytes = 1 })},
		{name: "status 000", format: "$status $body_bytes_sent", line: "000 0",
			want: with(func(v *view) { v.BodyBytes = 0 })},
		{name: "sizes", format: "$body_bytes_sent $bytes_sent $request_length", line: "2326 2590 812",
			want: with(func(v *view) { v.BodyBytes, v.BytesSent, v.RequestLength = 2326, 2590, 812 })},
		{name: "request_time", format: "$status $request_time", line: "200 0.123",
			want: with(func(v *view) { v.Status, v.RequestTime = 200, 123000 })},
		{name: "request_time integer", format: "$status $request_time", line: "200 3",
			want: with(func(v *view) { v.Status, v.RequestTime = 200, 3000000 })},
		{name: "request_time many decimals", format: "$status $request_time", line: "200 0.0001239",
			want: with(func(v *view) { v.Status, v.RequestTime = 200, 123 })},
		{name: "request_time one decimal", format: "$request_time|", line: "12.5|",
			want: with(func(v *view) { v.RequestTime = 12500000 })},
		{name: "last variable ignores trailing spaces", format: "$status $request_time", line: "200 0.5  ",
			want: with(func(v *view) { v.Status, v.RequestTime = 200, 500000 })},
		{name: "host", format: "$host $http_host $server_name", line: "a.example b.example:8080 c.example",
			want: with(func(v *view) { v.Host = "a.example" })},
		{name: "http_host without port", format: "$host $http_host $server_name", line: "- b.example:8080 c.example",
			want: with(func(v *view) { v.Host = "b.example" })},
		{name: "http_host IPv6", format: "$http_host|", line: "[2001:db8::1]:8443|",
			want: with(func(v *view) { v.Host = "[2001:db8::1]" })},
		{name: "server_name", format: "$host $http_host $server_name", line: "- - c.example",
			want: with(func(v *view) { v.Host = "c.example" })},
		{name: "referer user agent forwarded", format: `"$http_referer" "$http_user_agent" "$http_x_forwarded_for"`,
			line: `"https://r.example/" "curl/8.4.0" "198.51.100.7, 10.1.1.1"`,
			want: with(func(v *view) {
				v.Referer, v.UserAgent, v.XForwardedFor = "https://r.example/", "curl/8.4.0", "198.51.100.7, 10.1.1.1"
			})},
		{name: "empty quoted values", format: `"$http_referer" "$http_user_agent" $status`, line: `"" "" 200`,
			want: with(func(v *view) { v.Status = 200 })},
		{name: "unknown variables are skipped",
			format: `$ssl_protocol/$ssl_cipher $request_id "$http_x_custom" $gzip_ratio $connection $pipe $status`,
			line:   `TLSv1.3/TLS_AES_256_GCM_SHA384 0123456789abcdef "a b \"c\"" 2.51 12345 p 302`,
			want:   with(func(v *view) { v.Status = 302 })},
		{name: "braced variables", format: "${remote_addr}-${status}x${request_time}", line: "10.0.0.1-503x0.25",
			want: with(func(v *view) { v.RemoteAddr, v.Status, v.RequestTime = "10.0.0.1", 503, 250000 })},
		{name: "variable names are case-insensitive", format: "$Status $REQUEST_TIME", line: "200 1.5",
			want: with(func(v *view) { v.Status, v.RequestTime = 200, 1500000 })},
		{name: "dash means unset",
			format: `$remote_addr $remote_user [$time_local] "$request" $status $body_bytes_sent $bytes_sent ` +
				`$request_length $request_time $upstream_response_time $upstream_status $upstream_addr $host "$http_referer"`,
			line: `- - [-] "-" 400 - - - - - - - - "-"`,
			want: with(func(v *view) { v.Status = 400 })},
	})
}

func TestParseUpstreamLists(t *testing.T) {
	const format = `$status $upstream_status $upstream_response_time $upstream_connect_time $upstream_header_time ` +
		`"$upstream_addr" $request_time`
	runParseCases(t, []parseCase{
		{name: "single upstream", format: format, line: `200 200 0.004 0.001 0.003 "10.0.0.1:80" 0.005`,
			want: with(func(v *view) {
				v.Status, v.UpstreamStatus, v.UpstreamTime, v.UpAddr, v.RequestTime = 200, 200, 4000, "10.0.0.1:80", 5000
			})},
		{name: "retries and internal redirect",
			format: format,
			line:   `200 502, 504 : 200 0.004, 0.002 : 0.010 0.001, 0.001 : 0.002 0.004, - : 0.010 "10.0.0.1:80, 10.0.0.2:80 : unix:/run/app.sock" 0.020`,
			want: with(func(v *view) {
				v.Status, v.UpstreamStatus, v.UpstreamTime, v.RequestTime = 200, 200, 16000, 20000
				v.UpAddr = "10.0.0.1:80, 10.0.0.2:80 : unix:/run/app.sock"
			})},
		{name: "dash elements are ignored", format: format, line: `504 504, - - : 0.5 - - "10.0.0.1:80, 10.0.0.2:80" 1.000`,
			want: with(func(v *view) {
				v.Status, v.UpstreamStatus, v.UpstreamTime, v.RequestTime = 504, 504, 500000, 1000000
				v.UpAddr = "10.0.0.1:80, 10.0.0.2:80"
			})},
		{name: "all dashes are missing", format: format, line: `499 -, - -, - - - "-" 0.100`,
			want: with(func(v *view) { v.Status, v.RequestTime = 499, 100000 })},
		{name: "last status wins over an earlier one", format: "$upstream_status|", line: "200 : 404|",
			want: with(func(v *view) { v.UpstreamStatus = 404 })},
		{name: "list at end of line", format: "$status $upstream_response_time", line: "200 0.1, 0.2 : 0.3",
			want: with(func(v *view) { v.Status, v.UpstreamTime = 200, 600000 })},
		{name: "unknown upstream variables are lists too", format: "$upstream_cache_status $upstream_bytes_received $status",
			line: "MISS 120, 340 : 56 200", want: with(func(v *view) { v.Status = 200 })},
	})
}

func TestParseJunk(t *testing.T) {
	giant := "/" + strings.Repeat("a", 1<<20)
	oct10 := ms(2000, time.October, 10, 20, 55, 36, 0)
	prefix := `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] `
	bad := func(status int, body int64) view {
		return with(func(v *view) {
			v.Time, v.RemoteAddr, v.Status, v.BodyBytes = oct10, "1.2.3.4", status, body
		})
	}
	combined, _, _ := Preset("combined")
	runParseCases(t, []parseCase{
		{name: "TLS handshake", format: combined,
			line: prefix + `"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x9a\x8f\xa7\x1a\x20\x13" 400 157 "-" "-"`,
			want: bad(400, 157)},
		{name: "dash request", format: combined, line: prefix + `"-" 400 0 "-" "-"`, want: bad(400, 0)},
		{name: "empty request", format: combined, line: prefix + `"" 400 0 "-" "-"`, want: bad(400, 0)},
		{name: "method only", format: combined, line: prefix + `"GET" 400 0 "-" "-"`, want: bad(400, 0)},
		{name: "garbage with spaces", format: combined, line: prefix + `"\x00\x01 /x HTTP/1.1" 400 0 "-" "-"`,
			want: bad(400, 0)},
		{name: "non-UTF-8 escaped", format: combined, line: prefix + `"GET /caf\xE9 HTTP/1.1" 200 1 "-" "\xFF\xFE"`,
			want: with(func(v *view) {
				*v = bad(200, 1)
				v.Method, v.URI, v.Path, v.Protocol, v.UserAgent = "GET", "/caf\xe9", "/caf\xe9", "HTTP/1.1", "\xff\xfe"
			})},
		{name: "non-UTF-8 raw", format: combined, esc: EscapeNone, line: prefix + "\"GET /caf\xe9 HTTP/1.1\" 200 1 \"-\" \"\xff\xc0\"",
			want: with(func(v *view) {
				*v = bad(200, 1)
				v.Method, v.URI, v.Path, v.Protocol, v.UserAgent = "GET", "/caf\xe9", "/caf\xe9", "HTTP/1.1", "\xff\xc0"
			})},
		{name: "1 MB URI", format: combined, line: prefix + `"GET ` + giant + `?q HTTP/1.1" 414 0 "-" "-"`,
			want: with(func(v *view) {
				*v = bad(414, 0)
				v.Method, v.URI, v.Path, v.Protocol = "GET", giant+"?q", giant, "HTTP/1.1"
			})},
	})
}

func TestParseEscapes(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "default hex escapes", format: `"$request" "$http_user_agent"`,
			line: `"GET /a\x22b\x5Cc%20d HTTP/1.1" "bell\x07 euro \xE2\x82\xAC"`,
			want: with(func(v *view) {
				v.Method, v.URI, v.Path, v.Protocol = "GET", `/a"b\c%20d`, `/a"b\c%20d`, "HTTP/1.1"
				v.UserAgent = "bell\x07 euro €"
			})},
		{name: "default old-style escapes", format: `"$http_user_agent" $status`, line: `"say \"hi\" \\o/" 200`,
			want: with(func(v *view) { v.UserAgent, v.Status = `say "hi" \o/`, 200 })},
		{name: "default malformed escapes are kept", format: `"$http_user_agent"`, line: `"\xZZ \q \x4"`,
			want: with(func(v *view) { v.UserAgent = `\xZZ \q \x4` })},
		{name: "json escapes in a text format", format: `"$request" "$http_user_agent" $status`, esc: EscapeJSON,
			line: `"GET /\"q\" HTTP/1.1" "a\"b\\c\/d\n\t\u00e9\ud83d\ude00\u0001 \ud800x" 200`,
			want: with(func(v *view) {
				v.Method, v.URI, v.Path, v.Protocol = "GET", `/"q"`, `/"q"`, "HTTP/1.1"
				v.UserAgent = "a\"b\\c/d\n\té😀\x01 \uFFFDx"
				v.Status = 200
			})},
		{name: "escape=json writes missing values as empty", esc: EscapeJSON,
			format: `"$http_user_agent" $upstream_response_time $upstream_status $request_time`,
			line:   `"curl"   0.250`,
			want:   with(func(v *view) { v.UserAgent, v.RequestTime = "curl", 250000 })},
		{name: "json escaped backslash before the closing quote", format: `"$http_user_agent" $status`, esc: EscapeJSON,
			line: `"dir\\" 200`, want: with(func(v *view) { v.UserAgent, v.Status = `dir\`, 200 })},
		{name: "escape=none keeps backslashes", format: `"$http_user_agent" $status`, esc: EscapeNone,
			line: `"a\x22b\" 200`, want: with(func(v *view) { v.UserAgent, v.Status = `a\x22b\`, 200 })},
		{name: "json template with default escaping", format: `{"ua":"$http_user_agent","s":$status}`,
			line: `{"ua":"x\x22y","s":200}`, want: with(func(v *view) { v.UserAgent, v.Status = `x"y`, 200 })},
	})
}

func TestParseSyntax(t *testing.T) {
	combined := `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
	want := combinedView()
	for _, format := range []string{
		combined,
		"\n  " + combined + " \n",
		"'$remote_addr - $remote_user [$time_local] '\n                    '\"$request\" $status $body_bytes_sent '\n" +
			"                    '\"$http_referer\" \"$http_user_agent\"';",
		`"$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\""`,
		`'${remote_addr} - ${remote_user} [${time_local}] "${request}" ${status} ${body_bytes_sent} "${http_referer}" "${http_user_agent}"'`,
		`'$remote_addr - $remote_user [$time_local] "$request" ' $status ' $body_bytes_sent "$http_referer" "$http_user_agent"'`,
	} {
		p := mustCompile(t, format, EscapeDefault)
		var r Record
		if err := p.Parse([]byte(combinedLine), &r); err != nil {
			t.Errorf("format %q: Parse: %v", format, err)
			continue
		}
		if diff := cmp.Diff(want, toView(&r)); diff != "" {
			t.Errorf("format %q: mismatch (-want +got):\n%s", format, diff)
		}
	}
	runParseCases(t, []parseCase{
		{name: "bare format starting with a double-quoted variable", format: `"$request" "$http_user_agent"`,
			line: `"GET / HTTP/1.1" "ua"`,
			want: with(func(v *view) { v.Method, v.URI, v.Path, v.Protocol, v.UserAgent = "GET", "/", "/", "HTTP/1.1", "ua" })},
		{name: "nginx.conf escapes in quoted segments", format: `'$status \'$request_time\'\t'`, line: "200 '1.0'\t",
			want: with(func(v *view) { v.Status, v.RequestTime = 200, 1000000 })},
	})
}

func TestParseJSON(t *testing.T) {
	const tmpl = `'{"time":"$time_iso8601","status":$status,"req":"$request","rt":"$request_time",'
		'"urt":"$upstream_response_time","ups":$upstream_status,"ua":"$http_user_agent"}'`
	full := with(func(v *view) {
		v.Time = ms(2023, time.November, 14, 22, 13, 20, 0)
		v.Status, v.UpstreamStatus, v.RequestTime, v.UpstreamTime = 502, 502, 10000, 9000
		v.Method, v.URI, v.Path, v.Protocol = "GET", `/a"b`, `/a"b`, "HTTP/1.1"
		v.UserAgent = "é\n"
	})
	runParseCases(t, []parseCase{
		{name: "template order", format: tmpl, esc: EscapeJSON,
			line: `{"time":"2023-11-14T22:13:20+00:00","status":502,"req":"GET /a\"b HTTP/1.1","rt":"0.010",` +
				`"urt":"0.004, 0.005","ups":502,"ua":"\u00e9\n"}`,
			want: full},
		{name: "any order, white space, unknown keys", format: tmpl, esc: EscapeJSON,
			line: ` { "ua" : "\u00e9\n", "x": {"a": [1, {"b": "}]\"{"}], "c": null}, "ups": 502 , "arr":[[],{}],` +
				` "rt":"0.010","req":"GET /a\"b HTTP/1.1","n":-1.5e3,"t":true,"urt":"0.004, 0.005",` +
				`"status":502,"time":"2023-11-14T22:13:20Z"} `,
			want: full},
		{name: "null and dash values", format: tmpl, esc: EscapeJSON,
			line: `{"time":"2023-11-14T22:13:20+00:00","status":499,"req":"-","rt":"0.000","urt":"-","ups":null,"ua":"-"}`,
			want: with(func(v *view) {
				v.Time, v.Status, v.RequestTime = ms(2023, time.November, 14, 22, 13, 20, 0), 499, 0
			})},
		{name: "bare lists", format: `{"urt":$upstream_response_time,"ups":$upstream_status,"s":$status}`, esc: EscapeJSON,
			line: `{"urt":0.1, 0.2 : 0.3,"ups":502, 200,"s":200}`,
			want: with(func(v *view) { v.UpstreamTime, v.UpstreamStatus, v.Status = 600000, 200, 200 })},
		{name: "empty values", format: `{"urt":$upstream_response_time,"ups":$upstream_status,"s":$status,"rt":"$request_time"}`,
			esc: EscapeJSON, line: `{"urt":,"ups": ,"s":200,"rt":""}`,
			want: with(func(v *view) { v.Status = 200 })},
		{name: "missing keys", format: tmpl, esc: EscapeJSON, line: `{"status":200}`,
			want: with(func(v *view) { v.Status = 200 })},
		{name: "nested template", format: `{"req":{"method":"$request_method","uri":"$request_uri"},"status":$status}`,
			esc: EscapeJSON, line: `{"status":201,"req":{"extra":[1],"uri":"/x?y","method":"POST"}}`,
			want: with(func(v *view) { v.Method, v.URI, v.Path, v.Status = "POST", "/x?y", "/x", 201 })},
		{name: "literal text around a variable", format: `{"rt":"$request_time s","h":"host=$host"}`, esc: EscapeJSON,
			line: `{"rt":"0.5 s","h":"host=example.com"}`,
			want: with(func(v *view) { v.RequestTime, v.Host = 500000, "example.com" })},
		{name: "dollar keys", format: `{"status":"$status","msec":"$msec"}`, esc: EscapeJSON,
			line: `{"$status":"204","$msec":"1700000000.5"}`,
			want: with(func(v *view) { v.Status, v.Time = 204, 1700000000500 })},
		{name: "json preset", format: jsonPreset(), esc: EscapeJSON,
			line: `{"remote_addr":"10.0.0.1","time_local":"10/Oct/2000:13:55:36 -0700","request_method":"GET",` +
				`"request_uri":"/x","status":200,"body_bytes_sent":12,"bytes_sent":300,"request_length":80,` +
				`"upstream_status":"200","upstream_addr":"10.0.0.2:80","http_host":"h.example:80",` +
				`"http_referer":"r","http_user_agent":"u","http_x_forwarded_for":"f","server_protocol":"HTTP/1.1"}`,
			want: with(func(v *view) {
				v.RemoteAddr, v.Time = "10.0.0.1", ms(2000, time.October, 10, 20, 55, 36, 0)
				v.Method, v.URI, v.Path, v.Protocol = "GET", "/x", "/x", "HTTP/1.1"
				v.Status, v.BodyBytes, v.BytesSent, v.RequestLength, v.UpstreamStatus = 200, 12, 300, 80, 200
				v.UpAddr, v.Host, v.Referer, v.UserAgent, v.XForwardedFor = "10.0.0.2:80", "h.example", "r", "u", "f"
			})},
	})
}

func TestParseErrors(t *testing.T) {
	combined, _, _ := Preset("combined")
	prefix := `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" `
	tests := []struct {
		name, format string
		esc          Escape
		line         string
		want         string
		wantVar      Var
	}{
		{"bad status", combined, EscapeDefault, prefix + `2x0 0 "-" "-"`, "$status: not a 3-digit number", VarStatus},
		{"short status", combined, EscapeDefault, prefix + `20 0 "-" "-"`, "$status: not a 3-digit number", VarStatus},
		{"status below 100", combined, EscapeDefault, prefix + `099 0 "-" "-"`, "$status: not a 3-digit number", VarStatus},
		{"unterminated request", combined, EscapeDefault, `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1`,
			`expected "\" " after $request`, VarRequest},
		{"truncated before status", combined, EscapeDefault, prefix, "line too short: missing $status", VarStatus},
		{"truncated after status", combined, EscapeDefault, prefix + "200", `expected " " after $status`, VarStatus},
		{"bad month", combined, EscapeDefault, `1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 0 "-" "-"`,
			"$time_local: bad time", VarTimeLocal},
		{"no such day", "[$time_local]", EscapeDefault, "[30/Feb/2023:13:55:36 -0700]", "$time_local: bad time", VarTimeLocal},
		{"hour 24", "[$time_local]", EscapeDefault, "[10/Oct/2000:24:00:00 -0700]", "$time_local: bad time", VarTimeLocal},
		{"bad offset", "[$time_local]", EscapeDefault, "[10/Oct/2000:13:55:36 *0700]", "$time_local: bad time", VarTimeLocal},
		{"short time", "[$time_local]", EscapeDefault, "[10/Oct/2000]", "$time_local: bad time", VarTimeLocal},
		{"bad iso time", "$time_iso8601 $status", EscapeDefault, "2000-10-10 200", "$time_iso8601: bad time", VarTimeISO8601},
		{"bad msec", "$msec $status", EscapeDefault, "17e9 200", "$msec: bad time", VarMsec},
		{"bad literal at start", "[$time_local]", EscapeDefault, "x", `expected "[" at start of line`, VarNone},
		{"bad body bytes", combined, EscapeDefault, prefix + `200 12a "-" "-"`, "$body_bytes_sent: not a number", VarBodyBytesSent},
		{"missing last number", "$status $request_time", EscapeDefault, "200 ", "line too short: missing $request_time", VarRequestTime},
		{"bad request_time", "$status $request_time", EscapeDefault, "200 fast", "$request_time: not a duration in seconds", VarRequestTime},
		{"negative request_time", "$status $request_time", EscapeDefault, "200 -1.0", "$request_time: not a duration in seconds", VarRequestTime},
		{"bad upstream status", "$upstream_status|", EscapeDefault, "200, 50x|", "$upstream_status: not a list of 3-digit numbers", VarUpstreamStatus},
		{"bad upstream time", "$upstream_response_time|", EscapeDefault, "0.1, x|", "$upstream_response_time: not a list of durations in seconds", VarUpstreamResponseTime},
		{"empty line", combined, EscapeDefault, "", "line too short: missing $remote_addr", VarRemoteAddr},
		{"binary garbage", combined, EscapeDefault, "\x00\xff\x16\x03\x01 \"\x00[\xfe", `expected " - " after $remote_addr`, VarRemoteAddr},
		{"json: not an object", `{"s":$status}`, EscapeJSON, `[1,2]`, "line is not a JSON object", VarNone},
		{"json: plain text", `{"s":$status}`, EscapeJSON, combinedLine, "line is not a JSON object", VarNone},
		{"json: empty", `{"s":$status}`, EscapeJSON, ``, "line is not a JSON object", VarNone},
		{"json: truncated", `{"s":$status}`, EscapeJSON, `{"s":200,"u":"abc`, "truncated JSON object", VarNone},
		{"json: truncated nested", `{"s":$status}`, EscapeJSON, `{"x":{"a":[1,2`, "truncated JSON object", VarNone},
		{"json: missing colon", `{"s":$status}`, EscapeJSON, `{"s" 200}`, "malformed JSON object", VarNone},
		{"json: bad status", `{"s":$status}`, EscapeJSON, `{"s":"abc"}`, "$status: not a 3-digit number", VarStatus},
		{"json: literal mismatch in a value", `{"h":"host=$host"}`, EscapeJSON, `{"h":"x"}`,
			`expected "host=" at start of JSON value "h"`, VarNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.format, tt.esc)
			var r Record
			err := p.Parse([]byte(tt.line), &r)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, want a *ParseError", tt.line, err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if pe.Var() != tt.wantVar {
				t.Errorf("Var() = %v, want %v", pe.Var(), tt.wantVar)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, format string
		esc          Escape
		msg          string
		pos          int
	}{
		{"empty", "", EscapeDefault, "empty format", 0},
		{"blank", " \n\t", EscapeDefault, "empty format", 0},
		{"empty quotes", "'' ''", EscapeDefault, "empty format", 0},
		{"no variables", "hello world", EscapeDefault, "format has no variables", 0},
		{"unterminated brace", "$remote_addr ${status", EscapeDefault, `unterminated "${"`, 13},
		{"empty brace", "$remote_addr ${} x", EscapeDefault, `empty variable name in "${}"`, 13},
		{"bad brace name", "${sta-tus}", EscapeDefault, `invalid character '-' in variable name`, 5},
		{"lone dollar", "$remote_addr $ $status", EscapeDefault, `"$" not followed by a variable name`, 13},
		{"dollar at end", "$status $", EscapeDefault, `"$" not followed by a variable name`, 8},
		{"adjacent variables", "$remote_addr$status", EscapeDefault,
			"no literal between $remote_addr and $status (the parser could not tell where one ends)", 12},
		{"adjacent braced variables", "${msec}${status}", EscapeDefault,
			"no literal between $msec and $status (the parser could not tell where one ends)", 7},
		{"adjacent across segments", "'$status'\n  '$request_time'", EscapeDefault,
			"no literal between $status and $request_time (the parser could not tell where one ends)", 13},
		{"unterminated quote", "'$status $request_time", EscapeDefault, "unterminated or malformed quoted string", 0},
		{"junk after segments", "'$status' x; y", EscapeDefault, "unterminated or malformed quoted string", 0},
		{"bad escape", "$status", Escape(9), "unknown escape Escape(9)", 0},
		{"json: unterminated", `{"s":$status`, EscapeJSON, "unterminated JSON template", 12},
		{"json: variable key", `{"$host":$status}`, EscapeJSON, "variables in JSON keys are not supported", 2},
		{"json: array", `{"a":[$status]}`, EscapeJSON, "arrays are not supported in JSON templates", 5},
		{"json: trailing text", `{"s":$status} x`, EscapeJSON, "unexpected text after the JSON object", 14},
		{"json: no variables", `{"a":1,"b":{"c":"d"}}`, EscapeJSON, "JSON template has no variables", 0},
		{"json: adjacent", `{"a":"$host$status"}`, EscapeJSON,
			"no literal between $host and $status (the parser could not tell where one ends)", 11},
		{"json: bad key", `{s:$status}`, EscapeJSON, "expected a quoted key in the JSON template", 1},
		{"json: missing colon", `{"s" $status}`, EscapeJSON, `expected ":" after a key in the JSON template`, 5},
		{"json: missing value", `{"s":}`, EscapeJSON, "missing value in the JSON template", 5},
		{"json: bad separator", `{"s":"$status" "t":1}`, EscapeJSON, `expected "," or "}" in the JSON template`, 15},
		{"json: too deep", strings.Repeat(`{"a":`, 20) + "$status" + strings.Repeat("}", 20), EscapeJSON,
			"JSON template nested too deeply", 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(tt.format, tt.esc)
			if err == nil {
				t.Fatalf("Compile(%q) succeeded, want an error", tt.format)
			}
			if p != nil {
				t.Errorf("Compile(%q) returned a Parser with an error", tt.format)
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) = %v, want a *CompileError", tt.format, err)
			}
			if diff := cmp.Diff(CompileError{Pos: tt.pos, Msg: tt.msg}, *ce); diff != "" {
				t.Errorf("Compile(%q) error mismatch (-want +got):\n%s", tt.format, diff)
			}
			if !strings.HasSuffix(err.Error(), " at byte "+strconv.Itoa(tt.pos)) {
				t.Errorf("Error() = %q, want the byte position", err.Error())
			}
		})
	}
}
