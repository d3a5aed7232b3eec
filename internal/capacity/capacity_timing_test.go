package capacity

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCapacity90Days is the bar (≤ 1 s): the whole analysis
// of one service over 90 days of minute cells (129,600 cells of the
// default 13-route mix), from the store. Besides the wall time it reports
// the process's CPU time per report (cpu-s/op), which other processes on
// a busy machine do not inflate.
func BenchmarkCapacity90Days(b *testing.B) {
	h := grown(nil) // genhist.DefaultRoutes
	h.Days = 90
	st := write(b, h)
	at := h.To()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		r, err := Read(context.Background(), st, "web", at, ReadOptions{Weeks: 13, Options: Options{CapacityRPS: 5000}})
		if err != nil {
			b.Fatal(err)
		}
		if r.CellsRead < 90*MinutesPerDay || r.Trend == nil {
			b.Fatalf("read %d cells, trend %v: want every minute of 90 days", r.CellsRead, r.Trend)
		}
		n++
	}
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(n), "cpu-s/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
