package export

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV1"
	"github.com/golang/snappy"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/prompb"

	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

func TestQueueBoundDropsOldestAndCounts(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, 250, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := q.Put(bytes.Repeat([]byte{byte('a' + i)}, 100), start.Add(time.Duration(i)*time.Minute), 1); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := q.State(), (QueueState{Requests: 2, Bytes: 200, Dropped: 3}); got != want {
		t.Errorf("state %+v, want %+v", got, want)
	}
	// Reopened (a restart), the queue has the newest two, oldest first.
	q, err = OpenQueue(dir, 250, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r, ok, err := q.Peek()
	if err != nil || !ok || r.Data[0] != 'd' || !r.At.Equal(start.Add(3*time.Minute)) || r.Samples != 1 {
		t.Fatalf("peek after reopen: %+v %v %v", r, ok, err)
	}
	if got, want := q.Last(), start.Add(4*time.Minute); !got.Equal(want) {
		t.Errorf("last %v, want %v", got, want)
	}
}

// receiver is a remote write receiver failing its first fails requests.
type receiver struct {
	mu      sync.Mutex
	fails   int
	calls   int
	samples map[string][]prompb.Sample // by series labels
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.fails {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(req.Body)
	raw, err := snappy.Decode(nil, body)
	var wr prompb.WriteRequest
	if err == nil {
		err = wr.Unmarshal(raw)
	}
	if err != nil || req.Header.Get("Content-Encoding") != "snappy" || req.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	for _, ts := range wr.Timeseries {
		var id string
		for _, l := range ts.Labels {
			id += l.Name + "=" + l.Value + ","
		}
		r.samples[id] = append(r.samples[id], ts.Samples...)
	}
}

func (r *receiver) last(id string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.samples[id]
	if len(s) == 0 {
		return -1
	}
	return s[len(s)-1].Value
}

// TestExporterRetriesThroughAnOutage runs the exporter on a fake clock
// against a receiver down for its first requests: every minute arrives,
// and the last sample equals the engine's count.
func TestExporterRetriesThroughAnOutage(t *testing.T) {
	cfg := testConfig(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	traffic(t, st, rng, start, start.Add(3*time.Hour))
	rec := &receiver{fails: 4, samples: map[string][]prompb.Sample{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	q, err := OpenQueue(t.TempDir(), 1<<20, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w := &RemoteWriter{URL: srv.URL}
	target := &Target{Name: "rw", Queue: q, Send: w.Send}
	var mu sync.Mutex
	now := start.Add(3*time.Hour + 40*time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	x := NewExporter(cfg, st, []*Target{target}, ExporterOptions{Now: clock, Tick: time.Millisecond, Settle: 30 * time.Second, BackoffMin: time.Millisecond, BackoffMax: 4 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- x.Run(ctx) }()
	queued := func() int64 { st := target.State(); return st.Sent + int64(st.Queue.Requests) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("the first minute", func() bool { return queued() == 1 })
	// Five more minutes of traffic, the clock moving past each once the
	// exporter queued the previous one.
	for i := range 5 {
		m := start.Add(3*time.Hour + time.Duration(i)*time.Minute)
		traffic(t, st, rng, m, m.Add(time.Minute))
		mu.Lock()
		now = m.Add(time.Minute + 31*time.Second)
		mu.Unlock()
		waitFor("a minute queued", func() bool { return queued() == int64(i+2) })
	}
	waitFor("the queue sent", func() bool { return target.State().Queue.Requests == 0 })
	cancel()
	<-done
	eng, err := report.New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	c, err := eng.Counts(context.Background(), "avail", time.Unix(0, 0), start.Add(3*time.Hour+5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	id := "__name__=headroom_slo_events_total,result=bad,service=web,slo=avail,"
	if got, want := rec.last(id), c.Bad(); got != want || want == 0 {
		t.Errorf("receiver's last bad count %v, want %v", got, want)
	}
	ts := rec.samples[id]
	if len(ts) != 6 {
		t.Errorf("%d samples, want 6 (the first minute and five more): %v", len(ts), ts)
	}
	if s := target.State(); s.Failed < 4 || s.Queue.Requests != 0 {
		t.Errorf("target state %+v: want at least 4 failures and an empty queue", s)
	}
}

// TestDatadogPayload checks the payload against Datadog's API client
// models and its deltas against the snapshots'.
func TestDatadogPayload(t *testing.T) {
	at := start.Add(2 * time.Minute)
	prev := Snapshot{At: at.Add(-time.Minute), Values: Values{
		key(SLOEvents, "slo", "avail", "service", "web", "result", "bad"):                                3,
		key(HTTPRequests, "service", "web", "route", "/", "method", "GET", "code", "500", "node", ""):    2,
		key(HTTPRequests, "service", "web", "route", "/", "method", "POST", "code", "500", "node", "n1"): 1,
		key(HTTPDurationBkt, "service", "web", "route", "/", "le", "0.1"):                                9,
		key(SLOEvents, "slo", "avail", "service", "web", "result", "good"):                               10,
	}}
	cur := Snapshot{At: at, Values: Values{
		key(SLOEvents, "slo", "avail", "service", "web", "result", "bad"):                                5,
		key(HTTPRequests, "service", "web", "route", "/", "method", "GET", "code", "500", "node", ""):    4,
		key(HTTPRequests, "service", "web", "route", "/", "method", "POST", "code", "500", "node", "n1"): 2,
		key(HTTPDurationBkt, "service", "web", "route", "/", "le", "0.1"):                                12,
		key(SLOEvents, "slo", "avail", "service", "web", "result", "good"):                               10,
	}}
	data, err := EncodeDatadog(prev, cur)
	if err != nil {
		t.Fatal(err)
	}
	var p datadogV1.MetricsPayload
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.UnparsedObject) > 0 {
		t.Fatalf("the client's model does not take the payload: %v", p.UnparsedObject)
	}
	type point struct {
		Metric, Type string
		Interval     int64
		Tags         []string
		TS, V        float64
	}
	var got []point
	for _, s := range p.Series {
		if len(s.UnparsedObject) > 0 {
			t.Fatalf("series not parsed by the client's model: %v", s.UnparsedObject)
		}
		pts := s.GetPoints()
		got = append(got, point{s.Metric, s.GetType(), s.GetInterval(), s.GetTags(), *pts[0][0], *pts[0][1]})
	}
	ts := float64(at.Add(-time.Minute).Unix())
	want := []point{
		{"headroom.http.requests", "count", 60, []string{"service:web", "route:/", "code:500"}, ts, 3},
		{"headroom.slo.events", "count", 60, []string{"slo:avail", "service:web", "result:bad"}, ts, 2},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
}
