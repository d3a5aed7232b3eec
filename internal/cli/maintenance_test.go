package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMaintenanceAddListRemove: a recorded window leaves its minutes out of
// status at once (10 requests a minute, one 503 in 20), list shows it, and
// remove brings them back; bad windows are refused with every problem.
func TestMaintenanceAddListRemove(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	if r := run(t, "", "import", "--config", cfg); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	avail := func() [2]float64 {
		for _, s := range status(t, cfg).SLOs {
			if s.Name == "avail" {
				return [2]float64{s.Total, s.Good}
			}
		}
		t.Fatal("no avail SLO")
		return [2]float64{}
	}
	if got := avail(); got != [2]float64{1200, 1140} {
		t.Fatalf("before: %v", got)
	}
	r := run(t, "", "maintenance", "add", "--config", cfg, "--service", "web", "--start", "2026-11-20T10:30:00Z", "--duration", "30m", "db", "upgrade")
	if r.code != 0 || !strings.Contains(r.stdout, "maintenance #1: web from 2026-11-20T10:30:00Z to 2026-11-20T11:00:00Z (30m) recorded") {
		t.Fatalf("add: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// 30 minutes of 10 requests, of which 15 were 503s, are left out.
	if got := avail(); got != [2]float64{900, 855} {
		t.Errorf("with the window: %v, want [900 855]", got)
	}
	r = run(t, "", "maintenance", "list", "--config", cfg, "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-21T00:00:00Z", "--json")
	var l MaintenanceList
	if err := json.Unmarshal([]byte(r.stdout), &l); r.code != 0 || err != nil {
		t.Fatalf("list: %d %v\n%s", r.code, err, r.stderr)
	}
	if len(l.Windows) != 1 || l.Windows[0].ID != 1 || l.Windows[0].Note != "db upgrade" || len(l.Occurrences) != 1 {
		t.Errorf("list: %+v", l)
	}
	// Exported as Datadog SLO corrections of both SLOs of web.
	r = run(t, "", "export", "datadog", "--config", cfg, "--source", "push")
	var dd struct {
		SLOCorrections []struct {
			Data struct {
				Attributes struct {
					SLOID    string `json:"slo_id"`
					Category string `json:"category"`
					Start    int64  `json:"start"`
					End      int64  `json:"end"`
				} `json:"attributes"`
			} `json:"data"`
		} `json:"slo_corrections"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &dd); r.code != 0 || err != nil || len(dd.SLOCorrections) != 2 {
		t.Fatalf("export datadog: %d %v, %d corrections\n%s", r.code, err, len(dd.SLOCorrections), r.stderr)
	}
	if a := dd.SLOCorrections[0].Data.Attributes; a.SLOID != "<slo-id:avail>" || a.Category != "Scheduled Maintenance" || a.End-a.Start != 1800 {
		t.Errorf("correction: %+v", a)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"misaligned", []string{"--service", "web", "--start", "2026-11-20T10:30:10Z", "--end", "2026-11-20T10:00:00Z"},
			[]string{"--start: 2026-11-20T10:30:10Z: want a whole minute", "--end: 2026-11-20T10:00:00Z: want after start"}},
		{"no end", []string{"--service", "nope", "--start", "2026-11-20T10:30:00Z"},
			[]string{`--service: unknown service "nope"`, "--end or --duration: required"}},
		{"no service", []string{"--start", "2026-11-20T10:30:00Z"}, []string{"--service is required"}},
	} {
		r := run(t, "", append([]string{"maintenance", "add", "--config", cfg}, tc.args...)...)
		for _, w := range tc.want {
			if r.code != 2 || !strings.Contains(r.stderr, w) {
				t.Errorf("%s: exit %d, want 2 with %q:\n%s", tc.name, r.code, w, r.stderr)
			}
		}
	}
	if r := run(t, "", "maintenance", "remove", "--config", cfg, "1"); r.code != 0 {
		t.Fatalf("remove: %d %s", r.code, r.stderr)
	}
	if got := avail(); got != [2]float64{1200, 1140} {
		t.Errorf("after remove: %v", got)
	}
	if r := run(t, "", "maintenance", "remove", "--config", cfg, "1"); r.code != 2 {
		t.Errorf("removing it again: exit %d, want 2", r.code)
	}
}
