package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// Deadlines. Every wait polls and returns as soon as its condition holds.
const (
	commandTimeout = 60 * time.Second // one import or status run
	stopTimeout    = 10 * time.Second // serve exiting after SIGTERM
	pollEvery      = 100 * time.Millisecond
)

// headroom is the binary under test, built on first use.
var headroom itest.Headroom

func TestMain(m *testing.M) {
	code := m.Run()
	headroom.Cleanup()
	os.Exit(code)
}

// headroomBin returns the path of the headroom binary, building it once.
func headroomBin(t testing.TB) string { return headroom.Path(t) }

// runHeadroom runs `headroom args...` to completion and returns its standard
// output; a non-zero exit fails the test with both streams.
func runHeadroom(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, headroomBin(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = procAttr()
	if err := cmd.Run(); err != nil {
		t.Fatalf("headroom %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

// statusReport is the part of the `status --json` document the tests read,
// decoded independently of the cli package's types.
type statusReport struct {
	At      time.Time      `json:"at"`
	SLOs    []sloStatus    `json:"slos"`
	Sources []sourceStatus `json:"sources"`
	Agents  []struct {
		Name      string `json:"name"`
		Silent    bool   `json:"silent"`
		Lines     int64  `json:"lines"`
		Malformed int64  `json:"malformed"`
		Excluded  int64  `json:"excluded"`
		Unmatched int64  `json:"unmatched"`
	} `json:"agents"`
}

type sloStatus struct {
	Name        string                `json:"name"`
	Service     string                `json:"service"`
	Type        string                `json:"type"`
	Window      string                `json:"window"`
	WindowStart time.Time             `json:"window_start"`
	WindowEnd   time.Time             `json:"window_end"`
	Total       float64               `json:"total"`
	Good        float64               `json:"good"`
	Bad         float64               `json:"bad"`
	SLI         float64               `json:"sli"`
	BurnRates   map[string]float64    `json:"burn_rates"`
	Events      map[string]eventCount `json:"events"`
}

type eventCount struct {
	Total float64 `json:"total"`
	Good  float64 `json:"good"`
}

type sourceStatus struct {
	Service   string `json:"service"`
	Log       string `json:"log"`
	Files     int    `json:"files"`
	FilesRead int    `json:"files_read"`
	Lines     int64  `json:"lines"`
	Malformed int64  `json:"malformed"`
	Excluded  int64  `json:"excluded"`
	Samples   []struct {
		Path    string `json:"path"`
		Line    int64  `json:"line"`
		Reason  string `json:"reason"`
		Excerpt string `json:"excerpt"`
	} `json:"malformed_samples"`
}

// slo returns the named SLO of the report, failing the test when it is missing.
func (r *statusReport) slo(t testing.TB, name string) sloStatus {
	t.Helper()
	for _, s := range r.SLOs {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("status --json has no SLO %q", name)
	return sloStatus{}
}

// status runs `headroom status --json --at at` and decodes the report.
func status(t testing.TB, cfg string, at time.Time) *statusReport {
	t.Helper()
	out := runHeadroom(t, "status", "--config", cfg, "--at", at.UTC().Format(time.RFC3339), "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return &rep
}

// waitStatus polls status until done reports true about a report, or fails
// after timeout with the last report and why it was not done.
func waitStatus(t testing.TB, cfg string, at time.Time, timeout time.Duration, done func(*statusReport) error) *statusReport {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		rep := status(t, cfg, at)
		err := done(rep)
		if err == nil {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("status not as expected after %v: %v", timeout, err)
		}
		<-tick.C
	}
}

// serveProc is one running `headroom serve`.
type serveProc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed once the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// startServe starts `headroom serve --config cfg` on a free loopback port,
// its output appended to logw. t.Cleanup kills it if it still runs.
func startServe(t testing.TB, cfg string, logw io.Writer) *serveProc {
	t.Helper()
	return startServeAt(t, cfg, "127.0.0.1:"+strconv.Itoa(itest.FreePort(t)), logw)
}

// startServeAt starts serve on addr (a restart keeps its address).
func startServeAt(t testing.TB, cfg, addr string, logw io.Writer) *serveProc {
	t.Helper()
	p := startProc(t, logw, "serve", "--config", cfg, "--listen", addr)
	p.addr = addr
	return p
}

// startProc starts `headroom args...`, its output appended to logw.
// t.Cleanup kills it if it still runs.
func startProc(t testing.TB, logw io.Writer, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(headroomBin(t), args...)
	cmd.Stdout, cmd.Stderr = logw, logw
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start headroom %s: %v", args[0], err)
	}
	p := &serveProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// exited reports whether the process has exited.
func (p *serveProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *serveProc) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// stop sends SIGTERM and returns the exit error; it fails the test if the
// process does not exit within stopTimeout.
func (p *serveProc) stop(t testing.TB) error {
	t.Helper()
	if !p.exited() {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatalf("serve: SIGTERM: %v", err)
		}
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		p.kill()
		t.Fatalf("serve still running %v after SIGTERM; killed", stopTimeout)
		return nil
	}
}

// health waits until GET /healthz answers 200 and returns its decoded body.
func (p *serveProc) health(t testing.TB, timeout time.Duration) map[string]any {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last error
	for {
		resp, err := client.Get("http://" + p.addr + "/healthz")
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case rerr != nil:
				err = rerr
			case resp.StatusCode != http.StatusOK:
				err = fmt.Errorf("GET /healthz: %s: %s", resp.Status, body)
			default:
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatalf("GET /healthz: not JSON: %v: %s", err, body)
				}
				return m
			}
		}
		last = err
		if p.exited() {
			t.Fatalf("serve exited before answering /healthz: %v", p.err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve: no /healthz after %v: %v", timeout, last)
		}
		<-tick.C
	}
}

// writeFile writes a test file or fails the test.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tailFile returns up to the last n bytes of a file, for failure messages.
func tailFile(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}
