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
	// Bytes after the last needed variable are not checked.
	if err := p.Parse([]byte(`10.0.0.1 - bob [20/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 x "r" "u" 0.250 junk junk`), &some); err != nil {
		t.Errorf("unneeded junk: %v", err)
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
