package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// runningParts returns the stacks of the goroutines running headroom code
// other than this test's.
func runningParts() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "headroom/internal/") && !strings.Contains(g, "internal/cli.TestServe") && !strings.Contains(g, "testing.tRunner") {
			out = append(out, g)
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
