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

// decodeSlab is how many buckets Decode allocates at a time: the entries'
// histograms are pieces of a few shared arrays rather than an allocation
// each (a cell of 300 dimensions was 300 allocations, a third of the cost
// of reading it).
const decodeSlab = 1024

// Decode parses a cell written by Encode, reusing c's memory. Each entry's
// histogram is a piece of a larger array, with no room to grow into the
// next one's: appending to it copies it.
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
	var slab Hist
	for i := uint64(0); i < n && d.err == nil; i++ {
		dim += uint32(d.uvarint())
		e := Entry{Dim: dim, Count: d.uvarint()}
		nb := d.uvarint()
		if nb > uint64(len(d.b)) {
			return fmt.Errorf("%w: %d buckets left in %d bytes", ErrCorrupt, nb, len(d.b))
		}
		if nb > 0 {
			if uint64(cap(slab)-len(slab)) < nb {
				// A small cell needs no whole slab: a bucket takes
				// two bytes or more, usually three or four (a cell
				// whose buckets are smaller gets a second slab).
				slab = make(Hist, 0, max(nb, min(decodeSlab, uint64(len(d.b))/3)))
			}
			from := len(slab)
			slab = slab[:from+int(nb)]
			e.Hist = slab[from:len(slab):len(slab)]
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
	if len(d.b) > 0 && d.b[0] < 0x80 && d.err == nil {
		// One byte: most counts, bucket steps and dimension steps.
		v := d.b[0]
		d.b = d.b[1:]
		return uint64(v)
	}
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

// MergeEncoded appends to dst the encoding of the cell encoded in old with c
// added (c sorted): what decoding old, merging c into it and encoding the
// sum gives (Decode, Merge, Encode), without building old's cell. Its
// entries that c does not have are copied as they are and its histograms
// merged as they are read, so that a write adding a little to a large
// stored cell (each push of an agent into its hour and day cells) allocates
// next to nothing.
func MergeEncoded(dst, old []byte, c *Cell) ([]byte, error) {
	if len(old) == 0 || old[0] != encodingVersion {
		return dst, fmt.Errorf("%w: unknown version", ErrCorrupt)
	}
	d := decoder{b: old[1:]}
	n := d.uvarint()
	if n > uint64(len(old)) {
		return dst, fmt.Errorf("%w: %d entries in %d bytes", ErrCorrupt, n, len(old))
	}
	// The entry count goes first but is known last: room for the longest
	// one, closed up at the end.
	start := len(dst)
	dst = append(dst, encodingVersion)
	countAt := len(dst)
	dst = append(dst, make([]byte, binary.MaxVarintLen64)...)
	bodyAt := len(dst)

	var out uint64          // entries written
	var prev, oldDim uint32 // the last dimension written, old's current one
	haveOld := false        // oldDim is read, its entry not yet
	var buckets []Bucket    // old's histogram of a dimension c has too
	i := 0                  // c's next entry
	for d.err == nil && (n > 0 || haveOld || i < len(c.Entries)) {
		if !haveOld && n > 0 {
			oldDim += uint32(d.uvarint())
			haveOld = true
			n--
			continue
		}
		var e *Entry
		dim := oldDim
		if i < len(c.Entries) {
			e = &c.Entries[i]
			if !haveOld || e.Dim < dim {
				dim = e.Dim
			}
		}
		dst = binary.AppendUvarint(dst, uint64(dim-prev))
		prev = dim
		out++
		switch {
		case haveOld && (e == nil || oldDim < e.Dim):
			// Old's alone: its count and buckets as they are.
			from := d.b
			d.uvarint()
			nb := d.uvarint()
			if nb > uint64(len(d.b)) {
				return dst[:start], fmt.Errorf("%w: %d buckets left in %d bytes", ErrCorrupt, nb, len(d.b))
			}
			for range nb {
				d.uvarint()
				d.uvarint()
			}
			dst = append(dst, from[:len(from)-len(d.b)]...)
			haveOld = false
		case !haveOld || e.Dim < oldDim:
			dst = appendEntry(dst, e.Count, e.Hist)
			i++
		default:
			// Both: counts added, histograms merged.
			count := d.uvarint()
			nb := d.uvarint()
			if nb > uint64(len(d.b)) {
				return dst[:start], fmt.Errorf("%w: %d buckets left in %d bytes", ErrCorrupt, nb, len(d.b))
			}
			buckets = buckets[:0]
			le := uint32(0)
			for range nb {
				le += uint32(d.uvarint())
				buckets = append(buckets, Bucket{Le: le, N: d.uvarint()})
			}
			dst = appendMerged(dst, count+e.Count, buckets, e.Hist)
			haveOld = false
			i++
		}
	}
	if d.err != nil {
		return dst[:start], d.err
	}
	if len(d.b) != 0 {
		return dst[:start], fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	var cb [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(cb[:], out)
	copy(dst[countAt:], cb[:k])
	body := len(dst) - bodyAt
	copy(dst[countAt+k:], dst[bodyAt:])
	return dst[:countAt+k+body], nil
}

// appendEntry appends an entry's count and histogram as Encode does.
func appendEntry(dst []byte, count uint64, h Hist) []byte {
	dst = binary.AppendUvarint(dst, count)
	dst = binary.AppendUvarint(dst, uint64(len(h)))
	prev := uint32(0)
	for _, b := range h {
		dst = binary.AppendUvarint(dst, uint64(b.Le-prev))
		prev = b.Le
		dst = binary.AppendUvarint(dst, b.N)
	}
	return dst
}

// appendMerged appends count and the union of two sorted histograms, as
// Hist.Merge makes it and Encode writes it. The buckets are written first,
// into the room for the longest bucket count, closed up at the end.
func appendMerged(dst []byte, count uint64, a, b Hist) []byte {
	dst = binary.AppendUvarint(dst, count)
	at := len(dst)
	dst = append(dst, make([]byte, binary.MaxVarintLen64)...)
	from := len(dst)
	n, prev := 0, uint32(0)
	for i, j := 0, 0; i < len(a) || j < len(b); n++ {
		var le uint32
		var c uint64
		switch {
		case j == len(b) || i < len(a) && a[i].Le < b[j].Le:
			le, c = a[i].Le, a[i].N
			i++
		case i == len(a) || b[j].Le < a[i].Le:
			le, c = b[j].Le, b[j].N
			j++
		default:
			le, c = a[i].Le, a[i].N+b[j].N
			i, j = i+1, j+1
		}
		if d := le - prev; d < 0x80 {
			dst = append(dst, byte(d))
		} else {
			dst = binary.AppendUvarint(dst, uint64(d))
		}
		prev = le
		if c < 0x80 {
			dst = append(dst, byte(c))
		} else {
			dst = binary.AppendUvarint(dst, c)
		}
	}
	var nb [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(nb[:], uint64(n))
	copy(dst[at:], nb[:k])
	body := len(dst) - from
	copy(dst[at+k:], dst[from:])
	return dst[:at+k+body]
}
