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

// worker parses the chunks of one source, and classifies each line for
// every service reading the source: a lane each. It is owned by one
// goroutine at a time.
type worker struct {
	parser *logformat.Parser
	unwrap *logformat.Unwrapper // nil for plain lines
	lanes  []*lane              // one per service of the source, in its order
	// The lanes that may take a line: all of them, or, when a service
	// matches on the upstream, those whose upstream regexp (if any)
	// accepts the line's, found by upstream in byUpstream (a bounded
	// cache: one map lookup a line, however many services).
	all        []int32
	byUpstream map[string][]int32
	// routeMatch says a service matches on the route: unmatched samples
	// then say the path too.
	routeMatch bool
	// banner says the log is ingress-nginx's stdout, where the controller
	// prints its version banner at each start (see bannerLine).
	banner bool

	// buf is the worker's read buffer, kept between runs: a poll that
	// reads a few lines of a growing log does not allocate (and clear) a
	// buffer of ChunkSize+MaxLine each time, which cost the agent and serve
	// a third of their CPU when tailing (see BenchmarkAgentLive). Run grows
	// it only as far as it reads, and drops it after a run that grew it
	// past a chunk (a line longer than ChunkSize).
	buf []byte
}

// lane classifies lines for one service: its caches and its aggregate.
type lane struct {
	svc    *Service
	routes map[string]routeValue // route template → id, exclusion, match
	static map[string]routeValue // paths that are their own template
	// unmatchedRoutes counts the templates cached in routes as not taken
	// by the service's match.route: bounded, they are not capped by
	// max_routes.
	unmatchedRoutes int
	hosts           map[string]uint32
	hostOK          map[string]bool   // host as logged → match.host accepts it (with match.host)
	agents          map[string]uint64 // user agent → which rules' user_agent matches it
	tmpl            []byte
	lower           []byte

	minutes minutes
	dims    dimTable
	lastMin int32
	last    *minuteAgg
}

type routeValue struct {
	id        uint32
	excluded  bool
	unmatched bool // the service's match.route does not take the template
}

// outcome is what a service did with a line.
type outcome uint8

// Outcomes, ranked: a line counts as what the service that went furthest
// with it did.
const (
	outUnmatched outcome = iota // its match does not take the line
	outExcluded                 // its exclude rules drop it
	outCounted                  // it counts in the service's cells
)

const (
	staticPaths       = 1 << 12
	hostCacheSize     = 1 << 12
	agentCacheSize    = 1 << 12
	upstreamCacheSize = 1 << 12
	unmatchedRoutes   = 1 << 12
	samplesPerRun     = store.SamplesKept
	unmatchedPerRun   = store.UnmatchedKept
	excerptBytes      = 200
)

func newWorker(svcs []*Service, p *logformat.Parser) *worker {
	w := &worker{parser: p}
	for i, s := range svcs {
		l := &lane{
			svc: s, routes: map[string]routeValue{}, static: map[string]routeValue{},
			hosts: map[string]uint32{}, agents: map[string]uint64{}, minutes: minutes{}, dims: dimTable{gen: 1},
		}
		if s.matchHost != nil {
			l.hostOK = map[string]bool{}
		}
		if s.matchUpstream != nil {
			w.byUpstream = map[string][]int32{}
		}
		w.routeMatch = w.routeMatch || s.matchRoute != nil
		w.lanes = append(w.lanes, l)
		w.all = append(w.all, int32(i))
	}
	return w
}

// chunk is a run of whole lines and what parsing it found.
type chunk struct {
	data []byte
	// With a wrapper: the streams whose line started before data (their
	// parts are dropped); whether the stream ends with data (lines still
	// open at its end count as they are); when data was cut inside a line
	// too long for the buffer, the longest line read (lines still open at
	// its end are malformed, longer than that).
	resume  logformat.Streams
	flush   bool
	tooLong int

	lines     int64
	malformed int64
	excluded  int64
	unmatched int64
	firstTS   int64
	lastTS    int64
	samples   []sample
	// unmatchedSamples are lines no service took, one per upstream and
	// host.
	unmatchedSamples []sample
}

type sample struct {
	line    int64 // 1-based, within the chunk
	reason  string
	excerpt string
	// upstream and host tell unmatched samples apart.
	upstream, host string
}

// process parses every line of c.data into the worker's aggregate.
func (w *worker) process(c *chunk) {
	if w.unwrap != nil {
		w.processWrapped(c)
		return
	}
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

// line parses one line once and classifies it for every service that may
// take it. It counts once: as counted when a service counts it, else as
// excluded when a service that took it excluded it, else as unmatched.
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
	lanes := w.all
	if w.byUpstream != nil {
		lanes = w.upstreamLanes(r.Upstream)
	}
	out := outUnmatched
	for _, i := range lanes {
		out = max(out, w.lanes[i].classify(r))
	}
	switch out {
	case outExcluded:
		c.excluded++
	case outUnmatched:
		w.unmatched(c, n, l, r)
	}
}

// upstreamLanes returns the lanes whose match.upstream, if any, takes
// upstream.
func (w *worker) upstreamLanes(upstream []byte) []int32 {
	if ls, ok := w.byUpstream[string(upstream)]; ok {
		return ls
	}
	var ls []int32
	for i, l := range w.lanes {
		if m := l.svc.matchUpstream; m == nil || m.Match(upstream) {
			ls = append(ls, int32(i))
		}
	}
	if len(w.byUpstream) >= upstreamCacheSize {
		clear(w.byUpstream)
	}
	w.byUpstream[string(upstream)] = ls
	return ls
}

// classify counts a parsed line in the lane's aggregate, unless the
// service's match does not take it or its exclude rules drop it.
func (l *lane) classify(r *logformat.Record) outcome {
	svc := l.svc
	if svc.matchHost != nil && !l.hostMatches(r.Host) {
		return outUnmatched
	}
	// Most requests go to a few paths without ids, which are their own
	// template: those skip templating.
	rv, ok := l.static[string(r.Path)]
	if !ok {
		l.tmpl = svc.templater.Template(l.tmpl[:0], r.Path)
		rv, ok = l.routes[string(l.tmpl)]
		if !ok {
			rv = l.route()
		}
		if ok && !svc.rules && len(l.static) < staticPaths && bytes.Equal(l.tmpl, r.Path) {
			l.static[string(l.tmpl)] = rv
		}
	} else if !svc.routeOnly {
		l.tmpl = append(l.tmpl[:0], r.Path...) // the route, for exclusion rules
	}
	switch {
	case rv.unmatched:
		return outUnmatched
	case rv.excluded:
		return outExcluded
	}
	method := methodCode(r.Method)
	host := l.host(r.Host)
	if !svc.routeOnly && l.excluded(r, method) {
		return outExcluded
	}
	lat := r.RequestTime
	if svc.upstream {
		lat = r.UpstreamTime
	}
	m := int32(floorDiv(r.Time, 60_000))
	ma := l.last
	if ma == nil || m != l.lastMin {
		ma = l.minute(m)
	}
	k := newDimKey(rv.id, host, r.Status, method)
	slot := l.dims.find(k)
	if slot.gen != l.dims.gen || slot.minute != m {
		*slot = dimSlot{key: k, minute: m, idx: int32(len(ma.entries)), gen: l.dims.gen}
		ma.entries = append(ma.entries, aggEntry{key: k})
	}
	i := slot.idx
	ma.entries[i].count++
	ma.reqs = append(ma.reqs, uint64(i)<<32|uint64(svc.layout.Bucket(lat)))
	return outCounted
}

// route classifies the template in l.tmpl, not cached yet: not taken by
// match.route, or its route id and whether a route-only rule excludes it.
// A template the match does not take is not registered: it is not the
// service's route.
func (l *lane) route() routeValue {
	svc := l.svc
	if svc.matchRoute != nil && !svc.matchRoute.Match(l.tmpl) {
		rv := routeValue{unmatched: true}
		if l.unmatchedRoutes < unmatchedRoutes {
			l.unmatchedRoutes++
			l.routes[string(l.tmpl)] = rv
		}
		return rv
	}
	id, admitted := svc.routes.ID(l.tmpl)
	rv := routeValue{id: id, excluded: svc.excludedByRoute(l.tmpl)}
	if admitted {
		// Admitted templates are bounded by the route cap; the others
		// are looked up each time so they can still be promoted.
		l.routes[string(l.tmpl)] = rv
	}
	return rv
}

// hostMatches reports whether the service's match.host takes host, as
// stored: lower-cased, "-" when there is none.
func (l *lane) hostMatches(h []byte) bool {
	if ok, seen := l.hostOK[string(h)]; seen {
		return ok
	}
	name := lowerASCII(l.lower, h)
	if len(name) == 0 {
		name = append(l.lower[:0], '-')
	}
	ok := l.svc.matchHost.Match(name)
	if len(l.hostOK) >= hostCacheSize {
		clear(l.hostOK)
	}
	l.hostOK[string(h)] = ok
	return ok
}

// minute returns the aggregate of minute m, creating it.
func (l *lane) minute(m int32) *minuteAgg {
	ma := l.minutes[m]
	if ma == nil {
		ma = &minuteAgg{reqs: *reqPool.Get().(*[]uint64)}
		l.minutes[m] = ma
	}
	l.last, l.lastMin = ma, m
	return ma
}

func (l *lane) host(h []byte) uint32 {
	if id, ok := l.hosts[string(h)]; ok {
		return id
	}
	name := lowerASCII(l.lower, h)
	if len(name) == 0 {
		name = append(l.lower[:0], '-')
	}
	id, admitted := l.svc.hosts.ID(name)
	if admitted {
		if len(l.hosts) >= hostCacheSize {
			clear(l.hosts)
		}
		l.hosts[string(h)] = id
	}
	return id
}

func (l *lane) excluded(r *logformat.Record, method uint8) bool {
	agents, ok := l.agents[string(r.UserAgent)]
	if !ok {
		agents = l.svc.agentMatches(r.UserAgent)
		if len(l.agents) >= agentCacheSize {
			clear(l.agents)
		}
		l.agents[string(r.UserAgent)] = agents
	}
	return l.svc.excludedByOther(l.tmpl, agents, r.Host, methodNames[method], r.Status)
}

func (w *worker) malformed(c *chunk, n int64, l []byte, reason string) {
	c.malformed++
	if len(c.samples) >= samplesPerRun {
		return
	}
	c.samples = append(c.samples, sample{line: n, reason: reason, excerpt: excerpt(l)})
}

// unmatched counts a line no service takes, and samples it when it is the
// first of its upstream and host in the chunk.
func (w *worker) unmatched(c *chunk, n int64, l []byte, r *logformat.Record) {
	c.unmatched++
	if len(c.unmatchedSamples) >= unmatchedPerRun {
		return
	}
	for _, s := range c.unmatchedSamples {
		if s.upstream == string(r.Upstream) && s.host == string(r.Host) {
			return
		}
	}
	s := sample{line: n, excerpt: excerpt(l), upstream: string(r.Upstream), host: string(r.Host)}
	s.reason = "no service matches: upstream=" + shown(r.Upstream) + " host=" + shown(r.Host)
	if w.routeMatch {
		s.reason += " path=" + shown(r.Path)
	}
	c.unmatchedSamples = append(c.unmatchedSamples, s)
}

// shown is a field as a sample's reason shows it: valid UTF-8, "-" when
// empty.
func shown(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// minutes is a worker's traffic by minute, handed over at each commit.
type minutes map[int32]*minuteAgg

// take hands the worker's aggregates over, one per lane, and starts new
// ones.
func (w *worker) take() []minutes {
	out := make([]minutes, len(w.lanes))
	for i, l := range w.lanes {
		out[i] = l.minutes
		l.minutes = minutes{}
		l.last = nil
		l.dims.reset()
	}
	return out
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
