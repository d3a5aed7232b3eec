package alert_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/notify"
)

// TestCapacityAlert: a service's capacity ticket fires when the 80%
// crossing comes within alert_within, and resolves when growth slows and
// the crossing moves out; the runner asks for the forecast once an hour of
// the instants it evaluates, and a failed forecast keeps the state.
func TestCapacityAlert(t *testing.T) {
	eng, st, _ := storedHistory(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	crosses := start.AddDate(0, 0, 70) // 10 weeks after the start
	var asked []time.Time
	fail := false
	source := func(_ context.Context, at time.Time) ([]alert.CapacityMeasure, error) {
		asked = append(asked, at)
		if fail {
			return nil, context.DeadlineExceeded
		}
		return []alert.CapacityMeasure{{Service: "web", Within: 8 * 7 * 24 * time.Hour, Level: 80, RPS: 800,
			Crosses: crosses, PeakRPS: 512, WeeklyGrowth: 0.1}}, nil
	}
	rec := &recorder{}
	r, err := alert.NewRunner(ctx, alert.RunnerOptions{Config: eng.Config(), Measurer: eng, Store: st, Notifier: rec,
		ExternalURL: "https://headroom.example.com", Capacity: source})
	if err != nil {
		t.Fatal(err)
	}
	step := func(at time.Time) []alert.Transition {
		t.Helper()
		trs, err := r.Step(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		var out []alert.Transition
		for _, tr := range trs {
			if tr.State.Kind == alert.KindCapacity {
				out = append(out, tr)
			}
		}
		return out
	}
	// 10 weeks off: quiet.
	if trs := step(start); len(trs) != 0 {
		t.Fatalf("at the start: %v, want nothing (the crossing is 10 weeks off)", trs)
	}
	// Every minute of the first hour: asked once.
	for m := 1; m < 60; m++ {
		step(start.Add(time.Duration(m) * time.Minute))
	}
	if len(asked) != 1 {
		t.Fatalf("asked %d times in the first hour, want once", len(asked))
	}
	// Two weeks on the crossing is 8 weeks off: the ticket fires.
	at := start.AddDate(0, 0, 14)
	trs := step(at)
	if len(trs) != 1 || !trs[0].Fired() || trs[0].State.Severity != "ticket" || trs[0].State.Key != "capacity/web" {
		t.Fatalf("8 weeks off: %+v, want capacity/web firing as a ticket", trs)
	}
	var sent *notify.Alert
	for i, a := range rec.sent {
		if a.Name == "ServiceCapacity" {
			sent = &rec.sent[i]
		}
	}
	if sent == nil || sent.Service != "web" || sent.DashboardURL != "https://headroom.example.com/service/web#capacity" ||
		!strings.Contains(sent.Summary, "web's daily peak (512 rps, +10.0% a week) reaches 80% of its tested capacity (640 rps) around 2027-01-19, within 8w") {
		t.Fatalf("notification %+v", sent)
	}
	// A forecast that fails keeps the alert firing.
	fail = true
	if trs := step(at.Add(time.Hour)); len(trs) != 0 {
		t.Fatalf("failed forecast: %v, want no change", trs)
	}
	// Growth slowed: the crossing is beyond two years; resolved.
	fail, crosses = false, time.Time{}
	trs = step(at.Add(2 * time.Hour))
	if len(trs) != 1 || !trs[0].Resolved() {
		t.Fatalf("no crossing: %+v, want resolved", trs)
	}
	if s := alert.Summary(trs[0].State); s != "web: resolved, its peak no longer reaches 80% of its capacity within 8w" {
		t.Errorf("resolved summary %q", s)
	}
}

// TestCapacityEvaluator: the condition, at its edge, and the severity.
func TestCapacityEvaluator(t *testing.T) {
	e := alert.NewEvaluator(nil, nil)
	now := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	within := 4 * 7 * 24 * time.Hour
	m := alert.CapacityMeasure{Service: "api", Severity: "page", Within: within, Level: 80, RPS: 100, Crosses: now.Add(within + time.Hour)}
	if trs := e.StepCapacity(now, []alert.CapacityMeasure{m}); len(trs) != 0 {
		t.Fatalf("an hour beyond: %v", trs)
	}
	trs := e.StepCapacity(now.Add(time.Hour), []alert.CapacityMeasure{m})
	if len(trs) != 1 || !trs[0].Fired() || trs[0].State.Severity != "page" {
		t.Fatalf("at the edge: %+v, want a page firing", trs)
	}
	// A service not measured keeps its state.
	if trs := e.StepCapacity(now.Add(2*time.Hour), nil); len(trs) != 0 || e.Firing()[0].Key != "capacity/api" {
		t.Fatalf("unmeasured: %v, firing %v", trs, e.Firing())
	}
}
