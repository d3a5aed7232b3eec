package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/headroom-slo/headroom/internal/tail"
)

// serve runs s until the test ends.
func serve(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

// roundTrip sends GET path on c and reads the answer, leaving c open.
func roundTrip(c net.Conn, path string) (*http.Response, error) {
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// TestConnectionsBounded: clients that open connections over loopback and
// leave them open, idle after a request or silent, cannot make the server
// keep more than MaxConns of them, nor more than MaxIdleConns idle; a new
// client's /healthz is answered at once, and /metrics counts what was
// closed.
func TestConnectionsBounded(t *testing.T) {
	const maxConns, maxIdle, keepAlive, silent = 32, 8, 200, 100
	s, err := New(Options{Listen: "127.0.0.1:0", MaxConns: maxConns, MaxIdleConns: maxIdle})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range keepAlive + silent {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if i < keepAlive {
			if resp, err := roundTrip(c, "/healthz"); err != nil || resp.StatusCode != 200 {
				t.Fatalf("connection %d: GET /healthz: %v %v", i, resp, err)
			}
		}
	}

	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	start := time.Now()
	resp, err := client.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz past %d open connections: %v", keepAlive+silent, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || time.Since(start) > 2*time.Second {
		t.Errorf("GET /healthz past %d open connections: %d after %v", keepAlive+silent, resp.StatusCode, time.Since(start))
	}

	// A connection the server closed reads EOF at once; one it keeps
	// reads nothing until the deadline.
	deadline := time.Now().Add(time.Second)
	var kept atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			c.SetReadDeadline(deadline)
			if _, err := c.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
				kept.Add(1)
			}
		})
	}
	wg.Wait()
	if n := kept.Load(); n > maxConns || n == 0 {
		t.Errorf("the server kept %d of %d connections open, want 1 to %d", n, keepAlive+silent, maxConns)
	}

	fams := scrape(t, s.Handler())
	if open := sampleValue(t, fams, "headroom_http_connections_open"); open > maxConns {
		t.Errorf("headroom_http_connections_open %v, want at most %d", open, maxConns)
	}
	if idle := sampleValue(t, fams, "headroom_http_connections_idle"); idle > maxIdle {
		t.Errorf("headroom_http_connections_idle %v, want at most %d", idle, maxIdle)
	}
	if ev := sampleValue(t, fams, "headroom_http_connections_evicted_total"); ev < keepAlive+silent-maxConns {
		t.Errorf("headroom_http_connections_evicted_total %v, want at least %d", ev, keepAlive+silent-maxConns)
	}
	if ref := sampleValue(t, fams, "headroom_http_connections_refused_total"); ref != 0 {
		t.Errorf("headroom_http_connections_refused_total %v, want 0: quiet connections give way", ref)
	}
}

// TestConnectionsRefusedWhenAllBusy: with every connection busy answering
// a request, a new one is closed at once (and counted), not queued; the
// busy ones are answered.
func TestConnectionsRefusedWhenAllBusy(t *testing.T) {
	const maxConns = 4
	entered, release := make(chan struct{}, maxConns), make(chan struct{})
	s, err := New(Options{Listen: "127.0.0.1:0", MaxConns: maxConns, Sources: func(ctx context.Context) ([]tail.State, error) {
		entered <- struct{}{}
		<-release
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	answers := make(chan error, maxConns)
	for range maxConns {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		go func() {
			_, err := roundTrip(c, "/healthz")
			answers <- err
		}()
	}
	for range maxConns {
		<-entered
	}
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if resp, err := roundTrip(c, "/healthz"); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a connection past %d busy ones: %v %v, want it closed at once", maxConns, resp, err)
	}
	close(release)
	for range maxConns {
		if err := <-answers; err != nil {
			t.Errorf("a busy connection: %v", err)
		}
	}
	if ref := sampleValue(t, scrape(t, s.Handler()), "headroom_http_connections_refused_total"); ref != 1 {
		t.Errorf("headroom_http_connections_refused_total %v, want 1", ref)
	}
}

// sampleValue is the value of an unlabelled metric, failing the test when
// it is absent.
func sampleValue(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	v, ok := sample(fams, name, nil)
	if !ok {
		t.Fatalf("%s: absent", name)
	}
	return v
}
