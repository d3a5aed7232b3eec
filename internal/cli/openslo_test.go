package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/OpenSLO/go-sdk/pkg/openslosdk"
)

// TestOpenSLO: export writes OpenSLO documents for the config's SLOs;
// import reads them back into the slos: block, and names what it refuses,
// exiting 1 while still printing the rest.
func TestOpenSLO(t *testing.T) {
	cfg, _ := writeFixture(t, `  - {name: web-availability, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: api-latency, service: web, objective: 99, window: 28d, filter: {route: ^/api/}, sli: {type: latency, threshold: 300ms}}
`)
	r := run(t, "", "openslo", "export", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"kind: SLO", "name: api-latency", "budgetingMethod: Occurrences", "target: 0.99\n", "kind: AlertCondition", "threshold: 13.44"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("export does not write %q:\n%s", want, r.stdout)
		}
	}
	// The binary does not link the OpenSLO SDK: the test checks with it.
	decoded, err := openslosdk.Decode(strings.NewReader(r.stdout), openslosdk.FormatYAML)
	if err != nil {
		t.Fatalf("the OpenSLO SDK does not decode the export: %v", err)
	}
	if err := openslosdk.Validate(decoded...); err != nil {
		t.Fatalf("the export does not validate: %v", err)
	}
	dir := t.TempDir()
	exported := filepath.Join(dir, "openslo.yaml")
	writeFile(t, exported, r.stdout)
	r = run(t, "", "openslo", "import", exported)
	if r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"slos:\n", "  - name: web-availability\n", "    sli: {type: latency, threshold: 300ms}\n", "    filter: {route: ^/api/}\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import does not print %q:\n%s", want, r.stdout)
		}
	}

	refused := filepath.Join(dir, "threshold.yaml")
	writeFile(t, refused, `apiVersion: openslo/v1
kind: SLO
metadata: {name: lag}
spec:
  service: queue
  indicator:
    metadata: {name: lag}
    spec: {thresholdMetric: {metricSource: {type: Prometheus, spec: {query: max(lag)}}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{op: lt, value: 100, target: 0.99}]
`)
	r = run(t, "", "openslo", "import", exported, refused)
	if r.code != 1 {
		t.Errorf("import of a refused SLO: exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, refused+": document 1 (SLO lag): spec.indicator.spec.thresholdMetric") || !strings.Contains(r.stderr, "1 not imported") {
		t.Errorf("stderr does not name the file, document and field:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "name: web-availability") {
		t.Errorf("the importable SLOs are not printed:\n%s", r.stdout)
	}
	if r := run(t, "", "openslo", "import"); r.code != 2 {
		t.Errorf("import without a file: exit %d, want 2", r.code)
	}
}
