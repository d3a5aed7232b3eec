package ingest

import (
	"bytes"

	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/route"
	"github.com/headroom-slo/headroom/internal/store"
)

// aggKey is one (minute, dimension, latency bucket) of a worker's aggregate.
type aggKey struct {
	minute int32 // Unix minutes
	route  uint32
	le     uint32
	host   uint32
	status uint16
	method uint8
}

// worker parses and classifies chunks of one source. It is owned by one
// goroutine at a time.
type worker struct {
	svc    *Service
	parser *logformat.Parser
	rec    logformat.Record
	routes *route.Cache
	hosts  map[string]uint32
	agents map[string]uint64 // user agent → which rules' user_agent matches it
	tmpl   []byte
	lower  []byte
	agg    map[aggKey]uint64
}

const (
	routeCacheSize = 1 << 16
	hostCacheSize  = 1 << 12
	agentCacheSize = 1 << 12
	samplesPerRun  = store.SamplesKept
	excerptBytes   = 200
)

func newWorker(svc *Service, p *logformat.Parser) *worker {
	return &worker{
		svc: svc, parser: p, routes: route.NewCache(routeCacheSize),
		hosts: map[string]uint32{}, agents: map[string]uint64{}, agg: map[aggKey]uint64{},
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
		if len(l) == 0 {
			w.malformed(c, line, l, "empty line")
			continue
		}
		w.line(c, line, l)
	}
	c.lines = line
}

func (w *worker) line(c *chunk, n int64, l []byte) {
	r := &w.rec
	r.Reset()
	if err := w.parser.Parse(l, r); err != nil {
		w.malformed(c, n, l, err.Error())
		return
	}
	if r.Time <= 0 {
		w.malformed(c, n, l, "no time")
		return
	}
	if c.firstTS == 0 || r.Time < c.firstTS {
		c.firstTS = r.Time
	}
	if r.Time > c.lastTS {
		c.lastTS = r.Time
	}
	rv, ok := w.routes.Get(r.Path)
	if !ok {
		w.tmpl = w.svc.templater.Template(w.tmpl[:0], r.Path)
		id, admitted := w.svc.routes.ID(w.tmpl)
		rv = route.CacheValue{ID: id, Excluded: w.svc.excludedByRoute(r.Path)}
		if admitted {
			w.routes.Put(r.Path, rv)
		}
	}
	if rv.Excluded {
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
	w.agg[aggKey{
		minute: int32(floorDiv(r.Time, 60_000)),
		route:  rv.ID,
		le:     w.svc.layout.Bucket(lat),
		host:   host,
		status: uint16(r.Status),
		method: method,
	}]++
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
	return w.svc.excludedByOther(r.Path, agents, r.Host, methodNames[method], r.Status)
}

func (w *worker) malformed(c *chunk, n int64, l []byte, reason string) {
	c.malformed++
	if len(c.samples) >= samplesPerRun {
		return
	}
	c.samples = append(c.samples, sample{line: n, reason: reason, excerpt: excerpt(l)})
}

// flush moves the worker's aggregate into b and empties it.
func (w *worker) flush(b *store.Batch) {
	for k, n := range w.agg {
		d := store.DimValue{
			Host:   w.svc.hosts.Name(k.host),
			Route:  w.svc.routes.Name(k.route),
			Method: methodNames[k.method],
			Status: int(k.status),
		}
		b.Add(w.svc.Name, int64(k.minute)*60, d, k.le, n)
	}
	clear(w.agg)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
