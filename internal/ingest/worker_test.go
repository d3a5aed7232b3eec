package ingest

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/cells"
)

// TestMinuteHists: the histograms cut from a minute's request words are
// those of adding each request to its dimension's histogram, for quiet and
// busy dimensions alike.
func TestMinuteHists(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	l := cells.NewLayout(300)
	for _, perEntry := range []int{1, 5, 16, 17, 500} {
		ma := &minuteAgg{}
		idx := map[dimKey]int32{}
		want := map[dimKey]cells.Hist{}
		for range 40 * perEntry {
			k := newDimKey(uint32(rng.IntN(40)), 1, 200, 1)
			i, ok := idx[k]
			if !ok {
				i = int32(len(ma.entries))
				ma.entries = append(ma.entries, aggEntry{key: k})
				idx[k] = i
			}
			us := int64(rng.ExpFloat64() * 50_000)
			if rng.IntN(10) == 0 {
				us = -1
			}
			b := l.Bucket(us)
			ma.entries[i].count++
			ma.reqs = append(ma.reqs, uint64(i)<<32|uint64(b))
			h := want[k]
			h.Add(b, 1)
			want[k] = h
		}
		ma.hists()
		got := map[dimKey]cells.Hist{}
		for _, e := range ma.entries {
			got[e.key] = e.hist
			if n := e.hist.Timed() + noLatency(e.hist); n != e.count {
				t.Errorf("%d per entry: %v holds %d requests, count %d", perEntry, e.key, n, e.count)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d per entry (-want +got):\n%s", perEntry, diff)
		}
	}
}

func noLatency(h cells.Hist) uint64 {
	if n := len(h); n > 0 && h[n-1].Le == cells.NoLatency {
		return h[n-1].N
	}
	return 0
}
