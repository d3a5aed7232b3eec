//go:build unix

package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/pushload"
)

// BenchmarkPushFleet times POST /api/v1/push into a real store, one push an
// op, as a server taking a fleet gets them: 200 simulated agents
// (pushload.Fleet: 300 dimensions, one commit a push as with the agent's
// default intervals), each pushing every 10 s, the agents' pushes spread
// over the interval and following each other in time. Every agent pushes
// twice before the timer (its dimensions are known, the hour's and day's
// cells exist); each push is built and encoded with the timer stopped. It
// reports the process's CPU a push and what that makes at 20 pushes a
// second (cpu-%); scripts/bench-fleet.sh measures the real thing.
func BenchmarkPushFleet(b *testing.B) {
	const agents, interval = 200, 10 * time.Second
	fleet, err := pushload.NewFleet(pushload.Options{Service: "shop", Agents: agents, Interval: interval, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	cfg := headroomtest.Config(b, "services: [{name: shop}]\nserver: {push: {token_env: HEADROOM_PUSH_TOKEN}}\n")
	st := headroomtest.Store(b, cfg.Storage.Dir)
	s, err := New(Options{Listen: "127.0.0.1:0", Push: &Push{Token: "tok", Store: st, Known: func(n string) bool { return n == "shop" }}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.ln.Close()
	h := s.Handler()
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	next := 0
	// body returns the next push, in the order they are sent.
	body := func() []byte {
		a := next % agents
		at := start.Add(time.Duration(next/agents)*interval + fleet.Phase(a))
		next++
		body, err := push.Encode(fleet.Push(a, at))
		if err != nil {
			b.Fatal(err)
		}
		return body
	}
	send := func(body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, push.Path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Encoding", "gzip")
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("push: %d %s", rec.Code, rec.Body)
		}
	}
	for range 2 * agents {
		send(body())
	}
	var cpu time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		p := body()
		b.StartTimer()
		c0 := cpuTime(b)
		send(p)
		cpu += cpuTime(b) - c0
		n++
	}
	perSecond := float64(agents) / interval.Seconds()
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/push")
	b.ReportMetric(100*perSecond*cpu.Seconds()/float64(n), "cpu-%")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
