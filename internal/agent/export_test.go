package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/prompb"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/export"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/itest"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/server"
	"github.com/headroom-slo/headroom/internal/store"
	"github.com/headroom-slo/headroom/internal/tail"
)

// rwReceiver is a remote write receiver keeping every sample by series,
// answering status() (200 when nil).
type rwReceiver struct {
	mu      sync.Mutex
	status  func() int
	calls   int
	samples map[string][]prompb.Sample
}

func (r *rwReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.status != nil {
		if c := r.status(); c != http.StatusOK {
			http.Error(w, "no", c)
			return
		}
	}
	body, _ := io.ReadAll(req.Body)
	raw, err := snappy.Decode(nil, body)
	var wr prompb.WriteRequest
	if err == nil {
		err = wr.Unmarshal(raw)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.samples == nil {
		r.samples = map[string][]prompb.Sample{}
	}
	for _, ts := range wr.Timeseries {
		var l []string
		for _, p := range ts.Labels {
			l = append(l, p.Name+"="+p.Value)
		}
		id := strings.Join(l, ",")
		r.samples[id] = append(r.samples[id], ts.Samples...)
	}
}

// latest returns each series' newest value, checking that its samples
// come in time order, never go down, and that a sample sent again has the
// same value.
func (r *rwReceiver) latest(t *testing.T) map[string]float64 {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]float64{}
	for id, ss := range r.samples {
		for i := 1; i < len(ss); i++ {
			a, b := ss[i-1], ss[i]
			switch {
			case b.Timestamp < a.Timestamp:
				t.Errorf("%s: sample at %d after one at %d", id, b.Timestamp, a.Timestamp)
			case b.Timestamp == a.Timestamp && b.Value != a.Value:
				t.Errorf("%s: at %d sent as %v and as %v", id, a.Timestamp, a.Value, b.Value)
			case b.Value < a.Value:
				t.Errorf("%s: went down from %v to %v", id, a.Value, b.Value)
			}
		}
		out[id] = ss[len(ss)-1].Value
	}
	return out
}

// ddReceiver keeps Datadog count points, the last per series and time
// (as Datadog does).
type ddReceiver struct {
	mu     sync.Mutex
	points map[string]map[float64]float64 // metric,tags → time → value
}

func (d *ddReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var p struct {
		Series []struct {
			Metric string       `json:"metric"`
			Points [][2]float64 `json:"points"`
			Tags   []string     `json:"tags"`
		} `json:"series"`
	}
	if err := json.NewDecoder(req.Body).Decode(&p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.points == nil {
		d.points = map[string]map[float64]float64{}
	}
	for _, s := range p.Series {
		id := s.Metric + "," + strings.Join(s.Tags, ",")
		if d.points[id] == nil {
			d.points[id] = map[float64]float64{}
		}
		for _, pt := range s.Points {
			d.points[id][pt[0]] = pt[1]
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

func (d *ddReceiver) sums() map[string]float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]float64{}
	for id, pts := range d.points {
		for _, v := range pts {
			out[id] += v
		}
	}
	return out
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// exportRig is an agent store with an exporter to a remote write and a
// Datadog receiver, and the counts the test wrote to its spool.
type exportRig struct {
	t    *testing.T
	dir  string
	cfg  *config.Config
	st   *store.Store
	rw   *rwReceiver
	dd   *ddReceiver
	rwS  *httptest.Server
	ddS  *httptest.Server
	clk  *fakeClock
	want map[string]float64 // what the test wrote, counted here
	logs *itest.SyncBuffer  // what the exporters logged
}

func newExportRig(t *testing.T, queueBytes string) *exportRig {
	t.Setenv("DD_KEY", "k")
	r := &exportRig{t: t, dir: t.TempDir(), rw: &rwReceiver{}, dd: &ddReceiver{}, clk: &fakeClock{now: t0}, want: map[string]float64{}, logs: &itest.SyncBuffer{}}
	r.rwS = httptest.NewServer(r.rw)
	r.ddS = httptest.NewServer(r.dd)
	t.Cleanup(r.rwS.Close)
	t.Cleanup(r.ddS.Close)
	q := ""
	if queueBytes != "" {
		q = ", queue: {max_bytes: " + queueBytes + "}"
	}
	r.cfg = headroomtest.Config(t, fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a}
services: [{name: shop, logs: [{path: /var/log/nginx/access.log}]}]
slos:
  - {name: shop-availability, service: shop, objective: 99, window: 28d, sli: {type: availability}}
  - {name: shop-latency, service: shop, objective: 99, window: 28d, sli: {type: latency, threshold: 300ms}}
export: {settle: 10s, remote_write: [{url: %q}], datadog: {url: %q, api_key_env: DD_KEY}%s}
`, r.dir, r.rwS.URL+"/api/v1/write", r.ddS.URL, q))
	r.st = headroomtest.Store(t, r.dir)
	return r
}

// exporter is a new exporter of the rig's store, as a restarted agent
// makes: its queues opened again from disk.
func (r *exportRig) exporter() *exporter {
	log := slog.New(slog.NewTextHandler(r.logs, nil))
	targets, err := export.Targets(r.cfg, r.dir, log)
	if err != nil {
		r.t.Fatal(err)
	}
	x, err := newExporter(context.Background(), r.cfg, r.st, "node-a", targets, exportOptions{Log: log, Now: r.clk.Now, Tick: 10 * time.Millisecond,
		Send: export.SendOptions{BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond}})
	if err != nil {
		r.t.Fatal(err)
	}
	return x
}

// spool commits a row of n requests in minute m: every third a 503,
// latencies 100ms (even i) or 800ms (odd i), and counts them.
func (r *exportRig) spool(m time.Time, n int) {
	r.t.Helper()
	var entries []push.Entry
	for i := range n {
		status, le := 200, uint64(100)
		if i%3 == 0 {
			status = 503
		}
		if i%2 == 1 {
			le = 800
		}
		entries = append(entries, push.Entry{Host: "h", Route: fmt.Sprintf("/r%d", i%4), Method: "GET", Status: status, Count: 1, Hist: push.Hist{{le, 1}}})
		r.want["requests"]++
		if status == 503 {
			r.want["availability bad"]++
		} else {
			r.want["availability good"]++
		}
		if le <= 300 {
			r.want["latency good"]++
		} else {
			r.want["latency bad"]++
		}
	}
	data, err := json.Marshal([]push.Service{{Name: "shop", Minutes: []push.Minute{{Start: m.Unix(), Entries: entries}}}})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, _, err := r.st.CommitSpool(context.Background(), nil, data, 1<<30); err != nil {
		r.t.Fatal(err)
	}
}

// sums are the receivers' totals in the test's terms.
func (r *exportRig) remoteWrite() map[string]float64 {
	out := map[string]float64{}
	for id, v := range r.rw.latest(r.t) {
		if !strings.Contains(id, "node=node-a") {
			r.t.Errorf("series %s without node=node-a", id)
		}
		switch {
		case strings.Contains(id, "__name__=headroom_http_requests_total"):
			out["requests"] += v
		case strings.Contains(id, "__name__=headroom_slo_events_total"):
			slo := strings.TrimPrefix(strings.Split(id[strings.Index(id, "slo=shop-"):], ",")[0], "slo=shop-")
			res := strings.TrimPrefix(strings.Split(id[strings.Index(id, "result="):], ",")[0], "result=")
			out[slo+" "+res] += v
		}
	}
	return out
}

func (r *exportRig) datadog() map[string]float64 {
	out := map[string]float64{}
	for id, v := range r.dd.sums() {
		if !strings.Contains(id, "node:node-a") {
			r.t.Errorf("datadog series %s without node:node-a", id)
		}
		switch {
		case strings.HasPrefix(id, export.DatadogRequests+","):
			out["requests"] += v
		case strings.HasPrefix(id, export.DatadogSLOEvents+","):
			slo := strings.TrimPrefix(strings.Split(id[strings.Index(id, "slo:shop-"):], ",")[0], "slo:shop-")
			res := strings.TrimPrefix(strings.Split(id[strings.Index(id, "result:"):], ",")[0], "result:")
			out[slo+" "+res] += v
		}
	}
	return out
}

// drain sends x's queues until they are empty.
func (r *exportRig) drain(x *exporter) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { export.SendQueues(ctx, x.targets, x.send); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		empty := true
		for _, t := range x.targets {
			if t.Queue.State().Requests > 0 {
				empty = false
			}
		}
		if empty {
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatal("the queues did not drain")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestExportExactlyOnceAcrossCrashes kills the exporter (a new one takes
// over the same store and queues, as a restarted agent) before it stores
// its totals, between storing and queueing, and after queueing with
// requests unsent: the receivers end with exactly what was spooled, every
// remote write series in time order, never going down.
func TestExportExactlyOnceAcrossCrashes(t *testing.T) {
	r := newExportRig(t, "")
	ctx := context.Background()
	x := r.exporter()
	minute := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	// Minute 0, sent.
	r.spool(minute(0), 30)
	r.clk.Set(minute(1).Add(11 * time.Second))
	if err := x.step(ctx, x.due()); err != nil {
		t.Fatal(err)
	}
	r.drain(x)
	// Minute 1: killed after counting, before storing: counted again.
	r.spool(minute(1), 20)
	r.spool(minute(2), 5) // the next minute's lines, already read
	r.clk.Set(minute(2).Add(11 * time.Second))
	x.crash = func(p string) bool { return p == "counted" }
	if err := x.step(ctx, x.due()); err != errCrash {
		t.Fatalf("step: %v, want the crash", err)
	}
	x = r.exporter()
	if err := x.step(ctx, x.due()); err != nil {
		t.Fatal(err)
	}
	// Minute 2: killed after storing, before queueing: queued at start.
	r.spool(minute(2), 7)
	r.spool(minute(1), 3) // late lines of minute 1
	r.clk.Set(minute(3).Add(11 * time.Second))
	x.crash = func(p string) bool { return p == "stored" }
	if err := x.step(ctx, x.due()); err != errCrash {
		t.Fatalf("step: %v, want the crash", err)
	}
	x = r.exporter()
	x.enqueue() // what Run does first
	// Queued but not sent (the receiver down), then killed.
	r.rw.mu.Lock()
	r.rw.status = func() int { return http.StatusServiceUnavailable }
	r.rw.mu.Unlock()
	r.spool(minute(3), 11)
	r.clk.Set(minute(4).Add(11 * time.Second))
	if err := x.step(ctx, x.due()); err != nil {
		t.Fatal(err)
	}
	r.rw.mu.Lock()
	r.rw.status = nil
	r.rw.mu.Unlock()
	x = r.exporter()
	x.enqueue()
	if err := x.step(ctx, x.due()); err != nil { // nothing new: no second sample
		t.Fatal(err)
	}
	r.drain(x)
	// A restart with every queue sent queues nothing again.
	x = r.exporter()
	x.enqueue()
	r.drain(x)

	if diff := cmp.Diff(r.want, r.remoteWrite()); diff != "" {
		t.Errorf("remote write receiver (-spooled +received):\n%s", diff)
	}
	if diff := cmp.Diff(r.want, r.datadog()); diff != "" {
		t.Errorf("datadog receiver (-spooled +received):\n%s", diff)
	}
	// One sample per minute boundary, each queued once.
	var times []int64
	for id, ss := range r.rw.samples {
		if strings.Contains(id, "headroom_http_requests_total") && strings.Contains(id, "code=503") && strings.Contains(id, "route=/r0") {
			for _, s := range ss {
				times = append(times, s.Timestamp/1000)
			}
		}
	}
	want := []int64{minute(1).Unix(), minute(2).Unix(), minute(3).Unix(), minute(4).Unix()}
	if diff := cmp.Diff(want, times); diff != "" { // each once: a restart queues no minute again
		t.Errorf("sample times (-want +got):\n%s", diff)
	}
}

// TestExportReceiverDownThenBack: minutes queue while the receiver is down
// (failed sends counted, retried); once it is back they arrive in order and
// the totals are exact.
func TestExportReceiverDownThenBack(t *testing.T) {
	r := newExportRig(t, "")
	ctx := context.Background()
	x := r.exporter()
	r.rw.status = func() int { return http.StatusServiceUnavailable }
	sendCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { export.SendQueues(sendCtx, x.targets, x.send); close(done) }()
	for i := range 10 {
		r.spool(t0.Add(time.Duration(i)*time.Minute), 10+i)
		r.clk.Set(t0.Add(time.Duration(i+1)*time.Minute + 11*time.Second))
		if err := x.step(ctx, x.due()); err != nil {
			t.Fatal(err)
		}
	}
	rw := x.targets[0]
	waitUntil(t, "failed sends", 5*time.Second, func() bool { return rw.State().Failed >= 3 })
	if s := rw.State(); s.Queue.Requests != 10 || s.Sent != 0 || s.LastError == "" {
		t.Errorf("while down: %+v; want 10 minutes queued, none sent, the error kept", s)
	}
	r.rw.mu.Lock()
	r.rw.status = nil
	r.rw.mu.Unlock()
	waitUntil(t, "the queue sent", 10*time.Second, func() bool { return rw.State().Queue.Requests == 0 })
	stop()
	<-done
	if s := rw.State(); s.Sent != 10 || s.LastError != "" || s.LastSuccess.IsZero() {
		t.Errorf("once back: %+v; want 10 sent, no error", s)
	}
	if diff := cmp.Diff(r.want, r.remoteWrite()); diff != "" { // latest also checks the order
		t.Errorf("remote write receiver (-spooled +received):\n%s", diff)
	}
}

// TestExportFullQueueDropsOldest: past export.queue.max_bytes the oldest
// minutes are dropped, counted on /metrics; remote write's cumulative
// samples still end exact (the newest carries every count before it).
func TestExportFullQueueDropsOldest(t *testing.T) {
	r := newExportRig(t, "2KiB")
	ctx := context.Background()
	x := r.exporter()
	for i := range 20 {
		r.spool(t0.Add(time.Duration(i)*time.Minute), 12)
		r.clk.Set(t0.Add(time.Duration(i+1)*time.Minute + 11*time.Second))
		if err := x.step(ctx, x.due()); err != nil {
			t.Fatal(err)
		}
	}
	rw := x.targets[0].State()
	if rw.Queue.Dropped == 0 || rw.Queue.Bytes > 2048 {
		t.Fatalf("queue %+v; want some dropped within 2KiB", rw.Queue)
	}
	if !strings.Contains(r.logs.String(), "export queue full: dropped the oldest requests") {
		t.Errorf("the drops were not logged:\n%s", r.logs.String())
	}
	h := handler("node-a", r.st, tail.New(r.st, nil, tail.Options{}), &Pushers{st: r.st}, x)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	line := fmt.Sprintf(`headroom_export_dropped_minutes_total{kind="remote_write",target=%q} %d`, r.rwS.URL+"/api/v1/write", rw.Queue.Dropped)
	if !strings.Contains(rec.Body.String(), line) {
		t.Errorf("/metrics lacks %s:\n%s", line, grepLines(rec.Body.String(), "headroom_export"))
	}
	r.drain(x)
	if diff := cmp.Diff(r.want, r.remoteWrite()); diff != "" {
		t.Errorf("remote write receiver (-spooled +received):\n%s", diff)
	}
}

// TestExportRejectedIsNotRetried: a receiver answering 400 has each
// minute sent once, dropped and counted.
func TestExportRejectedIsNotRetried(t *testing.T) {
	r := newExportRig(t, "")
	ctx := context.Background()
	x := r.exporter()
	r.rw.status = func() int { return http.StatusBadRequest }
	for i := range 3 {
		r.spool(t0.Add(time.Duration(i)*time.Minute), 5)
		r.clk.Set(t0.Add(time.Duration(i+1)*time.Minute + 11*time.Second))
		if err := x.step(ctx, x.due()); err != nil {
			t.Fatal(err)
		}
	}
	r.drain(x)
	s := x.targets[0].State()
	r.rw.mu.Lock()
	calls := r.rw.calls
	r.rw.mu.Unlock()
	if s.Rejected != 3 || s.Sent != 0 || s.Failed != 0 || calls != 3 || !strings.Contains(s.LastError, "400") {
		t.Errorf("%+v after %d calls; want 3 minutes rejected in 3 calls, none retried, the 400 kept", s, calls)
	}
	if n := strings.Count(r.logs.String(), "the target refused a minute; dropped"); n != 3 {
		t.Errorf("%d refusals logged, want 3:\n%s", n, r.logs.String())
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAgentPushesAndExports: an agent pushing to a server and exporting
// by remote write: both get every line once, and the spool keeps each row
// until the server and the exporter both have it.
func TestAgentPushesAndExports(t *testing.T) {
	t.Setenv("PUSH_TOKEN", "tok")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	srvStore := headroomtest.Store(t, filepath.Join(dir, "server"))
	h, err := server.New(server.Options{Listen: "127.0.0.1:0", Push: &server.Push{Token: "tok", Store: srvStore, Known: func(n string) bool { return n == "shop" }}})
	if err != nil {
		t.Fatal(err)
	}
	srvDone := make(chan struct{})
	go func() { defer close(srvDone); h.Serve(ctx) }()
	defer func() { cancel(); <-srvDone }()
	rw := &rwReceiver{}
	rwS := httptest.NewServer(rw)
	defer rwS.Close()
	logPath := filepath.Join(dir, "access.log")
	cfg := headroomtest.Config(t, fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a, push: [{url: "http://%s", token_env: PUSH_TOKEN}]}
services: [{name: shop, logs: [{path: %s}]}]
slos: [{name: shop-availability, service: shop, objective: 99, window: 28d, sli: {type: availability}}]
export: {remote_write: [{url: %q}]}
`, filepath.Join(dir, "agent"), h.Addr(), logPath, rwS.URL))
	// The exporter's clock runs a minute ahead once the lines are written,
	// so that their minute closes at once.
	var ahead atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	write := func(n, status int) {
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ts := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
		for i := range n {
			fmt.Fprintf(f, "10.0.0.1 - - [%s] \"GET /x/%d HTTP/1.1\" %d 10 \"-\" \"t\"\n", ts, i, status)
		}
	}
	write(20, 200)
	write(5, 503)
	start := func() (halt func()) {
		actx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- Run(actx, cfg, Options{Interval: 20 * time.Millisecond, PushInterval: 20 * time.Millisecond,
				ExportTick: 20 * time.Millisecond, ExportBackoff: time.Millisecond, ExportNow: now})
		}()
		return func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("agent: %v", err)
			}
		}
	}
	halt := start()
	defer func() { halt() }()
	pushed := func() (n uint64) {
		id, _ := srvStore.ServiceID(ctx, "shop", false)
		if id == 0 {
			return 0
		}
		srvStore.ReadCells(ctx, id, store.Minute, 0, math.MaxInt64, func(sp *store.Span) error {
			for _, e := range sp.Cell.Entries {
				n += e.Count
			}
			return nil
		})
		return n
	}
	waitUntil(t, "25 lines at the server", 10*time.Second, func() bool { return pushed() == 25 })
	ahead.Store(int64(2 * time.Minute))
	exported := func() map[string]float64 {
		out := map[string]float64{}
		for id, v := range rw.latest(t) {
			if strings.Contains(id, "headroom_slo_events_total") {
				out[id[strings.Index(id, "result="):]] = v
			}
		}
		return out
	}
	want := map[string]float64{"result=good,service=shop,slo=shop-availability": 20, "result=bad,service=shop,slo=shop-availability": 5}
	waitUntil(t, "the lines exported", 10*time.Second, func() bool {
		got := exported()
		return got["result=good,service=shop,slo=shop-availability"] == 20 && got["result=bad,service=shop,slo=shop-availability"] == 5
	})
	// Both have every row: the spool empties.
	agentStore := func() store.SpoolState {
		st, err := store.Open(filepath.Join(dir, "agent"), store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sp, _ := st.Spool(ctx, 0)
		return sp
	}
	waitUntil(t, "an empty spool", 10*time.Second, func() bool { return agentStore().Rows == 0 })
	// Stopped and started again: nothing twice.
	halt()
	write(4, 503)
	halt = start()
	waitUntil(t, "29 lines at the server", 10*time.Second, func() bool { return pushed() == 29 })
	ahead.Store(int64(4 * time.Minute))
	want["result=bad,service=shop,slo=shop-availability"] = 9
	waitUntil(t, "the new lines exported", 10*time.Second, func() bool {
		return exported()["result=bad,service=shop,slo=shop-availability"] == 9
	})
	if d := cmp.Diff(want, exported()); d != "" {
		t.Errorf("exported (-want +got):\n%s", d)
	}
}

// TestExportSkipsAnUnreadableRow: a spool row that cannot be decoded is
// skipped, counted as lost and logged; the rows after it are exported.
func TestExportSkipsAnUnreadableRow(t *testing.T) {
	r := newExportRig(t, "")
	ctx := context.Background()
	x := r.exporter()
	r.spool(t0, 4)
	if _, _, err := r.st.CommitSpool(ctx, nil, []byte(`[{"name": "shop", "minutes": "garbage"}]`), 1<<30); err != nil {
		t.Fatal(err)
	}
	r.spool(t0, 3)
	r.clk.Set(t0.Add(time.Minute + 11*time.Second))
	if err := x.step(ctx, x.due()); err != nil {
		t.Fatal(err)
	}
	r.drain(x)
	if s := x.status(); s.Lost != 1 || s.Cursor != 3 {
		t.Errorf("status %+v; want 1 row lost, the cursor past all 3", s)
	}
	if !strings.Contains(r.logs.String(), "a spool row cannot be read") {
		t.Errorf("not logged:\n%s", r.logs.String())
	}
	if d := cmp.Diff(r.want, r.remoteWrite()); d != "" {
		t.Errorf("remote write receiver (-spooled +received):\n%s", d)
	}
}

// TestAgentNeedsATarget: an agent with neither a server nor an export
// target says so, before taking its directory.
func TestAgentNeedsATarget(t *testing.T) {
	dir := t.TempDir()
	cfg := headroomtest.Config(t, fmt.Sprintf("storage: {dir: %s}\nservices: [{name: shop, logs: [{path: /var/log/nginx/access.log}]}]\n", dir))
	err := Run(context.Background(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "agent.push and export: nothing to send to") {
		t.Errorf("Run: %v", err)
	}
}
