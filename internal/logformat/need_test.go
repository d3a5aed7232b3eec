package logformat

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNeed(t *testing.T) {
	p, err := Compile(`$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time`, EscapeDefault)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(`10.0.0.1 - bob [20/Nov/2026:10:00:00 +0000] "GET /a?b HTTP/1.1" 502 12 "http://r" "curl" 0.250 0.100, 0.140`)
	var all, some Record
	if err := p.Parse(line, &all); err != nil {
		t.Fatal(err)
	}
	p.Need(VarTimeLocal, VarRequest, VarStatus, VarRequestTime)
	if err := p.Parse(line, &some); err != nil {
		t.Fatal(err)
	}
	want := all
	want.RemoteAddr, want.RemoteUser, want.Referer, want.UserAgent = nil, nil, nil, nil
	want.BodyBytes, want.UpstreamTime = -1, -1
	if diff := cmp.Diff(want, some); diff != "" {
		t.Errorf("with Need (-want +got):\n%s", diff)
	}
	// Unneeded values are not checked, but the line must end with the format.
	if err := p.Parse([]byte(`10.0.0.1 - bob [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 x "r" "u" 0.250 junk`), &some); err != nil {
		t.Errorf("unneeded junk: %v", err)
	}
	if err := p.Parse([]byte(`10.0.0.1 - bob [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "r" "u" 0.250 0.1 rt=1`), &some); err == nil {
		t.Error("text after the end of the format accepted")
	}
	// Needed values are still checked.
	if err := p.Parse([]byte(`10.0.0.1 - bob [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 2x0 1 "r" "u" 0.250 0.1`), &some); err == nil {
		t.Error("bad status accepted")
	}
	p.Need()
	if err := p.Parse(line, &some); err != nil || some.UpstreamTime != 240000 {
		t.Errorf("Need() restores everything: %v, upstream %d", err, some.UpstreamTime)
	}
	if n := testing.AllocsPerRun(100, func() { p.Parse(line, &some) }); n != 0 {
		t.Errorf("Parse allocates %v times with Need", n)
	}
}

// TestNeedJump checks the jump over unneeded quoted values to the line's last
// '"': the needed fields are those of a full parse, and lines where the last
// '"' is not where the format puts it fall back to the step by step scan.
func TestNeedJump(t *testing.T) {
	const format = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time`
	for _, tc := range []struct {
		name, line string
		ok         bool
	}{
		{"plain", `10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "http://r" "curl/8" 0.250 0.1`, true},
		{"escaped quotes", `10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "a\"b\" c" "x\" \"y" 0.250 0.1`, true},
		{"hex escapes", `10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "a\x22 b" "\x22 " 0.250 0.1`, true},
		{"truncated in user agent", `10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "http://r" "curl`, false},
		{"truncated after referer", `10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "http://r" `, false},
		{"no quotes after status", `10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 0.250`, false},
		{"bad request time", `10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "r" "u" x 0.1`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full := mustCompile(t, format, EscapeDefault)
			need := full.Clone()
			need.Need(VarTimeLocal, VarRequest, VarStatus, VarRequestTime)
			if need.jumpFrom < 0 {
				t.Fatal("no jump planned")
			}
			var all, some Record
			errAll := full.Parse([]byte(tc.line), &all)
			err := need.Parse([]byte(tc.line), &some)
			if (err == nil) != tc.ok {
				t.Fatalf("Parse with Need: %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			if errAll != nil {
				t.Fatalf("full Parse: %v", errAll)
			}
			if some.Time != all.Time || some.Status != all.Status || some.RequestTime != all.RequestTime ||
				string(some.URI) != string(all.URI) || string(some.Method) != string(all.Method) {
				t.Errorf("with Need %+v, full %+v", some, all)
			}
		})
	}
	// Nothing to jump over when a value that may hold a '"' follows the last
	// '"' of the format, or when the run before it is needed.
	for _, f := range []string{
		`"$request" $status "$http_referer" $request_time $remote_addr`,
		`"$request" $status "$http_user_agent" $request_time`,
	} {
		p := mustCompile(t, f, EscapeDefault)
		p.Need(VarRequest, VarStatus, VarRequestTime, VarRemoteAddr, VarHTTPUserAgent)
		if p.jumpFrom >= 0 {
			t.Errorf("%s: jump planned over steps %d to %d", f, p.jumpFrom, p.jumpTo)
		}
	}
}
