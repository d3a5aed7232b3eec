package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnknownKeysSayWhatWasMeant: every unknown key is reported at once,
// with its line and the path of the mapping it is in, and the key it is a
// typo of (or the keys there are), never a Go type; the problems found in
// what did decode follow.
func TestUnknownKeysSayWhatWasMeant(t *testing.T) {
	y := `storage: {dri: ./data}
alerting:
  intervall: 30s
services:
  - name: web
    logs:
      - path: /x.log
        fromat: combined
    colour: blue
  - name: api
    logs: [{path: /y.log}]
defaults: &slo
  objectve: 99
slos:
  - name: a
    service: web
    <<: *slo
    objective: 99
    window: 28d
    sli: {type: latency, treshold: 300ms}
`
	_, err := Parse([]byte(y), "c.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		"c.yaml:1: storage: unknown key `dri` (did you mean `dir`?)",
		"c.yaml:3: alerting: unknown key `intervall` (did you mean `interval`?)",
		"c.yaml:8: services[0].logs[0]: unknown key `fromat` (did you mean `format`?)",
		"c.yaml:9: services[0]: unknown key `colour` (known keys: name, logs, exclude, routes, max_routes, max_hosts, latency, rum, match, capacity)",
		"c.yaml:12: unknown key `defaults` (known keys: storage, server, agent, alerting, notify, sprints, policy, changes, export, services, slos, maintenance)",
		"c.yaml:13: slos[0]: unknown key `objectve` (did you mean `objective`?)",
		"c.yaml:20: slos[0].sli: unknown key `treshold` (did you mean `threshold`?)",
		"c.yaml:20: slos[0].sli.threshold: required for latency SLIs (like 300ms)",
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestValuesOfTheWrongKindNameTheField: the decoder's type errors say which
// field, what it wants and what it got, in YAML's words, once.
func TestValuesOfTheWrongKindNameTheField(t *testing.T) {
	y := `storage: {dir: [a], retention: {minutes: 5x}}
server: {listen: {a: b}}
services:
  - name: web
    max_routes: abc
    logs: {path: x}
slos: 5
`
	_, err := Parse([]byte(y), "c.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		"c.yaml:1: storage.dir: want text, not a list",
		`c.yaml:1: storage.retention.minutes: "5x" is not a duration (like 300ms, 1h, 28d)`,
		"c.yaml:2: server.listen: want text, not a mapping",
		`c.yaml:5: services[0].max_routes: want a number, not "abc"`,
		"c.yaml:6: services[0].logs: want a list, not a mapping",
		"c.yaml:7: slos: want a list, not 5",
		// and not again as what the fields that did not decode were left
		// with: services[0].logs is not "required", max_routes not negative.
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestUnknownServiceListsTheConfiguredOnes, in the config and for a name
// given on the command line.
func TestUnknownServiceListsTheConfiguredOnes(t *testing.T) {
	y := `services:
  - {name: web, logs: [{path: /x.log}]}
  - {name: api, logs: [{path: /y.log}]}
slos:
  - {name: a, service: wbe, objective: 99, window: 28d, sli: {type: availability}}
  - {name: b, service: checkout, objective: 99, window: 28d, sli: {type: availability}}
`
	_, err := Parse([]byte(y), "c.yaml")
	want := []string{
		`c.yaml:5: slos[0].service: unknown service "wbe" (did you mean "web"? configured: web, api)`,
		`c.yaml:6: slos[1].service: unknown service "checkout" (configured: web, api)`,
	}
	if err == nil {
		t.Fatal("accepted")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}

	c, err := Parse([]byte(strings.Split(y, "slos:")[0]), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckService("api"); err != nil {
		t.Errorf("CheckService(api) = %v", err)
	}
	if err, want := c.CheckService("ap"), `unknown service "ap" (did you mean "api"? configured: web, api)`; err == nil || err.Error() != want {
		t.Errorf("CheckService(ap) = %v, want %s", err, want)
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"path", "format", "log_format", "escape"}
	for _, tc := range []struct {
		word, want string
		ok         bool
	}{
		{"fromat", "format", true}, // a transposition is one edit
		{"Format", "format", true}, // case does not matter
		{"logformat", "log_format", true},
		{"pth", "path", true},
		{"formt", "format", true},
		{"colour", "", false},
		{"fmt", "", false},               // three letters: one edit at most
		{"frmt", "", false},              // two edits from format: too many for four letters
		{"logfrmt", "", false},           // three edits from log_format
		{"logfrmat", "log_format", true}, // two
		{"", "", false},
	} {
		got, ok := Closest(tc.word, keys)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tc.word, got, ok, tc.want, tc.ok)
		}
	}
}
