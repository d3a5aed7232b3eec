package capacity

import (
	"context"
	"testing"

	"github.com/headroom-slo/headroom/internal/genhist"
)

// BenchmarkCapacity90Days is the bar (≤ 1 s): the whole analysis
// of one service over 90 days of minute cells (129,600 cells of the
// default 13-route mix), from the store.
func BenchmarkCapacity90Days(b *testing.B) {
	h := grown(nil) // genhist.DefaultRoutes
	h.Days = 90
	st := write(b, h)
	at := h.To()
	b.ResetTimer()
	for b.Loop() {
		r, err := Read(context.Background(), st, "web", at, ReadOptions{Weeks: 13, Options: Options{CapacityRPS: 5000}})
		if err != nil {
			b.Fatal(err)
		}
		if r.CellsRead < 90*MinutesPerDay || r.Trend == nil {
			b.Fatalf("read %d cells, trend %v: want every minute of 90 days", r.CellsRead, r.Trend)
		}
	}
}

var _ = genhist.DefaultRoutes
