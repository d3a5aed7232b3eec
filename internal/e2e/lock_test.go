package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// TestServeLock: one serve per store. A second serve on the same data
// directory exits at once with an error naming the first (its pid), while
// import and status work beside the first; the lock goes with the process
// that held it, stopped with SIGTERM or killed with SIGKILL.
func TestServeLock(t *testing.T) {
	itest.Require(t)
	dir := t.TempDir()
	live := itest.NewLiveLog(t, dir)
	live.Write(100, 200)
	var logs itest.SyncBuffer
	first := startServe(t, live.Config, &logs)
	first.health(t, 10*time.Second)

	var second itest.SyncBuffer
	p := startServe(t, live.Config, &second)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		t.Fatalf("a second serve on the same store still runs after %v:\n%s", stopTimeout, second.String())
	}
	want := fmt.Sprintf("is in use by headroom serve (pid %d)", first.cmd.Process.Pid)
	if p.err == nil || p.cmd.ProcessState.ExitCode() != 1 || !strings.Contains(second.String(), want) {
		t.Errorf("second serve: %v, output:\n%s\nwant exit status 1 and %q", p.err, second.String(), want)
	}
	t.Logf("second serve: %s", strings.TrimSpace(second.String()))

	// The other commands work beside serve.
	live.Write(50, 503)
	runHeadroom(t, "import", "--config", live.Config, "--quiet", filepath.Join(dir, "access.log"))
	rep := status(t, live.Config, time.Now())
	if s := rep.slo(t, "web-availability"); s.Total != 150 || s.Bad != 50 {
		t.Errorf("status beside serve: total %v, bad %v, want 150 and 50", s.Total, s.Bad)
	}
	runHeadroom(t, "alerts", "--config", live.Config, "--json")

	// Released on exit, by SIGTERM and by SIGKILL.
	if err := first.stop(t); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, logs.String())
	}
	next := startServe(t, live.Config, &logs)
	next.health(t, 10*time.Second)
	next.kill()
	last := startServe(t, live.Config, &logs)
	last.health(t, 10*time.Second)
	if err := last.stop(t); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
}
