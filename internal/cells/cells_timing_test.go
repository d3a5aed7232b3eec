package cells

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRollupHour sums 60 minute cells (400 dimensions, a few latency
// buckets each) into an hour cell, as every import commit does.
func BenchmarkRollupHour(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := NewLayout(300)
	minutes := make([]*Cell, 60)
	for m := range minutes {
		c := &Cell{}
		for d := range 400 {
			if rng.IntN(3) == 0 {
				continue
			}
			e := Entry{Dim: uint32(d)}
			for range 1 + rng.IntN(5) {
				e.Count++
				e.Hist.Add(l.Bucket(int64(rng.ExpFloat64()*80_000)), 1)
			}
			c.Entries = append(c.Entries, e)
		}
		minutes[m] = c
	}
	b.ReportAllocs()
	for b.Loop() {
		var bl Builder
		for _, c := range minutes {
			bl.Add(c)
		}
		_ = bl.Cell()
	}
}
