package ingest

import (
	"bytes"
	"slices"
	"sync"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/store"
)

// dimKey is a dimension in registry ids, before the store gives it an id,
// packed in a word so the per-minute maps hash it fast: route id (32 bits),
// host id (16), status (12), method (4).
type dimKey uint64

func newDimKey(route, host uint32, status int, method uint8) dimKey {
	return dimKey(uint64(route)<<32 | uint64(host&0xffff)<<16 | uint64(status&0xfff)<<4 | uint64(method&0xf))
}

func (k dimKey) route() uint32 { return uint32(k >> 32) }
func (k dimKey) host() uint32  { return uint32(k>>16) & 0xffff }
func (k dimKey) status() int   { return int(k>>4) & 0xfff }
func (k dimKey) method() uint8 { return uint8(k & 0xf) }

// minuteAgg is a worker's traffic of one minute: an entry per dimension
// (found with the worker's dimTable), and a word per request holding its entry and latency bucket. Appending a
// word is much cheaper than keeping each entry's histogram sorted as
// requests come; the committing goroutine sorts the words once and cuts
// them into histograms (hists).
type minuteAgg struct {
	entries []aggEntry
	reqs    []uint64 // entry index << 32 | bucket bound
}

type aggEntry struct {
	key   dimKey
	count uint64
	hist  cells.Hist // set by hists
}

// hists fills the entries' histograms from the requests: a counting sort by
// entry (the entries' counts give where each one's requests go), then a
// small sort of each entry's buckets.
func (ma *minuteAgg) hists() {
	// next[i] is where entry i's next request goes in byEntry.
	next := make([]int32, len(ma.entries))
	total := int32(0)
	for i := range ma.entries {
		next[i] = total
		total += int32(ma.entries[i].count)
	}
	byEntry := make([]uint32, total)
	for _, r := range ma.reqs {
		e := r >> 32
		byEntry[next[e]] = uint32(r)
		next[e]++
	}
	reqs := ma.reqs[:0]
	reqPool.Put(&reqs)
	ma.reqs = nil
	// One backing array for the minute's histograms; each gets a piece with
	// no room to grow into the next one.
	slab := make([]cells.Bucket, 0, total)
	start := 0
	for i := range ma.entries {
		les := byEntry[start : start+int(ma.entries[i].count)]
		start += len(les)
		if len(les) <= 16 {
			insertionSort(les)
		} else {
			slices.Sort(les) // a busy dimension
		}
		from := len(slab)
		for j, le := range les {
			if j > 0 && le == les[j-1] {
				slab[len(slab)-1].N++
				continue
			}
			slab = append(slab, cells.Bucket{Le: le, N: 1})
		}
		ma.entries[i].hist = slab[from:len(slab):len(slab)]
	}
}

// insertionSort sorts the few latency buckets of one dimension in a minute
// (a handful mostly: faster than a general sort).
func insertionSort(s []uint32) {
	for i := 1; i < len(s); i++ {
		v, j := s[i], i
		for ; j > 0 && s[j-1] > v; j-- {
			s[j] = s[j-1]
		}
		s[j] = v
	}
}

// reqPool recycles the request words of minutes once turned into histograms.
var reqPool = sync.Pool{New: func() any { return new([]uint64) }}

// worker parses and classifies chunks of one source. It is owned by one
// goroutine at a time.
type worker struct {
	svc    *Service
	parser *logformat.Parser
	routes map[string]routeValue // route template → id and route exclusion
	static map[string]routeValue // paths that are their own template
	hosts  map[string]uint32
	agents map[string]uint64 // user agent → which rules' user_agent matches it
	tmpl   []byte
	lower  []byte

	minutes minutes
	dims    dimTable
	lastMin int32
	last    *minuteAgg

	// buf is the worker's read buffer, kept between runs: a poll that
	// reads a few lines of a growing log does not allocate (and clear) a
	// buffer of ChunkSize+MaxLine each time, which cost the agent and serve
	// a third of their CPU when tailing (see BenchmarkAgentLive). Run grows
	// it only as far as it reads, and drops it after a run that grew it
	// past a chunk (a line longer than ChunkSize).
	buf []byte
}

type routeValue struct {
	id       uint32
	excluded bool
}

const (
	staticPaths    = 1 << 12
	hostCacheSize  = 1 << 12
	agentCacheSize = 1 << 12
	samplesPerRun  = store.SamplesKept
	excerptBytes   = 200
)

func newWorker(svc *Service, p *logformat.Parser) *worker {
	return &worker{
		svc: svc, parser: p, routes: map[string]routeValue{}, static: map[string]routeValue{},
		hosts: map[string]uint32{}, agents: map[string]uint64{}, minutes: minutes{}, dims: dimTable{gen: 1},
	}
}

// chunk is a run of whole lines and what parsing it found.
type chunk struct {
	data      []byte
	lines     int64
	malformed int64
	excluded  int64
	firstTS   int64
	lastTS    int64
	samples   []sample
}

type sample struct {
	line    int64 // 1-based, within the chunk
	reason  string
	excerpt string
}

// process parses every line of c.data into the worker's aggregate.
func (w *worker) process(c *chunk) {
	data := c.data
	var line int64
	for len(data) > 0 {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		line++
		if n := len(l); n > 0 && l[n-1] == '\r' {
			l = l[:n-1]
		}
		w.line(c, line, l)
	}
	c.lines = line
}

func (w *worker) line(c *chunk, n int64, l []byte) {
	// On the stack: Parse stores slices into it, which on the heap would
	// take a write barrier each while the collector runs.
	var rec logformat.Record
	r := &rec
	// Parse resets r.
	if why := parse(w.parser, l, r); why != "" {
		w.malformed(c, n, l, why)
		return
	}
	if c.firstTS == 0 || r.Time < c.firstTS {
		c.firstTS = r.Time
	}
	if r.Time > c.lastTS {
		c.lastTS = r.Time
	}
	// Most requests go to a few paths without ids, which are their own
	// template: those skip templating.
	rv, ok := w.static[string(r.Path)]
	if !ok {
		w.tmpl = w.svc.templater.Template(w.tmpl[:0], r.Path)
		rv, ok = w.routes[string(w.tmpl)]
		if !ok {
			id, admitted := w.svc.routes.ID(w.tmpl)
			rv = routeValue{id: id, excluded: w.svc.excludedByRoute(w.tmpl)}
			if admitted {
				// Admitted templates are bounded by the route cap; the others
				// are looked up each time so they can still be promoted.
				w.routes[string(w.tmpl)] = rv
			}
		}
		if ok && !w.svc.rules && len(w.static) < staticPaths && bytes.Equal(w.tmpl, r.Path) {
			w.static[string(w.tmpl)] = rv
		}
	} else if !w.svc.routeOnly {
		w.tmpl = append(w.tmpl[:0], r.Path...) // the route, for exclusion rules
	}
	if rv.excluded {
		c.excluded++
		return
	}
	method := methodCode(r.Method)
	host := w.host(r.Host)
	if !w.svc.routeOnly && w.excluded(r, method) {
		c.excluded++
		return
	}
	lat := r.RequestTime
	if w.svc.upstream {
		lat = r.UpstreamTime
	}
	m := int32(floorDiv(r.Time, 60_000))
	ma := w.last
	if ma == nil || m != w.lastMin {
		ma = w.minute(m)
	}
	k := newDimKey(rv.id, host, r.Status, method)
	slot := w.dims.find(k)
	if slot.gen != w.dims.gen || slot.minute != m {
		*slot = dimSlot{key: k, minute: m, idx: int32(len(ma.entries)), gen: w.dims.gen}
		ma.entries = append(ma.entries, aggEntry{key: k})
	}
	i := slot.idx
	ma.entries[i].count++
	ma.reqs = append(ma.reqs, uint64(i)<<32|uint64(w.svc.layout.Bucket(lat)))
}

// minute returns the aggregate of minute m, creating it.
func (w *worker) minute(m int32) *minuteAgg {
	ma := w.minutes[m]
	if ma == nil {
		ma = &minuteAgg{reqs: *reqPool.Get().(*[]uint64)}
		w.minutes[m] = ma
	}
	w.last, w.lastMin = ma, m
	return ma
}

func (w *worker) host(h []byte) uint32 {
	if id, ok := w.hosts[string(h)]; ok {
		return id
	}
	name := lowerASCII(w.lower, h)
	if len(name) == 0 {
		name = append(w.lower[:0], '-')
	}
	id, admitted := w.svc.hosts.ID(name)
	if admitted {
		if len(w.hosts) >= hostCacheSize {
			clear(w.hosts)
		}
		w.hosts[string(h)] = id
	}
	return id
}

func (w *worker) excluded(r *logformat.Record, method uint8) bool {
	agents, ok := w.agents[string(r.UserAgent)]
	if !ok {
		agents = w.svc.agentMatches(r.UserAgent)
		if len(w.agents) >= agentCacheSize {
			clear(w.agents)
		}
		w.agents[string(r.UserAgent)] = agents
	}
	return w.svc.excludedByOther(w.tmpl, agents, r.Host, methodNames[method], r.Status)
}

func (w *worker) malformed(c *chunk, n int64, l []byte, reason string) {
	c.malformed++
	if len(c.samples) >= samplesPerRun {
		return
	}
	c.samples = append(c.samples, sample{line: n, reason: reason, excerpt: excerpt(l)})
}

// minutes is a worker's traffic by minute, handed over at each commit.
type minutes map[int32]*minuteAgg

// take hands the worker's aggregate over and starts a new one.
func (w *worker) take() minutes {
	m := w.minutes
	w.minutes = minutes{}
	w.last = nil
	w.dims.reset()
	return m
}

// dimKeys adds the dimensions of m not in known to missing.
func (m minutes) dimKeys(known map[dimKey]uint32, missing map[dimKey]bool) {
	for _, ma := range m {
		for i := range ma.entries {
			if _, ok := known[ma.entries[i].key]; !ok {
				missing[ma.entries[i].key] = true
			}
		}
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
