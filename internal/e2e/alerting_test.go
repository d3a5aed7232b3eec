package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
	"github.com/headroom-slo/headroom/internal/notify"
)

// TestServeSendsSignedAlert runs `serve` over a live log with an alerting
// config and a webhook target on 127.0.0.1: a burst of 5xx must reach the
// webhook as one signed firing alert of the page tier, saying where (route
// and status), within seconds; the alert shows in /api/v1/alerts and on the
// SLO in /api/v1/slos.
func TestServeSendsSignedAlert(t *testing.T) {
	const secret = "e2e-webhook-secret"
	t.Setenv("HEADROOM_E2E_WEBHOOK_SECRET", secret)
	type received struct {
		alert map[string]any
		ok    bool
	}
	got := make(chan received, 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get("X-Headroom-Timestamp"), 10, 64)
		var p struct {
			Alert map[string]any `json:"alert"`
		}
		json.Unmarshal(body, &p)
		got <- received{alert: p.Alert, ok: notify.Verify(secret, ts, body, r.Header.Get("X-Headroom-Signature"))}
	})}
	go hook.Serve(ln)
	t.Cleanup(func() { hook.Close() })

	dir := t.TempDir()
	live := itest.NewLiveLog(t, dir)
	// Over a 1-day window the page-1h tier fires above a burn rate of 0.48,
	// so a burst of errors pages on the next evaluation.
	writeFile(t, live.Config, fmt.Sprintf(`
storage: {dir: %q}
server: {external_url: "https://headroom.example.com"}
alerting: {interval: 1s}
notify:
  - {name: hook, type: webhook, url: "http://%s/hook", secret_env: HEADROOM_E2E_WEBHOOK_SECRET}
services:
  - name: web
    logs: [{path: %q, format: combined}]
slos:
  - {name: web-availability, service: web, objective: 99, window: 1d, runbook: "https://runbooks.example.com/web", sli: {type: availability}}
`, filepath.Join(dir, "data"), ln.Addr(), filepath.Join(dir, "access.log")))
	live.Write(100, 200)
	var logs bytes.Buffer
	p := startServe(t, live.Config, &logs)
	p.health(t, 10*time.Second)
	written := time.Now()
	live.Write(60, 503)

	var page map[string]any
	deadline := time.After(20 * time.Second)
	for page == nil {
		select {
		case r := <-got:
			if !r.ok {
				t.Fatalf("the webhook's signature does not verify: %v", r.alert)
			}
			if r.alert["tier"] == "page-1h" && r.alert["state"] == "firing" {
				page = r.alert
			}
		case <-deadline:
			t.Fatalf("no page at the webhook 20 s after the errors\n%s", logs.String())
		}
	}
	t.Logf("page at the webhook %v after the errors were logged", time.Since(written).Round(time.Millisecond))
	routes, _ := page["top_routes"].([]any)
	statuses, _ := page["top_statuses"].([]any)
	if len(routes) == 0 || routes[0].(map[string]any)["key"] != "/api/items" || len(statuses) == 0 || statuses[0].(map[string]any)["key"] != "503" {
		t.Errorf("the page does not say where: routes %v, statuses %v", routes, statuses)
	}
	if page["dashboard_url"] != "https://headroom.example.com/slo/web-availability" || page["runbook_url"] != "https://runbooks.example.com/web" {
		t.Errorf("links: %v %v", page["dashboard_url"], page["runbook_url"])
	}
	var alerts struct {
		States []struct{ Key, Phase string }
		Events []struct{ Key, To string }
	}
	getJSON(t, "http://"+p.addr+"/api/v1/alerts", &alerts)
	firing := false
	for _, s := range alerts.States {
		firing = firing || s.Key == "burn/web-availability/page-1h" && s.Phase == "firing"
	}
	if !firing || len(alerts.Events) == 0 {
		t.Errorf("/api/v1/alerts: %+v", alerts)
	}
	var slos struct {
		SLOs []struct {
			Name  string
			Alert map[string]any
		}
	}
	getJSON(t, "http://"+p.addr+"/api/v1/slos", &slos)
	if len(slos.SLOs) != 1 || slos.SLOs[0].Alert["state"] != "firing" || slos.SLOs[0].Alert["severity"] != "page" {
		t.Errorf("/api/v1/slos alert: %+v", slos.SLOs)
	}
	// A restart does not page again.
	if err := p.stop(t); err != nil {
		t.Logf("serve: %v", err)
	}
	p = startServe(t, live.Config, &logs)
	p.health(t, 10*time.Second)
	time.Sleep(3 * time.Second) // three evaluations
	for len(got) > 0 {
		if r := <-got; r.alert["state"] == "firing" && r.alert["tier"] == "page-1h" {
			t.Errorf("paged again after a restart: %v", r.alert)
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
