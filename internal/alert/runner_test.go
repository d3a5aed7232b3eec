package alert_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/notify"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

// recorder is a Notifier that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	sent    []notify.Alert
	refresh [][]notify.Alert
}

func (r *recorder) Route(a []notify.Alert) (*notify.Batch, error) {
	r.mu.Lock()
	r.sent = append(r.sent, a...)
	r.mu.Unlock()
	return &notify.Batch{}, nil
}
func (r *recorder) Queued(*notify.Batch) {}
func (r *recorder) Refreshes() bool      { return true }
func (r *recorder) Refresh(a []notify.Alert) {
	r.mu.Lock()
	r.refresh = append(r.refresh, a)
	r.mu.Unlock()
}

// storedHistory stores 3 days of steady traffic with a 25-minute outage of
// /api/deals (503) and a slow 2× burn on another route, and returns the
// engine over it.
func storedHistory(t *testing.T) (*report.Engine, *store.Store, time.Time) {
	t.Helper()
	cfg := headroomtest.Config(t, `
storage: {retention: {minutes: forever}}
services:
  - {name: web, logs: [{path: /dev/null}]}
slos:
  - {name: web-availability, service: web, objective: 99.9, window: 30d, runbook: https://runbooks.example.com/web, sli: {type: availability}}
`)
	st := headroomtest.Store(t, cfg.Storage.Dir)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	outage := start.Add(50 * time.Hour)
	le := cells.NewLayout().Bucket(20_000)
	headroomtest.Fill(t, st, "web", start, 3*24*60, func(at time.Time, add headroomtest.AddFunc) {
		req := func(route string, status int, n uint64) {
			add(store.DimValue{Host: "a", Route: route, Method: "GET", Status: status}, le, n)
		}
		req("/", 200, 600)
		req("/api/deals", 200, 400)
		if !at.Before(outage) && at.Before(outage.Add(25*time.Minute)) {
			req("/api/deals", 503, 400)
			req("/", 502, 30)
		}
	})
	return headroomtest.Engine(t, cfg, st), st, outage
}

func transitions(trs []alert.Transition) string {
	var b strings.Builder
	for _, t := range trs {
		fmt.Fprintf(&b, "%s %s %s→%s\n", t.At.Format(time.RFC3339), t.State.Key, t.From, t.To)
	}
	return b.String()
}

// TestBacktestMatchesLive: the runner `serve` uses, stepped over stored
// history at the same instants as a backtest (and restarted from its stored
// states half-way), fires and resolves exactly the same alerts.
func TestBacktestMatchesLive(t *testing.T) {
	eng, st, outage := storedHistory(t)
	ctx := context.Background()
	from, to := outage.Add(-2*time.Hour), outage.Add(6*time.Hour)
	const step = time.Minute
	policies, err := alert.Policies(eng.Config())
	if err != nil {
		t.Fatal(err)
	}
	back, episodes, err := alert.Backtest(ctx, eng, policies, from, to, step)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) == 0 {
		t.Fatal("the backtest fired nothing over an outage")
	}
	rec := &recorder{}
	opts := alert.RunnerOptions{Config: eng.Config(), Measurer: eng, Store: st, Notifier: rec, ExternalURL: "https://headroom.example.com"}
	r, err := alert.NewRunner(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var live []alert.Transition
	for at := from; at.Before(to); at = at.Add(step) {
		if at.Equal(outage.Add(10 * time.Minute)) {
			// A restart mid-incident, from the stored states.
			if r, err = alert.NewRunner(ctx, opts); err != nil {
				t.Fatal(err)
			}
		}
		trs, err := r.Step(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, trs...)
	}
	if got, want := transitions(live), transitions(back); got != want {
		t.Fatalf("live evaluation:\n%s\nbacktest:\n%s", got, want)
	}
	// The page: sent once (not again after the restart), resolved once,
	// saying where the budget went.
	var fired, resolved int
	for _, a := range rec.sent {
		if a.Tier != "page-1h" {
			continue
		}
		switch a.State {
		case notify.Firing:
			fired++
			if len(a.TopRoutes) == 0 || a.TopRoutes[0].Key != "/api/deals" || len(a.TopStatuses) == 0 || a.TopStatuses[0].Key != "503" {
				t.Errorf("the page does not say where: routes %v, statuses %v", a.TopRoutes, a.TopStatuses)
			}
			if a.DashboardURL != "https://headroom.example.com/slo/web-availability" || a.RunbookURL != "https://runbooks.example.com/web" {
				t.Errorf("links: %q %q", a.DashboardURL, a.RunbookURL)
			}
		case notify.Resolved:
			resolved++
		}
	}
	if fired != 1 || resolved != 1 {
		t.Errorf("page-1h sent firing %d and resolved %d times, want once each: %+v", fired, resolved, rec.sent)
	}
	for _, e := range episodes {
		t.Logf("%s %s fired %v after the outage began (detection %v), resolved %v after it ended (reset %v)",
			e.Key, e.Severity, e.Fired.Sub(outage), e.Detection, e.Resolved.Sub(outage.Add(25*time.Minute)), e.Reset)
	}
	// History is stored with the states.
	evs, err := st.AlertEvents(ctx, from, to.Add(time.Minute), 0)
	if err != nil || len(evs) != len(live) {
		t.Errorf("%d stored events, %d transitions (%v)", len(evs), len(live), err)
	}
}

// TestRunnerQueuesWithStates: the notifications of a step's firings and
// resolutions are in the store's queue when Step returns, committed with
// the states and events that caused them, before anything is delivered
// (the dispatcher never runs here): a process killed right after a step
// loses no page.
func TestRunnerQueuesWithStates(t *testing.T) {
	eng, st, outage := storedHistory(t)
	ctx := context.Background()
	d, err := notify.NewDispatcher([]notify.Target{
		{Name: "pages", Type: notify.TypeWebhook, URL: "http://127.0.0.1:1/hook", Severities: []string{"page"}},
		{Name: "all", Type: notify.TypeSlack, URL: "http://127.0.0.1:1/slack"},
	}, notify.Options{Queue: st})
	if err != nil {
		t.Fatal(err)
	}
	r, err := alert.NewRunner(ctx, alert.RunnerOptions{Config: eng.Config(), Measurer: eng, Store: st, Notifier: d})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for at := outage.Add(-time.Minute); at.Before(outage.Add(3 * time.Hour)); at = at.Add(time.Minute) {
		trs, err := r.Step(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range trs {
			if tr.Fired() || tr.Resolved() {
				want["all"]++
				if tr.State.Severity == "page" {
					want["pages"]++
				}
			}
		}
		got, _, err := st.QueuedNotes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after the step at %v: queued %v, want %v", at, got, want)
		}
	}
	if want["pages"] < 2 || want["all"] <= want["pages"] {
		t.Errorf("queued %v: want a page firing and resolving, and tickets", want)
	}
	evs, err := st.AlertEvents(ctx, outage.Add(-time.Hour), outage.Add(4*time.Hour), 0)
	if err != nil || len(evs) < want["all"] {
		t.Errorf("%d events stored (%v), want at least %d", len(evs), err, want["all"])
	}
}
