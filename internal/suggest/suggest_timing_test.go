package suggest

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/store"
)

// BenchmarkSuggest90Days is the whole analysis of 90 days of one service
// (20 requests a second, the default route mix, three incidents) with
// 28-day windows: 63 windows, 20 candidates backtested every minute.
// The bar is 2 s.
func BenchmarkSuggest90Days(b *testing.B) {
	h := testHistory(90)
	h.Services[0].RPS = 20
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := h.Write(context.Background(), st); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(b)
	// CPU time too: on a machine shared with other work, wall time
	// says more about the neighbours than about suggest.
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		n++
		res, err := Run(context.Background(), st, Options{Config: cfg, Service: "web", Window: 28 * 24 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Windows) != 63 || len(res.Candidates) != 20 {
			b.Fatalf("%d windows, %d candidates", len(res.Windows), len(res.Candidates))
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
