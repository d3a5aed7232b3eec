package openslo

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/OpenSLO/go-sdk/pkg/openslo/v1"
	"github.com/OpenSLO/go-sdk/pkg/openslosdk"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// exampleConfigs are the repo's configs with an slos: block, and the one
// with every kind of SLO; the Kubernetes one is a ConfigMap holding the
// config.
var exampleConfigs = []string{
	"../../examples/quickstart.yaml",
	"../config/testdata/good.yaml",
	"../../deploy/kubernetes/server-config.yaml",
	"testdata/roundtrip.yaml",
}

// readConfig returns the config text at path, out of its ConfigMap for
// the Kubernetes one, and the path it is parsed as.
func readConfig(t *testing.T, path string) ([]byte, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Kind string            `yaml:"kind"`
		Data map[string]string `yaml:"data"`
	}
	if yaml.Unmarshal(b, &cm) == nil && cm.Kind == "ConfigMap" {
		for k, v := range cm.Data {
			if strings.HasSuffix(k, ".yaml") {
				return []byte(v), filepath.Join(filepath.Dir(path), k)
			}
		}
		t.Fatalf("%s: no config in the ConfigMap", path)
	}
	return b, path
}

// withSLOs returns the config text with its slos: block replaced by the
// one import printed.
func withSLOs(t *testing.T, cfgText, block []byte) []byte {
	t.Helper()
	var root, imported yaml.Node
	if err := yaml.Unmarshal(cfgText, &root); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(block, &imported); err != nil {
		t.Fatalf("import printed YAML that does not parse: %v\n%s", err, block)
	}
	m, im := root.Content[0], imported.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "slos" {
			m.Content[i+1] = im.Content[1]
		}
	}
	out, err := yaml.Marshal(&root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sloText is an SLO as YAML, without its alerting, which the tests compare
// as the policies it makes.
func sloText(t *testing.T, o config.SLO) string {
	t.Helper()
	o.Alerting = config.SLOAlerting{}
	b, err := yaml.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRoundTrip: export then import gives the same SLOs, for every example
// config: the same fields, and alert policies with the same tiers.
func TestRoundTrip(t *testing.T) {
	for _, path := range exampleConfigs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			text, as := readConfig(t, path)
			orig, err := config.Parse(text, as)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Export(orig)
			if err != nil {
				t.Fatal(err)
			}
			var exported bytes.Buffer
			if err := Write(&exported, objs); err != nil {
				t.Fatal(err)
			}
			sdkValidates(t, exported.Bytes(), len(objs))
			slos, err := Import([]File{{Name: "exported.yaml", Data: exported.Bytes()}})
			if err != nil {
				t.Fatalf("import of the export: %v", err)
			}
			var block bytes.Buffer
			if err := Render(&block, slos); err != nil {
				t.Fatal(err)
			}
			back, err := config.Parse(withSLOs(t, text, block.Bytes()), as)
			if err != nil {
				t.Fatalf("the config with the imported slos: does not validate: %v\n%s", err, block.String())
			}
			if len(back.SLOs) != len(orig.SLOs) {
				t.Fatalf("%d SLOs back, want %d", len(back.SLOs), len(orig.SLOs))
			}
			for i := range orig.SLOs {
				if d := cmp.Diff(sloText(t, orig.SLOs[i]), sloText(t, back.SLOs[i])); d != "" {
					t.Errorf("slos[%d] (-exported +imported):\n%s", i, d)
				}
			}
			want, err := alert.Policies(orig)
			if err != nil {
				t.Fatal(err)
			}
			got, err := alert.Policies(back)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("alert policies (-exported +imported):\n%s", d)
			}
		})
	}
}

// sdkValidates checks that the OpenSLO SDK decodes the written documents,
// n of them, and finds them valid: the binary does not link the SDK, so
// the tests are where export's output meets it.
func sdkValidates(t *testing.T, written []byte, n int) {
	t.Helper()
	decoded, err := openslosdk.Decode(bytes.NewReader(written), openslosdk.FormatYAML)
	if err != nil {
		t.Fatalf("the OpenSLO SDK does not decode the written documents: %v", err)
	}
	if err := openslosdk.Validate(decoded...); err != nil {
		t.Fatalf("the written documents do not validate: %v", err)
	}
	if len(decoded) != n {
		t.Errorf("%d documents written, %d read back", n, len(decoded))
	}
}

// TestExportGolden: the quickstart's and the every-kind config's export,
// as written, validated again by the OpenSLO SDK after decoding.
func TestExportGolden(t *testing.T) {
	for _, path := range []string{"../../examples/quickstart.yaml", "testdata/roundtrip.yaml"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := Export(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := Write(&b, objs); err != nil {
				t.Fatal(err)
			}
			decoded, err := openslosdk.Decode(bytes.NewReader(b.Bytes()), openslosdk.FormatYAML)
			if err != nil {
				t.Fatal(err)
			}
			if err := openslosdk.Validate(decoded...); err != nil {
				t.Fatalf("the written documents do not validate: %v", err)
			}
			if len(decoded) != len(objs) || strings.Count(b.String(), "\n---\n") != len(objs)-1 {
				t.Errorf("%d documents written, %d read back", len(objs), len(decoded))
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(filepath.Base(path), ".yaml")+".openslo.yaml")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if d := cmp.Diff(string(want), b.String()); d != "" {
				t.Errorf("%s differs (-want +got):\n%s", golden, d)
			}
		})
	}
}

// TestExportFields checks the numbers of the quickstart's export that
// OpenSLO tools read: target, window, query, burn-rate thresholds, as
// the OpenSLO SDK decodes them.
func TestExportFields(t *testing.T) {
	cfg, err := config.Load("../../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	exported, err := Export(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, exported); err != nil {
		t.Fatal(err)
	}
	objs, err := openslosdk.Decode(bytes.NewReader(b.Bytes()), openslosdk.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := openslosdk.Validate(objs...); err != nil {
		t.Fatalf("the written documents do not validate: %v", err)
	}
	var slo v1.SLO
	var sli v1.SLI
	conds := map[string]v1.AlertCondition{}
	for _, o := range objs {
		switch o := o.(type) {
		case v1.SLO:
			if o.Metadata.Name == "web-availability" {
				slo = o
			}
		case v1.SLI:
			if o.Metadata.Name == "web-availability" {
				sli = o
			}
		case v1.AlertCondition:
			conds[o.Metadata.Name] = o
		}
	}
	if got := *slo.Spec.Objectives[0].Target; got != 0.999 {
		t.Errorf("target %v, want 0.999", got)
	}
	if tw := slo.Spec.TimeWindow[0]; tw.Duration.String() != "28d" || !tw.IsRolling {
		t.Errorf("time window %v rolling %v, want 28d rolling", tw.Duration, tw.IsRolling)
	}
	if slo.Spec.BudgetingMethod != v1.SLOBudgetingMethodOccurrences {
		t.Errorf("budgeting method %s", slo.Spec.BudgetingMethod)
	}
	if got, want := sli.Spec.RatioMetric.Good.MetricSource.Spec["query"], `sum(headroom_slo_events_total{slo="web-availability",result="good"})`; got != want {
		t.Errorf("good query %v, want %v", got, want)
	}
	if got, want := sli.Spec.RatioMetric.Total.MetricSource.Spec["query"], `sum(headroom_slo_events_total{slo="web-availability"})`; got != want {
		t.Errorf("total query %v, want %v", got, want)
	}
	// PRODUCT.md: at 28d the tiers burn at 13.44, 5.6, 2.8 and 0.93….
	for name, want := range map[string]float64{"page-1h": 13.44, "page-6h": 5.6, "ticket-1d": 2.8, "ticket-3d": 0.933333333} {
		c := conds["web-availability-"+name]
		if got := *c.Spec.Condition.Threshold; got != want {
			t.Errorf("%s threshold %v, want %v", name, got, want)
		}
	}
	if c := conds["web-availability-page-6h"]; c.Spec.Condition.LookbackWindow.String() != "6h" || c.Spec.Severity != "page" {
		t.Errorf("page-6h: lookback %s severity %s", c.Spec.Condition.LookbackWindow, c.Spec.Severity)
	}
}

func readFiles(t *testing.T, paths ...string) []File {
	t.Helper()
	var out []File
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, File{Name: p, Data: b})
	}
	return out
}

// TestImportForeign imports the OpenSLO project's and Sloth's own examples:
// the SLOs headroom can express become the slos: block (checked against
// the config's validation), the others give an error naming the file,
// document and field, and why.
func TestImportForeign(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string
		want   string   // the slos: block, "" for none
		errors []string // each must be in the error
	}{
		{
			name: "openslo occurrences", file: "testdata/openslo-project/budgeting-method_occurences-slo.yaml",
			errors: []string{"budgeting-method_occurences-slo.yaml: document 1 (SLO search-slo): spec.indicator.spec.thresholdMetric: headroom counts good and total events"},
		},
		{
			name: "openslo ratio timeslices", file: "testdata/openslo-project/budgeting-method_ratio-timeslices.yaml",
			errors: []string{"document 1 (SLO main-page): spec.budgetingMethod: RatioTimeslices: headroom counts events (Occurrences)"},
		},
		{
			name: "openslo timeslices", file: "testdata/openslo-project/budgeting-method_timeslices-slo.yaml",
			errors: []string{"document 1 (SLO service-availability): spec.budgetingMethod: Timeslices"},
		},
		{
			name: "openslo low traffic", file: "testdata/openslo-project/treat-low-traffic-as-equally-important_timeslices-slo.yaml",
			errors: []string{"(SLO service-availability): spec.budgetingMethod: Timeslices"},
		},
		{
			name: "go-sdk example", file: "testdata/openslo-go-sdk/slos.yaml",
			errors: []string{"slos.yaml: document 1, item 1 (SLO web-availability): spec.budgetingMethod: Timeslices"},
		},
		{
			name: "go-sdk example with occurrences", file: "testdata/openslo-go-sdk/slos-occurrences.yaml",
			want: `slos:
  # from testdata/openslo-go-sdk/slos-occurrences.yaml: document 1, item 1 (SLO web-availability)
  # left out: k8s_cluster="prod" (it selects the service: headroom's services config says which requests service reads)
  # left out: component="web" (it selects the service: headroom's services config says which requests service reads)
  - name: web-availability
    service: web
    description: X% of search requests are successful
    objective: 99.5
    window: 28d
    sli: {type: availability, bad_status: [1xx, 3xx, 5xx]}
`,
		},
		{
			name: "sloth getting started", file: "testdata/sloth/getting-started.yml",
			want: `slos:
  # from testdata/sloth/getting-started.yml: document 1 (Sloth service myservice, SLO requests-availability)
  # window: 30d, the period Sloth uses when none is given
  # left out: job="myservice" (it selects the service: headroom's services config says which requests service reads)
  # left out: alerting.annotations.summary, alerting.name, labels (headroom's alerts carry the SLO, service, tier and severity)
  - name: requests-availability
    service: myservice
    description: Common SLO based on availability for HTTP request responses.
    objective: 99.9
    window: 30d
    sli: {type: availability, bad_status: [429, 5xx]}
    alerting:
      labels:
        category: availability
      tiers:
        - name: page-1h
          labels:
            routing_key: myteam
        - name: page-6h
          labels:
            routing_key: myteam
        - name: ticket-1d
          labels:
            slack_channel: '#alerts-myteam'
        - name: ticket-3d
          labels:
            slack_channel: '#alerts-myteam'
`,
		},
		{
			name: "sloth no alerts", file: "testdata/sloth/no-alerts.yml",
			want: `slos:
  # from testdata/sloth/no-alerts.yml: document 1 (Sloth service myapp, SLO http-availability)
  # window: 30d, the period Sloth uses when none is given
  # left out: job="myapp" (it selects the service: headroom's services config says which requests service reads)
  # left out: labels (headroom's alerts carry the SLO, service, tier and severity)
  - name: http-availability
    service: myapp
    description: Common SLO based on availability for HTTP request responses.
    objective: 99.99
    window: 30d
    sli: {type: availability, bad_status: [429, 5xx]}
    alerting:
      disabled: true
`,
		},
		{
			name: "sloth kubernetes apiserver", file: "testdata/sloth/kubernetes-apiserver.yml",
			want: `slos:
  # from testdata/sloth/kubernetes-apiserver.yml: document 1 (Sloth service k8s-apiserver, SLO requests-availability)
  # window: 30d, the period Sloth uses when none is given
  # left out: alerting.name, labels (headroom's alerts carry the SLO, service, tier and severity)
  - name: requests-availability
    service: k8s-apiserver
    description: Warn that we are returning correctly the requests to the clients (kubectl users, controllers...).
    objective: 99.9
    window: 30d
    sli: {type: availability, bad_status: [429, 5xx]}
    runbook: https://github.com/kubernetes-monitoring/kubernetes-mixin/tree/master/runbook.md#alert-name-kubeapierrorshigh
    alerting:
      labels:
        category: availability
`,
			errors: []string{`kubernetes-apiserver.yml: document 1 (Sloth service k8s-apiserver, SLO requests-latency): slos[1].sli.events.total_query: verb!="WATCH": headroom's filter.method cannot exclude`},
		},
		{
			name: "sloth home wifi", file: "testdata/sloth/home-wifi.yml",
			errors: []string{
				"home-wifi.yml: document 1 (Sloth service home-wifi, SLO good-wifi-client-satisfaction): slos[0].sli.events.total_query:",
				"(Sloth service home-wifi, SLO risk-wifi-client-satisfaction): slos[1].sli.events.total_query:",
			},
		},
		{
			name: "sloth raw", file: "testdata/sloth/raw-home-wifi.yml",
			errors: []string{"raw-home-wifi.yml: document 1 (Sloth service home-wifi, SLO wifi-client-satisfaction): slos[0].sli.raw: a precomputed error ratio has no events headroom can count"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slos, err := Import(readFiles(t, tc.file))
			if len(tc.errors) == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, e := range tc.errors {
				if err == nil || !strings.Contains(err.Error(), e) {
					t.Errorf("error %v\nwant it to say %q", err, e)
				}
			}
			if tc.want == "" {
				if len(slos) > 0 {
					t.Errorf("imported %d SLOs, want none", len(slos))
				}
				return
			}
			var b bytes.Buffer
			if err := Render(&b, slos); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, b.String()); d != "" {
				t.Errorf("slos: block (-want +got):\n%s", d)
			}
			validates(t, slos, b.Bytes())
		})
	}
}

// validates checks that a config made of the SLOs' services (each fed by
// a log) and the imported block is valid.
func validates(t *testing.T, slos []SLO, block []byte) {
	t.Helper()
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("services:\n")
	seen := map[string]bool{}
	for _, o := range slos {
		if !seen[o.Service] {
			seen[o.Service] = true
			cfg.WriteString("  - {name: " + o.Service + ", logs: [{path: access.log}]}\n")
		}
	}
	cfg.Write(block)
	if err := os.WriteFile(filepath.Join(dir, "access.log"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Parse([]byte(cfg.String()), filepath.Join(dir, "headroom.yaml")); err != nil {
		t.Errorf("headroom's validation refuses the imported block: %v\n%s", err, cfg.String())
	}
}
