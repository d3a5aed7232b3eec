package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExportDatadog(t *testing.T) {
	cfg := "../../examples/quickstart.yaml"
	t.Run("json", func(t *testing.T) {
		r := run(t, "", "export", "datadog", "--config", cfg, "--source", "push")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var got struct {
			LogsMetrics []json.RawMessage `json:"logs_metrics"`
			SLOs        []json.RawMessage `json:"slos"`
			Monitors    []json.RawMessage `json:"monitors"`
			Dashboards  []json.RawMessage `json:"dashboards"`
			// the quickstart has no maintenance windows
			SLOCorrections []json.RawMessage `json:"slo_corrections"`
		}
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("stdout is not the definitions: %v\n%s", err, r.stdout)
		}
		// push only: no logs metric; 2 SLOs; 4 tiers + budget each; 1 dashboard.
		if len(got.LogsMetrics) != 0 || len(got.SLOs) != 2 || len(got.Monitors) != 10 || len(got.Dashboards) != 1 {
			t.Errorf("got %d logs metrics, %d SLOs, %d monitors, %d dashboards; want 0, 2, 10, 1",
				len(got.LogsMetrics), len(got.SLOs), len(got.Monitors), len(got.Dashboards))
		}
		if !strings.Contains(r.stderr, "warning: slo web-availability: tier ticket-3d: Datadog's long window is at most 48h") {
			t.Errorf("stderr does not warn of the clamped 3d window:\n%s", r.stderr)
		}
	})
	t.Run("terraform", func(t *testing.T) {
		r := run(t, "", "export", "datadog", "--config", cfg, "--format", "terraform")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var tf struct {
			Resource map[string]map[string]json.RawMessage `json:"resource"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &tf); err != nil {
			t.Fatal(err)
		}
		if len(tf.Resource["datadog_service_level_objective"]) != 3 || len(tf.Resource["datadog_logs_metric"]) != 1 {
			t.Errorf("resources: %v", tf.Resource)
		}
	})
	t.Run("bad format", func(t *testing.T) {
		r := run(t, "", "export", "datadog", "--config", cfg, "--format", "hcl")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "want json or terraform") {
			t.Errorf("exit %d, stderr %q: want a usage error", r.code, r.stderr)
		}
	})
}
