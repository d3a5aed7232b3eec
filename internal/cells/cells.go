// Package cells is headroom's single source of truth: the minute cell. For
// each service and minute it holds request counts by dimension (host, route
// template, method, status, identified by a dimension id from the store) and a
// latency histogram per dimension. Hour and day rollups are cells too, merged
// from minutes, so any SLI over any range is a sum of cells.
//
// The package is pure: no I/O, no clock.
package cells

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// Entry is the traffic of one dimension in a cell.
type Entry struct {
	Dim   uint32 // dimension id (host, route, method, status), assigned by the store
	Count uint64 // requests
	Hist  Hist   // latencies of these requests; the NoLatency bucket holds the untimed
}

// Cell is the traffic of one service over one time bucket, sorted by Dim.
type Cell struct {
	Entries []Entry
}

// Count returns the requests in the cell.
func (c *Cell) Count() uint64 {
	var n uint64
	for _, e := range c.Entries {
		n += e.Count
	}
	return n
}

func byDim(a, b Entry) int { return cmp.Compare(a.Dim, b.Dim) }

// Sort orders the entries by dimension, merging duplicates.
func (c *Cell) Sort() {
	if !slices.IsSortedFunc(c.Entries, byDim) {
		slices.SortFunc(c.Entries, byDim)
	}
	out := c.Entries[:0]
	var owned map[int]bool // merged-into histograms already copied
	for _, e := range c.Entries {
		if n := len(out); n > 0 && out[n-1].Dim == e.Dim {
			out[n-1].Count += e.Count
			if !owned[n-1] {
				if owned == nil {
					owned = map[int]bool{}
				}
				out[n-1].Hist = append(Hist(nil), out[n-1].Hist...)
				owned[n-1] = true
			}
			out[n-1].Hist.Merge(e.Hist)
			continue
		}
		out = append(out, e)
	}
	c.Entries = out
}

// Builder sums many cells into one (a rollup). It merges its cells
// dimension by dimension, counting each dimension's histogram buckets on the
// default grid below one minute in one dense array (an increment each, with a
// bit set in a bitmap of the buckets used) and the rare others (configured
// thresholds, longer latencies, requests without one) in a short list. The
// dense array stays in the cache; merging each cell into a growing one would
// search or shift the growing histograms every time, and a dense array per
// dimension would miss the cache on most increments.
type Builder struct {
	cells []*Cell
}

// Add adds c, which must be sorted and stay unchanged until Cell is called.
func (b *Builder) Add(c *Cell) {
	if len(c.Entries) > 0 {
		b.cells = append(b.cells, c)
	}
}

// denseHist counts requests by gridIndex; used marks the non-zero counts.
type denseHist struct {
	n     [gridBuckets]uint64
	used  [(gridBuckets + 63) / 64]uint64
	other Hist // buckets off the dense grid, unsorted
}

var denseHists = sync.Pool{New: func() any { return new(denseHist) }}

// Cell returns the sum, sorted, and empties the builder.
func (b *Builder) Cell() *Cell {
	// Each cell's entries not merged yet, and the lowest dimension among
	// their first entries: the next one to merge.
	rest := make([][]Entry, len(b.cells))
	next := uint32(math.MaxUint32)
	for i, c := range b.cells {
		rest[i] = c.Entries
		next = min(next, c.Entries[0].Dim)
	}
	*b = Builder{}
	d := denseHists.Get().(*denseHist)
	defer denseHists.Put(d)
	out := &Cell{}
	for len(rest) > 0 {
		e := Entry{Dim: next}
		next = math.MaxUint32
		for i := 0; i < len(rest); i++ {
			r := rest[i]
			if r[0].Dim == e.Dim {
				e.Count += r[0].Count
				d.add(r[0].Hist)
				if r = r[1:]; len(r) == 0 {
					rest[i] = rest[len(rest)-1]
					rest = rest[:len(rest)-1]
					i--
					continue
				}
				rest[i] = r
			}
			next = min(next, r[0].Dim)
		}
		e.Hist = d.take()
		out.Entries = append(out.Entries, e)
	}
	return out
}

// add counts h in d.
func (d *denseHist) add(h Hist) {
	for _, k := range h {
		if j, ok := gridIndex(k.Le); ok {
			d.n[j] += k.N
			d.used[j/64] |= 1 << (j % 64)
		} else {
			d.other = append(d.other, k)
		}
	}
}

// take returns the histogram counted in d and empties d.
func (d *denseHist) take() Hist {
	n := len(d.other)
	for _, w := range d.used {
		n += bits.OnesCount64(w)
	}
	h := make(Hist, 0, n)
	for wi, w := range d.used {
		for w != 0 {
			j := wi*64 + bits.TrailingZeros64(w)
			w &= w - 1
			if d.n[j] > 0 {
				h = append(h, Bucket{Le: gridBounds[j], N: d.n[j]})
				d.n[j] = 0
			}
		}
		d.used[wi] = 0
	}
	if len(d.other) > 0 {
		slices.SortFunc(d.other, func(a, b Bucket) int { return cmp.Compare(a.Le, b.Le) })
		grid := len(h)
		for _, k := range d.other {
			if n := len(h); n > grid && h[n-1].Le == k.Le {
				h[n-1].N += k.N
				continue
			}
			h = append(h, k)
		}
		d.other = d.other[:0]
		if grid > 0 && len(h) > grid {
			slices.SortStableFunc(h, func(a, b Bucket) int { return cmp.Compare(a.Le, b.Le) })
		}
	}
	return h
}

// Merge adds o into c. Both must be sorted.
func (c *Cell) Merge(o *Cell) {
	if len(o.Entries) == 0 {
		return
	}
	out := make([]Entry, 0, len(c.Entries)+len(o.Entries))
	a, b := c.Entries, o.Entries
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0].Dim < b[0].Dim:
			out, a = append(out, a[0]), a[1:]
		case a[0].Dim > b[0].Dim:
			out, b = append(out, cloneEntry(b[0])), b[1:]
		default:
			e := a[0]
			e.Count += b[0].Count
			e.Hist.Merge(b[0].Hist)
			out = append(out, e)
			a, b = a[1:], b[1:]
		}
	}
	out = append(out, a...)
	for _, e := range b {
		out = append(out, cloneEntry(e))
	}
	c.Entries = out
}

func cloneEntry(e Entry) Entry {
	e.Hist = append(Hist(nil), e.Hist...)
	return e
}

const encodingVersion = 1

// Encode appends the binary form of c to dst: a version byte, the number of
// entries, then per entry the dimension id (delta from the previous), the
// count, the number of buckets and the buckets (bound delta, count), all as
// uvarints. c must be sorted.
func (c *Cell) Encode(dst []byte) []byte {
	dst = append(dst, encodingVersion)
	dst = binary.AppendUvarint(dst, uint64(len(c.Entries)))
	prevDim := uint32(0)
	for _, e := range c.Entries {
		dst = binary.AppendUvarint(dst, uint64(e.Dim-prevDim))
		prevDim = e.Dim
		dst = binary.AppendUvarint(dst, e.Count)
		dst = binary.AppendUvarint(dst, uint64(len(e.Hist)))
		prevLe := uint32(0)
		for _, b := range e.Hist {
			dst = binary.AppendUvarint(dst, uint64(b.Le-prevLe))
			prevLe = b.Le
			dst = binary.AppendUvarint(dst, b.N)
		}
	}
	return dst
}

// ErrCorrupt reports an undecodable cell.
var ErrCorrupt = errors.New("corrupt cell")

// Decode parses a cell written by Encode, reusing c's memory.
func (c *Cell) Decode(b []byte) error {
	if len(b) == 0 || b[0] != encodingVersion {
		return fmt.Errorf("%w: unknown version", ErrCorrupt)
	}
	d := decoder{b: b[1:]}
	n := d.uvarint()
	if n > uint64(len(b)) {
		return fmt.Errorf("%w: %d entries in %d bytes", ErrCorrupt, n, len(b))
	}
	c.Entries = c.Entries[:0]
	dim := uint32(0)
	for i := uint64(0); i < n && d.err == nil; i++ {
		dim += uint32(d.uvarint())
		e := Entry{Dim: dim, Count: d.uvarint()}
		nb := d.uvarint()
		if nb > uint64(len(d.b)) {
			return fmt.Errorf("%w: %d buckets left in %d bytes", ErrCorrupt, nb, len(d.b))
		}
		if nb > 0 {
			e.Hist = make(Hist, nb)
			le := uint32(0)
			for j := range e.Hist {
				le += uint32(d.uvarint())
				e.Hist[j] = Bucket{Le: le, N: d.uvarint()}
			}
		}
		c.Entries = append(c.Entries, e)
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("%w: truncated", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return v
}
