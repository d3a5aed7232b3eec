package pushload

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/headroom-slo/headroom/internal/push"
)

// receiver is a push server in memory: it decodes each push as the real
// one does (push.Decode) and keeps what it would store, each agent's
// commits once by sequence number.
type receiver struct {
	mu       sync.Mutex
	failNext map[string]bool // agents whose next push is answered 503
	last     map[string]int64
	pushes   map[string]int
	requests int64
	errors5  int64
	dims     map[string]map[dimKey]bool // by agent
	bad      []string
}

type dimKey struct {
	host, route, method string
	status              int
}

func newReceiver() *receiver {
	return &receiver{failNext: map[string]bool{}, last: map[string]int64{}, pushes: map[string]int{}, dims: map[string]map[dimKey]bool{}}
}

func (rc *receiver) RoundTrip(req *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	rc.serve(w, req)
	return w.Result(), nil
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != push.Path || r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Encoding") != "gzip" {
		http.Error(w, "not a push", http.StatusBadRequest)
		return
	}
	p, err := push.Decode(r.Body, func(s string) bool { return s == "shop" })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.bad = append(rc.bad, err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if rc.failNext[p.Agent] {
		rc.failNext[p.Agent] = false
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	rc.pushes[p.Agent]++
	if rc.dims[p.Agent] == nil {
		rc.dims[p.Agent] = map[dimKey]bool{}
	}
	for _, c := range p.Commits {
		if c.Seq <= rc.last[p.Agent] {
			continue
		}
		rc.last[p.Agent] = c.Seq
		for _, s := range c.Services {
			for _, m := range s.Minutes {
				for _, e := range m.Entries {
					rc.requests += int64(e.Count)
					if e.Status >= 500 {
						rc.errors5 += int64(e.Count)
					}
					rc.dims[p.Agent][dimKey{e.Host, e.Route, e.Method, e.Status}] = true
				}
			}
		}
	}
	io.WriteString(w, `{"commits":0,"applied":0}`)
}

// TestRun: every push is a valid push (push.Decode), each agent pushes
// once an interval, and what the receiver would store is what Run says it
// sent, a push that failed included once its commits went again.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver()
		rc.failNext["edge-002"] = true // its first push fails
		var marks []time.Time
		res, err := Run(context.Background(), Options{
			URL: "http://server", Token: "tok", Service: "shop", Agents: 5, NamePrefix: "edge",
			Dims: 40, Rate: 300, Interval: 4 * time.Second, PollEvery: time.Second, Warmup: 12 * time.Second, Duration: 20 * time.Second, Seed: 3,
			Transport: rc, Measured: func(bool) { marks = append(marks, time.Now()) },
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rc.bad) > 0 {
			t.Fatalf("pushes refused: %v", rc.bad)
		}
		sent := res.Warmup.Requests + res.Measured.Requests
		if sent == 0 || rc.requests != sent || rc.errors5 != res.Warmup.Errors5+res.Measured.Errors5 {
			t.Errorf("stored %d requests (%d 5xx), Run sent %+v %+v", rc.requests, rc.errors5, res.Warmup, res.Measured)
		}
		// 32 s of pushes every 4 s: 8 each, one of edge-002's failed.
		for i := range 5 {
			name := fmt.Sprintf("edge-%03d", i)
			want := 8
			if i == 2 {
				want = 7
			}
			if rc.pushes[name] != want {
				t.Errorf("%s: %d pushes stored, want %d", name, rc.pushes[name], want)
			}
			if n := len(rc.dims[name]); n != 40 {
				t.Errorf("%s: %d dimensions, want 40", name, n)
			}
		}
		if res.Warmup.Failed != 1 || res.Measured.Pushes != 25 || len(res.Latencies) != 25 {
			t.Errorf("warm-up %+v, measured %+v, %d latencies; want 1 failure, 25 measured pushes", res.Warmup, res.Measured, len(res.Latencies))
		}
		if len(marks) != 2 || marks[1].Sub(marks[0]) < 20*time.Second {
			t.Errorf("measured period marks %v, want a start and an end 20 s apart or more", marks)
		}
		if res.Quantile(0.5) > res.Quantile(0.99) || res.Quantile(1) != res.Latencies[len(res.Latencies)-1] {
			t.Errorf("quantiles of %v", res.Latencies)
		}
	})
}

// TestBacklog: an agent's first push carries its backlog, a commit per
// poll, in the minutes they fall in; the next ones an interval's.
func TestBacklog(t *testing.T) {
	f, err := NewFleet(Options{Service: "shop", Agents: 2, Dims: 10, Backlog: 5 * time.Minute, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	first := f.Push(1, at)
	if len(first.Commits) != 30 {
		t.Fatalf("first push: %d commits, want 30 (5 minutes of 10 s polls)", len(first.Commits))
	}
	minutes := map[int64]int{}
	for _, c := range first.Commits {
		minutes[c.Services[0].Minutes[0].Start]++
	}
	if len(minutes) != 5 || minutes[at.Unix()-60] != 6 {
		t.Errorf("commits by minute %v, want 6 in each of the 5 before %v", minutes, at)
	}
	if next := f.Push(1, at.Add(10*time.Second)); len(next.Commits) != 1 || next.Commits[0].Seq != 31 {
		t.Errorf("second push: %d commits, want 1 (seq 31)", len(next.Commits))
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no url", Options{Service: "shop", Duration: time.Second}, "a URL and a service"},
		{"dims", Options{URL: "u", Service: "shop", Dims: 1 << 20, Duration: time.Second}, "dims 1048576"},
		{"interval", Options{URL: "u", Service: "shop", Interval: 500 * time.Millisecond, Duration: time.Second}, "interval 500ms"},
		{"duration", Options{URL: "u", Service: "shop"}, "duration 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run(%+v) = %v, want an error containing %q", tc.opts, err, tc.want)
			}
		})
	}
}
