package datadog_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/datadog"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// configs are the configs the goldens and the model checks run on: the
// example the README starts from, and one that uses what Datadog expresses
// differently.
var configs = map[string]string{
	"quickstart": "../../examples/quickstart.yaml",
	"fleet":      "testdata/fleet.yaml",
}

func load(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func build(t *testing.T, path string, src datadog.Source) *datadog.Definitions {
	t.Helper()
	d, err := datadog.Build(load(t, path), datadog.Options{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func TestGolden(t *testing.T) {
	for name, path := range configs {
		t.Run(name, func(t *testing.T) {
			d := build(t, path, datadog.FromBoth)
			var js, tf bytes.Buffer
			if err := d.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if err := d.WriteTerraform(&tf); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", js.Bytes())
			golden(t, name+".tf.json", tf.Bytes())
			golden(t, name+".warnings.txt", []byte(strings.Join(d.Warnings, "\n")+"\n"))
		})
	}
}

// TestBurnRateMonitors checks the monitors against headroom's tiers by
// their numbers: the factors scaled to the SLO's window, the windows
// clamped to Datadog's 1h–48h, the tiers that could never fire left out,
// and the query's threshold equal to the monitor's.
func TestBurnRateMonitors(t *testing.T) {
	d := build(t, configs["fleet"], datadog.FromPush)
	got := map[string]string{}
	for _, m := range d.Monitors {
		got[m.Name] = m.Query
	}
	want := map[string]string{
		// 30d: the SRE Workbook's numbers; ticket-3d clamped to 48h, factor kept.
		"web-availability burn rate page-1h (page)":        `burn_rate("<slo-id:web-availability>").over("30d").long_window("1h").short_window("5m") > 14.4`,
		"web-availability burn rate page-6h (page)":        `burn_rate("<slo-id:web-availability>").over("30d").long_window("6h").short_window("30m") > 6`,
		"web-availability burn rate ticket-1d (ticket)":    `burn_rate("<slo-id:web-availability>").over("30d").long_window("24h").short_window("2h") > 3`,
		"web-availability burn rate ticket-3d (ticket)":    `burn_rate("<slo-id:web-availability>").over("30d").long_window("48h").short_window("6h") > 1`,
		"web-availability error budget exhausted (ticket)": `error_budget("<slo-id:web-availability>").over("30d") > 100`,
		// month, taken as 30d; ticket-3d disabled; weekly: 20% of 30d in 7d = 0.8571, over 48h.
		"checkout-monthly burn rate page-1h (page)":      `burn_rate("<slo-id:checkout-monthly>").over("30d").long_window("1h").short_window("5m") > 14.4`,
		"checkout-monthly burn rate page-6h (page)":      `burn_rate("<slo-id:checkout-monthly>").over("30d").long_window("6h").short_window("30m") > 6`,
		"checkout-monthly burn rate ticket-1d (ticket)":  `burn_rate("<slo-id:checkout-monthly>").over("30d").long_window("24h").short_window("2h") > 3`,
		"checkout-monthly burn rate weekly (ticket)":     `burn_rate("<slo-id:checkout-monthly>").over("30d").long_window("48h").short_window("12h") > 0.8571`,
		"checkout-monthly error budget exhausted (page)": `error_budget("<slo-id:checkout-monthly>").over("30d") > 100`,
		// quarter, 90d, objective 90%: the highest burn rate is 10, so the
		// page tiers (43.2, 18) are left out; no budget alert (exhausted: none).
		"api.v2-availability burn rate ticket-1d (ticket)": `burn_rate("<slo-id:api.v2-availability>").over("90d").long_window("24h").short_window("2h") > 9`,
		"api.v2-availability burn rate ticket-3d (ticket)": `burn_rate("<slo-id:api.v2-availability>").over("90d").long_window("48h").short_window("6h") > 3`,
		// api-latency: alerting disabled; api-overall: a composite, left out.
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("monitors (-want +got):\n%s", diff)
	}
	thresholdRE := regexp.MustCompile(`[>=] ([0-9.]+)$`)
	for _, m := range d.Monitors {
		v := thresholdRE.FindStringSubmatch(m.Query)
		if v == nil || v[1] != strings.TrimRight(strings.TrimRight(jsonNum(m.Options.Thresholds.Critical), "0"), ".") && v[1] != jsonNum(m.Options.Thresholds.Critical) {
			t.Errorf("%s: query %q, critical threshold %v: they must agree", m.Name, m.Query, m.Options.Thresholds.Critical)
		}
	}
}

func jsonNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestSLOQueries(t *testing.T) {
	d := build(t, configs["fleet"], datadog.FromBoth)
	got := map[string]datadog.SLOQuery{}
	tf := map[string]string{}
	for _, s := range d.SLOs {
		got[s.Name] = s.Query
		tf[s.Name] = s.Timeframe
	}
	want := map[string]datadog.SLOQuery{
		"web-availability": {
			Numerator:   "sum:headroom.slo.events{slo:web-availability,result:good}.as_count()",
			Denominator: "sum:headroom.slo.events{slo:web-availability}.as_count()",
		},
		"web-availability-logs": {
			Numerator: "sum:headroom.logs.nginx.requests{service:web}.as_count() - " +
				"sum:headroom.logs.nginx.requests{service:web AND (status_code:5* OR status_code:429)}.as_count()",
			Denominator: "sum:headroom.logs.nginx.requests{service:web}.as_count()",
		},
		"checkout-monthly": {
			Numerator:   "sum:headroom.slo.events{slo:checkout-monthly,result:good}.as_count()",
			Denominator: "sum:headroom.slo.events{slo:checkout-monthly}.as_count()",
		},
		"checkout-monthly-logs": {
			Numerator: "sum:headroom.logs.nginx.requests{service:web AND (status_code:2* OR status_code:500 OR status_code:501 OR status_code:502 OR status_code:503)}.as_count() - " +
				"sum:headroom.logs.nginx.requests{service:web AND (status_code:2* OR status_code:500 OR status_code:501 OR status_code:502 OR status_code:503) AND status_code:5*}.as_count()",
			Denominator: "sum:headroom.logs.nginx.requests{service:web AND (status_code:2* OR status_code:500 OR status_code:501 OR status_code:502 OR status_code:503)}.as_count()",
		},
		// Datadog lower-cases tags: the service API is service:api.
		"api.v2-availability": {
			Numerator:   "sum:headroom.slo.events{slo:api.v2-availability,result:good}.as_count()",
			Denominator: "sum:headroom.slo.events{slo:api.v2-availability}.as_count()",
		},
		"api.v2-availability-logs": {
			Numerator:   "sum:headroom.logs.nginx.requests{service:api}.as_count() - sum:headroom.logs.nginx.requests{service:api,status_code:5*}.as_count()",
			Denominator: "sum:headroom.logs.nginx.requests{service:api}.as_count()",
		},
		// a latency SLI has no logs-based SLO.
		"api-latency": {
			Numerator:   "sum:headroom.slo.events{slo:api-latency,result:good}.as_count()",
			Denominator: "sum:headroom.slo.events{slo:api-latency}.as_count()",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SLO queries (-want +got):\n%s", diff)
	}
	wantTF := map[string]string{
		"web-availability": "30d", "web-availability-logs": "30d",
		"checkout-monthly": "30d", "checkout-monthly-logs": "30d",
		"api.v2-availability": "90d", "api.v2-availability-logs": "90d",
		"api-latency": "7d",
	}
	if diff := cmp.Diff(wantTF, tf); diff != "" {
		t.Errorf("timeframes (-want +got):\n%s", diff)
	}
}

func TestTimeframe(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		period time.Duration
		want   string
	}{
		{time.Hour, "7d"}, {7 * day, "7d"}, {14 * day, "7d"}, {18*day + 12*time.Hour, "30d"}, // a tie takes the longer
		{28 * day, "30d"}, {30 * day, "30d"}, {60 * day, "90d"}, {91 * day, "90d"}, {365 * day, "90d"},
	} {
		if got := datadog.Timeframe(tc.period); got != tc.want {
			t.Errorf("Timeframe(%v) = %s, want %s", tc.period, got, tc.want)
		}
	}
}

// TestSources checks that --source push and logs each leave out the other's
// definitions, and that every placeholder names an SLO defined.
func TestSources(t *testing.T) {
	for _, src := range []datadog.Source{datadog.FromPush, datadog.FromLogs, datadog.FromBoth} {
		t.Run(string(src), func(t *testing.T) {
			d := build(t, configs["fleet"], src)
			if got, want := len(d.LogsMetrics) > 0, src != datadog.FromPush; got != want {
				t.Errorf("logs metrics: %d", len(d.LogsMetrics))
			}
			names := map[string]bool{}
			for _, s := range d.SLOs {
				names[s.Name] = true
				logs := strings.HasSuffix(s.Name, "-logs")
				if src == datadog.FromPush && logs || src == datadog.FromLogs && !logs {
					t.Errorf("SLO %s defined with --source %s", s.Name, src)
				}
			}
			var b bytes.Buffer
			if err := d.WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			for _, m := range regexp.MustCompile(`<slo-id:([^>]+)>`).FindAllStringSubmatch(b.String(), -1) {
				if !names[m[1]] {
					t.Errorf("placeholder %s names no SLO defined", m[0])
				}
			}
			var tf bytes.Buffer
			if err := d.WriteTerraform(&tf); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tf.String(), "<slo-id:") {
				t.Errorf("terraform output keeps a placeholder")
			}
		})
	}
}

// TestTerraformReferences checks the .tf.json's structure: every resource
// the monitors and the dashboard refer to exists, and nothing but those
// references is a Terraform template.
func TestTerraformReferences(t *testing.T) {
	d := build(t, configs["fleet"], datadog.FromBoth)
	var b bytes.Buffer
	if err := d.WriteTerraform(&b); err != nil {
		t.Fatal(err)
	}
	var tf struct {
		Resource map[string]map[string]map[string]any `json:"resource"`
	}
	dec := json.NewDecoder(&b)
	if err := dec.Decode(&tf); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"datadog_logs_metric", "datadog_service_level_objective", "datadog_monitor", "datadog_dashboard_json"} {
		if len(tf.Resource[typ]) == 0 {
			t.Errorf("no %s resource", typ)
		}
	}
	nameRE := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	for typ, rs := range tf.Resource {
		for name := range rs {
			if !nameRE.MatchString(name) {
				t.Errorf("%s.%s: not a Terraform resource name", typ, name)
			}
		}
	}
	refRE := regexp.MustCompile(`\$\{([^}]*)\}`)
	refs := 0
	for _, typ := range []string{"datadog_monitor", "datadog_dashboard_json"} {
		for name, r := range tf.Resource[typ] {
			s, _ := json.Marshal(r)
			for _, m := range refRE.FindAllStringSubmatch(string(s), -1) {
				refs++
				parts := strings.Split(m[1], ".")
				if len(parts) != 3 || parts[0] != "datadog_service_level_objective" || parts[2] != "id" {
					t.Errorf("%s.%s: template %s is not an SLO id", typ, name, m[0])
					continue
				}
				if tf.Resource[parts[0]][parts[1]] == nil {
					t.Errorf("%s.%s: refers to %s, not defined", typ, name, m[0])
				}
			}
		}
	}
	if refs == 0 {
		t.Error("no references to SLO ids")
	}
}

func TestTemplateEscaped(t *testing.T) {
	cfg := load(t, configs["quickstart"])
	cfg.SLOs[0].Description = "costs ${var.money} and %{ if x }"
	d, err := datadog.Build(cfg, datadog.Options{Source: datadog.FromPush})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := d.WriteTerraform(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "costs $${var.money} and %%{ if x }") {
		t.Errorf("a description's ${ and %%{ are not escaped for Terraform:\n%s", b.String())
	}
}

func TestDuplicateNames(t *testing.T) {
	cfg := load(t, configs["quickstart"])
	cfg.SLOs[1].Name = cfg.SLOs[0].Name + "-logs"
	if _, err := datadog.Build(cfg, datadog.Options{}); err == nil {
		t.Error("two Datadog SLOs named web-availability-logs: no error")
	}
}
