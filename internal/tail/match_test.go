package tail

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestFollowSharedLog: an ingress-nginx controller's log listed under two
// services is followed once, through appends, a restart, kubelet's rename
// rotation and the compression of the rotated file: each service counts
// exactly its upstream's requests, the lines of other upstreams are
// unmatched, and the log has one state naming both services.
func TestFollowSharedLog(t *testing.T) {
	cfg := headroomtest.Config(t, `
services:
  - name: api
    logs: [{path: "pods/ingress-nginx_controller-1/controller/*.log", format: ingress-nginx, wrapper: cri}]
    match: {upstream: ^shop-api-}
  - name: web
    logs: [{path: "pods/ingress-nginx_controller-1/controller/*.log", format: ingress-nginx, wrapper: cri}]
    match: {upstream: ^shop-web-}
slos: []
`)
	dir := filepath.Join(filepath.Dir(cfg.Path), "pods/ingress-nginx_controller-1/controller")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "0.log")
	st := headroomtest.Store(t, cfg.Storage.Dir)
	follower := func() *Follower {
		srcs, err := ingest.NewSources(context.Background(), cfg, st, 2)
		if err != nil {
			t.Fatal(err)
		}
		return New(st, srcs, Options{})
	}
	e := &env{t: t, dir: dir, log: log, st: st, f: follower()}
	g := headroomtest.IngressLog{CRI: true}
	write := func(n int) {
		for i := range n {
			switch i % 5 {
			case 0, 1:
				g.Request("shop-api-80", "GET", "/api/users/:id", 200)
			case 2:
				g.Request("shop-web-80", "GET", "/", 200)
			case 3:
				g.Request("shop-cart-80", "GET", "/cart", 200)
			case 4:
				g.Request("shop-api-80", "POST", "/api/orders", 500)
			}
		}
		writeTo(t, log, g.Take())
	}
	check := func(step string) {
		t.Helper()
		for svc, ups := range map[string][]string{"api": {"shop-api-80"}, "web": {"shop-web-80"}} {
			if got, want := requests(t, st, svc), g.Total(func(u string) bool { return slices.Contains(ups, u) }); got != want {
				t.Errorf("%s: %s has %d requests, want %d", step, svc, got, want)
			}
		}
	}

	write(100)
	e.poll()
	check("first poll")
	write(37)
	e.poll()
	e.f = follower() // a restart
	e.poll()
	check("after a restart")

	// kubelet rotates: 0.log is renamed 0.log.<time>, lines go on in a new
	// 0.log; the rotated file is compressed later.
	write(20) // written to the old file before its rename: still read
	rotated := log + ".20261120-100000"
	if err := os.Rename(log, rotated); err != nil {
		t.Fatal(err)
	}
	write(15)
	e.poll()
	check("after the rotation")
	gzipFile(t, rotated)
	write(8)
	e.poll()
	e.poll()
	check("after the compression")

	states := e.f.States()
	if len(states) != 1 {
		t.Fatalf("%d states, want one for the shared log", len(states))
	}
	s := states[0]
	if s.Service != "api,web" || !slices.Equal(s.Services, []string{"api", "web"}) || s.Files != 2 {
		t.Errorf("state %+v; want the log of api,web with 2 files", s)
	}
	// Since the restart: the lines of the files read then.
	unmatched := int64(g.Total(func(u string) bool { return u == "shop-cart-80" }))
	rows, err := st.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var lines, un int64
	for _, r := range rows {
		lines += r.Lines
		un += r.Unmatched
		if r.Service != "api,web" {
			t.Errorf("row %+v: want it labelled api,web", r)
		}
	}
	if lines != g.Lines || un != unmatched {
		t.Errorf("rows count %d lines, %d unmatched; want %d, %d", lines, un, g.Lines, unmatched)
	}
	if s.Lines == 0 || s.Unmatched == 0 || s.Unmatched > s.Lines {
		t.Errorf("state %+v: want the lines read since the restart, some unmatched", s)
	}
}

// requests returns the requests stored for a service.
func requests(t *testing.T, st *store.Store, service string) uint64 {
	t.Helper()
	ctx := context.Background()
	id, err := st.ServiceID(ctx, service, false)
	if err != nil {
		t.Fatal(err)
	}
	if id == 0 {
		return 0
	}
	var n uint64
	err = st.ReadCells(ctx, id, store.Day, 0, 1<<40, func(sp *store.Span) error {
		n += sp.Cell.Count()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
