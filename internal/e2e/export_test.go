package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// Deadlines of the export tests.
const (
	tsdbStartTimeout = 30 * time.Second
	// exportLiveTimeout: a line of a closed minute reaches the receivers
	// when the next minute closes, plus the settle delay (1s here) and the
	// exporter's tick (5s).
	exportLiveTimeout = 90 * time.Second
	exportQueryWait   = 30 * time.Second // backfilled samples becoming searchable
)

// tsdb is a running Prometheus-compatible time series database.
type tsdb struct {
	name, url string
	write     string // its remote write URL
}

// startTSDB starts bin with args on a free port of 127.0.0.1 (the port
// substituted for PORT in args) and waits until ready answers 200.
func startTSDB(t *testing.T, name, bin, ready, write string, logw *syncWriter, args ...string) *tsdb {
	t.Helper()
	port := strconv.Itoa(itest.FreePort(t))
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "PORT", port)
	}
	path, err := itest.LookPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logw, logw
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	db := &tsdb{name: name, url: "http://127.0.0.1:" + port, write: "http://127.0.0.1:" + port + write}
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(tsdbStartTimeout); ; time.Sleep(pollEvery) {
		resp, err := client.Get(db.url + ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return db
			}
		}
		select {
		case <-done:
			t.Fatalf("%s exited before it was ready", name)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: %v", name, tsdbStartTimeout, err)
		}
	}
}

// query returns the values of an instant PromQL query at at, by the
// series' label set written as slo/result.
func (db *tsdb) query(t *testing.T, q string, at time.Time) (map[string]float64, error) {
	t.Helper()
	u := db.url + "/api/v1/query?" + url.Values{"query": {q}, "time": {strconv.FormatInt(at.Unix(), 10)}}.Encode()
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s: query %s: %s", db.name, q, body.Error)
	}
	out := map[string]float64{}
	for _, r := range body.Data.Result {
		v, err := strconv.ParseFloat(r.Value[1].(string), 64)
		if err != nil {
			return nil, err
		}
		out[r.Metric["slo"]+"/"+r.Metric["result"]] += v
	}
	return out, nil
}

// wantCounts are headroom's own counts, from status --json: every SLO's
// good and bad events, as query keys them.
func wantCounts(t *testing.T, cfg string, at time.Time) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, s := range status(t, cfg, at).SLOs {
		out[s.Name+"/good"] = s.Good
		out[s.Name+"/bad"] = s.Bad
	}
	return out
}

// waitEqual polls q on db until it returns want.
func waitEqual(t *testing.T, db *tsdb, q string, at func() time.Time, want func() map[string]float64, timeout time.Duration) {
	t.Helper()
	var got, w map[string]float64
	var err error
	for deadline := time.Now().Add(timeout); ; time.Sleep(time.Second) {
		w = want()
		got, err = db.query(t, q, at())
		if err == nil && equalCounts(got, w) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after %v: %s = %v (err %v), headroom counted %v", db.name, timeout, q, got, err, w)
		}
	}
}

func equalCounts(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if math.Abs(a[k]-v) > 1e-9 {
			return false
		}
	}
	return true
}

const exportLogFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`

// exportLines returns n log lines at t, spread over its minute, one in
// every 7 a 500 and one in every 5 slower than 300ms.
func exportLines(t time.Time, n, seed int) string {
	var b strings.Builder
	for i := range n {
		k := seed + i
		status, lat := 200, 0.020+float64(k%13)/1000
		if k%7 == 0 {
			status = 500
		}
		if k%5 == 0 {
			lat = 0.450
		}
		route := []string{"/", "/api/users/" + strconv.Itoa(k), "/api/deals"}[k%3]
		at := t.Add(time.Duration(i%60) * time.Second)
		fmt.Fprintf(&b, "10.0.0.%d - - [%s] \"GET %s HTTP/1.1\" %d 12 \"-\" \"test\" %.3f\n", k%250, at.Format("02/Jan/2006:15:04:05 -0700"), route, status, lat)
	}
	return b.String()
}

// TestRemoteWriteAndDatadog: history backfilled with `export remote-write`
// to VictoriaMetrics and Prometheus, then live export from serve (remote
// write to both, Datadog's series API to VictoriaMetrics' /datadog) of lines
// appended to a tailed log, some read just before serve is stopped and some
// while it is stopped: what each holds equals headroom's counts.
func TestRemoteWriteAndDatadog(t *testing.T) {
	itest.Require(t, "victoria-metrics", "prometheus")
	dir := t.TempDir()
	logw := procLog(t, dir)
	vm := startTSDB(t, "victoria-metrics", "victoria-metrics", "/health", "/api/v1/write", logw,
		"-httpListenAddr=127.0.0.1:PORT", "-storageDataPath="+filepath.Join(dir, "vm"), "-retentionPeriod=100y",
		"-search.latencyOffset=0s", "-loggerLevel=ERROR")
	promCfg := filepath.Join(dir, "prometheus.yml")
	// Old samples (backfill) need the out-of-order window.
	writeFile(t, promCfg, "storage:\n  tsdb:\n    out_of_order_time_window: 30d\n")
	prom := startTSDB(t, "prometheus", "prometheus", "/-/ready", "/api/v1/write", logw,
		"--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "prom"), "--web.listen-address=127.0.0.1:PORT",
		"--web.enable-remote-write-receiver", "--log.level=error")

	// Three hours of history, up to ten minutes ago.
	now := time.Now().UTC()
	histEnd := now.Add(-10 * time.Minute).Truncate(time.Minute)
	var hist strings.Builder
	for m, i := histEnd.Add(-3*time.Hour), 0; m.Before(histEnd); m, i = m.Add(time.Minute), i+1 {
		hist.WriteString(exportLines(m, 3+i%5, i*11))
	}
	logPath := filepath.Join(dir, "access.log")
	writeFile(t, logPath, hist.String())
	cfg := filepath.Join(dir, "headroom.yaml")
	base := fmt.Sprintf(`storage: {dir: %s}
services:
  - name: web
    logs: [{path: %s, log_format: '%s'}]
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: api-latency, service: web, objective: 99, window: 28d, filter: {route: ^/api/}, sli: {type: latency, threshold: 300ms}}
`, filepath.Join(dir, "data"), logPath, exportLogFormat)
	writeFile(t, cfg, base)
	runHeadroom(t, "import", "--config", cfg, "--quiet")

	const q = `last_over_time(headroom_slo_events_total[1d])`
	histWant := wantCounts(t, cfg, histEnd)
	if histWant["avail/bad"] == 0 || histWant["api-latency/bad"] == 0 {
		t.Fatalf("the history has no bad events: %v", histWant)
	}
	for _, db := range []*tsdb{vm, prom} {
		out := runHeadroom(t, "export", "remote-write", "--config", cfg, "--url", db.write, "--to", histEnd.Format(time.RFC3339))
		t.Logf("%s: %s", db.name, strings.TrimSpace(out))
		waitEqual(t, db, q, func() time.Time { return histEnd }, func() map[string]float64 { return histWant }, exportQueryWait)
	}

	// Live: serve exports every minute; lines appended for the minute
	// that just closed arrive with the next one.
	writeFile(t, cfg, base+fmt.Sprintf(`export:
  settle: 1s
  remote_write:
    - {url: %s}
    - {url: %s, headers: {X-Scope-OrgID: test}}
  datadog: {url: %s/datadog, api_key_env: TEST_DD_KEY}
`, vm.write, prom.write, vm.url))
	t.Setenv("TEST_DD_KEY", "secret")
	os.Setenv("TEST_DD_KEY", "secret")
	srv := startServe(t, cfg, logw)
	srv.health(t, 30*time.Second)
	// The exporter's first count (the history, sent as its first sample)
	// comes before the lines: Datadog's deltas start from it.
	first := histEnd.Add(5 * time.Minute)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(pollEvery) {
		ts, err := vm.query(t, `max(timestamp(headroom_slo_events_total))`, time.Now())
		if err == nil && ts["/"] > float64(first.Unix()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve's first export did not reach victoria-metrics: %v %v", ts, err)
		}
	}
	var appended int
	appendRound := func(n int) {
		t.Helper()
		m := time.Now().UTC().Truncate(time.Minute).Add(-time.Minute)
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(exportLines(m, n, 1000*n)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		appended += n
	}
	arrive := func() {
		t.Helper()
		want := func() map[string]float64 { return wantCounts(t, cfg, time.Now()) }
		for _, db := range []*tsdb{vm, prom} {
			waitEqual(t, db, q, time.Now, want, exportLiveTimeout)
		}
	}
	// Live: read by serve (before headroom's count is taken), then sent.
	appendRound(40)
	srv.waitLines(t, 40)
	arrive()
	// Read and stored by serve, but not exported yet (their minute was
	// sent; they go with the next one) when serve is stopped (SIGTERM);
	// more written while it is stopped. After the restart, Datadog gets
	// both with the first minute, counted from the last run's totals.
	if time.Now().Second() > 40 { // well before the next minute is sent
		time.Sleep(time.Until(time.Now().Truncate(time.Minute).Add(time.Minute + 2*time.Second)))
	}
	appendRound(41)
	srv.waitLines(t, 40+41)
	if err := srv.stop(t); err != nil {
		t.Errorf("serve: %v", err)
	}
	appendRound(42)
	srv = startServeAt(t, cfg, srv.addr, logw)
	srv.health(t, 30*time.Second)
	srv.waitLines(t, 42)
	arrive()
	// Datadog: the per-minute deltas since serve started add up to the
	// lines appended, by SLO and result.
	all := wantCounts(t, cfg, time.Now())
	ddWant := map[string]float64{}
	for k, v := range all {
		ddWant[k] = v - histWant[k]
	}
	waitEqual(t, vm, `sum by (slo, result) (sum_over_time({__name__=~"headroom.slo.events"}[1d]))`, time.Now,
		func() map[string]float64 { return ddWant }, exportLiveTimeout)
	// One POST carries both metrics, but VictoriaMetrics makes its rows
	// searchable shard by shard (and new series after their index entries),
	// so the request counts are polled too, not read once.
	waitEqual(t, vm, `sum(sum_over_time({__name__=~"headroom.http.requests"}[1d]))`, time.Now,
		func() map[string]float64 { return map[string]float64{"/": float64(appended)} }, exportLiveTimeout)
	// serve's /metrics counts what each target took.
	resp, err := http.Get("http://" + srv.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, target := range []string{`kind="remote_write",target="` + vm.write + `"`, `kind="remote_write",target="` + prom.write + `"`, `kind="datadog",target="` + vm.url + `/datadog"`} {
		if !strings.Contains(string(body), "headroom_export_sent_minutes_total{"+target+"}") ||
			!strings.Contains(string(body), "headroom_export_dropped_minutes_total{"+target+"} 0") {
			t.Errorf("serve's /metrics lacks the sent and dropped minutes of %s:\n%s", target, grepLines(string(body), "headroom_export_"))
		}
	}
	if err := srv.stop(t); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// waitLines waits until serve has read n lines of its log since it started
// (/healthz).
func (p *serveProc) waitLines(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var h struct {
			Details struct {
				Sources []struct {
					Lines int64 `json:"lines"`
				} `json:"sources"`
			} `json:"details"`
		}
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
		}
		if err == nil && len(h.Details.Sources) == 1 && h.Details.Sources[0].Lines >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not read %d lines in 20 s: %+v %v", n, h, err)
		}
	}
}
