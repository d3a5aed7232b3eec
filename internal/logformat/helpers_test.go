package logformat

import (
	"testing"
	"time"
)

// view is a Record with strings for readable diffs.
type view struct {
	Time                                      int64
	Method, URI, Path, Protocol               string
	Status, UpstreamStatus                    int
	RequestTime, UpstreamTime                 int64
	BodyBytes, BytesSent, RequestLength       int64
	Host, RemoteAddr, RemoteUser              string
	Referer, UserAgent, XForwardedFor, UpAddr string
	Upstream                                  string
}

func toView(r *Record) view {
	return view{
		Time: r.Time, Method: string(r.Method), URI: string(r.URI), Path: string(r.Path),
		Protocol: string(r.Protocol), Status: r.Status, UpstreamStatus: r.UpstreamStatus,
		RequestTime: r.RequestTime, UpstreamTime: r.UpstreamTime, BodyBytes: r.BodyBytes,
		BytesSent: r.BytesSent, RequestLength: r.RequestLength, Host: string(r.Host),
		RemoteAddr: string(r.RemoteAddr), RemoteUser: string(r.RemoteUser), Referer: string(r.Referer),
		UserAgent: string(r.UserAgent), XForwardedFor: string(r.XForwardedFor), UpAddr: string(r.UpstreamAddr),
		Upstream: string(r.Upstream),
	}
}

// unset is the view of a Record with nothing parsed.
func unset() view {
	return view{RequestTime: -1, UpstreamTime: -1, BodyBytes: -1, BytesSent: -1, RequestLength: -1}
}

// with returns unset() modified by f.
func with(f func(v *view)) view {
	v := unset()
	f(&v)
	return v
}

// ms returns Unix milliseconds of a UTC wall time.
func ms(year int, month time.Month, day, hour, min, sec, milli int) int64 {
	return time.Date(year, month, day, hour, min, sec, milli*int(time.Millisecond), time.UTC).UnixMilli()
}

// mustCompile compiles a format or fails the test.
func mustCompile(t testing.TB, format string, esc Escape) *Parser {
	t.Helper()
	p, err := Compile(format, esc)
	if err != nil {
		t.Fatalf("Compile(%q): %v", format, err)
	}
	return p
}

// mustPreset compiles a preset or fails the test.
func mustPreset(t testing.TB, name string) *Parser {
	t.Helper()
	f, esc, ok := Preset(name)
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	return mustCompile(t, f, esc)
}

// checkRecord checks the fuzzing invariants of a successfully parsed record.
func checkRecord(t *testing.T, line []byte, r *Record) {
	t.Helper()
	if r.Status != 0 && (r.Status < 100 || r.Status > 999) {
		t.Fatalf("Status %d out of range", r.Status)
	}
	if r.UpstreamStatus != 0 && (r.UpstreamStatus < 100 || r.UpstreamStatus > 999) {
		t.Fatalf("UpstreamStatus %d out of range", r.UpstreamStatus)
	}
	for _, f := range [][]byte{r.Method, r.URI, r.Path, r.Protocol, r.Host, r.RemoteAddr, r.RemoteUser,
		r.Referer, r.UserAgent, r.XForwardedFor, r.UpstreamAddr, r.Upstream} {
		if len(f) > len(line) {
			t.Fatalf("field %q longer than the line", f)
		}
	}
	if len(r.Path) > len(r.URI) {
		t.Fatalf("Path %q longer than URI %q", r.Path, r.URI)
	}
	for _, n := range []int64{r.RequestTime, r.UpstreamTime, r.BodyBytes, r.BytesSent, r.RequestLength} {
		if n < -1 {
			t.Fatalf("negative quantity %d", n)
		}
	}
}
