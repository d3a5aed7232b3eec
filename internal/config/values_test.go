package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-slo/headroom/internal/slo"
)

// TestValuesParsedWhenRead checks that a loaded config hands out parsed
// values: nothing downstream compiles or parses them.
func TestValuesParsedWhenRead(t *testing.T) {
	c, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex := c.Services[0].Exclude
	if re := ex[0].Route.Regexp(); re == nil || !re.MatchString("/healthz") || re.MatchString("/api/health") {
		t.Errorf("exclude[0].route = %v, want ^/health compiled", re)
	}
	if re := ex[0].UserAgent.Regexp(); re != nil {
		t.Errorf("unset exclude[0].user_agent = %v, want nil", re)
	}
	if got, want := c.SLOs[1].Window.Window(), (slo.Window{Kind: slo.Rolling, Duration: 28 * 24 * time.Hour}); got != want {
		t.Errorf("window 28d = %+v, want %+v", got, want)
	}
	if got := c.SLOs[2].Window; got.Window().Kind != slo.CalendarMonth || got.String() != "month" {
		t.Errorf("window month = %+v (%q)", got.Window(), got)
	}
	st := c.SLOs[2].Filter.Status
	for code, want := range map[int]bool{200: true, 299: true, 503: true, 404: false, 429: false} {
		if st.Contains(code) != want {
			t.Errorf("filter.status [2xx, 5xx] contains %d: %v, want %v", code, !want, want)
		}
	}
	if !c.SLOs[1].Filter.Status.IsZero() || c.SLOs[1].Filter.Status.Contains(200) {
		t.Error("unset filter.status is not empty")
	}
}

// TestValuesRoundTrip writes a loaded config back as YAML: every value is
// written as it was read, and reads back to the same config.
func TestValuesRoundTrip(t *testing.T) {
	c, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Sprints = &Sprints{Start: NewDate(2025, time.March, 3)}
	if err := yaml.Unmarshal([]byte("Asia/Tokyo"), &c.Sprints.Timezone); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"route: ^/health\n", "user_agent: kube-probe|Prometheus\n", "window: 28d\n", "window: month\n",
		"- 2xx\n", "start: \"2025-03-03\"\n", "timezone: Asia/Tokyo\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("written config lacks %q:\n%s", want, out)
		}
	}
	again, err := Parse(out, "")
	if err != nil {
		t.Fatalf("written config does not read back: %v\n%s", err, out)
	}
	out2, err := yaml.Marshal(again)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(out), string(out2)); diff != "" {
		t.Errorf("read back and written again (-first +second):\n%s", diff)
	}
}

// TestBadValues checks that text which does not parse is reported once,
// under its field, with the text as written: a value that failed to parse
// still counts as set.
func TestBadValues(t *testing.T) {
	const base = "services: [{name: web, logs: [{path: /x.log}]%s}]\nslos: [{name: a, service: web, objective: 99, window: %s, sli: {type: availability%s}}]\n%s"
	for _, tc := range []struct {
		name                      string
		service, window, sli, end string
		want                      string
	}{
		{name: "route rule", service: `, routes: [{match: "a(", template: /a}]`, window: "28d",
			want: "c.yaml:1: services[0].routes[0].match: bad regexp: error parsing regexp: missing closing ): `a(`"},
		{name: "exclude", service: `, exclude: [{user_agent: "[z-a]"}]`, window: "28d",
			want: "c.yaml:1: services[0].exclude[0].user_agent: bad regexp: error parsing regexp: invalid character class range: `z-a`"},
		{name: "window", window: "fortnight",
			want: `c.yaml:2: slos[0].window: window "fortnight": want a duration like 28d or one of week, month, quarter`},
		{name: "bad status", window: "28d", sli: ", bad_status: [5xx, 6000, 4x]",
			want: "c.yaml:2: slos[0].sli.bad_status: \"6000\": want a status (404), class (5xx) or range (500-504)\n\"4x\": want a status (404), class (5xx) or range (500-504)"},
		{name: "sprint start", window: "sprint", end: "sprints: {start: 2025-02-30}",
			want: `c.yaml:3: sprints.start: "2025-02-30": want a date like 2025-03-03`},
		{name: "no sprint start", window: "sprint", end: "sprints: {length: 14d}",
			want: `c.yaml:3: sprints.start: "": want a date like 2025-03-03`},
		{name: "time zone", window: "28d", end: "sprints: {start: 2025-03-03, timezone: Mars/Olympus}",
			want: `c.yaml:3: sprints.timezone: "Mars/Olympus": unknown time zone Mars/Olympus`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(fmt.Appendf(nil, base, tc.service, tc.window, tc.sli, tc.end), "c.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValueOfTheWrongKind checks that a list where text belongs is a decode
// error, as it is for a plain string field.
func TestValueOfTheWrongKind(t *testing.T) {
	_, err := Parse([]byte("services: [{name: web, logs: [{path: /x.log}], exclude: [{route: [a, b]}]}]\n"), "c.yaml")
	if want := "c.yaml:1: services[0].exclude[0].route: want text, not a list"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestDateAndLocation(t *testing.T) {
	var s Sprints
	if err := yaml.Unmarshal([]byte("{start: 2025-03-30, timezone: Europe/Paris}"), &s); err != nil {
		t.Fatal(err)
	}
	loc := s.Timezone.Location()
	if got, want := s.Start.In(loc), time.Date(2025, time.March, 30, 0, 0, 0, 0, loc); !got.Equal(want) || got.Location() != loc {
		t.Errorf("start in %v = %v, want %v", loc, got, want)
	}
	if got := (Location{}).Location(); got != time.UTC {
		t.Errorf("unset time zone = %v, want UTC", got)
	}
	if got := NewDate(2025, time.January, 6); got.String() != "2025-01-06" || !got.In(time.UTC).Equal(time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("NewDate = %q, %v", got, got.In(time.UTC))
	}
}
