//go:build unix

package store

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
)

// BenchmarkRollNodeHour times Roll of one agent's hour, an op: its 60
// minute cells of 300 dimensions (each with a latency histogram of a few
// buckets) summed into its hour row, and its day rebuilt from its hours,
// each in a transaction of its own (fsync included). A server rolls up
// each agent's hour once (200 agents: 200 ops an hour), where it rewrote
// the hour and the day at each push (360 pushes an hour per agent).
func BenchmarkRollNodeHour(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Unix()
	var batch Batch
	for m := range int64(60) {
		for d := range 300 {
			dv := DimValue{Host: "h", Route: fmt.Sprintf("/r%d", d%100), Method: "GET", Status: 200 + 100*(d/100), Node: "node-a"}
			e := cells.Hist{}
			for k := range 8 {
				e.Add(uint32(10+k*15+d%7), uint64(1+k))
			}
			batch.AddHist("web", base+m*Minute, dv, 36, e)
		}
	}
	if _, err := s.CommitPush(ctx, "node-a", "i", "{}", []PushedCommit{{Seq: 1, Batch: &batch}}, time.Unix(base, 0)); err != nil {
		b.Fatal(err)
	}
	svc, _ := s.ServiceID(ctx, "web", false)
	later := time.Unix(base+2*Day, 0)
	var cpu time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		if _, err := s.db.Exec(`INSERT OR IGNORE INTO rollup_pending (service_id, res, start, node) VALUES (?, ?, ?, 'node-a'), (?, ?, ?, 'node-a')`,
			svc, Hour, base, svc, Day, base-base%Day); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime(b)
		r, err := s.Roll(ctx, later)
		cpu += cpuTime(b) - c0
		n++
		if err != nil || r.Pieces != 2 {
			b.Fatalf("rolled %d, %v; want the hour and the day", r.Pieces, err)
		}
	}
	// What rolling up 200 agents' hours costs a server, in % of a core.
	b.ReportMetric(float64(cpu.Microseconds())/float64(n)/1000, "cpu-ms/op")
	b.ReportMetric(100*200*cpu.Seconds()/float64(n)/3600, "cpu-%-200-agents")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
