package tail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/ingest"
)

// node lays out a Kubernetes node's container logs in a temporary
// directory: the kubelet's files in var/log/pods and its links to them in
// var/log/containers.
type node struct {
	t    *testing.T
	root string
}

// container creates the log of a container and kubelet's link to it, and
// returns the file's path.
func (n node) container(namespace, pod, container string) string {
	n.t.Helper()
	dir := filepath.Join(n.root, "var/log/pods", fmt.Sprintf("%s_%s_0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", namespace, pod), container)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		n.t.Fatal(err)
	}
	file := filepath.Join(dir, "0.log")
	writeTo(n.t, file, "")
	links := filepath.Join(n.root, "var/log/containers")
	if err := os.MkdirAll(links, 0o755); err != nil {
		n.t.Fatal(err)
	}
	link := filepath.Join(links, fmt.Sprintf("%s_%s_%s-5e6f7a8b9c0d.log", pod, namespace, container))
	if err := os.Symlink(file, link); err != nil {
		n.t.Fatal(err)
	}
	return file
}

// TestFollowContainerLinks: a glob over /var/log/containers (kubelet's
// links into /var/log/pods) with wrapper: cri follows the links, and finds
// the files kubelet rotates beside the links' targets: lines written just
// before a rename rotation, the rotated file compressed later, a second
// rotation and a restart count every line once. Another container's log
// in the same directory is not read. With follow_symlinks: false the glob
// reads nothing, and says why.
func TestFollowContainerLinks(t *testing.T) {
	n := node{t: t, root: t.TempDir()}
	file := n.container("ingress-nginx", "ingress-nginx-controller-7d9c6b8f4-x2x4z", "controller")
	other := n.container("shop", "shop-api-5f6d7c8b9-abcde", "api")
	writeTo(t, other, "2026-11-20T10:00:00.000000000Z stdout F not an access line\n")
	cfg := headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: web
    logs:
      - {path: %q, format: ingress-nginx, wrapper: cri}
slos: []
`, filepath.Join(n.root, "var/log/containers/ingress-nginx-controller-*_ingress-nginx_controller-*.log")))
	st := headroomtest.Store(t, cfg.Storage.Dir)
	follower := func() *Follower {
		srcs, err := ingest.NewSources(context.Background(), cfg, st, 2)
		if err != nil {
			t.Fatal(err)
		}
		return New(st, srcs, Options{})
	}
	e := &env{t: t, log: file, st: st, f: follower()}
	g := headroomtest.IngressLog{CRI: true}
	write := func(k int) {
		for i := range k {
			g.Request("shop-api-80", "GET", fmt.Sprintf("/n/%d", i%7), 200)
		}
		writeTo(t, file, g.Take())
	}
	check := func(step string) {
		t.Helper()
		if got := e.total(); got != uint64(g.Lines) {
			t.Fatalf("%s: %d requests stored, want the %d written, each once", step, got, g.Lines)
		}
	}
	rotate := func(stamp string) string {
		t.Helper()
		rotated := file + "." + stamp
		if err := os.Rename(file, rotated); err != nil {
			t.Fatal(err)
		}
		writeTo(t, file, "") // the runtime reopens the log
		return rotated
	}

	write(50)
	e.poll()
	check("first poll")

	// Lines written just before kubelet renames the file: read from the
	// renamed file, beside the link's target.
	write(20)
	first := rotate("20261120-100000")
	write(30)
	e.poll()
	check("after a rotation")

	// The rotated file is compressed: nothing new.
	gzipFile(t, first)
	write(10)
	e.poll()
	e.poll()
	check("after the compression")

	write(5)
	rotate("20261120-110000")
	write(7)
	e.f = follower() // a restart
	e.poll()
	e.poll()
	check("after a second rotation and a restart")
	if s := e.f.States()[0]; s.Files != 3 || s.Malformed != 0 || s.LastError != "" {
		t.Errorf("state %+v; want the link and 2 rotated files (one compressed), nothing malformed", s)
	}

	// Without following links, the glob over /var/log/containers reads
	// nothing, and says why.
	cfg = headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: web
    logs:
      - {path: %q, format: ingress-nginx, wrapper: cri, follow_symlinks: false}
slos: []
`, filepath.Join(n.root, "var/log/containers/ingress-nginx-controller-*_ingress-nginx_controller-*.log")))
	st = headroomtest.Store(t, cfg.Storage.Dir)
	srcs, err := ingest.NewSources(context.Background(), cfg, st, 2)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	e = &env{t: t, st: st, f: New(st, srcs, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})}
	e.f.Poll(context.Background(), time.Now())
	e.expect(0)
	if s := e.f.States()[0]; s.Files != 0 || !strings.Contains(s.Broken(), "no file matches") ||
		!strings.Contains(logged.String(), "a symbolic link out of the log's directory") {
		t.Errorf("without follow_symlinks: state %+v, log %q; want no file, and the link skipped said", s, logged.String())
	}
}
