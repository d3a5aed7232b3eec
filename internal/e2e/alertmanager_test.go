package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
	"github.com/headroom-slo/headroom/internal/notify"
)

// Deadlines of TestAlertmanagerDelivery. They are deadlines, not sleeps.
const (
	amDeliverTimeout = 10 * time.Second // one alert reaching a running Alertmanager
	amRecoverTimeout = 15 * time.Second // the backlog arriving after a restart
	amOutage         = time.Second      // at least this long down, retrying
)

// burnAlert is a burn-rate alert of a page tier of one SLO, as the evaluator
// sends it.
func burnAlert(slo, service string, startsAt time.Time) notify.Alert {
	return notify.Alert{
		Fingerprint:     slo + "/burn/page-1h",
		Name:            "SLOBurnRate",
		SLO:             slo,
		Service:         service,
		Severity:        "page",
		Tier:            "page-1h",
		State:           notify.Firing,
		StartsAt:        startsAt,
		Labels:          map[string]string{"team": "payments"},
		Summary:         slo + " is burning its error budget 15.2× too fast",
		Description:     "1h burn rate 15.2 and 5m burn rate 20.1, above 14.4",
		BurnRates:       map[string]float64{"1h": 15.2, "5m": 20.1},
		Thresholds:      map[string]float64{"1h": 14.4, "5m": 14.4},
		BudgetRemaining: 0.8,
		Objective:       99.9,
		Window:          "30d",
		DashboardURL:    "http://headroom.example/slo/" + slo,
	}
}

// resolved returns a's resolution, ended at endsAt.
func resolved(a notify.Alert, endsAt time.Time) notify.Alert {
	a.State = notify.Resolved
	a.EndsAt = endsAt
	a.Labels = maps.Clone(a.Labels)
	return a
}

// findAM returns the alert Alertmanager holds for an SLO, if any.
func findAM(alerts []itest.AMAlert, slo string) (itest.AMAlert, bool) {
	for _, a := range alerts {
		if a.Labels["slo"] == slo {
			return a, true
		}
	}
	return itest.AMAlert{}, false
}

// amActive is a WaitAlerts check: the SLO's alert is there and active.
func amActive(slo string) func([]itest.AMAlert) error {
	return func(alerts []itest.AMAlert) error {
		a, ok := findAM(alerts, slo)
		switch {
		case !ok:
			return fmt.Errorf("no alert for %s", slo)
		case a.Status.State != "active" || a.Resolved(time.Now()):
			return fmt.Errorf("alert for %s: state %s, endsAt %v", slo, a.Status.State, a.EndsAt)
		}
		return nil
	}
}

// amGone is a WaitAlerts check: the SLO's alert is resolved, that is left
// out of the list (as Alertmanager does once endsAt has passed) or shown
// with its endsAt not in the future.
func amGone(slo string) func([]itest.AMAlert) error {
	return func(alerts []itest.AMAlert) error {
		if a, ok := findAM(alerts, slo); ok && !a.Resolved(time.Now()) {
			return fmt.Errorf("alert for %s still active (state %s, endsAt %v)", slo, a.Status.State, a.EndsAt)
		}
		return nil
	}
}

// checkAM checks the labels, annotations and times Alertmanager shows for
// a firing alert.
func checkAM(t *testing.T, got itest.AMAlert, want notify.Alert) {
	t.Helper()
	wantLabels := map[string]string{
		"alertname": want.Name,
		"slo":       want.SLO,
		"service":   want.Service,
		"severity":  want.Severity,
		"tier":      want.Tier,
		"team":      want.Labels["team"],
	}
	if !maps.Equal(got.Labels, wantLabels) {
		t.Errorf("%s: labels %v, want %v", want.SLO, got.Labels, wantLabels)
	}
	for k, v := range map[string]string{
		"summary":     want.Summary,
		"description": want.Description,
		"dashboard":   want.DashboardURL,
		"burn_rates":  "1h=15.2 5m=20.1",
	} {
		if got.Annotations[k] != v {
			t.Errorf("%s: annotation %s = %q, want %q (all: %v)", want.SLO, k, got.Annotations[k], v, got.Annotations)
		}
	}
	if !got.StartsAt.Equal(want.StartsAt) {
		t.Errorf("%s: startsAt %v, want %v", want.SLO, got.StartsAt, want.StartsAt)
	}
	if got.Status.State != "active" {
		t.Errorf("%s: state %q, want active", want.SLO, got.Status.State)
	}
	if !got.EndsAt.After(time.Now()) {
		t.Errorf("%s: endsAt %v is not in the future", want.SLO, got.EndsAt)
	}
}

// TestAlertmanagerDelivery sends alerts through the notify Dispatcher to a
// real Alertmanager: a firing alert and its resolution arrive as such, and
// the state changes sent while Alertmanager is down are retried, not lost,
// and arrive once it is back.
func TestAlertmanagerDelivery(t *testing.T) {
	itest.Require(t, itest.AlertmanagerBin)
	am := itest.StartAlertmanager(t)

	dlog := notify.NewMemoryLog(0)
	const target = "am"
	d, err := notify.NewDispatcher([]notify.Target{{
		Name: target,
		Type: notify.TypeAlertmanager,
		URL:  am.URL(),
	}}, notify.Options{
		MinBackoff: 50 * time.Millisecond,
		MaxBackoff: 500 * time.Millisecond,
		Log:        dlog,
		Logger:     slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-ran
	})
	stats := func() notify.TargetStats {
		t.Helper()
		st := d.Stats()
		if len(st) != 1 || st[0].Name != target {
			t.Fatalf("Stats() = %+v, want one target %q", st, target)
		}
		return st[0]
	}

	// Alertmanager shows times to the millisecond.
	startsAt := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
	checkout := burnAlert("checkout-availability", "shop", startsAt)
	search := burnAlert("search-latency", "search", startsAt.Add(time.Minute))
	login := burnAlert("login-availability", "accounts", startsAt.Add(2*time.Minute))

	// A firing alert arrives active, with its labels and annotations.
	phase := time.Now()
	d.Send(checkout)
	got := am.WaitAlerts(t, amDeliverTimeout, amActive(checkout.SLO))
	a, _ := findAM(got, checkout.SLO)
	checkAM(t, a, checkout)
	t.Logf("firing alert active in Alertmanager after %v", time.Since(phase).Round(time.Millisecond))

	// Its resolution resolves it.
	phase = time.Now()
	d.Send(resolved(checkout, time.Now()))
	am.WaitReceived(t, amDeliverTimeout, func(r itest.AMReceived) error {
		if r.Resolved < 1 {
			return fmt.Errorf("no resolved alert received yet")
		}
		return nil
	})
	am.WaitAlerts(t, amDeliverTimeout, amGone(checkout.SLO))
	t.Logf("resolution arrived after %v", time.Since(phase).Round(time.Millisecond))

	// Another alert fires, and Alertmanager goes down.
	d.Send(login)
	am.WaitAlerts(t, amDeliverTimeout, amActive(login.SLO))
	// The dispatcher counts a send once Alertmanager's answer is read,
	// which may be just after Alertmanager shows the alert.
	settle := time.Now().Add(amDeliverTimeout)
	st := stats()
	for st.Sent < 3 && time.Now().Before(settle) {
		time.Sleep(10 * time.Millisecond)
		st = stats()
	}
	if st.Sent != 3 || st.Queued != 0 || st.Retries != 0 || st.Failed != 0 {
		t.Fatalf("before the outage: %+v, want 3 sent and nothing else", st)
	}
	am.Stop(t)

	// While it is down, a new alert fires and the other one resolves: the
	// dispatcher retries, gives up nothing and drops nothing.
	phase = time.Now()
	d.Send(search)
	d.Send(resolved(login, time.Now()))
	deadline := time.Now().Add(amDeliverTimeout)
	for st := stats(); time.Since(phase) < amOutage || st.Retries < 2; st = stats() {
		if time.Now().After(deadline) {
			t.Fatalf("no retries while Alertmanager is down: %+v", st)
		}
		time.Sleep(pollEvery)
	}
	down := stats()
	t.Logf("down for %v: %+v", time.Since(phase).Round(time.Millisecond), down)
	if down.Retries < 2 || down.Failed != 0 || down.Dropped != 0 || down.Queued != 2 || down.Sent != 3 || down.LastError == "" {
		t.Errorf("while down: %+v, want retries, 2 queued, none failed or dropped, an error", down)
	}

	// Back up, on the same port: both state changes arrive.
	am.Start(t)
	phase = time.Now()
	got = am.WaitAlerts(t, amRecoverTimeout, amActive(search.SLO))
	a, _ = findAM(got, search.SLO)
	checkAM(t, a, search)
	// Alertmanager keeps alerts in memory, so the restarted one never knew
	// login-availability: its resolution shows as a resolved alert received.
	am.WaitReceived(t, amRecoverTimeout, func(r itest.AMReceived) error {
		if r.Firing < 1 || r.Resolved < 1 {
			return fmt.Errorf("received %+v since the restart, want 1 firing and 1 resolved", r)
		}
		return nil
	})
	am.WaitAlerts(t, amRecoverTimeout, amGone(login.SLO))
	t.Logf("backlog delivered %v after the restart", time.Since(phase).Round(time.Millisecond))
	if r := am.Received(t); r.Firing != 1 || r.Resolved != 1 || r.Invalid != 0 {
		t.Errorf("received since the restart: %+v, want exactly 1 firing and 1 resolved", r)
	}

	deadline = time.Now().Add(amRecoverTimeout)
	for st := stats(); st.Queued != 0; st = stats() {
		if time.Now().After(deadline) {
			t.Fatalf("queue not empty after the restart: %+v", st)
		}
		time.Sleep(pollEvery)
	}
	final := stats()
	if final.Sent != 5 || final.Failed != 0 || final.Dropped != 0 || final.Retries < down.Retries ||
		final.LastError != "" || final.LastSent.IsZero() {
		t.Errorf("after the restart: %+v, want 5 sent, none failed or dropped, no last error", final)
	}

	checkDeliveryLog(t, dlog.Deliveries(), final, target, []notify.Alert{
		checkout, resolved(checkout, time.Time{}), login, search, resolved(login, time.Time{}),
	}, search.Fingerprint)
}

// checkDeliveryLog checks the delivery log: each state change in want, in
// order, ends in one successful attempt; the one sent first during the
// outage (outage) failed before it succeeded; and the failed attempts are
// the stats' retries, without an HTTP status, with an error.
func checkDeliveryLog(t *testing.T, log []notify.Delivery, st notify.TargetStats, target string, want []notify.Alert, outage string) {
	t.Helper()
	var ok []notify.Delivery
	failed := map[string]int{}
	for _, d := range log {
		if d.Target != target || d.Type != notify.TypeAlertmanager {
			t.Errorf("delivery %+v: want target %s of type alertmanager", d, target)
		}
		if d.State == notify.StateRefresh {
			t.Errorf("delivery %+v: a refresh, but Refresh was never called", d)
		}
		if d.OK {
			if d.Status != 200 || d.Error != "" {
				t.Errorf("successful delivery %+v: want status 200 and no error", d)
			}
			ok = append(ok, d)
			continue
		}
		failed[d.Fingerprint+" "+d.State]++
		if d.Status != 0 || d.Error == "" {
			t.Errorf("failed delivery %+v: want no HTTP status (connection refused) and an error", d)
		}
	}
	if len(ok) != len(want) {
		t.Fatalf("delivery log has %d successes, want %d:\n%s", len(ok), len(want), fmtDeliveries(log))
	}
	for i, w := range want {
		if ok[i].Fingerprint != w.Fingerprint || ok[i].State != w.State {
			t.Errorf("success %d: %s %s, want %s %s", i+1, ok[i].Fingerprint, ok[i].State, w.Fingerprint, w.State)
		}
	}
	nFailed := 0
	for _, n := range failed {
		nFailed += n
	}
	if int64(nFailed) != st.Retries {
		t.Errorf("delivery log has %d failed attempts, stats %d retries", nFailed, st.Retries)
	}
	n := failed[outage+" "+notify.Firing]
	if n == 0 {
		t.Errorf("no failed attempt of %s during the outage:\n%s", outage, fmtDeliveries(log))
	}
	for _, d := range ok {
		if d.Fingerprint == outage && d.State == notify.Firing && d.Attempt != n+1 {
			t.Errorf("%s delivered at attempt %d, want %d (after %d failures)", outage, d.Attempt, n+1, n)
		}
	}
	t.Logf("delivery log: %d attempts, %d failed, %d succeeded", len(log), nFailed, len(ok))
}

func fmtDeliveries(log []notify.Delivery) string {
	var s string
	for _, d := range log {
		s += fmt.Sprintf("  %s %s %-8s attempt %d ok=%v status=%d %s\n",
			d.At.Format("15:04:05.000"), d.Fingerprint, d.State, d.Attempt, d.OK, d.Status, d.Error)
	}
	return s
}
