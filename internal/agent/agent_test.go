package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/agent"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/server"
	"github.com/headroom-slo/headroom/internal/store"
)

// srv is a real server taking pushes into its own store, stoppable and
// restartable on the same address.
type srv struct {
	t      *testing.T
	addr   string
	st     *store.Store
	known  func(string) bool
	cancel context.CancelFunc
	done   chan struct{}
}

func newSrv(t *testing.T, known func(string) bool) *srv {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return &srv{t: t, addr: addr, st: headroomtest.Store(t, t.TempDir()), known: known}
}

func (s *srv) start() {
	s.t.Helper()
	h, err := server.New(server.Options{Listen: s.addr, Push: &server.Push{Token: "tok", Store: s.st, Known: s.known}})
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		h.Serve(ctx)
	}()
	s.t.Cleanup(s.stop)
}

func (s *srv) stop() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
}

// requests is what the server stored for a service, by node.
func (s *srv) requests(service string) map[string]uint64 {
	s.t.Helper()
	ctx := context.Background()
	id, err := s.st.ServiceID(ctx, service, false)
	if err != nil || id == 0 {
		return map[string]uint64{}
	}
	dims, err := s.st.Dims(ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]uint64{}
	s.st.ReadCells(ctx, id, store.Minute, 0, math.MaxInt64, func(sp *store.Span) error {
		for _, e := range sp.Cell.Entries {
			out[dims[e.Dim].Node] += e.Count
		}
		return nil
	})
	return out
}

// runAgent runs an agent of cfgYAML (with %s for the log path and the
// server's address) until the test ends.
func runAgent(t *testing.T, yaml string) (cancel func()) {
	cfg := headroomtest.Config(t, yaml)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- agent.Run(ctx, cfg, agent.Options{Interval: 20 * time.Millisecond, PushInterval: 20 * time.Millisecond, Ready: func(a string) { ready <- a }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("agent: %v", err)
	}
	cancel = func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	}
	t.Cleanup(func() {
		select {
		case <-ctx.Done():
		default:
			cancel()
		}
	})
	return cancel
}

func appendLines(t *testing.T, path string, from, n int, status int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	now := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "10.0.0.1 - - [%s] \"GET /x/%d HTTP/1.1\" %d 10 \"-\" \"t\"\n", now, from+i, status)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAgentOutlivesAServer: while its server is down the agent keeps
// reading into its spool; when the server is back the spool drains in
// order, every line counted once; a server refusing a push as bad (a
// service it does not have) has those commits dropped for it, and the
// agent goes on.
func TestAgentOutlivesAServer(t *testing.T) {
	t.Setenv("PUSH_TOKEN", "tok")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	appendLines(t, logPath, 0, 10, 200)
	s := newSrv(t, func(n string) bool { return n == "shop" })
	s.start()
	cancel := runAgent(t, fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a, push: [{url: "http://%s", token_env: PUSH_TOKEN}]}
services: [{name: shop, logs: [{path: %s}]}]
`, filepath.Join(dir, "agent"), s.addr, logPath))
	waitFor(t, "10 lines at the server", 10*time.Second, func() bool { return s.requests("shop")["node-a"] == 10 })

	s.stop()
	for i := range 5 {
		appendLines(t, logPath, 10+i*100, 100, 200)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if got := s.requests("shop")["node-a"]; got != 10 {
		t.Fatalf("%d requests stored while the server was down", got)
	}
	s.start()
	waitFor(t, "510 lines at the server once it is back", 20*time.Second, func() bool { return s.requests("shop")["node-a"] == 510 })
	cancel()
	// A restart pushes nothing twice.
	cancel = runAgent(t, fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a, push: [{url: "http://%s", token_env: PUSH_TOKEN}]}
services: [{name: shop, logs: [{path: %s}]}]
`, filepath.Join(dir, "agent"), s.addr, logPath))
	appendLines(t, logPath, 1000, 7, 503)
	waitFor(t, "517 lines", 10*time.Second, func() bool { return s.requests("shop")["node-a"] == 517 })
	time.Sleep(200 * time.Millisecond)
	if got := s.requests("shop")["node-a"]; got != 517 {
		t.Errorf("%d requests after a restart, want 517", got)
	}
	cancel()
}

// TestBadPushIsDropped: a server that does not have the agent's service
// answers 400; the agent drops those commits for it (counted) and goes on,
// while the other server gets everything.
func TestBadPushIsDropped(t *testing.T) {
	t.Setenv("PUSH_TOKEN", "tok")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	appendLines(t, logPath, 0, 10, 200)
	good := newSrv(t, func(n string) bool { return n == "shop" })
	wrong := newSrv(t, func(n string) bool { return n == "cart" })
	good.start()
	wrong.start()
	cfg := fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a, push: [{url: "http://%s", token_env: PUSH_TOKEN}, {url: "http://%s", token_env: PUSH_TOKEN}]}
services: [{name: shop, logs: [{path: %s}]}]
`, filepath.Join(dir, "agent"), good.addr, wrong.addr, logPath)
	cancel := runAgent(t, cfg)
	waitFor(t, "10 lines at the good server", 10*time.Second, func() bool { return good.requests("shop")["node-a"] == 10 })
	appendLines(t, logPath, 10, 5, 200)
	waitFor(t, "15 lines at the good server", 10*time.Second, func() bool { return good.requests("shop")["node-a"] == 15 })
	if got := wrong.requests("shop"); len(got) != 0 {
		t.Errorf("the server without shop stored %v", got)
	}
	// Its cursor moved past the refused commits: the spool empties.
	waitFor(t, "an empty spool", 10*time.Second, func() bool {
		st, err := store.Open(filepath.Join(dir, "agent"), store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sp, err := st.Spool(context.Background(), 0)
		return err == nil && sp.Rows == 0
	})
	cancel()
}

// TestSpoolBound: past agent.spool.max_bytes the oldest commits are
// dropped and counted, never the newest.
func TestSpoolBound(t *testing.T) {
	st := headroomtest.Store(t, t.TempDir())
	ctx := context.Background()
	data := []byte(strings.Repeat("x", 300))
	var last int64
	for range 20 {
		seq, _, err := st.CommitSpool(ctx, nil, data, 1000)
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	sp, err := st.Spool(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Rows != 3 || sp.Bytes != 900 || sp.Dropped != 17 || sp.DroppedThrough != 17 || sp.Last != last || sp.First != 18 {
		t.Errorf("spool %+v; want the newest 3 rows kept, 17 dropped", sp)
	}
	// A row larger than the bound is kept alone.
	if _, dropped, err := st.CommitSpool(ctx, nil, []byte(strings.Repeat("y", 5000)), 1000); err != nil || dropped != 3 {
		t.Errorf("a row past the bound: %d dropped, %v; want the 3 before it", dropped, err)
	}
	if sp, _ := st.Spool(ctx, 0); sp.Rows != 1 || sp.Dropped != 20 {
		t.Errorf("spool %+v after a row past the bound; want it alone, 20 dropped", sp)
	}
}

// TestSpoolReplayCountsOnce: an agent whose cursor for a server is lost
// pushes its whole spool to it again; the server stores none of it twice.
func TestSpoolReplayCountsOnce(t *testing.T) {
	t.Setenv("PUSH_TOKEN", "tok")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	up := newSrv(t, func(n string) bool { return n == "shop" })
	down := newSrv(t, func(n string) bool { return n == "shop" }) // never started: the spool keeps every row
	up.start()
	cfg := fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a, push: [{url: "http://%s", token_env: PUSH_TOKEN}, {url: "http://%s", token_env: PUSH_TOKEN}]}
services: [{name: shop, logs: [{path: %s}]}]
`, filepath.Join(dir, "agent"), up.addr, down.addr, logPath)
	cancel := runAgent(t, cfg)
	for i := range 5 {
		appendLines(t, logPath, i*10, 10, 200)
		time.Sleep(60 * time.Millisecond)
	}
	waitFor(t, "50 lines at the server", 10*time.Second, func() bool { return up.requests("shop")["node-a"] == 50 })
	cancel()

	// The cursor is lost: the whole spool goes again.
	st := headroomtest.Store(t, filepath.Join(dir, "agent"))
	ctx := context.Background()
	sp, err := st.Spool(ctx, 0)
	if err != nil || sp.Rows < 2 {
		t.Fatalf("spool %+v, %v: want the rows the down server lacks", sp, err)
	}
	if err := st.SetMeta(ctx, "push_cursor http://"+up.addr, "0"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cancel = runAgent(t, cfg)
	appendLines(t, logPath, 50, 3, 200)
	waitFor(t, "53 lines at the server", 10*time.Second, func() bool { return up.requests("shop")["node-a"] == 53 })
	time.Sleep(200 * time.Millisecond)
	if got := up.requests("shop")["node-a"]; got != 53 {
		t.Errorf("%d requests after a replay of %d spooled commits, want 53", got, sp.Rows)
	}
	cancel()
}

// TestAgentSharedLog: one ingress-nginx controller log (CRI-wrapped),
// listed under two services that each take their upstream, is read once
// by the agent: the server stores for each service exactly its requests,
// and the agent's state, pushed with them, counts the lines no service
// took.
func TestAgentSharedLog(t *testing.T) {
	t.Setenv("PUSH_TOKEN", "tok")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "pods", "ingress-nginx_controller-1", "controller", "0.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	g := headroomtest.IngressLog{CRI: true, Start: time.Now().UTC()}
	write := func(n int) {
		for i := range n {
			switch i % 4 {
			case 0, 1:
				g.Request("shop-api-80", "GET", "/api/users/:id", 200)
			case 2:
				g.Request("shop-web-80", "GET", "/", 503)
			case 3:
				g.Request("", "GET", "/", 404)
			}
		}
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(g.Take()); err != nil {
			t.Fatal(err)
		}
	}
	write(40)
	s := newSrv(t, func(n string) bool { return n == "shop-api" || n == "shop-web" })
	s.start()
	cancel := runAgent(t, fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a, push: [{url: "http://%s", token_env: PUSH_TOKEN}]}
services:
  - name: shop-api
    logs: [{path: %s, format: ingress-nginx, wrapper: cri}]
    match: {upstream: ^shop-api-}
  - name: shop-web
    logs: [{path: %s, format: ingress-nginx, wrapper: cri}]
    match: {upstream: ^shop-web-}
`, filepath.Join(dir, "agent"), s.addr, filepath.Join(dir, "pods", "*", "controller", "*.log"), filepath.Join(dir, "pods", "*", "controller", "*.log")))
	write(60)
	api := func() uint64 { return g.Total(func(u string) bool { return u == "shop-api-80" }) }
	web := func() uint64 { return g.Total(func(u string) bool { return u == "shop-web-80" }) }
	waitFor(t, "each service's requests at the server", 10*time.Second, func() bool {
		return s.requests("shop-api")["node-a"] == api() && s.requests("shop-web")["node-a"] == web()
	})
	// The heartbeat carries the agent's counts: every line once.
	unmatched := int64(g.Total(func(u string) bool { return u == "" }))
	cancel()
	agents, err := s.st.Agents(context.Background())
	if err != nil || len(agents) != 1 {
		t.Fatalf("agents %v, %v", agents, err)
	}
	var state push.State
	if err := json.Unmarshal([]byte(agents[0].State), &state); err != nil {
		t.Fatal(err)
	}
	if state.Lines != g.Lines || state.Unmatched != unmatched {
		t.Errorf("pushed state %+v; want %d lines, %d unmatched", state, g.Lines, unmatched)
	}
	time.Sleep(100 * time.Millisecond)
	if got, want := s.requests("shop-api")["node-a"], api(); got != want {
		t.Errorf("shop-api: %d requests, want %d", got, want)
	}
	if got, want := s.requests("shop-web")["node-a"], web(); got != want {
		t.Errorf("shop-web: %d requests, want %d", got, want)
	}
}
