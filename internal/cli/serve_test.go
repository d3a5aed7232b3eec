package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// runningParts returns the stacks of the goroutines still running
// headroom's own (non-test) code: what serve started and did not join.
// Goroutines of other tests' helpers, and ones already exiting, are not
// serve's.
func runningParts() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "runtime.goexit1()") {
			continue // returning
		}
		// Frames are a function line and its file line.
		lines := strings.Split(g, "\n")
		for i := 1; i+1 < len(lines); i += 2 {
			fn, file := lines[i], lines[i+1]
			if strings.HasPrefix(fn, "created by ") {
				break // who started it is not what it runs
			}
			if strings.Contains(fn, "github.com/headroom-slo/headroom/internal/") && !strings.Contains(file, "_test.go:") {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// hostageWriter is serve's stderr: the first write containing trap blocks
// until release is closed, holding whatever wrote it.
type hostageWriter struct {
	trap    string
	caught  chan struct{}
	release chan struct{}
	once    sync.Once
	buf     itest.SyncBuffer
}

func (w *hostageWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.trap)) {
		w.once.Do(func() {
			close(w.caught)
			<-w.release
		})
	}
	return w.buf.Write(p)
}

func (w *hostageWriter) String() string { return w.buf.String() }

// startServe runs serve with cfg until ctx is done, and returns once it
// writes w's trap to its stderr (w); the channel then gets its exit status.
func startServe(ctx context.Context, t *testing.T, cfg string, w *hostageWriter) <-chan int {
	t.Helper()
	ret := make(chan int, 1)
	go func() {
		ret <- Run(ctx, []string{"serve", "--config", cfg}, Stdio{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: w})
	}()
	select {
	case <-w.caught:
	case code := <-ret:
		t.Fatalf("serve exited (%d) before writing %q: %s", code, w.trap, w.String())
	}
	return ret
}

// TestServeStopsEveryPartBeforeTheStore: serve, told to stop while a
// notify worker is in the middle of a delivery (held inside its log line
// about a failed attempt, right after it wrote the delivery log), waits for
// it before closing the store; nothing writes the store after it is closed.
func TestServeStopsEveryPartBeforeTheStore(t *testing.T) {
	var hits atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	defer hook.Close()

	dir := t.TempDir()
	var b strings.Builder
	now := time.Now().UTC()
	for i := range 300 { // the last 10 minutes: every request failed
		ts := now.Add(-10*time.Minute + time.Duration(i)*2*time.Second)
		fmt.Fprintf(&b, "10.0.0.1 - - [%s] \"GET /api/deals HTTP/1.1\" 503 10 \"-\" \"Mozilla\" 0.010 0.010\n", ts.Format("02/Jan/2006:15:04:05 -0700"))
	}
	if err := os.WriteFile(filepath.Join(dir, "access.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "headroom.yaml")
	y := fmt.Sprintf(`storage: {dir: ./data}
server: {listen: "127.0.0.1:0"}
services:
  - name: web
    logs: [{path: ./access.log, log_format: '%s'}]
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
notify:
  - {name: hook, type: webhook, url: %q}
`, logFormat, hook.URL)
	if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "import", "--config", cfg, "--quiet"); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}

	stderr := &hostageWriter{trap: "notify delivery failed; retrying", caught: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ret := startServe(ctx, t, cfg, stderr) // returns once a worker attempted, wrote the delivery log, and is logging
	cancel()
	select {
	case code := <-ret:
		close(stderr.release)
		t.Fatalf("serve returned (%d) and closed the store while a notify worker was still delivering", code)
	case <-time.After(2 * time.Second): // a negative check: serve must still be waiting
	}
	close(stderr.release)
	if code := <-ret; code != 0 {
		t.Fatalf("serve: exit %d: %s", code, stderr.String())
	}
	// Nothing serve started is still running: every part was joined
	// before the store closed.
	if left := runningParts(); len(left) > 0 {
		t.Errorf("serve returned with its parts still running:\n%s", strings.Join(left, "\n\n"))
	}
	out := stderr.String()
	for _, bad := range []string{"database is closed", "delivery log", "level=ERROR"} {
		if strings.Contains(out, bad) {
			t.Errorf("serve's log says %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "stopping") || !strings.Contains(out, "notify") {
		t.Errorf("serve's log does not say what it waited for:\n%s", out)
	}
	if hits.Load() == 0 {
		t.Error("the webhook was never called")
	}
	// The delivery is in the store's log, which opens again cleanly.
	r := run(t, "", "alerts", "--config", cfg, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"phase": "firing"`) {
		t.Errorf("alerts after serve: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestServeHealthzFailingCommits: while the store refuses to commit a
// log's progress (a trigger stands in for a full or broken disk), /healthz
// says degraded (503) with the log and the error, and counts every byte of
// the log not stored as behind, as `status` does; once commits work again
// it says ok, nothing behind.
func TestServeHealthzFailingCommits(t *testing.T) {
	dir := t.TempDir()
	line := func(i int) string {
		ts := time.Now().UTC().Add(-time.Duration(100-i) * time.Second)
		return fmt.Sprintf("10.0.0.1 - - [%s] \"GET /api/items/%d HTTP/1.1\" 200 10 \"-\" \"Mozilla\" 0.010 0.010\n", ts.Format("02/Jan/2006:15:04:05 -0700"), i)
	}
	logPath := filepath.Join(dir, "access.log")
	var b strings.Builder
	for i := range 10 {
		b.WriteString(line(i))
	}
	writeFile(t, logPath, b.String())
	cfg := filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, fmt.Sprintf(`storage: {dir: ./data}
services:
  - name: web
    logs: [{path: ./access.log, log_format: '%s'}]
`, logFormat))
	if r := run(t, "", "import", "--config", cfg, "--quiet"); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const failing = `CREATE TRIGGER no_insert BEFORE INSERT ON sources BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END;
		CREATE TRIGGER no_update BEFORE UPDATE ON sources BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END;`
	if _, err := db.Exec(failing); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var unread int64
	for i := 10; i < 60; i++ {
		n, _ := f.WriteString(line(i))
		unread += int64(n)
	}
	f.Close()

	logs := &itest.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan int, 1)
	go func() {
		ret <- Run(ctx, []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0"}, Stdio{In: strings.NewReader(""), Out: logs, Err: logs})
	}()
	defer func() {
		cancel()
		if code := <-ret; code != 0 {
			t.Errorf("serve: exit %d: %s", code, logs)
		}
	}()
	addr := regexp.MustCompile(`Dashboard: http://([^/]+)/`)
	waitFor(t, func() bool { return addr.MatchString(logs.String()) }, logs.String)
	url := "http://" + addr.FindStringSubmatch(logs.String())[1] + "/healthz"
	type healthz struct {
		Status  string
		Reasons []string
		Details struct {
			Sources []struct {
				Log    string
				Behind int64 `json:"bytes_behind"`
			}
		}
	}
	var h healthz
	var code int
	get := func() {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		code, h = resp.StatusCode, healthz{}
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatalf("GET /healthz: %v", err)
		}
	}
	waitFor(t, func() bool { get(); return h.Status == "degraded" }, func() string { return fmt.Sprintf("GET /healthz: %d %+v", code, h) })
	if code != 503 || len(h.Reasons) != 1 || !strings.Contains(h.Reasons[0], "log "+logPath+" (service web)") || !strings.Contains(h.Reasons[0], "disk I/O error (test)") {
		t.Errorf("GET /healthz while commits fail: %d %+v, want 503 with the log and its error", code, h)
	}
	if len(h.Details.Sources) != 1 || h.Details.Sources[0].Behind != unread {
		t.Errorf("GET /healthz while commits fail: sources %+v, want %d bytes behind", h.Details.Sources, unread)
	}

	if _, err := db.Exec(`DROP TRIGGER no_insert; DROP TRIGGER no_update;`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { get(); return h.Status == "ok" }, func() string { return fmt.Sprintf("GET /healthz: %d %+v", code, h) })
	if code != 200 || len(h.Details.Sources) != 1 || h.Details.Sources[0].Behind != 0 {
		t.Errorf("GET /healthz once commits work: %d %+v, want 200, nothing behind", code, h)
	}
}
