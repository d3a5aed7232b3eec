package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSLODoc: slo-doc writes from the config alone before any import, and
// with the window's numbers after; the document names the config by its
// file name and the logs relative to it, never where they were read from.
func TestSLODoc(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	dir := filepath.Dir(cfg)

	r := run(t, "", "slo-doc", "--config", cfg, "--slo", "avail", "--at", "2026-11-20T12:00:00Z")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("slo-doc without a store: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"# SLO document: avail\n",
		"`headroom slo-doc --config headroom.yaml --slo avail --at 2026-11-20T12:00:00Z`",
		"- `access.log*` (a log\\_format pasted from nginx.conf)",
		"There is no stored history yet",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("slo-doc without a store: no %q in\n%s", want, r.stdout)
		}
	}

	if r := run(t, "", "import", "--config", cfg); r.code != ExitOK {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, "", "slo-doc", "--config", cfg, "--slo", "avail", "--at", "2026-11-20T12:00:00Z")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("slo-doc: exit %d\n%s", r.code, r.stderr)
	}
	// 1,200 requests, every 20th a 503: a 1% budget of 12 bad events, 60
	// spent, 400% overspent.
	for _, want := range []string{
		"1,200 events, so a budget of 12 bad events; 60 were bad, **-400%** of the budget is left.",
		"No complete window (a rolling 28d window) with events is stored (the history starts on 2026-11-20)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("slo-doc: no %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, dir) {
		t.Errorf("slo-doc names the config's directory %s:\n%s", dir, r.stdout)
	}

	r = run(t, "", "slo-doc", "--config", cfg, "--slo", "api-latency", "--lang", "ja", "--format", "html", "--at", "2026-11-20T12:00:00Z")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "<!doctype html>\n<html lang=\"ja\">") ||
		!strings.Contains(r.stdout, "--lang ja --format html") || !strings.Contains(r.stdout, "<code>$request_time</code> ≤ 300ms") {
		t.Errorf("slo-doc --lang ja --format html: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestSLODocUsage(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", cfg}, "--slo is required"},
		{[]string{"--config", cfg, "--slo", "api-latncy"}, `--slo: unknown SLO "api-latncy" (did you mean "api-latency"? configured: avail, api-latency)`},
		{[]string{"--config", cfg, "--slo", "avail", "--lang", "de"}, `--lang "de": want en or ja`},
		{[]string{"--config", cfg, "--slo", "avail", "--format", "pdf"}, `--format "pdf": want md or html`},
	} {
		r := run(t, "", append([]string{"slo-doc"}, c.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
			t.Errorf("slo-doc %v: exit %d, stderr %q; want exit 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
