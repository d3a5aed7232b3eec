package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
)

func TestPoliciesFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`
storage: {dir: /tmp/x}
alerting: {min_events: 5}
services: [{name: web, logs: [{path: /dev/null}]}]
slos:
  - name: checkout
    service: web
    objective: 99.9
    window: 28d
    sli: {type: availability}
    runbook: https://rb
    alerting:
      labels: {team: payments}
      exhausted: none
      tiers:
        - {name: page-6h, disabled: true}
        - {name: ticket-1d, severity: page, for: 5m, labels: {x: y}}
        - {name: slow, severity: ticket, budget_share: 20, long: 7d, short: 12h}
  - {name: quiet, service: web, objective: 99, window: 7d, sli: {type: availability}, alerting: {disabled: true}}
  - {name: plain, service: web, objective: 99, window: 7d, sli: {type: availability}, alerting: {min_events: 0}}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Policies(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].SLO != "checkout" || ps[1].SLO != "plain" {
		t.Fatalf("policies %+v: want checkout and plain (quiet is disabled)", ps)
	}
	c := ps[0]
	var names []string
	for _, tr := range c.Tiers {
		names = append(names, tr.Name)
	}
	if strings.Join(names, ",") != "page-1h,ticket-1d,ticket-3d,slow" {
		t.Errorf("tiers %v", names)
	}
	if t1 := c.Tiers[1]; t1.Severity != "page" || t1.For != 5*time.Minute || t1.Labels["x"] != "y" || t1.Long != 24*time.Hour {
		t.Errorf("ticket-1d changed: %+v", t1)
	}
	if s := c.Tiers[3]; s.BudgetShare != 0.2 || s.Long != 7*24*time.Hour || s.Short != 12*time.Hour {
		t.Errorf("slow tier: %+v", s)
	}
	if c.MinEvents != 5 || c.Exhausted != "" || c.Labels["team"] != "payments" || c.Runbook != "https://rb" {
		t.Errorf("checkout: %+v", c)
	}
	if ps[1].MinEvents != 0 || ps[1].Exhausted != "ticket" || len(ps[1].Tiers) != 4 {
		t.Errorf("plain: %+v", ps[1])
	}
}

func TestAlertingConfigErrors(t *testing.T) {
	_, err := config.Parse([]byte(`
storage: {dir: /tmp/x}
server: {external_url: "not a url"}
alerting: {interval: 1h, no_data: {severity: loud}}
notify:
  - {name: a, type: pager, url: http://x}
  - {name: a, type: slack}
  - {name: b, type: webhook, url: "ftp://x", secret_env: S, severities: [urgent], services: [nope]}
  - {name: c, type: alertmanager, url: http://x, secret_env: S}
services: [{name: web, logs: [{path: /dev/null}]}]
slos:
  - name: s
    service: web
    objective: 99
    window: 7d
    sli: {type: availability}
    alerting:
      exhausted: loud
      tiers:
        - {name: new-tier}
        - {name: page-1h, severity: urgent, budget_share: 0}
        - {name: page-1h}
`), "x.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"server.external_url", "alerting.interval", "alerting.no_data.severity", `notify[0].type: "pager"`,
		"notify[1].name", "notify[1]: set exactly one of url", "notify[2].url", "notify[2].severities", "notify[2].services",
		"notify[3].secret_env", "slos[0].alerting.exhausted", "slos[0].alerting.tiers[0]: a new tier needs",
		"slos[0].alerting.tiers[1].severity", "slos[0].alerting.tiers[1].budget_share", `slos[0].alerting.tiers[2].name: "page-1h" twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
