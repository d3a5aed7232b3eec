package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// now is the tests' clock.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// chanLog is a DeliveryLog the tests wait on.
type chanLog struct{ c chan Delivery }

func newChanLog() *chanLog { return &chanLog{c: make(chan Delivery, 1000)} }

func (l *chanLog) Record(d Delivery) { l.c <- d }

// wait returns the next n deliveries, failing the test after 10 s.
func (l *chanLog) wait(t *testing.T, n int) []Delivery {
	t.Helper()
	var out []Delivery
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case d := <-l.c:
			out = append(out, d)
		case <-timeout:
			t.Fatalf("got %d deliveries, want %d: %+v", len(out), n, out)
		}
	}
	return out
}

// waitOK returns deliveries until n of them succeeded.
func (l *chanLog) waitOK(t *testing.T, n int) []Delivery {
	t.Helper()
	var out []Delivery
	for ok := 0; ok < n; {
		d := l.wait(t, 1)[0]
		out = append(out, d)
		if d.OK {
			ok++
		}
	}
	return out
}

// fastOptions are Options with tiny backoffs and the tests' clock.
func fastOptions(log DeliveryLog) Options {
	return Options{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Log: log, Now: clock}
}

func newDispatcher(t *testing.T, targets []Target, opts Options) *Dispatcher {
	t.Helper()
	d, err := NewDispatcher(targets, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// start runs d until the test ends.
func start(t *testing.T, d *Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// request is what a fake server received.
type request struct {
	Path   string
	Header http.Header
	Body   []byte
}

// readBody returns what arrived of r's body: all of it, or what came before
// the client gave up (the read error says only that).
func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// recorder is a fake receiver: it answers each request with the next
// status of its script (200 once the script is done) and keeps them all.
type recorder struct {
	mu     sync.Mutex
	script []int
	reqs   []request
	srv    *httptest.Server
}

func newRecorder(t *testing.T, script ...int) *recorder {
	r := &recorder{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body := readBody(req)
		r.mu.Lock()
		r.reqs = append(r.reqs, request{Path: req.URL.Path, Header: req.Header.Clone(), Body: body})
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status)))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// closedURL returns an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// webhookFingerprint returns the fingerprint in a webhook body.
func webhookFingerprint(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Alert struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"alert"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return p.Alert.Fingerprint
}

// golden compares got, indented, with testdata/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, cmp.Diff(string(want), buf.String()))
	}
}

// sample returns a firing burn-rate alert.
func sample() Alert {
	return Alert{
		Fingerprint:     "checkout-availability/burn/page-1h",
		Name:            "SLOBurnRate",
		SLO:             "checkout-availability",
		Service:         "checkout",
		Severity:        "page",
		Tier:            "page-1h",
		State:           Firing,
		StartsAt:        now.Add(-3 * time.Minute),
		Labels:          map[string]string{"team": "payments", "severity": "overridden?"},
		Summary:         "checkout-availability is burning its error budget 15× too fast",
		Description:     "1.5% of requests failed over the last hour (objective 99.9% <= 30d) & rising",
		BurnRates:       map[string]float64{"5m": 20.08, "1h": 15.24},
		Thresholds:      map[string]float64{"1h": 14.4, "5m": 14.4},
		BudgetRemaining: 0.4234,
		Objective:       99.9,
		Window:          "30d",
		TopRoutes:       []Count{{Key: "POST /api/checkout", Bad: 120}, {Key: "GET /api/cart", Bad: 30.5}},
		TopStatuses:     []Count{{Key: "503", Bad: 100}, {Key: "500", Bad: 50.5}},
		DashboardURL:    "https://headroom.example.com/slo/checkout-availability",
		RunbookURL:      "https://wiki.example.com/runbooks/checkout?x=1&y=2",
	}
}

// resolvedSample returns sample resolved, without a runbook.
func resolvedSample() Alert {
	a := sample()
	a.State = Resolved
	a.EndsAt = now.Add(-30 * time.Second)
	a.Summary = "checkout-availability is no longer burning fast"
	a.Description = ""
	a.RunbookURL = ""
	a.BurnRates = map[string]float64{"5m": 0.4, "1h": 9.87}
	a.BudgetRemaining = -0.12
	return a
}
