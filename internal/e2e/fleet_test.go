package e2e

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// startAgent starts `headroom agent --config cfg`, its output appended to
// logw.
func startAgent(t testing.TB, cfg string, logw io.Writer) *serveProc {
	t.Helper()
	return startProc(t, logw, "agent", "--config", cfg)
}

// syncWriter is a log every process of a test writes.
type syncWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *syncWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Write(b)
}

// procLog is the processes' log of a test in dir, shown when it fails.
func procLog(t *testing.T, dir string) *syncWriter {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "processes.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("processes' output:\n%s", tailFile(f.Name(), 8000))
		}
		f.Close()
	})
	return &syncWriter{f: f}
}

// TestFleetExactUnderKills: two agents, one per node, each tailing its own
// growing CRI-wrapped ingress-nginx log (lines split in parts, appends
// ending inside a line, stderr lines between) that two services split by
// upstream (and some lines no service takes), push to an HA pair of
// servers. Each agent is SIGKILLed and restarted 6 times while its log
// grows, and one server is SIGKILLed and restarted later: both servers end
// with exactly the lines written, per node, counted once.
func TestFleetExactUnderKills(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HEADROOM_PUSH_TOKEN", "fleet-secret")
	logw := procLog(t, dir)

	addrs := []string{"127.0.0.1:" + strconv.Itoa(itest.FreePort(t)), "127.0.0.1:" + strconv.Itoa(itest.FreePort(t))}
	var serverCfgs []string
	for i := range addrs {
		cfg := filepath.Join(dir, fmt.Sprintf("server-%d.yaml", i))
		writeFile(t, cfg, fmt.Sprintf(`storage: {dir: %s}
server: {push: {token_env: HEADROOM_PUSH_TOKEN}}
services: [{name: shop-api}, {name: shop-web}]
slos:
  - {name: api-availability, service: shop-api, objective: 99, window: 28d, sli: {type: availability}}
  - {name: web-availability, service: shop-web, objective: 99, window: 28d, sli: {type: availability}}
`, filepath.Join(dir, fmt.Sprintf("server-%d", i))))
		serverCfgs = append(serverCfgs, cfg)
	}
	servers := []*serveProc{startServeAt(t, serverCfgs[0], addrs[0], logw), startServeAt(t, serverCfgs[1], addrs[1], logw)}
	for _, s := range servers {
		s.health(t, 20*time.Second)
	}

	nodes := []string{"node-a", "node-b"}
	var agentCfgs, logs, agentAddrs []string
	for _, n := range nodes {
		agentAddrs = append(agentAddrs, "127.0.0.1:"+strconv.Itoa(itest.FreePort(t)))
		logPath := filepath.Join(dir, n+".log")
		writeFile(t, logPath, "")
		cfg := filepath.Join(dir, n+".yaml")
		writeFile(t, cfg, fmt.Sprintf(`storage: {dir: %s}
agent:
  name: %s
  listen: %s
  push:
    - {url: "http://%s", token_env: HEADROOM_PUSH_TOKEN}
    - {url: "http://%s", token_env: HEADROOM_PUSH_TOKEN}
services:
  - name: shop-api
    match: {upstream: '^upstream-shop-api-'}
    logs: [{path: %[6]s, format: ingress-nginx, wrapper: cri}]
  - name: shop-web
    match: {upstream: '^upstream-shop-(web|static)-'}
    logs: [{path: %[6]s, format: ingress-nginx, wrapper: cri}]
`, filepath.Join(dir, "agent-"+n), n, agentAddrs[len(agentAddrs)-1], addrs[0], addrs[1], logPath))
		agentCfgs, logs = append(agentCfgs, cfg), append(logs, logPath)
	}
	agents := []*serveProc{startAgent(t, agentCfgs[0], logw), startAgent(t, agentCfgs[1], logw)}

	// Each node's log grows for about 6 s; its agent is killed and
	// restarted 3 times meanwhile, server 1 killed at 2 s and restarted at
	// 5 s.
	// Per node: access lines written, and per service their requests and
	// 503s; lines of no service's upstream; stderr lines (not access lines).
	upstreams := []string{"upstream-shop-api-80", "upstream-shop-api-80", "upstream-shop-web-80", "upstream-shop-static-80", "upstream-admin-80"}
	service := map[string]string{"upstream-shop-api-80": "shop-api", "upstream-shop-web-80": "shop-web", "upstream-shop-static-80": "shop-web"}
	written := make([]int, len(nodes))
	requests := []map[string]int{{}, {}}
	bad := []map[string]int{{}, {}}
	unmatched := make([]int, len(nodes))
	stderr := make([]int, len(nodes))
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			f, err := os.OpenFile(logs[i], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			var pending []byte // the P parts of a line cut across two appends
			for step := range 60 {
				b := pending
				pending = nil
				for k := range 20 + r.IntN(40) {
					status := 200
					if r.IntN(10) == 0 {
						status = 503
					}
					up := upstreams[r.IntN(len(upstreams))]
					if svc, ok := service[up]; ok {
						requests[i][svc]++
						if status == 503 {
							bad[i][svc]++
						}
					} else {
						unmatched[i]++
					}
					written[i]++
					now := time.Now().UTC()
					line := fmt.Sprintf("10.0.%d.%d - - [%s] \"GET /api/items/%d HTTP/1.1\" %d 512 \"-\" \"fleet-test\" 120 0.004 [%s] [] 10.1.0.5:8080 512 0.004 %d %016x",
						i, written[i]%250, now.Format("02/Jan/2006:15:04:05 -0700"), written[i]%17, status, up, status, r.Uint64())
					ts := now.Format(time.RFC3339Nano)
					switch {
					case k%7 == 3: // a line the runtime split in three parts
						b = fmt.Appendf(b, "%s stdout P %s\n%s stdout P %s\n%s stdout F %s\n", ts, line[:20], ts, line[20:60], ts, line[60:])
					case k%11 == 5: // a stderr line between them: no access line
						stderr[i]++
						b = fmt.Appendf(b, "%s stderr F I1202 controller.go:190] \"Configuration changes detected\"\n%s stdout F %s\n", ts, ts, line)
					default:
						b = fmt.Appendf(b, "%s stdout F %s\n", ts, line)
					}
				}
				if step%4 == 1 { // this append ends inside a line: its P part now, its F part later
					written[i]++
					requests[i]["shop-api"]++
					now := time.Now().UTC()
					line := fmt.Sprintf("10.0.%d.1 - - [%s] \"GET /api/split HTTP/1.1\" 200 512 \"-\" \"fleet-test\" 120 0.004 [upstream-shop-api-80] [] 10.1.0.5:8080 512 0.004 200 %016x",
						i, now.Format("02/Jan/2006:15:04:05 -0700"), r.Uint64())
					ts := now.Format(time.RFC3339Nano)
					b = fmt.Appendf(b, "%s stdout P %s\n", ts, line[:30])
					pending = fmt.Appendf(nil, "%s stdout F %s\n", ts, line[30:])
				}
				if _, err := f.Write(b); err != nil {
					t.Error(err)
					return
				}
				if step%10 == 7 && step < 59 { // 6 kills of this node's agent
					agents[i].kill()
					time.Sleep(time.Duration(50+r.IntN(200)) * time.Millisecond)
					agents[i] = startAgent(t, agentCfgs[i], logw)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if _, err := f.Write(pending); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(2 * time.Second)
	servers[1].kill()
	time.Sleep(3 * time.Second)
	servers[1] = startServeAt(t, serverCfgs[1], addrs[1], logw)
	wg.Wait()
	t.Logf("access lines written %v: requests %v, 503s %v, unmatched %v; stderr lines %v", written, requests, bad, unmatched, stderr)

	at := time.Now().Add(time.Minute)
	for i, cfg := range serverCfgs {
		rep := waitStatus(t, cfg, at, 60*time.Second, func(r *statusReport) error {
			for slo, svc := range map[string]string{"api-availability": "shop-api", "web-availability": "shop-web"} {
				s := r.slo(t, slo)
				total, totalBad := requests[0][svc]+requests[1][svc], bad[0][svc]+bad[1][svc]
				if s.Total != float64(total) || s.Bad != float64(totalBad) {
					return fmt.Errorf("server %d: %s: %v events, %v bad; want %d, %d", i, slo, s.Total, s.Bad, total, totalBad)
				}
			}
			return nil
		})
		agents := map[string]int64{}
		for _, a := range rep.Agents {
			if a.Silent {
				t.Errorf("server %d: agent %s silent", i, a.Name)
			}
			agents[a.Name] = a.Lines
			n := slices.Index(nodes, a.Name)
			if a.Malformed != 0 || n < 0 || a.Unmatched != int64(unmatched[n]) {
				t.Errorf("server %d: agent %s: %d malformed, %d unmatched lines; want 0 and %v", i, a.Name, a.Malformed, a.Unmatched, unmatched)
			}
		}
		if agents["node-a"] != int64(written[0]+stderr[0]) || agents["node-b"] != int64(written[1]+stderr[1]) || len(agents) != 2 {
			t.Errorf("server %d: agents' lines %v, want %v access lines and %v stderr ones", i, agents, written, stderr)
		}
	}
	// The bad events by node.
	var b struct {
		Rows []struct {
			Key string  `json:"key"`
			Bad float64 `json:"bad"`
		} `json:"rows"`
	}
	getJSON(t, "http://"+addrs[0]+"/api/v1/slos/api-availability/breakdown?by=node&range=1h&to="+strconv.FormatInt(at.Unix(), 10), &b)
	byNode := map[string]float64{}
	for _, r := range b.Rows {
		byNode[r.Key] = r.Bad
	}
	if byNode["node-a"] != float64(bad[0]["shop-api"]) || byNode["node-b"] != float64(bad[1]["shop-api"]) {
		t.Errorf("api-availability's bad events by node %v, want node-a %d, node-b %d", byNode, bad[0]["shop-api"], bad[1]["shop-api"])
	}
	// Each agent has nothing left to push.
	for i, a := range agentAddrs {
		var h struct {
			Status  string `json:"status"`
			Servers []struct {
				URL    string `json:"url"`
				Behind int64  `json:"behind_commits"`
				OK     int64  `json:"pushes"`
			} `json:"servers"`
		}
		getJSON(t, "http://"+a+"/healthz", &h)
		if h.Status != "ok" || len(h.Servers) != 2 {
			t.Errorf("agent %s: /healthz %+v", nodes[i], h)
		}
		for _, s := range h.Servers {
			if s.Behind != 0 || s.OK == 0 {
				t.Errorf("agent %s: %s %d commits behind after %d pushes", nodes[i], s.URL, s.Behind, s.OK)
			}
		}
	}
	for _, a := range agents {
		if a.exited() {
			t.Errorf("an agent exited: %v", a.err)
		}
		a.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, a := range agents {
		select {
		case <-a.done:
		case <-time.After(stopTimeout):
			t.Errorf("an agent still runs %v after SIGTERM", stopTimeout)
		}
	}
}

// TestHAPairAlertmanagerDedupes: two servers fed by the same agent both
// evaluate the SLO, and both send its page to one Alertmanager, which
// holds one alert: the Prometheus HA model, where Alertmanager dedupes
// identical alerts (same labels) from replicas.
func TestHAPairAlertmanagerDedupes(t *testing.T) {
	itest.Require(t, itest.AlertmanagerBin)
	am := itest.StartAlertmanager(t)
	dir := t.TempDir()
	t.Setenv("HEADROOM_PUSH_TOKEN", "ha-secret")
	logw := procLog(t, dir)
	addrs := []string{"127.0.0.1:" + strconv.Itoa(itest.FreePort(t)), "127.0.0.1:" + strconv.Itoa(itest.FreePort(t))}
	for i, addr := range addrs {
		cfg := filepath.Join(dir, fmt.Sprintf("server-%d.yaml", i))
		writeFile(t, cfg, fmt.Sprintf(`storage: {dir: %s}
server: {push: {token_env: HEADROOM_PUSH_TOKEN}}
alerting: {interval: 1s, no_data: {severity: none}}
notify: [{name: am, type: alertmanager, url: %q}]
services: [{name: shop}]
slos:
  - name: shop-availability
    service: shop
    objective: 99
    window: 1d
    sli: {type: availability}
    alerting: {exhausted: none, tiers: [{name: page-6h, disabled: true}, {name: ticket-1d, disabled: true}, {name: ticket-3d, disabled: true}]}
`, filepath.Join(dir, fmt.Sprintf("server-%d", i)), am.URL()))
		startServeAt(t, cfg, addr, logw).health(t, 20*time.Second)
	}
	logPath := filepath.Join(dir, "access.log")
	var b []byte
	now := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
	for i := range 130 {
		status := 200
		if i < 30 {
			status = 500
		}
		b = fmt.Appendf(b, "10.0.0.1 - - [%s] \"GET /checkout HTTP/1.1\" %d 10 \"-\" \"t\"\n", now, status)
	}
	writeFile(t, logPath, string(b))
	agentCfg := filepath.Join(dir, "agent.yaml")
	writeFile(t, agentCfg, fmt.Sprintf(`storage: {dir: %s}
agent:
  name: node-a
  push: [{url: "http://%s", token_env: HEADROOM_PUSH_TOKEN}, {url: "http://%s", token_env: HEADROOM_PUSH_TOKEN}]
services: [{name: shop, logs: [{path: %s}]}]
`, filepath.Join(dir, "agent"), addrs[0], addrs[1], logPath))
	startAgent(t, agentCfg, logw)

	// Both servers page, each having sent it to Alertmanager, which
	// holds it once.
	deadline := time.Now().Add(30 * time.Second)
	for i, addr := range addrs {
		for {
			var a struct {
				States []struct {
					SLO, Phase string
				} `json:"states"`
				Targets []struct {
					Sent int `json:"sent"`
				} `json:"targets"`
			}
			getJSON(t, "http://"+addr+"/api/v1/alerts", &a)
			firing := false
			for _, s := range a.States {
				firing = firing || s.SLO == "shop-availability" && s.Phase == "firing"
			}
			if firing && len(a.Targets) == 1 && a.Targets[0].Sent > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %d: alerts %+v; want shop-availability firing and sent to Alertmanager", i, a)
			}
			time.Sleep(pollEvery)
		}
	}
	var held []itest.AMAlert
	for _, a := range am.Alerts(t) {
		if a.Labels["slo"] == "shop-availability" {
			held = append(held, a)
		}
	}
	if len(held) != 1 || held[0].Labels["severity"] != "page" {
		t.Errorf("Alertmanager holds %+v for shop-availability, want one page", held)
	}
}
