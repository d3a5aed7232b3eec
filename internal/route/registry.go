package route

import (
	"container/heap"
	"sync"
	"sync/atomic"
)

// Other is the name of the catch-all route that templates past a
// [Registry]'s cap map to. Its id is always 0.
const Other = "other"

const (
	// reserveDivisor sets the promotion reserve: limit/reserveDivisor slots of
	// a Registry are kept for templates that become heavy late.
	reserveDivisor = 10
	// PromoteAfter is how many sightings (a guaranteed lower bound, see
	// Registry) a template needs, once first-come admission is over, to take
	// one of the reserved slots.
	PromoteAfter = 100
	// minCandidates is the smallest size of the candidate table.
	minCandidates = 16
)

// Registry assigns small dense ids to route templates of one service, up to a
// cap; past the cap new templates map to Other ("other").
//
// # Policy
//
// Id 0 is [Other]. The cap (limit) counts templates with an id of their own,
// Other excluded and existing templates included. Ids are stable forever once
// assigned: they are never reassigned or evicted, and existing templates keep
// the ids they were given by [NewRegistry].
//
// The cap is split in two:
//
//   - first-come slots (limit − limit/10): a template is admitted the first
//     time it is seen, while such slots remain. Routes seen early are mostly
//     the frequent ones.
//   - a reserve (limit/10, so none below a limit of 10) for templates that
//     become heavy later, e.g. an endpoint deployed after the registry filled
//     up. Once the first-come slots are gone, unknown templates are counted in
//     a bounded candidate table (the space-saving algorithm, max(limit/4, 16)
//     entries, which over-counts by at most a known error per entry). A
//     candidate whose guaranteed count (count − error) reaches [PromoteAfter]
//     takes a reserve slot on that sighting. Candidates are never evicted
//     from the registry, only from the candidate table; counts do not decay,
//     so they cover the life of the Registry (typically one process run).
//
// Each lookup that returns Other because of the cap counts in
// [Registry.Overflowed]. When every slot is taken, lookups of unknown
// templates only take a read lock and bump that counter.
//
// Callers memoising lookups should not memoise a result with
// admitted false while promotion is still possible: the template would stop
// being counted.
//
// A Registry is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	ids       map[string]uint32
	names     []string // id → template; names[0] is Other
	limit     int      // max templates with their own id
	firstCome int      // templates admitted on first sight while len(names)-1 < firstCome
	cand      candidates

	overflowed atomic.Uint64
}

// NewRegistry returns a Registry capped at limit templates (non-positive: no
// new template is admitted). existing: templates already known (e.g. loaded
// from the store), kept first: existing[i] gets id i+1, even past the limit.
// An entry equal to Other, or repeating an earlier entry, still takes its id
// slot, so later ids do not shift, but lookups of it return the first id
// (0 for Other). Persisting Name(1) … Name(Len()-1) in order and passing it
// back as existing restores every id.
func NewRegistry(limit int, existing []string) *Registry {
	limit = max(limit, 0)
	r := &Registry{
		ids:       make(map[string]uint32, len(existing)+1),
		names:     make([]string, 1, len(existing)+1),
		limit:     limit,
		firstCome: limit - limit/reserveDivisor,
	}
	r.names[0] = Other
	r.ids[Other] = 0
	for _, name := range existing {
		id := uint32(len(r.names))
		r.names = append(r.names, name)
		if _, dup := r.ids[name]; !dup {
			r.ids[name] = id
		}
	}
	r.cand.init(max(limit/4, minCandidates))
	return r
}

// ID returns the id of template, admitting it when the policy allows. admitted
// is false when template was mapped to Other because of the cap; looking up
// Other itself returns (0, true). ID does not allocate when template is
// already known (a hit).
func (r *Registry) ID(template []byte) (id uint32, admitted bool) {
	r.mu.RLock()
	id, ok := r.ids[string(template)]
	full := r.admittedLocked() >= r.limit
	r.mu.RUnlock()
	if ok {
		return id, true
	}
	if full {
		r.overflowed.Add(1)
		return 0, false
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.ids[string(template)]; ok {
		return id, true
	}
	n := r.admittedLocked()
	switch {
	case n < r.firstCome:
		return r.admitLocked(string(template)), true
	case n < r.limit:
		if r.cand.hit(template) >= PromoteAfter {
			r.cand.remove(template)
			return r.admitLocked(string(template)), true
		}
	}
	r.overflowed.Add(1)
	return 0, false
}

// Name returns the template with the given id: Other for 0, and "" for an id
// that was never assigned.
func (r *Registry) Name(id uint32) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if uint64(id) < uint64(len(r.names)) {
		return r.names[id]
	}
	return ""
}

// Len returns the number of ids in use, Other included: valid ids are 0 to
// Len()-1.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.names)
}

// Overflowed returns how many lookups mapped to Other because of the cap.
func (r *Registry) Overflowed() uint64 {
	return r.overflowed.Load()
}

// admittedLocked returns how many templates have an id of their own.
func (r *Registry) admittedLocked() int { return len(r.names) - 1 }

// admitLocked gives name the next id. r.mu must be held for writing.
func (r *Registry) admitLocked(name string) uint32 {
	id := uint32(len(r.names))
	r.names = append(r.names, name)
	r.ids[name] = id
	return id
}

// candidates is a space-saving counter table: at most size keys, each with a
// count that over-estimates its true number of sightings by at most err. It
// is a min-heap on count, so the entry to replace is at the root.
type candidates struct {
	size  int
	index map[string]int // key → position in entries
	items []candidate
}

type candidate struct {
	key        string
	count, err uint64
}

func (c *candidates) init(size int) {
	c.size = size
	c.index = make(map[string]int)
}

// hit counts one sighting of key and returns its guaranteed count.
func (c *candidates) hit(key []byte) uint64 {
	if i, ok := c.index[string(key)]; ok {
		e := &c.items[i]
		e.count++
		lower := e.count - e.err
		heap.Fix(c, i)
		return lower
	}
	if len(c.items) < c.size {
		heap.Push(c, candidate{key: string(key), count: 1})
		return 1
	}
	// Replace the least counted key; the newcomer inherits its count as error.
	least := c.items[0]
	delete(c.index, least.key)
	k := string(key)
	c.items[0] = candidate{key: k, count: least.count + 1, err: least.count}
	c.index[k] = 0
	heap.Fix(c, 0)
	return 1
}

// remove drops key from the table, if present.
func (c *candidates) remove(key []byte) {
	if i, ok := c.index[string(key)]; ok {
		heap.Remove(c, i)
	}
}

// heap.Interface; not for use outside the heap package's functions.

func (c *candidates) Len() int           { return len(c.items) }
func (c *candidates) Less(i, j int) bool { return c.items[i].count < c.items[j].count }
func (c *candidates) Swap(i, j int) {
	c.items[i], c.items[j] = c.items[j], c.items[i]
	c.index[c.items[i].key] = i
	c.index[c.items[j].key] = j
}

func (c *candidates) Push(x any) {
	e := x.(candidate)
	c.index[e.key] = len(c.items)
	c.items = append(c.items, e)
}

func (c *candidates) Pop() any {
	e := c.items[len(c.items)-1]
	c.items = c.items[:len(c.items)-1]
	delete(c.index, e.key)
	return e
}
