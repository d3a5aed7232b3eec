package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCapacityDefaults(t *testing.T) {
	c, err := Parse([]byte(`services:
  - name: web
    logs: [{path: /var/log/nginx/access.log, format: combined}]
    capacity: {rps: 800}
  - name: api
    logs: [{path: /var/log/nginx/api.log, format: combined}]
    capacity: {rps: 1.5e3, alert_within: 4w, severity: none}
`), "cap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	web, api := c.Services[0].Capacity, c.Services[1].Capacity
	if web.RPS != 800 || web.Within() != 8*7*24*time.Hour || web.AlertSeverity() != "ticket" {
		t.Errorf("web: rps %v, within %v, severity %q: want 800, 8w, ticket", web.RPS, web.Within(), web.AlertSeverity())
	}
	if api.RPS != 1500 || api.Within() != 4*7*24*time.Hour || api.AlertSeverity() != "" {
		t.Errorf("api: rps %v, within %v, severity %q: want 1500, 4w, none", api.RPS, api.Within(), api.AlertSeverity())
	}
}

// TestCapacityBad: every problem of every capacity block at once, each
// with its file, line and field.
func TestCapacityBad(t *testing.T) {
	b, err := os.ReadFile("testdata/capacity_bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(b, "capacity_bad.yaml")
	if err == nil {
		t.Fatal("bad capacity accepted")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		"capacity_bad.yaml:12: services[2].capacity: unknown key `rsp` (did you mean `rps`?)",
		"capacity_bad.yaml:4: services[0].capacity.rps: 0: want the requests per second the service was shown to take, above 0 (like 800)",
		"capacity_bad.yaml:4: services[0].capacity.alert_within: 2h: want 1d to 2y (like 8w)",
		`capacity_bad.yaml:4: services[0].capacity.severity: "loud": want ticket, page or none`,
		"capacity_bad.yaml:9: services[1].capacity.alert_within: 1098d: want 1d to 2y (like 8w)",
		"capacity_bad.yaml:7: services[1].capacity: capacity counts the service's Nginx requests, and it has no logs (only a rum block)",
		"capacity_bad.yaml:12: services[2].capacity.rps: 0: want the requests per second the service was shown to take, above 0 (like 800)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decode problems (-want +got):\n%s", diff)
	}
	// Fixed, the rest stay.
	b = []byte(strings.Replace(string(b), "{rsp: 800}", "{rps: 800}", 1))
	_, err = Parse(b, "capacity_bad.yaml")
	if err == nil {
		t.Fatal("bad capacity accepted")
	}
	got = strings.Split(err.Error(), "\n")
	want = []string{
		"capacity_bad.yaml:4: services[0].capacity.rps: 0: want the requests per second the service was shown to take, above 0 (like 800)",
		"capacity_bad.yaml:4: services[0].capacity.alert_within: 2h: want 1d to 2y (like 8w)",
		`capacity_bad.yaml:4: services[0].capacity.severity: "loud": want ticket, page or none`,
		"capacity_bad.yaml:9: services[1].capacity.alert_within: 1098d: want 1d to 2y (like 8w)",
		"capacity_bad.yaml:7: services[1].capacity: capacity counts the service's Nginx requests, and it has no logs (only a rum block)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
