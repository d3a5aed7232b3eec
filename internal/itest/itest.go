// Package itest starts real programs (nginx, an HTTP upstream, Prometheus
// Alertmanager, the headroom binary) on loopback for integration tests.
//
// Only _test.go files may import it. Tests call Require first: it skips under
// -short, and when a binary is missing it skips, or fails when
// HEADROOM_INTEGRATION=1 (as `make test` sets), so a suite that was asked for
// integration tests never passes by silently skipping them.
package itest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// EnvIntegration is the environment variable that makes integration tests
// required: with EnvIntegration=1 a missing binary fails the test.
const EnvIntegration = "HEADROOM_INTEGRATION"

// sbinPath is searched after PATH: Debian installs daemons such as nginx in
// /usr/sbin, which is not on every user's PATH.
const sbinPath = "/usr/sbin:/sbin:/usr/local/sbin"

// LookPath finds an executable like exec.LookPath, then in /usr/sbin, /sbin
// and /usr/local/sbin.
func LookPath(bin string) (string, error) {
	p, err := exec.LookPath(bin)
	if err == nil {
		return p, nil
	}
	if strings.ContainsRune(bin, filepath.Separator) {
		return "", err
	}
	for _, dir := range filepath.SplitList(sbinPath) {
		p := filepath.Join(dir, bin)
		if fi, statErr := os.Stat(p); statErr == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", err
}

// Required reports whether integration tests must run (EnvIntegration=1).
func Required() bool {
	return os.Getenv(EnvIntegration) == "1"
}

// Require skips the test under -short; otherwise, if a binary is missing, it
// fails when HEADROOM_INTEGRATION=1 and skips with a clear message when not.
func Require(t testing.TB, bins ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
		return
	}
	var missing []string
	for _, bin := range bins {
		if _, err := LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) == 0 {
		return
	}
	where := "not found in PATH or " + sbinPath
	if Required() {
		t.Fatalf("integration test needs %s (%s) and %s=1 requires it: run scripts/test-deps.sh",
			strings.Join(missing, ", "), where, EnvIntegration)
		return
	}
	t.Skipf("integration test skipped: %s %s; run scripts/test-deps.sh, and set %s=1 to make this a failure (make test does)",
		strings.Join(missing, ", "), where, EnvIntegration)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("free port: %v", err)
	}
	return port
}

// stopProc sends sig to a server's process and waits up to timeout for done
// to close; past that it kills the process group and waits for it. slow
// tells of a server that had to be killed: t.Errorf, or t.Logf where that is
// no failure.
func stopProc(t testing.TB, name string, cmd *exec.Cmd, done <-chan struct{}, sig os.Signal, timeout time.Duration, slow func(format string, args ...any)) {
	t.Helper()
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("%s: signal %v: %v", name, sig, err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		slow("%s: still running %v after signal %v; killing it", name, timeout, sig)
		killGroup(cmd.Process.Pid)
		<-done
	}
}

// waitReady polls url every `every` until it answers want, the process
// exits (done closes; exitErr says why) or timeout passes.
func waitReady(client *http.Client, url string, want int, every, timeout time.Duration, done <-chan struct{}, exitErr func() error) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var lastErr error
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		lastErr = err
		select {
		case <-done:
			return fmt.Errorf("exited during start: %v", exitErr())
		case <-deadline.C:
			return fmt.Errorf("not ready after %v: %v", timeout, lastErr)
		case <-tick.C:
		}
	}
}
