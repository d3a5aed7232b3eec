package cells

import (
	"math"
	"sort"
)

// NoLatency is the bucket of requests logged without a latency ("-").
const NoLatency uint32 = math.MaxUint32

// Overflow is the bucket upper bound for latencies above MaxLatencyMs.
const Overflow uint32 = math.MaxUint32 - 1

// MaxLatencyMs is the largest latency with a finite bucket: one hour.
const MaxLatencyMs = 3_600_000

// gridMs is where the fixed-step grid ends; beyond it bounds grow by 5%.
const gridMs = 60_000

// Layout maps a latency in milliseconds to the upper bound of its histogram
// bucket ("le" semantics: a bucket holds latencies ≤ its bound and above the
// previous bound).
//
// The default grid is exact at every millisecond up to 100 ms, then steps by
// 5 ms to 500 ms, 10 ms to 1 s, 50 ms to 5 s, 100 ms to 10 s, 500 ms to 60 s
// and 5% above, so any latency is known within 5% of its value. Thresholds
// named in the config are added as extra bounds, so counts at those
// thresholds are exact.
type Layout struct {
	extras []uint32 // sorted extra bounds
}

// NewLayout returns the default grid with extra bounds at thresholdsMs.
func NewLayout(thresholdsMs ...uint32) *Layout {
	l := &Layout{}
	for _, t := range thresholdsMs {
		if t > 0 && t <= MaxLatencyMs && gridBound(t) != t {
			l.extras = append(l.extras, t)
		}
	}
	sort.Slice(l.extras, func(i, j int) bool { return l.extras[i] < l.extras[j] })
	return l
}

// Bucket returns the bucket upper bound for a latency given in microseconds;
// negative means the request had no latency.
func (l *Layout) Bucket(us int64) uint32 {
	if us < 0 {
		return NoLatency
	}
	ms := (us + 999) / 1000
	if ms > MaxLatencyMs {
		return Overflow
	}
	b := gridBound(uint32(ms))
	for _, e := range l.extras {
		if e >= uint32(ms) {
			return min(e, b)
		}
	}
	return b
}

// gridBound returns the default bound of the bucket holding ms.
func gridBound(ms uint32) uint32 {
	switch {
	case ms <= 100:
		return ms
	case ms <= 500:
		return ceilTo(ms, 5)
	case ms <= 1000:
		return ceilTo(ms, 10)
	case ms <= 5000:
		return ceilTo(ms, 50)
	case ms <= 10000:
		return ceilTo(ms, 100)
	case ms <= gridMs:
		return ceilTo(ms, 500)
	}
	return gridAbove(ms)
}

// gridIndex returns the position of a default bound up to gridMs among all
// of them (0 for 0 ms); ok is false for other values.
func gridIndex(le uint32) (int, bool) {
	if le < uint32(len(smallIndex)) {
		// Most latencies: no division.
		i := smallIndex[le]
		return int(i), i >= 0
	}
	return gridIndexSlow(le)
}

// smallIndex is gridIndex up to 1 s, -1 off the grid.
var smallIndex = func() (t [1001]int16) {
	for le := range t {
		i, ok := gridIndexSlow(uint32(le))
		t[le] = int16(i)
		if !ok {
			t[le] = -1
		}
	}
	return t
}()

func gridIndexSlow(le uint32) (int, bool) {
	if le > gridMs || gridBound(le) != le {
		return 0, false
	}
	switch {
	case le <= 100:
		return int(le), true
	case le <= 500:
		return 100 + int(le-100)/5, true
	case le <= 1000:
		return 180 + int(le-500)/10, true
	case le <= 5000:
		return 230 + int(le-1000)/50, true
	case le <= 10000:
		return 310 + int(le-5000)/100, true
	}
	return 360 + int(le-10000)/500, true
}

// gridBuckets is the number of default bounds up to gridMs, 0 included.
const gridBuckets = 461

// gridBounds lists the default bounds up to gridMs by gridIndex.
var gridBounds = func() (b [gridBuckets]uint32) {
	for le := uint32(0); le <= gridMs; le++ {
		if i, ok := gridIndex(le); ok {
			b[i] = le
		}
	}
	return b
}()

func ceilTo(v, step uint32) uint32 { return (v + step - 1) / step * step }

// gridAbove returns the default bound for ms > gridMs: bounds grow by 5%
// from 60 s, rounded up to whole milliseconds.
func gridAbove(ms uint32) uint32 {
	b := float64(gridMs)
	for uint32(b) < ms {
		b = math.Ceil(b * 1.05)
	}
	return uint32(b)
}

// lowerBound returns the default grid bound below the bucket whose upper bound
// is le; it is used to interpolate inside a bucket.
func lowerBound(le uint32) uint32 {
	switch {
	case le == 0:
		return 0
	case le <= 100:
		return le - 1
	case le <= 500:
		return le - min(5, le-100)
	case le <= 1000:
		return le - min(10, le-500)
	case le <= 5000:
		return le - min(50, le-1000)
	case le <= 10000:
		return le - min(100, le-5000)
	case le <= gridMs:
		return le - min(500, le-10000)
	}
	return uint32(float64(le) / 1.05)
}

// Bucket is one histogram bucket: N requests with latency ≤ Le ms and above
// the previous bucket's bound.
type Bucket struct {
	Le uint32
	N  uint64
}

// Hist is a sparse latency histogram, sorted by Le. Requests without a latency
// sit in the NoLatency bucket, last.
type Hist []Bucket

// Add adds n requests to the bucket le, keeping the order.
func (h *Hist) Add(le uint32, n uint64) {
	s := *h
	// Binary search by hand: this is on the ingest hot path.
	i, j := 0, len(s)
	for i < j {
		m := int(uint(i+j) >> 1)
		if s[m].Le < le {
			i = m + 1
		} else {
			j = m
		}
	}
	if i < len(s) && s[i].Le == le {
		s[i].N += n
		return
	}
	s = append(s, Bucket{})
	copy(s[i+1:], s[i:])
	s[i] = Bucket{Le: le, N: n}
	*h = s
}

// Merge adds all buckets of o into h. When o has no bucket h lacks, h is
// updated in place; otherwise h gets new memory. An empty h takes o as it is
// (sharing its memory): Merge into a histogram that others may hold only
// after copying it.
func (h *Hist) Merge(o Hist) {
	if len(o) == 0 {
		return
	}
	if len(*h) == 0 {
		*h = o
		return
	}
	if len(o)*8 < len(*h) {
		// A few buckets into many (a minute into an hour): search each
		// instead of walking all of h.
		for _, b := range o {
			h.Add(b.Le, b.N)
		}
		return
	}
	a := *h
	i, fresh := 0, 0
	for _, b := range o {
		for i < len(a) && a[i].Le < b.Le {
			i++
		}
		if i == len(a) || a[i].Le != b.Le {
			fresh++
		}
	}
	if fresh == 0 {
		i = 0
		for _, b := range o {
			for a[i].Le < b.Le {
				i++
			}
			a[i].N += b.N
		}
		return
	}
	out := make(Hist, 0, len(a)+fresh)
	for len(a) > 0 && len(o) > 0 {
		switch {
		case a[0].Le < o[0].Le:
			out, a = append(out, a[0]), a[1:]
		case a[0].Le > o[0].Le:
			out, o = append(out, o[0]), o[1:]
		default:
			out = append(out, Bucket{Le: a[0].Le, N: a[0].N + o[0].N})
			a, o = a[1:], o[1:]
		}
	}
	*h = append(append(out, a...), o...)
}

// Timed returns how many requests have a latency.
func (h Hist) Timed() uint64 {
	var n uint64
	for _, b := range h {
		if b.Le != NoLatency {
			n += b.N
		}
	}
	return n
}

// CountLE returns how many timed requests took at most thresholdMs.
//
// With onGrid true the caller asserts thresholdMs is a bucket bound of the
// layout the data was written with (every default bound, and every threshold
// in the config when the data was ingested): the count is exact. Data written
// before a threshold was configured has no bound there, so the answer then
// undercounts by at most the requests of one bucket (≤ 5% in latency).
// With onGrid false the bucket holding the threshold is split by linear
// interpolation, for ad-hoc thresholds.
func (h Hist) CountLE(thresholdMs uint32, onGrid bool) float64 {
	var n float64
	for _, b := range h {
		if b.Le == NoLatency {
			break
		}
		if b.Le <= thresholdMs {
			n += float64(b.N)
			continue
		}
		lo := lowerBound(b.Le)
		if !onGrid && b.Le != Overflow && thresholdMs > lo {
			n += float64(b.N) * float64(thresholdMs-lo) / float64(b.Le-lo)
		}
		break
	}
	return n
}

// OnGrid reports whether thresholdMs is a bucket bound of l.
func (l *Layout) OnGrid(thresholdMs uint32) bool {
	return l.Bucket(int64(thresholdMs)*1000) == thresholdMs
}

// Quantile returns the latency in ms below which a share q of the timed
// requests fall, interpolated inside the bucket; NaN without timed requests.
func (h Hist) Quantile(q float64) float64 {
	total := h.Timed()
	if total == 0 {
		return math.NaN()
	}
	rank := q * float64(total)
	var seen float64
	for _, b := range h {
		if b.Le == NoLatency {
			break
		}
		if seen+float64(b.N) >= rank {
			if b.Le == Overflow {
				return MaxLatencyMs
			}
			lo := float64(lowerBound(b.Le))
			return lo + (float64(b.Le)-lo)*(rank-seen)/float64(b.N)
		}
		seen += float64(b.N)
	}
	return float64(h[len(h)-1].Le)
}
