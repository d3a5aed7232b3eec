package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestExportPrometheusRulesAndGrafana(t *testing.T) {
	const cfg = "../../examples/quickstart.yaml"
	r := run(t, "", "export", "prometheus-rules", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("export prometheus-rules: exit %d\n%s", r.code, r.stderr)
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []map[string]any
		}
	}
	if err := yaml.Unmarshal([]byte(r.stdout), &rules); err != nil {
		t.Fatalf("rules: %v\n%s", err, r.stdout)
	}
	if len(rules.Groups) != 2 || rules.Groups[0].Name != "headroom-web-availability" {
		t.Errorf("groups %+v: want one per quickstart SLO", rules.Groups)
	}
	if !strings.Contains(r.stdout, "alert: HeadroomBurnRate") {
		t.Error("no HeadroomBurnRate alert")
	}

	r = run(t, "", "export", "grafana", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("export grafana: exit %d\n%s", r.code, r.stderr)
	}
	var d struct{ UID string }
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d.UID != "headroom-slos" {
		t.Errorf("dashboard: uid %q, %v", d.UID, err)
	}

	for _, cmd := range []string{"prometheus-rules", "grafana"} {
		if r := run(t, "", "export", cmd, "--config", "testdata/no-such.yaml"); r.code == 0 || r.stderr == "" {
			t.Errorf("export %s with a missing config: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
}
