package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/genhist"
	"github.com/headroom-slo/headroom/internal/store"
)

// suggestFixture writes a config and 20 days of generated history of web
// with an outage on GET /api/deals on day 9.
func suggestFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, "storage: {dir: ./data}\nservices:\n  - name: web\n    logs: [{path: ./access.log}]\nslos:\n"+baseSLOs)
	st, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	h := &genhist.History{Start: t0, Days: 20, Seed: 3,
		Services: []genhist.Service{{Name: "web", RPS: 2, DailyAmplitude: 0.5, PeakHour: 14, WeekendDip: 0.3}},
		Incidents: []genhist.Incident{{Start: t0.Add(9*24*time.Hour + 10*time.Hour), Duration: time.Hour, Route: "/api/deals", Method: "GET",
			Status: 503, BadFraction: 0.6}},
	}
	if err := h.Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSuggest(t *testing.T) {
	cfg := suggestFixture(t)
	r := run(t, "", "suggest", "--config", cfg, "--service", "web", "--window", "7d")
	if r.code != 0 {
		t.Fatalf("suggest: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"14 complete 7d windows",
		"Noise, before deciding: health checks are 18.",
		"      - {route: '^(/healthz)$'}   # health",
		"The rule: the highest objective met in at least 90% of the complete 7d windows",
		"availability: ",
		"Ready to paste into the config",
		"    sli: {type: availability}",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, r.stdout)
		}
	}

	// The outage's day is the worst, with its route and status first.
	lines := strings.Split(r.stdout, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Worst days") && i+2 < len(lines) {
			if row := lines[i+2]; !strings.HasPrefix(row, "2026-10-14") || !strings.Contains(row, "  GET /api/deals 9") || !strings.Contains(row, "  503 9") {
				t.Errorf("the worst day: %q; want 2026-10-14, GET /api/deals and 503 first", row)
			}
		}
	}

	r = run(t, "", "suggest", "--config", cfg, "--service", "web", "--window", "7d", "--json")
	if r.code != 0 {
		t.Fatalf("suggest --json: exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Candidates  []map[string]any `json:"candidates"`
		Recommended []struct {
			Name, Service, Window string
			Objective             float64
			SLI                   struct{ Type, Threshold string }
		} `json:"recommended"`
		YAML string `json:"yaml"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Candidates) != 20 || len(doc.Recommended) == 0 {
		t.Fatalf("%d candidates, %d recommended", len(doc.Candidates), len(doc.Recommended))
	}
	for _, c := range doc.Candidates {
		for _, k := range []string{"type", "objective", "windows", "met", "pages", "tickets"} {
			if _, ok := c[k]; !ok {
				t.Errorf("candidate %v lacks %s", c, k)
			}
		}
		if _, ok := c["threshold_ms"]; ok != (c["type"] == "latency") {
			t.Errorf("candidate %v: threshold_ms for latency only", c)
		}
		if c["windows"] != 14.0 {
			t.Errorf("candidate %v: want 14 windows", c)
		}
	}
	if rec := doc.Recommended[0]; rec.Service != "web" || rec.Window != "7d" || rec.SLI.Type != "availability" || rec.Objective < 99 {
		t.Errorf("recommended %+v", rec)
	}

	// The block, pasted under the config's slos:, validates.
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.TrimPrefix(doc.YAML, "slos:\n")
	if entries == doc.YAML {
		t.Fatalf("the YAML does not start with slos:\n%s", doc.YAML)
	}
	writeFile(t, cfg, string(b)+entries)
	if r := run(t, "", "validate", "--config", cfg); r.code != 0 || !strings.Contains(r.stdout, "ok") {
		t.Errorf("validate with the suggested SLOs: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

func TestSuggestBadInput(t *testing.T) {
	cfg := suggestFixture(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--service", "wbe"}, 2, `--service: unknown service "wbe" (did you mean "web"? configured: web)`},
		{nil, 2, "--service is required"},
		{[]string{"--service", "web", "--window", "36h"}, 2, "--window 1d12h: want whole days"},
		{[]string{"--service", "web", "--window", "28d"}, 1, "no complete 28d window"},
		{[]string{"--service", "web", "--from", "2026-10-10T00:00:00Z", "--to", "2026-10-09T00:00:00Z"}, 2, "--to 2026-10-09T00:00:00Z: want a time after --from"},
	} {
		r := run(t, "", append([]string{"suggest", "--config", cfg}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}
