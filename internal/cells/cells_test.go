package cells

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLayoutRelativeError(t *testing.T) {
	l := NewLayout()
	prev := uint32(0)
	for ms := int64(1); ms <= MaxLatencyMs; ms += 1 + ms/1000 {
		le := l.Bucket(ms * 1000)
		if int64(le) < ms {
			t.Fatalf("Bucket(%d ms) = %d, below the value", ms, le)
		}
		if ms > 100 && float64(int64(le)-ms) > 0.05*float64(ms) {
			t.Fatalf("Bucket(%d ms) = %d: more than 5%% above", ms, le)
		}
		if le < prev {
			t.Fatalf("bounds not monotonic at %d ms: %d after %d", ms, le, prev)
		}
		prev = le
	}
	for ms := int64(0); ms <= 100; ms++ {
		if got := l.Bucket(ms * 1000); int64(got) != ms {
			t.Errorf("Bucket(%d ms) = %d, want exact below 100 ms", ms, got)
		}
	}
	if got := l.Bucket(-1); got != NoLatency {
		t.Errorf("Bucket(-1) = %d, want NoLatency", got)
	}
	if got := l.Bucket(2 * MaxLatencyMs * 1000); got != Overflow {
		t.Errorf("Bucket(2h) = %d, want Overflow", got)
	}
	if got := l.Bucket(1); got != 1 {
		t.Errorf("Bucket(1µs) = %d, want the 1 ms bucket", got)
	}
}

func TestCountLEExactAtConfiguredThresholds(t *testing.T) {
	thresholds := []uint32{300, 333, 1234, 2500, 77_777, 1}
	l := NewLayout(thresholds...)
	rng := rand.New(rand.NewPCG(1, 2))
	var h Hist
	values := make([]int64, 20000)
	for i := range values {
		values[i] = int64(rng.ExpFloat64() * 400)
		if i%97 == 0 {
			values[i] = int64(rng.IntN(200_000))
		}
		h.Add(l.Bucket(values[i]*1000), 1)
	}
	for _, th := range append(thresholds, 100, 500, 1000, 5000) {
		want := 0
		for _, v := range values {
			if v <= int64(th) {
				want++
			}
		}
		if got := h.CountLE(th, l.OnGrid(th)); got != float64(want) {
			t.Errorf("CountLE(%d) = %v, want exactly %d", th, got, want)
		}
	}
	// Off-grid thresholds are estimated within the bucket width.
	plain := NewLayout()
	for _, th := range []uint32{302, 777, 1999, 3333} {
		l := plain
		lo, hi := 0, 0
		for _, v := range values {
			if v <= int64(lowerBound(l.Bucket(int64(th)*1000))) {
				lo++
			}
			if v <= int64(l.Bucket(int64(th)*1000)) {
				hi++
			}
		}
		if got := h.CountLE(th, false); got < float64(lo) || got > float64(hi) {
			t.Errorf("CountLE(%d) = %v, want within [%d, %d]", th, got, lo, hi)
		}
	}
}

func TestQuantile(t *testing.T) {
	l := NewLayout()
	var h Hist
	for v := int64(1); v <= 1000; v++ {
		h.Add(l.Bucket(v*1000), 1)
	}
	h.Add(NoLatency, 50)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		want := q * 1000
		if got := h.Quantile(q); math.Abs(got-want)/want > 0.05 {
			t.Errorf("Quantile(%v) = %v, want %v ± 5%%", q, got, want)
		}
	}
	if h.Timed() != 1000 {
		t.Errorf("Timed = %d, want 1000", h.Timed())
	}
	if !math.IsNaN(Hist{}.Quantile(0.5)) {
		t.Error("Quantile of empty histogram is not NaN")
	}
}

func TestEncodeDecodeMerge(t *testing.T) {
	a := &Cell{Entries: []Entry{
		{Dim: 7, Count: 3, Hist: Hist{{Le: 5, N: 2}, {Le: NoLatency, N: 1}}},
		{Dim: 2, Count: 10, Hist: Hist{{Le: 300, N: 10}}},
		{Dim: 7, Count: 1, Hist: Hist{{Le: 5, N: 1}}},
	}}
	a.Sort()
	b := &Cell{Entries: []Entry{
		{Dim: 2, Count: 1, Hist: Hist{{Le: 0, N: 1}}},
		{Dim: 9, Count: 4, Hist: Hist{{Le: Overflow, N: 4}}},
	}}
	a.Merge(b)
	want := &Cell{Entries: []Entry{
		{Dim: 2, Count: 11, Hist: Hist{{Le: 0, N: 1}, {Le: 300, N: 10}}},
		{Dim: 7, Count: 4, Hist: Hist{{Le: 5, N: 3}, {Le: NoLatency, N: 1}}},
		{Dim: 9, Count: 4, Hist: Hist{{Le: Overflow, N: 4}}},
	}}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Fatalf("merge (-want +got):\n%s", diff)
	}
	var back Cell
	if err := back.Decode(a.Encode(nil)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, &back); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	if a.Count() != 19 {
		t.Errorf("Count = %d, want 19", a.Count())
	}
}

func FuzzDecode(f *testing.F) {
	c := &Cell{Entries: []Entry{{Dim: 3, Count: 2, Hist: Hist{{Le: 10, N: 2}}}}}
	f.Add(c.Encode(nil))
	f.Add([]byte{1, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Cell
		if err := c.Decode(b); err != nil {
			return
		}
		var again Cell
		if err := again.Decode(c.Encode(nil)); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func TestGridIndex(t *testing.T) {
	prev := -1
	for le := uint32(0); le <= gridMs; le++ {
		i, ok := gridIndex(le)
		if ok != (gridBound(le) == le) {
			t.Fatalf("gridIndex(%d) ok=%v, but gridBound=%d", le, ok, gridBound(le))
		}
		if !ok {
			continue
		}
		if i != prev+1 || gridBounds[i] != le {
			t.Fatalf("gridIndex(%d) = %d after %d; gridBounds[%d] = %d", le, i, prev, i, gridBounds[i])
		}
		prev = i
	}
	if prev != gridBuckets-1 {
		t.Fatalf("last index %d, want %d", prev, gridBuckets-1)
	}
}

func TestBuilderMatchesMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	l := NewLayout(333, 77_777)
	// Twice: the second builder reuses the first one's dense array.
	for round := range 2 {
		var b Builder
		b.Add(&Cell{}) // an empty cell adds nothing
		want := &Cell{}
		for range 50 {
			c := &Cell{}
			for d := range 40 {
				if rng.IntN(2) == 0 {
					continue
				}
				e := Entry{Dim: uint32(d * 3)}
				for range 1 + rng.IntN(6) {
					e.Count++
					us := int64(rng.ExpFloat64() * 300_000)
					if rng.IntN(10) == 0 {
						us = -1
					}
					if rng.IntN(20) == 0 {
						us = int64(rng.IntN(4_000_000_000))
					}
					e.Hist.Add(l.Bucket(us), 1)
				}
				c.Entries = append(c.Entries, e)
			}
			b.Add(c)
			want.Merge(c)
		}
		if diff := cmp.Diff(want, b.Cell()); diff != "" {
			t.Errorf("round %d: Builder vs Merge (-want +got):\n%s", round, diff)
		}
	}
}

// randomCell is a sorted cell of up to dims dimensions out of 3×dims, with
// a few latency buckets each.
func randomCell(rng *rand.Rand, dims int) *Cell {
	l := NewLayout(333)
	c := &Cell{}
	for d := range 3 * dims {
		if rng.IntN(3) != 0 {
			continue
		}
		e := Entry{Dim: uint32(d)}
		for range rng.IntN(8) {
			e.Count++
			us := int64(rng.ExpFloat64() * 60_000)
			if rng.IntN(15) == 0 {
				us = -1
			}
			e.Hist.Add(l.Bucket(us), 1)
		}
		c.Entries = append(c.Entries, e)
	}
	return c
}

// TestMergeEncoded: merging into an encoded cell gives the bytes Decode,
// Merge and Encode give, whatever the overlap of the two cells.
func TestMergeEncoded(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 300 {
		a, b := randomCell(rng, 1+rng.IntN(60)), randomCell(rng, 1+rng.IntN(60))
		if round%10 == 0 {
			b = &Cell{}
		}
		old := a.Encode(nil)
		var want Cell
		if err := want.Decode(old); err != nil {
			t.Fatal(err)
		}
		want.Merge(b)
		prefix := []byte("keep")
		got, err := MergeEncoded(prefix, old, b)
		if err != nil {
			t.Fatal(err)
		}
		if string(got[:4]) != "keep" || !bytes.Equal(got[4:], want.Encode(nil)) {
			t.Fatalf("round %d: MergeEncoded differs from Decode, Merge, Encode", round)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {1, 3}, {1, 1, 0, 1, 5, 1}, append((&Cell{Entries: []Entry{{Dim: 1, Count: 1}}}).Encode(nil), 9)} {
		if got, err := MergeEncoded([]byte("x"), bad, &Cell{}); !errors.Is(err, ErrCorrupt) || string(got) != "x" {
			t.Errorf("MergeEncoded(%v) = %q, %v; want ErrCorrupt and dst as it was", bad, got, err)
		}
	}
}

func FuzzMergeEncoded(f *testing.F) {
	c := &Cell{Entries: []Entry{{Dim: 3, Count: 2, Hist: Hist{{Le: 10, N: 2}}}, {Dim: 9, Count: 1, Hist: Hist{{Le: NoLatency, N: 1}}}}}
	f.Add(c.Encode(nil), uint32(3), uint32(10))
	f.Add([]byte{1, 255, 255, 255, 255, 15}, uint32(0), uint32(0))
	f.Fuzz(func(t *testing.T, old []byte, dim, le uint32) {
		add := &Cell{Entries: []Entry{{Dim: dim, Count: 1, Hist: Hist{{Le: le, N: 1}}}}}
		got, err := MergeEncoded(nil, old, add)
		var want Cell
		derr := want.Decode(old)
		if err != nil {
			if derr == nil {
				t.Fatalf("MergeEncoded failed (%v) on a cell Decode reads", err)
			}
			return
		}
		if derr != nil {
			t.Fatalf("MergeEncoded read a cell Decode refuses (%v)", derr)
		}
		// Compared only for a cell as the store writes them: sorted
		// dimensions and bounds, no repeats.
		for i, e := range want.Entries {
			if i > 0 && e.Dim <= want.Entries[i-1].Dim {
				return
			}
			for j := 1; j < len(e.Hist); j++ {
				if e.Hist[j].Le <= e.Hist[j-1].Le {
					return
				}
			}
		}
		want.Merge(add)
		// The same cell; not always the same bytes, as entries copied
		// keep their varints as they were (an overlong one, say).
		var back Cell
		if err := back.Decode(got); err != nil {
			t.Fatalf("MergeEncoded wrote a cell Decode refuses: %v", err)
		}
		if diff := cmp.Diff(want.Entries, back.Entries, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("MergeEncoded differs from Decode, Merge, Encode (-want +got):\n%s", diff)
		}
	})
}
