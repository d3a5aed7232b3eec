package logformat

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEscape(t *testing.T) {
	tests := []struct {
		in      string
		want    Escape
		wantErr bool
	}{
		{"", EscapeDefault, false},
		{"default", EscapeDefault, false},
		{"json", EscapeJSON, false},
		{"none", EscapeNone, false},
		{"escape=json", EscapeJSON, false},
		{"JSON", EscapeDefault, true},
		{"yaml", EscapeDefault, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEscape(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseEscape(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseEscape(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if err == nil && tt.in != "" && !strings.HasSuffix(tt.in, got.String()) {
				t.Errorf("String() = %q does not round-trip %q", got.String(), tt.in)
			}
		})
	}
}

func TestPreset(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantEsc Escape
		wantOK  bool
	}{
		{"combined", `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`, EscapeDefault, true},
		{"main", `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`, EscapeDefault, true},
		{"common", `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`, EscapeDefault, true},
		{"nope", "", EscapeDefault, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, esc, ok := Preset(tt.name)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("format mismatch (-want +got):\n%s", diff)
			}
			if esc != tt.wantEsc || ok != tt.wantOK {
				t.Errorf("Preset(%q) = _, %v, %v, want %v, %v", tt.name, esc, ok, tt.wantEsc, tt.wantOK)
			}
		})
	}
	f, esc, ok := Preset("json")
	if !ok || esc != EscapeJSON || !strings.HasPrefix(f, `{"remote_addr":"$remote_addr",`) {
		t.Errorf("Preset(json) = %q, %v, %v", f, esc, ok)
	}
}

func TestVarNames(t *testing.T) {
	for v := VarNone + 1; v < numVars; v++ {
		got, ok := VarByName("$" + strings.ToUpper(v.String()))
		if !ok || got != v {
			t.Errorf("VarByName(%q) = %v, %v, want %v", "$"+v.String(), got, ok, v)
		}
	}
	if v, ok := VarByName("ssl_protocol"); ok || v != VarNone {
		t.Errorf("VarByName(ssl_protocol) = %v, %v", v, ok)
	}
	if got := Var(200).String(); got != "Var(200)" {
		t.Errorf("Var(200).String() = %q", got)
	}
}

func TestHas(t *testing.T) {
	type has struct {
		Vars                  []Var
		Time, Status, Latency bool
	}
	check := func(p *Parser) has {
		var h has
		for v := VarNone; v <= numVars; v++ {
			if p.Has(v) {
				h.Vars = append(h.Vars, v)
			}
		}
		h.Time, h.Status, h.Latency = p.HasTime(), p.HasStatus(), p.HasLatency()
		return h
	}
	tests := []struct {
		name, format string
		want         has
	}{
		{"combined", `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
			has{Vars: []Var{VarRemoteAddr, VarRemoteUser, VarTimeLocal, VarRequest, VarStatus, VarBodyBytesSent,
				VarHTTPReferer, VarHTTPUserAgent}, Time: true, Status: true}},
		{"upstream latency only", "$msec $upstream_response_time $ssl_protocol",
			has{Vars: []Var{VarMsec, VarUpstreamResponseTime}, Time: true, Latency: true}},
		{"request_time", "$request_time $status", has{Vars: []Var{VarStatus, VarRequestTime}, Status: true, Latency: true}},
		{"iso", "$time_iso8601 $x", has{Vars: []Var{VarTimeISO8601}, Time: true}},
		{"json", `{"a":{"b":"$request_time"},"s":$status}`,
			has{Vars: []Var{VarStatus, VarRequestTime}, Status: true, Latency: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.format, EscapeDefault)
			if diff := cmp.Diff(tt.want, check(p)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if p := mustPreset(t, "json"); !p.HasTime() || !p.HasStatus() || !p.HasLatency() {
		t.Error("the json preset should report every variable")
	}
}

func TestParseErrorsArePreallocated(t *testing.T) {
	p := mustPreset(t, "combined")
	var r Record
	err1 := p.Parse([]byte("x"), &r)
	err2 := p.Parse([]byte("y"), &r)
	var pe *ParseError
	if !errors.As(err1, &pe) || err1 != err2 {
		t.Errorf("errors %v and %v should be the same *ParseError", err1, err2)
	}
}

func TestParseScratchReuse(t *testing.T) {
	p := mustCompile(t, `"$http_user_agent" "$http_referer"`, EscapeDefault)
	var r1, r2 Record
	if err := p.Parse([]byte(`"a\x22b" "c\x22d"`), &r1); err != nil {
		t.Fatal(err)
	}
	got := string(r1.UserAgent) + " " + string(r1.Referer)
	if got != `a"b c"d` {
		t.Errorf("got %q", got)
	}
	// A longer line grows the scratch buffer; the earlier Record's slices
	// stay intact until the buffer is reused.
	long := `"` + strings.Repeat(`\x41`, 1000) + `" "-"`
	if err := p.Parse([]byte(long), &r2); err != nil {
		t.Fatal(err)
	}
	if string(r2.UserAgent) != strings.Repeat("A", 1000) || len(r2.Referer) != 0 {
		t.Errorf("got %q %q", r2.UserAgent, r2.Referer)
	}
	if got := string(r1.UserAgent) + " " + string(r1.Referer); got != `a"b c"d` {
		t.Errorf("earlier record changed to %q", got)
	}
}

func TestClone(t *testing.T) {
	p := mustPreset(t, "combined")
	q := p.Clone()
	done := make(chan view)
	go func() {
		var r Record
		for range 100 {
			if err := q.Parse([]byte(combinedLine), &r); err != nil {
				t.Error(err)
			}
		}
		done <- toView(&r)
	}()
	var r Record
	for range 100 {
		if err := p.Parse([]byte(combinedLine), &r); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(toView(&r), <-done); diff != "" {
		t.Errorf("clone mismatch (-p +clone):\n%s", diff)
	}
}

func TestDayCacheAcrossDays(t *testing.T) {
	p := mustCompile(t, "[$time_local] [$time_iso8601]", EscapeDefault)
	lines := []struct {
		line string
		want int64
	}{
		{"[10/Oct/2000:13:55:36 -0700] [-]", 971211336000},
		{"[10/Oct/2000:13:55:37 -0700] [-]", 971211337000},
		{"[11/Oct/2000:13:55:36 -0700] [-]", 971297736000},
		{"[10/Oct/2000:13:55:36 -0700] [2000-10-10T20:55:36.250Z]", 971211336250},
		{"[-] [2000-10-11T20:55:36+00:00]", 971297736000},
		{"[-] [2000-10-11T20:55:36+0100]", 971294136000},
	}
	for _, l := range lines {
		var r Record
		if err := p.Parse([]byte(l.line), &r); err != nil {
			t.Fatalf("Parse(%q): %v", l.line, err)
		}
		if r.Time != l.want {
			t.Errorf("Parse(%q).Time = %d, want %d", l.line, r.Time, l.want)
		}
	}
}
