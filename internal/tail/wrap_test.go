package tail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/ingest"
)

// newContainerEnv follows an ingress-nginx controller's CRI-wrapped log
// under containers/, as kubelet links them in /var/log/containers.
func newContainerEnv(t *testing.T) (*env, *config.Config) {
	t.Helper()
	cfg := headroomtest.Config(t, `
services:
  - name: web
    logs: [{path: "containers/*.log", format: ingress-nginx, wrapper: cri}]
slos: []
`)
	dir := filepath.Dir(cfg.Path)
	if err := os.Mkdir(filepath.Join(dir, "containers"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, log: filepath.Join(dir, "containers", "ingress-nginx-controller-7d4f_ingress-nginx_controller-1a2b.log"),
		st: headroomtest.Store(t, cfg.Storage.Dir)}
	e.f = containerFollower(t, e, cfg)
	return e, cfg
}

// containerFollower returns a new Follower of cfg, as a restarted process
// has.
func containerFollower(t *testing.T, e *env, cfg *config.Config) *Follower {
	t.Helper()
	svc, err := ingest.NewService(context.Background(), cfg, &cfg.Services[0], e.st)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ingest.NewSource(cfg.Services[0].Logs[0], 2, svc)
	if err != nil {
		t.Fatal(err)
	}
	return New(e.st, []*ingest.Source{src}, Options{})
}

// criRequest returns the n-th request of the controller as nginx writes
// it, without a newline.
func criRequest(n int) string {
	ts := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)
	return fmt.Sprintf(`10.0.0.1 - - [%s] "GET /n/%d HTTP/1.1" 200 5 "-" "t" 77 0.004 [shop-web-80] [] 10.244.0.9:80 5 0.003 200 %032x`,
		ts.Format("02/Jan/2006:15:04:05 -0700"), n, n)
}

const criTime = "2026-11-20T00:00:00.000000001Z "

// TestFollowPartialContainerLine: the runtime writes a long line in parts;
// a poll between its partial parts and its full part reads nothing of it,
// a follower started anew in between (a restart) neither, and once the
// full part is written the line counts once.
func TestFollowPartialContainerLine(t *testing.T) {
	e, cfg := newContainerEnv(t)
	writeTo(t, e.log, criTime+"stdout F "+criRequest(1)+"\n")
	e.poll()
	e.expect(1)

	line := criRequest(2)
	writeTo(t, e.log, criTime+"stdout P "+line[:40]+"\n")
	e.poll()
	e.expect(1)
	if st := e.f.States()[0]; st.Behind == 0 || st.Lines != 1 {
		t.Errorf("after a partial part: %d lines, %d bytes behind; want 1, the part left", st.Lines, st.Behind)
	}
	writeTo(t, e.log, criTime+"stderr F W1120 00:00:02 controller.go:1] a warning between the parts\n")
	writeTo(t, e.log, criTime+"stdout P "+line[40:90]+"\n")
	e.poll()
	e.expect(1)

	e.f = containerFollower(t, e, cfg) // a restart between the parts
	e.poll()
	e.expect(1)

	writeTo(t, e.log, criTime+"stdout F "+line[90:]+"\n")
	e.poll()
	e.poll()
	e.expect(2)
	st := e.f.States()[0]
	if st.Behind != 0 || st.Lines != 2 || st.Malformed != 0 {
		t.Errorf("state %+v; want 2 lines (the request and the stderr line), none malformed, nothing behind", st)
	}
}
