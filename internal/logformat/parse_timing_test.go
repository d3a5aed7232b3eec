package logformat

import (
	"testing"
)

const (
	customFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent ` +
		`"$http_referer" "$http_user_agent" $request_time $upstream_response_time`
	customLine = `10.12.0.7 - - [14/Nov/2023:22:13:20 +0000] "GET /api/v1/orders?limit=20 HTTP/1.1" 200 5123 ` +
		`"https://shop.example.com/cart" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36" ` +
		`0.031 0.004, 0.027`
	jsonFormat = `'{"time":"$time_iso8601","remote_addr":"$remote_addr","status":$status,"req":"$request",'
		'"bytes":$body_bytes_sent,"rt":"$request_time","urt":"$upstream_response_time","ups":"$upstream_status",'
		'"host":"$host","ua":"$http_user_agent"}'`
	jsonLine = `{"time":"2023-11-14T22:13:20+00:00","remote_addr":"10.12.0.7","status":200,` +
		`"req":"GET /api/v1/orders?limit=20 HTTP/1.1","bytes":5123,"rt":"0.031","urt":"0.004, 0.027","ups":"502, 200",` +
		`"host":"shop.example.com","ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36"}`
)

// allocCases are the parser and line pairs that must not allocate.
func allocCases(tb testing.TB) []struct {
	name string
	p    *Parser
	line []byte
	ok   bool
} {
	return []struct {
		name string
		p    *Parser
		line []byte
		ok   bool
	}{
		{"combined", mustPreset(tb, "combined"), []byte(combinedLine), true},
		{"custom", mustCompile(tb, customFormat, EscapeDefault), []byte(customLine), true},
		{"json", mustCompile(tb, jsonFormat, EscapeJSON), []byte(jsonLine), true},
		{"escapes", mustPreset(tb, "combined"),
			[]byte(`1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a\x22b HTTP/1.1" 200 1 "-" "\xE2\x82\xAC"`), true},
		{"json escapes", mustCompile(tb, jsonFormat, EscapeJSON),
			[]byte(`{"status":200,"ua":"\u00e9\ud83d\ude00 \"q\"","req":"GET /\u00e9 HTTP/1.1"}`), true},
		{"junk request", mustPreset(tb, "combined"),
			[]byte(`1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01\x02\x00\x01" 400 157 "-" "-"`), true},
		{"failing line", mustPreset(tb, "combined"),
			[]byte(`1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 2x0 1 "-" "-"`), false},
		{"failing json", mustCompile(tb, jsonFormat, EscapeJSON), []byte(`{"status":"abc"}`), false},
		{"not json", mustCompile(tb, jsonFormat, EscapeJSON), []byte(combinedLine), false},
	}
}

func TestParseZeroAlloc(t *testing.T) {
	for _, tc := range allocCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			if err := tc.p.Parse(tc.line, &r); (err == nil) != tc.ok {
				t.Fatalf("Parse error = %v, want ok = %v", err, tc.ok)
			}
			allocs := testing.AllocsPerRun(100, func() {
				_ = tc.p.Parse(tc.line, &r)
			})
			if allocs != 0 {
				t.Errorf("Parse allocates %v times per call, want 0", allocs)
			}
		})
	}
}

func benchmarkParse(b *testing.B, p *Parser, line string) {
	buf := []byte(line)
	var r Record
	if err := p.Parse(buf, &r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if err := p.Parse(buf, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCombined(b *testing.B) {
	benchmarkParse(b, mustPreset(b, "combined"), combinedLine)
}

func BenchmarkParseCustom(b *testing.B) {
	benchmarkParse(b, mustCompile(b, customFormat, EscapeDefault), customLine)
}

func BenchmarkParseJSON(b *testing.B) {
	benchmarkParse(b, mustCompile(b, jsonFormat, EscapeJSON), jsonLine)
}
