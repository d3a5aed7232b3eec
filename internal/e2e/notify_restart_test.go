package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// Deadlines of TestServeRestartDeliversQueued. They are deadlines, not
// sleeps.
const (
	alertTimeout   = 20 * time.Second // alerts firing or resolving after the log says so
	deliverTimeout = 20 * time.Second // the backlog delivered after the last restart
	settle         = 3 * time.Second  // three evaluations: nothing more may arrive
)

// receiver is a webhook or Slack endpoint on 127.0.0.1: while down it
// answers 503; up, it accepts and counts each delivery by key (what the
// alert is and its state), in order.
type receiver struct {
	srv  *httptest.Server
	down atomic.Bool

	mu       sync.Mutex
	accepted []string // keys, in order
	refused  int
}

// newReceiver starts a receiver that is down; key reads a request body.
func newReceiver(t *testing.T, key func(body []byte) (string, error)) *receiver {
	r := &receiver{}
	r.down.Store(true)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		k, err := key(body)
		if err != nil {
			t.Errorf("%s: %v: %s", req.URL.Path, err, body)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down.Load() {
			r.refused++
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		r.accepted = append(r.accepted, k)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() (accepted []string, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.accepted), r.refused
}

// once checks that the receiver accepted each of want exactly once, and
// nothing else; with pairs, want is firing and resolution pairs, and each
// firing must have come first.
func (r *receiver) once(name string, want []string, pairs bool) error {
	got, _ := r.got()
	n := map[string]int{}
	for _, k := range got {
		n[k]++
	}
	for _, w := range want {
		if n[w] != 1 {
			return fmt.Errorf("%s got %q %d times, want once (%d deliveries)", name, w, n[w], len(got))
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("%s accepted %d deliveries, want %d", name, len(got), len(want))
	}
	for i := 0; pairs && i < len(want); i += 2 {
		if slices.Index(got, want[i]) > slices.Index(got, want[i+1]) {
			return fmt.Errorf("%s got %q before %q: %q", name, want[i+1], want[i], got)
		}
	}
	return nil
}

// webhookKey is a webhook delivery's fingerprint and state.
func webhookKey(body []byte) (string, error) {
	var p struct {
		Alert struct{ Fingerprint, State string } `json:"alert"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return "", err
	}
	return p.Alert.Fingerprint + " " + p.Alert.State, nil
}

// slackKey is a Slack message's SLO and state, from its fallback text
// ("FIRING page: checkout — …").
func slackKey(body []byte) (string, error) {
	var m struct{ Text string }
	if err := json.Unmarshal(body, &m); err != nil {
		return "", err
	}
	f := strings.Fields(m.Text)
	if len(f) < 3 || (f[0] != "FIRING" && f[0] != "RESOLVED") {
		return "", fmt.Errorf("text %q", m.Text)
	}
	return f[2] + " " + strings.ToLower(f[0]), nil
}

// appendLines appends n combined-format requests for path answered with
// status, logged now.
func appendLines(t *testing.T, path, route string, n, status int) {
	t.Helper()
	var b strings.Builder
	ts := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
	for range n {
		fmt.Fprintf(&b, "127.0.0.1 - - [%s] \"GET %s HTTP/1.1\" %d 12 \"-\" \"curl/8\"\n", ts, route, status)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

// alertsView is the part of /api/v1/alerts the test reads.
type alertsView struct {
	States []struct {
		Key, Phase string
	}
	Targets []struct {
		Name    string
		Queued  int
		Sent    int
		Retries int
		Dropped int
	}
}

func (v alertsView) firing() int {
	n := 0
	for _, s := range v.States {
		if s.Phase == "firing" {
			n++
		}
	}
	return n
}

func (v alertsView) queued() map[string]int {
	out := map[string]int{}
	for _, t := range v.Targets {
		out[t.Name] = t.Queued
	}
	return out
}

// waitAlerts polls serve's /api/v1/alerts until done accepts it.
func waitAlerts(t *testing.T, p *serveProc, timeout time.Duration, logs fmt.Stringer, done func(alertsView) error) alertsView {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var v alertsView
		getJSON(t, "http://"+p.addr+"/api/v1/alerts", &v)
		err := done(v)
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/v1/alerts after %v: %v\nserve's log:\n%s", timeout, err, logs)
		}
		time.Sleep(pollEvery)
	}
}

// TestServeRestartDeliversQueued: pages queued for targets that are down
// survive serve's restarts. Three SLOs page while a webhook, a Slack
// webhook and a real Alertmanager are all down; serve is killed with
// SIGKILL; a new serve sees the three pages resolve (still down) and is
// stopped with SIGTERM; once the targets are back, the next serve delivers
// every firing and every resolution exactly once to each of them, each
// alert's firing before its resolution.
func TestServeRestartDeliversQueued(t *testing.T) {
	itest.Require(t, itest.AlertmanagerBin)
	am := itest.StartAlertmanager(t)
	am.Stop(t)
	hook := newReceiver(t, webhookKey)
	slack := newReceiver(t, slackKey)

	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	cfg := filepath.Join(dir, "headroom.yaml")
	// Over a 1-day window at 99%, page-1h fires above a burn rate of 0.48:
	// 30 errors in 130 requests page; 10,000 more good ones resolve it.
	// Only that tier, so every alert fires and resolves once.
	slos := ""
	routes := []string{"/a", "/b", "/c"}
	for _, r := range routes {
		slos += fmt.Sprintf(`  - name: slo-%s
    service: web
    objective: 99
    window: 1d
    filter: {route: "^%s"}
    sli: {type: availability}
    alerting: {exhausted: none, tiers: [{name: page-6h, disabled: true}, {name: ticket-1d, disabled: true}, {name: ticket-3d, disabled: true}]}
`, r[1:], r)
	}
	writeFile(t, cfg, fmt.Sprintf(`storage: {dir: %q}
alerting: {interval: 1s, no_data: {severity: none}}
notify:
  - {name: hook, type: webhook, url: "%s/hook"}
  - {name: slack, type: slack, url: "%s/services/T0/B0/XSECRET"}
  - {name: am, type: alertmanager, url: %q}
services:
  - name: web
    logs: [{path: %q, format: combined}]
slos:
%s`, filepath.Join(dir, "data"), hook.srv.URL, slack.srv.URL, am.URL(), logPath, slos))
	for _, r := range routes {
		appendLines(t, logPath, r, 100, 200)
	}
	var logs itest.SyncBuffer

	// 1. The pages fire while every target is down; serve is killed.
	p := startServe(t, cfg, &logs)
	p.health(t, 10*time.Second)
	for _, r := range routes {
		appendLines(t, logPath, r, 30, 503)
	}
	waitAlerts(t, p, alertTimeout, &logs, func(v alertsView) error {
		if v.firing() != 3 {
			return fmt.Errorf("%d alerts firing, want 3", v.firing())
		}
		for _, tg := range v.Targets {
			if tg.Retries == 0 {
				return fmt.Errorf("target %s not tried yet", tg.Name)
			}
		}
		return nil
	})
	p.kill()
	t.Log("killed serve (SIGKILL) with 3 pages undelivered")

	// 2. A new serve: the pages resolve, still undelivered; SIGTERM.
	p = startServe(t, cfg, &logs)
	p.health(t, 10*time.Second)
	v := waitAlerts(t, p, alertTimeout, &logs, func(v alertsView) error {
		if v.firing() != 3 {
			return fmt.Errorf("%d alerts firing after the restart, want 3", v.firing())
		}
		return nil
	})
	t.Logf("after the kill: queued %v", v.queued())
	for _, r := range routes {
		appendLines(t, logPath, r, 10_000, 200)
	}
	v = waitAlerts(t, p, alertTimeout, &logs, func(v alertsView) error {
		if v.firing() != 0 {
			return fmt.Errorf("%d alerts firing, want them resolved", v.firing())
		}
		return nil
	})
	t.Logf("resolved: queued %v", v.queued())
	if err := p.stop(t); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, logs.String())
	}
	t.Log("stopped serve (SIGTERM) with 3 pages and 3 resolutions undelivered")

	// 3. The targets are back; the next serve delivers everything, once.
	hook.down.Store(false)
	slack.down.Store(false)
	am.Start(t)
	p = startServe(t, cfg, &logs)
	p.health(t, 10*time.Second)
	start := time.Now()
	// Each alert's firing and resolution, once each, in that order: the
	// webhook's by fingerprint, Slack's by SLO.
	var hookWant, slackWant []string
	for _, r := range routes {
		slo := "slo-" + r[1:]
		hookWant = append(hookWant, "burn/"+slo+"/page-1h firing", "burn/"+slo+"/page-1h resolved")
		slackWant = append(slackWant, slo+" firing", slo+" resolved")
	}
	deadline := time.Now().Add(deliverTimeout)
	for {
		errs := []error{hook.once("webhook", hookWant, true), slack.once("slack", slackWant, true)}
		r := am.Received(t)
		if r.Firing != 3 || r.Resolved != 3 {
			errs = append(errs, fmt.Errorf("alertmanager received %+v, want 3 firing and 3 resolved", r))
		}
		if errs[0] == nil && errs[1] == nil && len(errs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			for _, err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			t.Fatalf("not delivered %v after the targets came back\nserve's log:\n%s", deliverTimeout, logs.String())
		}
		time.Sleep(pollEvery)
	}
	_, hookRefused := hook.got()
	_, slackRefused := slack.got()
	t.Logf("everything delivered %v after the last restart (refused while down: webhook %d, slack %d)",
		time.Since(start).Round(time.Millisecond), hookRefused, slackRefused)
	// Nothing more comes: no page is delivered twice.
	time.Sleep(settle)
	for _, err := range []error{hook.once("webhook", hookWant, true), slack.once("slack", slackWant, true)} {
		if err != nil {
			t.Error(err)
		}
	}
	if r := am.Received(t); r.Firing != 3 || r.Resolved != 3 || r.Invalid != 0 {
		t.Errorf("alertmanager received %+v, want exactly 3 firing and 3 resolved", r)
	}
	for _, r := range routes {
		am.WaitAlerts(t, amDeliverTimeout, amGone("slo-"+r[1:]))
	}
	v = waitAlerts(t, p, alertTimeout, &logs, func(v alertsView) error {
		for name, n := range v.queued() {
			if n != 0 {
				return fmt.Errorf("%s has %d queued", name, n)
			}
		}
		return nil
	})
	for _, tg := range v.Targets {
		if tg.Dropped != 0 {
			t.Errorf("target %s dropped %d", tg.Name, tg.Dropped)
		}
	}
	if err := p.stop(t); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
}

// TestServeRestartDelivers1000: a thousand pages queued for a webhook that
// is down (a thousand SLOs page at once) survive a SIGKILL and a SIGTERM of
// serve, and are all delivered, once each, when it is back.
func TestServeRestartDelivers1000(t *testing.T) {
	itest.Require(t)
	const n = 1000
	hook := newReceiver(t, webhookKey)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	cfg := filepath.Join(dir, "headroom.yaml")
	var slos strings.Builder
	var want []string
	for i := range n {
		name := fmt.Sprintf("slo-%04d", i)
		fmt.Fprintf(&slos, "  - {name: %s, service: web, objective: 99, window: 1d, sli: {type: availability}, alerting: {exhausted: none, tiers: [{name: page-6h, disabled: true}, {name: ticket-1d, disabled: true}, {name: ticket-3d, disabled: true}]}}\n", name)
		want = append(want, "burn/"+name+"/page-1h firing")
	}
	writeFile(t, cfg, fmt.Sprintf(`storage: {dir: %q}
alerting: {interval: 1s, no_data: {severity: none}}
notify:
  - {name: hook, type: webhook, url: "%s/hook"}
services:
  - name: web
    logs: [{path: %q, format: combined}]
slos:
%s`, filepath.Join(dir, "data"), hook.srv.URL, logPath, slos.String()))
	appendLines(t, logPath, "/a", 100, 200)
	var logs itest.SyncBuffer
	p := startServe(t, cfg, &logs)
	p.health(t, 10*time.Second)
	appendLines(t, logPath, "/a", 30, 503)
	queued := func(want int) func(alertsView) error {
		return func(v alertsView) error {
			if v.firing() != n || len(v.Targets) != 1 || v.Targets[0].Queued != want {
				return fmt.Errorf("%d alerts firing, queued %v; want %d firing, %d queued", v.firing(), v.queued(), n, want)
			}
			return nil
		}
	}
	waitAlerts(t, p, alertTimeout, &logs, queued(n))
	p.kill()
	p = startServe(t, cfg, &logs)
	p.health(t, 10*time.Second)
	waitAlerts(t, p, alertTimeout, &logs, queued(n))
	if err := p.stop(t); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}

	hook.down.Store(false)
	p = startServe(t, cfg, &logs)
	p.health(t, 10*time.Second)
	start := time.Now()
	v := waitAlerts(t, p, deliverTimeout, &logs, queued(0))
	t.Logf("%d pages delivered %v after the restart", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(settle)
	if err := hook.once("webhook", want, false); err != nil {
		t.Error(err)
	}
	if v.Targets[0].Dropped != 0 {
		t.Errorf("%d dropped", v.Targets[0].Dropped)
	}
	if err := p.stop(t); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
}
