//go:build unix

package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
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
// over the interval and following each other in time. The pushes are built
// and encoded before the timer. Every agent pushes twice before it (its
// dimensions are known, the hour's and day's cells exist). It reports the
// process's CPU a push and what that makes at 20 pushes a second (cpu-%);
// scripts/bench-fleet.sh measures the real thing.
func BenchmarkPushFleet(b *testing.B) {
	const agents, interval = 200, 10 * time.Second
	fleet, err := pushload.NewFleet(pushload.Options{Service: "shop", Agents: agents, Interval: interval, PollEvery: pollEvery(b), Seed: 1})
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
	// bodies returns the next n pushes, in the order they are sent.
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	next := 0
	bodies := func(n int) [][]byte {
		out := make([][]byte, 0, n)
		for range n {
			a := next % agents
			at := start.Add(time.Duration(next/agents)*interval + fleet.Phase(a))
			body, err := push.Encode(fleet.Push(a, at))
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, body)
			next++
		}
		return out
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
	for _, body := range bodies(2 * agents) {
		send(body)
	}
	todo := bodies(b.N)
	c0 := cpuTime(b)
	b.ResetTimer()
	for i := range b.N {
		send(todo[i])
	}
	b.StopTimer()
	cpu := cpuTime(b) - c0
	perSecond := float64(agents) / interval.Seconds()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/push")
	b.ReportMetric(100*perSecond*cpu.Seconds()/float64(b.N), "cpu-%")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pollEvery(b *testing.B) time.Duration {
	d, _ := time.ParseDuration(os.Getenv("POLL"))
	return d
}
