package export

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/store"
)

// BenchmarkExportMinute is the exporter's work for one minute of serve at
// 2,000 lines a second (120,000 requests over 300 routes, 6 statuses, 2
// methods): advancing the series (recounting the 15-minute horizon) and
// encoding the minute for remote write and Datadog. Its share of one core
// is ns/op ÷ 60e9; it reports it as cpu-share-%.
func BenchmarkExportMinute(b *testing.B) {
	ctx := context.Background()
	cfg := testConfig(b)
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	layout := cells.NewLayout(300)
	fillMinute := func(m time.Time) {
		var batch store.Batch
		for range 120000 / 8 { // 8 requests a dimension sample, to keep filling quick
			d := store.DimValue{Host: "a", Route: "/api/r" + string(rune('a'+rng.IntN(26))) + string(rune('a'+rng.IntN(12))),
				Method: []string{"GET", "POST"}[rng.IntN(2)], Status: []int{200, 200, 200, 201, 304, 404, 500}[rng.IntN(7)]}
			batch.Add("web", m.Unix(), d, layout.Bucket(int64(rng.ExpFloat64()*200000)), 8)
		}
		if err := st.Commit(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	now := start.Add(24 * time.Hour)
	for m := now.Add(-20 * time.Minute); m.Before(now); m = m.Add(time.Minute) {
		fillMinute(m)
	}
	s := New(Options{Config: cfg, Cells: st})
	s.Watch(st) // as serve's exporter does
	if err := s.Rebuild(ctx, now); err != nil {
		b.Fatal(err)
	}
	prev := s.Snapshot()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		fillMinute(now)
		now = now.Add(time.Minute)
		b.StartTimer()
		if err := s.Advance(ctx, now); err != nil {
			b.Fatal(err)
		}
		cur := s.Snapshot()
		if _, err := EncodeRemoteWrite([]Snapshot{cur}); err != nil {
			b.Fatal(err)
		}
		if _, err := EncodeDatadog(prev, cur); err != nil {
			b.Fatal(err)
		}
		prev = cur
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/60e9*100, "cpu-share-%")
	b.ReportMetric(float64(len(prev.Values)), "series")
}
