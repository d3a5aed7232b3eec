package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/genhist"
	"github.com/headroom-slo/headroom/internal/store"
)

// capacityFixture writes three weeks of generated history of web (with a
// capacity) and api (without), growing 10% a week, and their config.
func capacityFixture(t *testing.T) (cfg string, h *genhist.History) {
	t.Helper()
	dir := t.TempDir()
	cfg = filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, `storage: {dir: ./data}
services:
  - name: web
    logs: [{path: ./web.log, format: combined}]
    capacity: {rps: 400}
  - name: api
    logs: [{path: ./api.log, format: combined}]
  - name: app
    rum: {origins: ["https://app.example.com"]}
`)
	one := []genhist.Route{{Method: "GET", Template: "/api/deals", Weight: 1,
		Latency: []genhist.LatencyShare{{Ms: 20, Share: 0.9}, {Ms: 200, Share: 0.1}}}}
	h = &genhist.History{Start: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), Days: 21, Seed: 1}
	for _, name := range []string{"web", "api"} {
		h.Services = append(h.Services, genhist.Service{Name: name, RPS: 100, WeeklyGrowth: 0.10,
			DailyAmplitude: 0.3, PeakHour: 15, WeekendDip: 0.2, Routes: one})
	}
	st, err := store.Open(filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := h.Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return cfg, h
}

func TestCapacityCommand(t *testing.T) {
	cfg, h := capacityFixture(t)
	at := h.To().Add(time.Hour).Format(time.RFC3339)

	r := run(t, "", "capacity", "--config", cfg, "--service", "web", "--at", at, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		PeakRPS      *float64           `json:"peak_rps"`
		WeeklyGrowth *float64           `json:"weekly_growth"`
		Crosses      map[string]*string `json:"crosses"`
		CapacityRPS  *float64           `json:"capacity_rps"`
		Days         []json.RawMessage  `json:"days"`
		Load         []json.RawMessage  `json:"latency_by_load"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v in %s", err, r.stdout)
	}
	// The last day's peak: 100 rps grown 10% a week for 20 days, 1.3×
	// at the daily peak, 0.8× on a Sunday: ~137 rps.
	if got.PeakRPS == nil || *got.PeakRPS < 130 || *got.PeakRPS > 145 {
		t.Errorf("peak_rps %v, want about 137", *got.PeakRPS)
	}
	if got.WeeklyGrowth == nil || *got.WeeklyGrowth < 0.09 || *got.WeeklyGrowth > 0.11 {
		t.Errorf("weekly_growth %v, want about 0.10", got.WeeklyGrowth)
	}
	if got.CapacityRPS == nil || *got.CapacityRPS != 400 {
		t.Errorf("capacity_rps %v, want 400", got.CapacityRPS)
	}
	for _, l := range []string{"80", "100"} {
		d, ok := got.Crosses[l]
		if !ok || d == nil {
			t.Fatalf("crosses[%q] = %v: want a date (%s)", l, d, r.stdout)
		}
		if _, err := time.Parse(time.DateOnly, *d); err != nil {
			t.Errorf("crosses[%q] = %q: want YYYY-MM-DD", l, *d)
		}
	}
	if *got.Crosses["80"] >= *got.Crosses["100"] {
		t.Errorf("80%% on %s, not before 100%% on %s", *got.Crosses["80"], *got.Crosses["100"])
	}
	if len(got.Days) != 21 || len(got.Load) == 0 {
		t.Errorf("%d days, %d load deciles: want 21 and some", len(got.Days), len(got.Load))
	}

	// Without a capacity: everything but the crossings, which are null.
	r = run(t, "", "capacity", "--config", cfg, "--service", "api", "--at", at, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["crosses"]) != "null" || string(raw["capacity_rps"]) != "null" || string(raw["weekly_growth"]) == "null" {
		t.Errorf("api: crosses %s, capacity_rps %s, weekly_growth %s: want null, null, a number",
			raw["crosses"], raw["capacity_rps"], raw["weekly_growth"])
	}

	// For people.
	r = run(t, "", "capacity", "--config", cfg, "--service", "web", "--at", at)
	for _, want := range []string{"web: capacity as of", "peak", "a week (95% interval", "REACHES", "80%", "100%", "Latency by load", "DECILE"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, "", "capacity", "--config", cfg, "--service", "api", "--at", at)
	if !strings.Contains(r.stdout, "capacity  not set: add `capacity: {rps: N}` to service api") || strings.Contains(r.stdout, "REACHES") {
		t.Errorf("api without capacity:\n%s", r.stdout)
	}
}

func TestCapacityCommandBadInput(t *testing.T) {
	cfg, _ := capacityFixture(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", cfg}, "--service is required"},
		{[]string{"--config", cfg, "--service", "wbe"}, `unknown service "wbe"`},
		{[]string{"--config", cfg, "--service", "web", "--weeks", "1"}, "--weeks 1: want 2 to 104"},
		{[]string{"--config", cfg, "--service", "web", "--at", "yesterday"}, "want RFC 3339"},
		{[]string{"--config", cfg, "--service", "app"}, "--service app: a frontend app (rum, no logs) has no Nginx requests to plan capacity for"},
	} {
		r := run(t, "", append([]string{"capacity"}, c.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, %q: want %d and %q", c.args, r.code, r.stderr, ExitUsage, c.want)
		}
	}
}

// TestCapacityAlertsWiring: serve's capacity source measures, from the
// store, the services with a capacity: web's 80% crossing (about six
// weeks after the history) is within the default 8 weeks; api has none.
func TestCapacityAlertsWiring(t *testing.T) {
	cfgPath, h := capacityFixture(t)
	cfg, st, err := openStore(cfgPath, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := capacityAlerts(cfg, st)
	if src == nil {
		t.Fatal("no capacity source for a config with a capacity")
	}
	at := h.To().Add(time.Hour)
	ms, err := src(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("measures %+v, want web's only", ms)
	}
	m := ms[0]
	if m.Service != "web" || m.Severity != "ticket" || m.Level != 80 || m.RPS != 400 || m.Within != 8*7*24*time.Hour {
		t.Errorf("measure %+v", m)
	}
	if weeks := m.Crosses.Sub(at).Hours() / 24 / 7; weeks < 5 || weeks > 8 {
		t.Errorf("80%% crossed %v, %.1f weeks on: want about 6", m.Crosses, weeks)
	}
	cfg.Services[0].Capacity.Severity = "none"
	if capacityAlerts(cfg, st) != nil {
		t.Error("a source with every capacity alert off")
	}
}
