package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlertsAndBacktest: quickstart replays the alerts over the sample
// every 5 minutes and stores them; `alerts --json` shows that history, and
// `alerts backtest` over the same span at the same step finds the same
// firings; `alerts --at` shows them as of an instant.
func TestAlertsAndBacktest(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, "", "quickstart", "--dir", dir); r.code != 0 || !strings.Contains(r.stdout, "replayed the alerts over the sample") {
		t.Fatalf("quickstart: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	cfg := filepath.Join(dir, "quickstart.yaml")
	r := run(t, "", "alerts", "--config", cfg, "--since", "400d", "--json")
	if r.code != 0 {
		t.Fatalf("alerts: %d %s", r.code, r.stderr)
	}
	var stored AlertsReport
	if err := json.Unmarshal([]byte(r.stdout), &stored); err != nil {
		t.Fatal(err)
	}
	firings := func(keys []string) string { return strings.Join(keys, "\n") }
	var replayed []string
	for i := len(stored.Events) - 1; i >= 0; i-- { // oldest first
		if e := stored.Events[i]; e.Fired() {
			replayed = append(replayed, e.At.UTC().Format("2006-01-02T15:04")+" "+e.State.Key)
		}
	}
	if len(replayed) == 0 || !strings.Contains(firings(replayed), "page-1h") {
		t.Fatalf("no page in the replayed history: %v", replayed)
	}
	// The sample runs from 2026-11-09T15:00:10Z to 2026-11-19T15:00:10Z;
	// the replay evaluates at 5-minute boundaries from 15:00.
	r = run(t, "", "alerts", "backtest", "--config", cfg, "--from", "2026-11-09T15:00:00Z", "--to", "2026-11-19T15:05:00Z", "--step", "5m", "--json")
	if r.code != 0 {
		t.Fatalf("backtest: %d %s", r.code, r.stderr)
	}
	var bt BacktestReport
	if err := json.Unmarshal([]byte(r.stdout), &bt); err != nil {
		t.Fatal(err)
	}
	var backtested []string
	for _, e := range bt.Episodes {
		backtested = append(backtested, e.Fired.UTC().Format("2006-01-02T15:04")+" "+e.Key)
		// The fastest tier fires only while its 5-minute short window
		// burns: the burn is measured and its detection time known.
		if e.Tier == "page-1h" && (e.BurningSince.IsZero() || e.Detection <= 0) {
			t.Errorf("%s: no detection time", e.Key)
		}
	}
	if firings(backtested) != firings(replayed) {
		t.Errorf("backtest firings:\n%s\nstored (replayed) firings:\n%s", firings(backtested), firings(replayed))
	}
	// The human forms.
	if r := run(t, "", "alerts", "--config", cfg, "--since", "400d"); r.code != 0 || !strings.Contains(r.stdout, "inactive → firing") {
		t.Errorf("alerts: %d\n%s", r.code, r.stdout)
	}
	if r := run(t, "", "alerts", "backtest", "--config", cfg, "--slo", "web-availability", "--from", "2026-11-15T00:00:00Z", "--to", "2026-11-16T00:00:00Z"); r.code != 0 ||
		!strings.Contains(r.stdout, "burn/web-availability/page-1h") || strings.Contains(r.stdout, "api-latency") {
		t.Errorf("backtest --slo: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "", "alerts", "backtest", "--config", cfg, "--from", "2026-11-15T00:00:00Z"); r.code != 2 {
		t.Errorf("backtest without --to: exit %d, want 2", r.code)
	}
	checkAlertsAt(t, cfg)
}
