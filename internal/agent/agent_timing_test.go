//go:build unix

package agent_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/agent"
	"github.com/headroom-slo/headroom/internal/genlog"
	"github.com/headroom-slo/headroom/internal/headroomtest"
)

// BenchmarkAgentLive runs the agent, in process and at its default poll
// and push intervals, on a log that genlog appends to every 50 ms at 2,000
// lines a second; each op is one second of that log. A stub server takes the
// pushes (200, body discarded), so that a CPU profile
// (-cpuprofile) shows the agent's own work. It reports the process's CPU
// time per second of log as cpu-% (of one core; the appending goroutine's
// few lines included) and the pushes per second. scripts/bench-fleet.sh
// measures the real binary against serve.
func BenchmarkAgentLive(b *testing.B) {
	const rate = 2000
	var pushes, pushBytes atomic.Int64
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		pushes.Add(1)
		pushBytes.Add(n)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"commits":0,"applied":0}`)
	}))
	defer stub.Close()
	b.Setenv("BENCH_PUSH_TOKEN", "tok")
	dir := b.TempDir()
	logPath := filepath.Join(dir, "access.log")
	f, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cfg := headroomtest.Config(b, fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a, push: [{url: %q, token_env: BENCH_PUSH_TOKEN}]}
services:
  - name: shop
    logs: [{path: %s, log_format: %q}]
`, filepath.Join(dir, "agent"), stub.URL, logPath, genlog.CustomLogFormat))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx, cfg, agent.Options{}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()

	s, err := genlog.NewStream(genlog.Options{Format: genlog.FormatCustom, Start: time.Now(), Rate: rate, Steady: true, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	// write appends the lines due by now.
	write := func() {
		buf, _ = s.AppendUntil(buf[:0], time.Now())
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range 20 { // a second of warm-up: the first file, the first pushes
		<-tick.C
		write()
	}
	p0 := pushes.Load()
	c0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		for range 20 {
			<-tick.C
			write()
		}
	}
	b.StopTimer()
	c1 := cpuTime(b)
	secs := b.Elapsed().Seconds()
	b.ReportMetric(100*(c1-c0).Seconds()/secs, "cpu-%")
	b.ReportMetric(float64(pushes.Load()-p0)/secs, "pushes/s")
	if n := pushes.Load(); n > 0 {
		b.ReportMetric(float64(pushBytes.Load())/float64(n), "B/push")
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
