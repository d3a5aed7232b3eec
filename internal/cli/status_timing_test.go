package cli

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// BenchmarkStatus20SLOs90d times `headroom status --json` for 20 SLOs with
// 90-day windows over 90 days of stored traffic (60 dimensions a minute, each
// with a latency histogram). The bar is 200 ms an evaluation.
func BenchmarkStatus20SLOs90d(b *testing.B) {
	var slos strings.Builder
	for i := range 20 {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&slos, "  - {name: avail-%d, service: web, objective: 99.9, window: 90d, sli: {type: availability}}\n", i)
		case 1:
			fmt.Fprintf(&slos, "  - {name: lat-%d, service: web, objective: 99, window: 90d, filter: {route: ^/api/r%d/, method: GET}, sli: {type: latency, threshold: 300ms}}\n", i, i%15)
		case 2:
			fmt.Fprintf(&slos, "  - {name: host-%d, service: web, objective: 99.5, window: 90d, filter: {host: ^b\\., status: [2xx, 5xx]}, sli: {type: availability, bad_status: [5xx, 429]}}\n", i)
		default:
			fmt.Fprintf(&slos, "  - {name: quarter-%d, service: web, objective: 99, window: quarter, filter: {route: r1}, sli: {type: latency, threshold: 250ms}}\n", i)
		}
	}
	cfg := headroomtest.Config(b, "storage: {retention: {minutes: forever}}\nservices:\n  - name: web\n    logs: [{path: none.log}]\nslos:\n"+slos.String())
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	start := end.Add(-90 * 24 * time.Hour)
	var dims []store.DimValue
	for _, h := range []string{"a.example.com", "b.example.com"} {
		for r := range 15 {
			for _, m := range []string{"GET", "POST"} {
				dims = append(dims, store.DimValue{Host: h, Route: fmt.Sprintf("/api/r%d/:id", r), Method: m, Status: 200})
			}
		}
	}
	for i := range 20 {
		d := dims[i]
		d.Status = []int{404, 500, 502, 429}[i%4]
		dims = append(dims, d)
	}
	// The 60 dimensions of 200s every minute, each of the 20 error ones in
	// one minute of ten.
	rng := rand.New(rand.NewPCG(3, 4))
	st := headroomtest.Store(b, cfg.Storage.Dir)
	headroomtest.Dense(b, st, "web", dims, start, end, 8, rng, func(i int) bool { return i < 60 || rng.IntN(10) == 0 })
	st.Close() // status opens the store itself
	at := end.Add(-time.Minute * 17).Format(time.RFC3339)
	b.ResetTimer()
	for range b.N {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), []string{"status", "--config", cfg.Path, "--at", at, "--json"}, Stdio{Out: &out, Err: &errb}); code != 0 {
			b.Fatalf("status: %d %s", code, errb.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/status")
}
