package report

import (
	"context"
	"sync"

	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Watched is a store that reports its changes, which lets the engine keep
// what it computed from each cell between requests.
type Watched interface {
	OnChange(func(store.Change))
	Commits(ctx context.Context) (int64, error)
}

// countCache keeps, per service, the SLI counts of every stored cell for all
// the service's SLOs (in config order), so that a request reads and decodes
// only the cells that changed since the last one.
//
// It stays exact: the store's change hook drops the cells this process
// rewrites, and a commit count in the store tells writes by another process
// (a `headroom import` next to `serve`), after which everything is dropped.
// An entry computed while its cell changed is not kept: each change is
// numbered (gen), and a cell's last change remembered (changed). It used
// to be any change: with a fleet's pushes changing cells 20 times a second,
// a request longer than 50 ms kept nothing, and every alert evaluation read
// all its windows' cells again.
type countCache struct {
	mu      sync.Mutex
	gen     uint64
	seen    int64 // the store's commit count the cache reflects
	entries int
	bySvc   map[string]map[cellAt][]slo.Counts
	// changed is the gen of each cell's last change, by service, since
	// cleared: a request that began before cleared keeps nothing.
	changed map[string]map[cellAt]uint64
	cleared uint64
}

type cellAt struct{ res, start int64 }

// maxCachedCells bounds the cache; past it, it starts afresh.
const maxCachedCells = 1 << 20

// maxChanged bounds the cells whose last change is remembered; past it,
// the requests under way keep nothing.
const maxChanged = 1 << 16

func newCountCache(w Watched) *countCache {
	c := &countCache{bySvc: map[string]map[cellAt][]slo.Counts{}, changed: map[string]map[cellAt]uint64{}}
	w.OnChange(c.change)
	return c
}

func (c *countCache) change(ch store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.seen = max(c.seen, ch.Commits)
	if ch.All {
		c.clear()
		return
	}
	if c.changedCells()+len(ch.Starts) > maxChanged {
		c.changed = map[string]map[cellAt]uint64{}
		c.cleared = c.gen
	}
	changed := c.changed[ch.Service]
	if changed == nil {
		changed = map[cellAt]uint64{}
		c.changed[ch.Service] = changed
	}
	m := c.bySvc[ch.Service]
	for _, s := range ch.Starts {
		changed[cellAt{ch.Res, s}] = c.gen
		if _, ok := m[cellAt{ch.Res, s}]; ok {
			delete(m, cellAt{ch.Res, s})
			c.entries--
		}
	}
}

func (c *countCache) clear() {
	c.bySvc = map[string]map[cellAt][]slo.Counts{}
	c.entries = 0
	c.changed = map[string]map[cellAt]uint64{}
	c.cleared = c.gen
}

func (c *countCache) changedCells() int {
	n := 0
	for _, m := range c.changed {
		n += len(m)
	}
	return n
}

// sync drops everything when the store saw commits this process was not told
// of.
func (c *countCache) sync(ctx context.Context, w Watched) error {
	n, err := w.Commits(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n != c.seen {
		c.gen++
		c.seen = n
		c.clear()
	}
	return nil
}

// commits returns the store's commit count the cache reflects.
func (c *countCache) commits() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen
}

// view returns the cache of one service for one request.
func (c *countCache) view(service string) *cacheView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &cacheView{c: c, service: service, gen: c.gen}
}

// cacheView is a sli.CountCache for one service and one request.
type cacheView struct {
	c       *countCache
	service string
	gen     uint64
}

func (v *cacheView) Get(res, start int64) ([]slo.Counts, bool) {
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	counts, ok := v.c.bySvc[v.service][cellAt{res, start}]
	return counts, ok
}

func (v *cacheView) Put(res, start int64, counts []slo.Counts) {
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	if v.gen < v.c.cleared || v.c.changed[v.service][cellAt{res, start}] > v.gen {
		return // the cell changed since this request began, or may have
	}
	if v.c.entries >= maxCachedCells {
		v.c.clear()
	}
	m := v.c.bySvc[v.service]
	if m == nil {
		m = map[cellAt][]slo.Counts{}
		v.c.bySvc[v.service] = m
	}
	if _, ok := m[cellAt{res, start}]; !ok {
		v.c.entries++
	}
	m[cellAt{res, start}] = counts
}
