package e2e

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// agentExportWrite is how long the agent export test writes lines (and
// kills the agent): long enough for several minute boundaries, each a
// sample that a kill may interrupt.
const agentExportWrite = 150 * time.Second

// TestAgentExportUnderKills: `headroom agent` exporting only (no push
// server) by remote write and Datadog's series API to VictoriaMetrics,
// tailing a log that grows for 2.5 minutes while the agent is SIGKILLed
// and restarted (4 to 6 times), every other kill 1 to 7 s after a minute
// boundary (where the exporter counts, stores its totals and queues the
// minute).
// Then what VictoriaMetrics holds equals what the test wrote, counted here:
// the cumulative remote write counters' last values, and the sum of the
// Datadog count points (VictoriaMetrics keeps one sample per series and
// timestamp, as Datadog keeps the last point: a request sent again after a
// kill between its send and its removal from the queue counts once).
func TestAgentExportUnderKills(t *testing.T) {
	itest.Require(t, "victoria-metrics")
	dir := t.TempDir()
	logw := procLog(t, dir)
	vm := startTSDB(t, "victoria-metrics", "victoria-metrics", "/health", "/api/v1/write", logw,
		"-httpListenAddr=127.0.0.1:PORT", "-storageDataPath="+filepath.Join(dir, "vm"), "-retentionPeriod=100y",
		"-search.latencyOffset=0s", "-dedup.minScrapeInterval=1ms", "-loggerLevel=ERROR")
	t.Setenv("TEST_DD_KEY", "secret")
	logPath := filepath.Join(dir, "access.log")
	writeFile(t, logPath, "")
	listen := "127.0.0.1:" + strconv.Itoa(itest.FreePort(t))
	cfg := filepath.Join(dir, "agent.yaml")
	writeFile(t, cfg, fmt.Sprintf(`storage: {dir: %s}
agent: {name: node-a, listen: %s}
services:
  - name: web
    logs: [{path: %s, log_format: '%s'}]
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: api-latency, service: web, objective: 99, window: 28d, filter: {route: ^/api/}, sli: {type: latency, threshold: 300ms}}
export:
  settle: 1s
  remote_write: [{url: %s}]
  datadog: {url: %s/datadog, api_key_env: TEST_DD_KEY}
`, filepath.Join(dir, "agent"), listen, logPath, exportLogFormat, vm.write, vm.url))
	agent := startAgent(t, cfg, logw)

	// What is written, counted here: by SLO and result, and requests.
	want := map[string]float64{}
	var lines int
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(14, 2))
	kills := 0
	nextKill := time.Now().Add(10 * time.Second)
	for end := time.Now().Add(agentExportWrite); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		var b strings.Builder
		now := time.Now().UTC()
		for range 5 + r.IntN(20) {
			k := lines
			lines++
			status, lat := 200, 0.020+float64(k%13)/1000
			if k%7 == 0 {
				status = 500
			}
			if k%5 == 0 {
				lat = 0.450
			}
			route := []string{"/", "/api/users/" + strconv.Itoa(k), "/api/deals"}[k%3]
			fmt.Fprintf(&b, "10.0.0.%d - - [%s] \"GET %s HTTP/1.1\" %d 12 \"-\" \"test\" %.3f\n", k%250, now.Format("02/Jan/2006:15:04:05 -0700"), route, status, lat)
			if status == 500 {
				want["avail/bad"]++
			} else {
				want["avail/good"]++
			}
			if route != "/" {
				if lat > 0.3 {
					want["api-latency/bad"]++
				} else {
					want["api-latency/good"]++
				}
			}
		}
		if _, err := f.WriteString(b.String()); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(nextKill) && kills < 6 {
			agent.kill()
			kills++
			time.Sleep(time.Duration(r.IntN(500)) * time.Millisecond)
			agent = startAgent(t, cfg, logw)
			// Every other kill lands 1 to 7 s after a minute boundary,
			// while the exporter steps (settle 1s, a tick every 5s).
			next := time.Now().Add(15 * time.Second)
			if kills%2 == 1 {
				next = next.Truncate(time.Minute).Add(time.Minute + time.Second + time.Duration(r.IntN(6000))*time.Millisecond)
			}
			nextKill = next
		}
	}
	t.Logf("%d lines written, %d kills: %v", lines, kills, want)
	if kills < 4 {
		t.Errorf("the agent was killed %d times; want at least 4", kills)
	}

	// The last lines arrive with the sample of the minute after the next
	// boundary at the latest.
	const timeout = 150 * time.Second
	waitEqual(t, vm, `sum by (slo, result) (last_over_time(headroom_slo_events_total{node="node-a"}[1h]))`, time.Now,
		func() map[string]float64 { return want }, timeout)
	// Polled, not read once: VictoriaMetrics makes one request's rows
	// searchable shard by shard.
	allLines := func() map[string]float64 { return map[string]float64{"/": float64(lines)} }
	waitEqual(t, vm, `sum(last_over_time(headroom_http_requests_total{node="node-a"}[1h]))`, time.Now, allLines, 30*time.Second)
	waitEqual(t, vm, `sum by (slo, result) (sum_over_time({__name__=~"headroom.slo.events",node="node-a"}[1h]))`, time.Now,
		func() map[string]float64 { return want }, timeout)
	waitEqual(t, vm, `sum(sum_over_time({__name__=~"headroom.http.requests",node="node-a"}[1h]))`, time.Now, allLines, 30*time.Second)

	// The agent's /metrics says what it sent, and that it dropped nothing.
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`headroom_export_dropped_minutes_total{kind="remote_write",target="` + vm.write + `"} 0`,
		`headroom_export_rejected_minutes_total{kind="datadog",target="` + vm.url + `/datadog"} 0`,
		`headroom_agent_export_lost_commits_total 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("agent /metrics lacks %s", want)
		}
	}
	if !strings.Contains(string(body), `headroom_export_sent_minutes_total{kind="remote_write"`) {
		t.Errorf("agent /metrics has no sent minutes:\n%s", body)
	}
	if err := agent.stop(t); err != nil {
		t.Errorf("agent: %v", err)
	}
}
