package itest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// AlertmanagerBin is the Prometheus Alertmanager executable the tests start:
// Debian's prometheus-alertmanager package installs it as
// /usr/bin/prometheus-alertmanager.
const AlertmanagerBin = "prometheus-alertmanager"

// Deadlines for Alertmanager. They are deadlines, not sleeps: every wait
// polls and returns as soon as its condition holds.
const (
	amStartTimeout = 20 * time.Second
	amStopTimeout  = 10 * time.Second
	amPollInterval = 20 * time.Millisecond
)

// amConfig routes every alert to one receiver with no integrations, so
// alerts are only held and shown by the API. group_wait 0s makes an alert
// visible to its group at once; resolve_timeout 5m is far longer than any
// test, so an alert without endsAt stays active until a resolution arrives.
const amConfig = `# Written by itest.StartAlertmanager.
global:
  resolve_timeout: 5m
route:
  receiver: hold
  group_by: ['alertname']
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: hold
`

// Alertmanager is a Prometheus Alertmanager listening on 127.0.0.1, started
// by StartAlertmanager. Stop takes it down and Start brings it back on the
// same port, configuration and storage directory. Alertmanager keeps alerts
// in memory only (its storage holds silences and the notification log), so
// a restarted one shows only the alerts received since the restart.
type Alertmanager struct {
	Dir        string // alertmanager.yml, data/ and alertmanager.log
	ConfigFile string // Dir/alertmanager.yml
	Storage    string // Dir/data, the --storage.path
	LogFile    string // Dir/alertmanager.log: the output of every run, appended
	Port       int

	bin    string
	url    string
	client *http.Client

	mu   sync.Mutex
	proc *amProc // the running process; nil while stopped
	runs int
}

// amProc is one run of the Alertmanager process.
type amProc struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result, set before done is closed
}

func (p *amProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// StartAlertmanager writes a configuration into a new t.TempDir(), starts
// Alertmanager on a free port of 127.0.0.1 with clustering off, waits until
// GET /-/ready answers 200, and stops it in t.Cleanup, showing its log when
// the test failed. Call Require(t, AlertmanagerBin) first.
func StartAlertmanager(t testing.TB) *Alertmanager {
	t.Helper()
	bin, err := LookPath(AlertmanagerBin)
	if err != nil {
		t.Fatalf("alertmanager: %v (call itest.Require(t, itest.AlertmanagerBin) first)", err)
	}
	dir := t.TempDir()
	am := &Alertmanager{
		Dir:        dir,
		ConfigFile: filepath.Join(dir, "alertmanager.yml"),
		Storage:    filepath.Join(dir, "data"),
		LogFile:    filepath.Join(dir, "alertmanager.log"),
		Port:       FreePort(t),
		bin:        bin,
		client:     &http.Client{Timeout: 2 * time.Second},
	}
	am.url = "http://127.0.0.1:" + strconv.Itoa(am.Port)
	if err := os.Mkdir(am.Storage, 0o755); err != nil {
		t.Fatalf("alertmanager: %v", err)
	}
	if err := os.WriteFile(am.ConfigFile, []byte(amConfig), 0o644); err != nil {
		t.Fatalf("alertmanager: %v", err)
	}
	t.Cleanup(func() {
		am.Stop(t)
		if t.Failed() {
			am.logDiagnostics(t)
		}
	})
	am.Start(t)
	return am
}

// URL returns http://127.0.0.1:Port, with no trailing slash.
func (am *Alertmanager) URL() string { return am.url }

// Running reports whether the Alertmanager process is running.
func (am *Alertmanager) Running() bool {
	am.mu.Lock()
	defer am.mu.Unlock()
	return am.proc != nil && !am.proc.exited()
}

// Start starts Alertmanager (again) on the same port, configuration and
// storage directory, and waits until it is ready. StartAlertmanager calls it;
// a test calls it after Stop. Starting a running Alertmanager fails the test.
func (am *Alertmanager) Start(t testing.TB) {
	t.Helper()
	am.mu.Lock()
	defer am.mu.Unlock()
	if am.proc != nil && !am.proc.exited() {
		t.Fatalf("alertmanager: Start while running")
	}
	am.runs++
	logf, err := os.OpenFile(am.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("alertmanager: %v", err)
	}
	defer logf.Close() // the child keeps its own descriptor
	fmt.Fprintf(logf, "--- itest: run %d, %s\n", am.runs, time.Now().Format(time.RFC3339Nano))

	cmd := exec.Command(am.bin,
		"--config.file="+am.ConfigFile,
		"--storage.path="+am.Storage,
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(am.Port),
		"--cluster.listen-address=",
		"--log.level=warn",
	)
	cmd.Dir = am.Dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("alertmanager: start: %v", err)
	}
	p := &amProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	am.proc = p
	if err := am.waitReady(p); err != nil {
		t.Fatalf("alertmanager: %v\n%s", err, am.logTail())
	}
}

func (am *Alertmanager) waitReady(p *amProc) error {
	return waitReady(am.client, am.url+"/-/ready", http.StatusOK, amPollInterval, amStartTimeout, p.done, func() error { return p.waitErr })
}

// Stop sends SIGTERM and waits for Alertmanager to exit, killing it after
// 10 s. Stopping a stopped Alertmanager does nothing; t.Cleanup calls Stop.
func (am *Alertmanager) Stop(t testing.TB) {
	t.Helper()
	am.mu.Lock()
	defer am.mu.Unlock()
	p := am.proc
	if p == nil {
		return
	}
	am.proc = nil
	if p.exited() {
		return
	}
	stopProc(t, "alertmanager", p.cmd, p.done, syscall.SIGTERM, amStopTimeout, t.Errorf)
}

// AMAlert is one alert as Alertmanager's GET /api/v2/alerts shows it.
type AMAlert struct {
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Status      AMAlertStatus     `json:"status"`
}

// AMAlertStatus is an alert's status: State is "active", "suppressed" or
// "unprocessed".
type AMAlertStatus struct {
	State       string   `json:"state"`
	SilencedBy  []string `json:"silencedBy"`
	InhibitedBy []string `json:"inhibitedBy"`
}

// Resolved reports whether the alert has ended by now: its endsAt is set and
// not in the future.
func (a AMAlert) Resolved(now time.Time) bool {
	return !a.EndsAt.IsZero() && !a.EndsAt.After(now)
}

// Alerts returns every alert Alertmanager holds: active, silenced, inhibited
// and unprocessed. Alertmanager leaves out alerts whose endsAt has passed,
// so a resolved alert usually disappears from this list; Received counts it.
func (am *Alertmanager) Alerts(t testing.TB) []AMAlert {
	t.Helper()
	alerts, err := am.alerts()
	if err != nil {
		t.Fatalf("alertmanager: %v", err)
	}
	return alerts
}

func (am *Alertmanager) alerts() ([]AMAlert, error) {
	body, err := am.get("/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true")
	if err != nil {
		return nil, err
	}
	var alerts []AMAlert
	if err := json.Unmarshal(body, &alerts); err != nil {
		return nil, fmt.Errorf("GET /api/v2/alerts: %v: %s", err, body)
	}
	return alerts, nil
}

// WaitAlerts polls Alerts every 20 ms until check returns nil, and returns
// the alerts it accepted; after timeout it fails the test with check's last
// error and the alerts. A request that fails (Alertmanager restarting) counts
// as not yet.
func (am *Alertmanager) WaitAlerts(t testing.TB, timeout time.Duration, check func([]AMAlert) error) []AMAlert {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(amPollInterval)
	defer tick.Stop()
	for {
		alerts, err := am.alerts()
		if err == nil {
			if err = check(alerts); err == nil {
				return alerts
			}
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(alerts, "", "  ")
			t.Fatalf("alertmanager: alerts not as expected after %v: %v\nalerts: %s", timeout, err, b)
			return nil
		}
		<-tick.C
	}
}

// AMReceived counts the alerts Alertmanager has received through its API
// since it (re)started, by the status they had when they arrived.
type AMReceived struct {
	Firing   int
	Resolved int
	Invalid  int
}

// Received reads alertmanager_alerts_received_total and
// alertmanager_alerts_invalid_total from GET /metrics, summed over API
// versions. The counters restart at zero when Alertmanager does. It is the
// way to see that a resolved alert arrived, as Alerts leaves those out.
func (am *Alertmanager) Received(t testing.TB) AMReceived {
	t.Helper()
	r, err := am.received()
	if err != nil {
		t.Fatalf("alertmanager: %v", err)
	}
	return r
}

func (am *Alertmanager) received() (AMReceived, error) {
	body, err := am.get("/metrics")
	if err != nil {
		return AMReceived{}, err
	}
	var r AMReceived
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return AMReceived{}, fmt.Errorf("GET /metrics: %q: %v", line, err)
		}
		switch {
		case name == "alertmanager_alerts_received_total" && strings.Contains(labels, `status="firing"`):
			r.Firing += int(v)
		case name == "alertmanager_alerts_received_total" && strings.Contains(labels, `status="resolved"`):
			r.Resolved += int(v)
		case name == "alertmanager_alerts_invalid_total":
			r.Invalid += int(v)
		}
	}
	return r, sc.Err()
}

// WaitReceived polls Received until check returns nil; after timeout it fails
// the test with check's last error.
func (am *Alertmanager) WaitReceived(t testing.TB, timeout time.Duration, check func(AMReceived) error) AMReceived {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(amPollInterval)
	defer tick.Stop()
	for {
		r, err := am.received()
		if err == nil {
			if err = check(r); err == nil {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager: received counts not as expected after %v: %v (last %+v)", timeout, err, r)
			return r
		}
		<-tick.C
	}
}

func (am *Alertmanager) get(path string) ([]byte, error) {
	resp, err := am.client.Get(am.url + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return body, nil
}

// logTail returns the end of the log file, for failure messages.
func (am *Alertmanager) logTail() string {
	b, err := os.ReadFile(am.LogFile)
	if err != nil {
		return "alertmanager log: " + err.Error()
	}
	const limit = 8 << 10
	if len(b) > limit {
		b = b[len(b)-limit:]
	}
	return "alertmanager log:\n" + string(b)
}

func (am *Alertmanager) logDiagnostics(t testing.TB) {
	t.Helper()
	t.Log(am.logTail())
}
