package server

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// BenchmarkAPISLOs100 times GET /api/v1/slos for 100 SLOs with 30-day
// windows over 35 days of traffic in 4 services (60 dimensions a minute
// each, with latency histograms), and reports the p50 and p99 of the
// requests. The bar is a p99 of 50 ms.
//
// As on a live dashboard, each request is a minute later than the one
// before (new cells at the windows' edges). One request before the timer
// warms the cell cache, as `serve` does when it starts (Engine.Warm).
func BenchmarkAPISLOs100(b *testing.B) {
	services := []string{"web", "api", "auth", "billing"}
	var y strings.Builder
	y.WriteString("storage: {retention: {minutes: forever}}\nservices:\n")
	for _, svc := range services {
		fmt.Fprintf(&y, "  - {name: %s, logs: [{path: /dev/null}]}\n", svc)
	}
	y.WriteString("slos:\n")
	for i := range 100 {
		svc := services[i%len(services)]
		switch i % 3 {
		case 0:
			fmt.Fprintf(&y, "  - {name: avail-%d, service: %s, objective: 99.9, window: 30d, sli: {type: availability}}\n", i, svc)
		case 1:
			fmt.Fprintf(&y, "  - {name: lat-%d, service: %s, objective: 99, window: 30d, filter: {route: ^/api/r%d/, method: GET}, sli: {type: latency, threshold: 300ms}}\n", i, svc, i%15)
		default:
			fmt.Fprintf(&y, "  - {name: post-%d, service: %s, objective: 99.5, window: 30d, filter: {method: POST}, sli: {type: availability, bad_status: [5xx, 429]}}\n", i, svc)
		}
	}
	cfg := headroomtest.Config(b, y.String())
	st := headroomtest.Store(b, cfg.Storage.Dir)
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	start := end.Add(-35 * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, svc := range services {
		var dims []store.DimValue
		for r := range 15 {
			for _, m := range []string{"GET", "POST"} {
				for _, s := range []int{200, 500} {
					dims = append(dims, store.DimValue{Host: svc + ".example.com", Route: fmt.Sprintf("/api/r%d/:id", r), Method: m, Status: s})
				}
			}
		}
		// Errors in one minute of ten.
		headroomtest.Dense(b, st, svc, dims, start, end, 4, rng, func(i int) bool { return dims[i].Status != 500 || rng.IntN(10) == 0 })
	}
	eng := headroomtest.Engine(b, cfg, st)
	s, err := New(Options{Listen: "127.0.0.1:0", Engine: eng})
	if err != nil {
		b.Fatal(err)
	}
	defer s.ln.Close()
	h := s.Handler()
	at := end.Add(-3 * time.Hour)
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/slos?at="+at.Format(time.RFC3339), nil))
		at = at.Add(time.Minute)
		return rec
	}
	get()
	var took []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		rec := get()
		took = append(took, time.Since(t0))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"avail-99"`) {
			b.Fatalf("GET /api/v1/slos: %d %.300s", rec.Code, rec.Body.String())
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds())/1000, "p99-ms")
}
