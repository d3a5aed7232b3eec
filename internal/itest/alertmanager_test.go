package itest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// postAlerts posts alerts to Alertmanager's v2 API, as Prometheus does.
func postAlerts(t *testing.T, url string, alerts ...map[string]any) {
	t.Helper()
	body, err := json.Marshal(alerts)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /api/v2/alerts: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s: %s", resp.Status, b)
	}
}

func TestAlertmanager(t *testing.T) {
	itest.Require(t, itest.AlertmanagerBin)
	am := itest.StartAlertmanager(t)

	startsAt := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	postAlerts(t, am.URL(), map[string]any{
		"labels":      map[string]string{"alertname": "ItestAlert", "slo": "api-availability"},
		"annotations": map[string]string{"summary": "one alert"},
		"startsAt":    startsAt,
	})
	got := am.WaitAlerts(t, 5*time.Second, func(alerts []itest.AMAlert) error {
		if len(alerts) != 1 {
			return fmt.Errorf("%d alerts, want 1", len(alerts))
		}
		return nil
	})
	a := got[0]
	if a.Labels["alertname"] != "ItestAlert" || a.Labels["slo"] != "api-availability" || len(a.Labels) != 2 {
		t.Errorf("labels = %v", a.Labels)
	}
	if a.Annotations["summary"] != "one alert" {
		t.Errorf("annotations = %v", a.Annotations)
	}
	if a.Status.State != "active" {
		t.Errorf("state = %q, want active", a.Status.State)
	}
	if !a.StartsAt.Equal(startsAt) {
		t.Errorf("startsAt = %v, want %v", a.StartsAt, startsAt)
	}
	// Without endsAt, Alertmanager resolves it after resolve_timeout (5m).
	if now := time.Now(); a.Resolved(now) || a.EndsAt.Before(now.Add(4*time.Minute)) {
		t.Errorf("endsAt = %v, want about now+5m", a.EndsAt)
	}
	if r := am.Received(t); r.Firing != 1 || r.Resolved != 0 || r.Invalid != 0 {
		t.Errorf("received %+v, want 1 firing", r)
	}

	// Its resolution: Alertmanager leaves resolved alerts out of the list
	// and counts them as received.
	postAlerts(t, am.URL(), map[string]any{
		"labels":   map[string]string{"alertname": "ItestAlert", "slo": "api-availability"},
		"startsAt": startsAt,
		"endsAt":   time.Now().UTC(),
	})
	am.WaitAlerts(t, 5*time.Second, func(alerts []itest.AMAlert) error {
		for _, a := range alerts {
			if !a.Resolved(time.Now()) {
				return fmt.Errorf("alert %v still active", a.Labels)
			}
		}
		return nil
	})
	if r := am.Received(t); r.Firing != 1 || r.Resolved != 1 {
		t.Errorf("received %+v, want 1 firing and 1 resolved", r)
	}

	// Stopped, it refuses connections; started again, on the same port, it
	// answers and has lost the alerts it held in memory.
	am.Stop(t)
	if am.Running() {
		t.Fatal("Running after Stop")
	}
	if resp, err := http.Get(am.URL() + "/-/ready"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET /-/ready answered %s while stopped", resp.Status)
	}
	am.Start(t)
	if !am.Running() {
		t.Fatal("not Running after Start")
	}
	if r := am.Received(t); r.Firing != 0 || r.Resolved != 0 {
		t.Errorf("received after restart %+v, want zeros", r)
	}
	postAlerts(t, am.URL(), map[string]any{
		"labels": map[string]string{"alertname": "ItestAfterRestart"},
	})
	am.WaitAlerts(t, 5*time.Second, func(alerts []itest.AMAlert) error {
		for _, a := range alerts {
			if a.Labels["alertname"] == "ItestAfterRestart" && a.Status.State == "active" {
				return nil
			}
		}
		return fmt.Errorf("no active ItestAfterRestart")
	})
}
