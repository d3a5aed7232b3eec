package alert_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// outageHistory stores 3 days of steady traffic with a 25-minute outage
// (every /api/deals request 503) at 50h, under a config with maintenance
// (a YAML list, "" for none), and returns the engine over it.
func outageHistory(t *testing.T, maintenance string) (*report.Engine, *store.Store, time.Time) {
	t.Helper()
	yaml := `
storage: {retention: {minutes: forever}}
services:
  - {name: web, logs: [{path: /dev/null}]}
slos:
  - {name: web-availability, service: web, objective: 99.9, window: 30d, sli: {type: availability}}
`
	if maintenance != "" {
		yaml += "maintenance:\n" + maintenance
	}
	cfg := headroomtest.Config(t, yaml)
	st := headroomtest.Store(t, cfg.Storage.Dir)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	outage := start.Add(50 * time.Hour)
	le := cells.NewLayout().Bucket(20_000)
	headroomtest.Fill(t, st, "web", start, 3*24*60, func(at time.Time, add headroomtest.AddFunc) {
		add(store.DimValue{Host: "a", Route: "/", Method: "GET", Status: 200}, le, 600)
		status := 200
		if !at.Before(outage) && at.Before(outage.Add(25*time.Minute)) {
			status = 503
		}
		add(store.DimValue{Host: "a", Route: "/api/deals", Method: "GET", Status: status}, le, 400)
	})
	return headroomtest.Engine(t, cfg, st), st, outage
}

// verdict is what an outage did: the budget left after it, the backtest's
// firings, and the notifications the live runner sent.
type verdict struct {
	budget   float64
	backtest []string
	live     []string
}

// judge evaluates the history from 1h before the outage to 4h after it,
// every 2 minutes, by backtest and by the runner serve uses. before, when
// set, runs on the live path just before the outage's first minute is
// evaluated (a window recorded while serve runs).
func judge(t *testing.T, eng *report.Engine, st *store.Store, outage time.Time, before func()) verdict {
	t.Helper()
	ctx := context.Background()
	from, to := outage.Add(-time.Hour), outage.Add(4*time.Hour)
	const step = 2 * time.Minute
	rec := &noRefresh{}
	r, err := alert.NewRunner(ctx, alert.RunnerOptions{Config: eng.Config(), Measurer: eng, Store: st, Notifier: rec})
	if err != nil {
		t.Fatal(err)
	}
	var v verdict
	for at := from; at.Before(to); at = at.Add(step) {
		if at.Equal(outage) && before != nil {
			before()
		}
		if _, err := r.Step(ctx, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range rec.sent {
		v.live = append(v.live, fmt.Sprintf("%s %s %s", a.Fingerprint, a.State, a.Severity))
	}
	policies, err := alert.Policies(eng.Config())
	if err != nil {
		t.Fatal(err)
	}
	_, episodes, err := alert.Backtest(ctx, eng, policies, from, to, step)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range episodes {
		v.backtest = append(v.backtest, e.Key+" "+e.Severity)
	}
	s, err := eng.SLO(ctx, "web-availability", to)
	if err != nil {
		t.Fatal(err)
	}
	v.budget = s.BudgetRemaining
	return v
}

// TestOutageInMaintenanceSpendsNoBudgetAndPagesNobody is the bar: an outage
// inside a maintenance window spends no budget and pages nobody, in the
// backtest and live; the same outage outside it spends budget and pages.
func TestOutageInMaintenanceSpendsNoBudgetAndPagesNobody(t *testing.T) {
	eng, st, outage := outageHistory(t, "")
	outside := judge(t, eng, st, outage, nil)
	t.Logf("outside a window: budget left %.4f, backtest %v, live %v", outside.budget, outside.backtest, outside.live)
	if outside.budget >= 0.9 || len(outside.backtest) == 0 || len(outside.live) == 0 || !hasPage(outside.live) {
		t.Fatalf("the outage outside a window did not spend budget and page: %+v", outside)
	}
	window := fmt.Sprintf("  - {service: web, start: %q, duration: 40m, note: db failover drill}\n",
		outage.Add(-10*time.Minute).Format(time.RFC3339))
	eng, st, outage = outageHistory(t, window)
	inside := judge(t, eng, st, outage, nil)
	t.Logf("inside a window: budget left %.4f, backtest %v, live %v", inside.budget, inside.backtest, inside.live)
	if inside.budget != 1 || len(inside.backtest) != 0 || len(inside.live) != 0 {
		t.Errorf("the outage inside a window spent budget or paged: %+v", inside)
	}
	// A window recorded in the store while the runner runs (maintenance
	// add with serve up) is honoured at its next step, without a restart.
	eng, st, outage = outageHistory(t, "")
	added := judge(t, eng, st, outage, func() {
		_, err := st.AddMaintenance(context.Background(), store.MaintenanceWindow{
			Service: "web", Start: outage.Add(-time.Minute), End: outage.Add(30 * time.Minute), Note: "recorded", Added: outage,
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if added.budget != 1 || len(added.backtest) != 0 || len(added.live) != 0 {
		t.Errorf("the outage inside a recorded window spent budget or paged: %+v", added)
	}
	// A window of another service changes nothing.
	eng, st, outage = outageHistory(t, "")
	other := judge(t, eng, st, outage, func() {
		if _, err := st.AddMaintenance(context.Background(), store.MaintenanceWindow{
			Service: "api", Start: outage.Add(-time.Minute), End: outage.Add(30 * time.Minute), Added: outage,
		}); err != nil {
			t.Fatal(err)
		}
	})
	if other.budget != outside.budget || len(other.live) != len(outside.live) {
		t.Errorf("another service's window changed web's alerts: %+v, want %+v", other, outside)
	}
}

// noRefresh is a recorder for a target that takes no refreshes (a
// webhook), so that each step does not work out where firing alerts'
// budget goes.
type noRefresh struct{ recorder }

func (*noRefresh) Refreshes() bool { return false }

func hasPage(sent []string) bool {
	for _, s := range sent {
		if len(s) > 5 && s[len(s)-5:] == " page" {
			return true
		}
	}
	return false
}

// TestMaintenanceHoldsAlerts: with a window open, the evaluator starts no
// alert of the service (burn, exhausted, no-data), and lets one already
// firing go on until its condition clears.
func TestMaintenanceHoldsAlerts(t *testing.T) {
	p := alert.Policy{SLO: "web-availability", Service: "web", Objective: 99.9, Exhausted: "ticket",
		Tiers: []alert.Tier{{Tier: slo.DefaultTiers()[0]}}}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	burning := func(maint bool) alert.Measure {
		return alert.Measure{SLO: p.SLO, Period: 30 * 24 * time.Hour, Objective: 0.999, Maintenance: maint,
			Windows:         map[time.Duration]slo.Counts{time.Hour: {Total: 1000, Good: 900}, 5 * time.Minute: {Total: 100, Good: 90}},
			BudgetRemaining: -1, WindowEvents: 1000}
	}
	broken := []alert.Source{{Service: "web", Log: "/var/log/a.log", Broken: "gone", Since: t0.Add(-time.Hour)}}
	e := alert.NewEvaluator([]alert.Policy{p}, nil)
	if trs := e.Step(t0, []alert.Measure{burning(true)}, broken); len(trs) != 0 {
		t.Errorf("in maintenance: %s", transitions(trs))
	}
	trs := e.Step(t0.Add(time.Minute), []alert.Measure{burning(false)}, broken)
	if len(trs) != 3 {
		t.Errorf("out of maintenance, want burn, exhausted and no-data firing:\n%s", transitions(trs))
	}
	if trs := e.Step(t0.Add(2*time.Minute), []alert.Measure{burning(true)}, broken); len(trs) != 0 {
		t.Errorf("a window opening does not resolve what fires: %s", transitions(trs))
	}
}
