// Package export turns headroom's stored minute cells into the series other
// monitoring systems take: cumulative counters for Prometheus remote write
// (from a fixed origin, the store's first cell, so they never reset) and
// per-minute deltas for Datadog's series API. It keeps the running totals in
// memory and queues what it sends on disk, bounded.
package export

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Metric names of the exported series.
const (
	SLOEvents       = "headroom_slo_events_total"
	HTTPRequests    = "headroom_http_requests_total"
	HTTPDurationBkt = "headroom_http_request_duration_seconds_bucket"
)

// CoarseBucketsMs are the latency bucket bounds every service exports, in
// milliseconds, besides its latency SLOs' thresholds and +Inf.
var CoarseBucketsMs = []uint32{50, 100, 250, 500, 1000, 2500, 5000, 10000}

// Key identifies one series: its metric name and label pairs (name, value,
// name, value…), in a fixed order per metric.
type Key struct {
	Name   string
	Labels string // the label pairs joined by "\xff"
}

// Label returns the value of label name, "" when it has none.
func (k Key) Label(name string) string {
	p := k.Pairs()
	for i := 0; i+1 < len(p); i += 2 {
		if p[i] == name {
			return p[i+1]
		}
	}
	return ""
}

// Pairs returns the key's label pairs: name, value, name, value…
func (k Key) Pairs() []string {
	if k.Labels == "" {
		return nil
	}
	var out []string
	s := k.Labels
	for {
		i := indexByte(s, 0xff)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

func key(name string, pairs ...string) Key {
	n := 0
	for _, p := range pairs {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range pairs {
		if i > 0 {
			b = append(b, 0xff)
		}
		b = append(b, p...)
	}
	return Key{Name: name, Labels: string(b)}
}

// Values are series' values by key.
type Values map[Key]float64

func (v Values) add(o Values) {
	for k, x := range o {
		v[k] += x
	}
}

// Snapshot is every series' cumulative value at At (a minute's end): the
// events of the minutes before At since the store's first cell.
type Snapshot struct {
	At     time.Time
	Values Values
}

// Sorted returns the snapshot's keys in a stable order.
func (s Snapshot) Sorted() []Key {
	keys := make([]Key, 0, len(s.Values))
	for k := range s.Values {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		switch {
		case a.Labels < b.Labels:
			return -1
		case a.Labels > b.Labels:
			return 1
		}
		return 0
	})
	return keys
}

// Options configure a Series.
type Options struct {
	Config *config.Config
	Cells  sli.Cells
	// Horizon is how far back each Advance recounts minutes, for data that
	// arrived after its minute was counted (default DefaultHorizon). Older
	// late data is counted by the hourly Rebuild.
	Horizon time.Duration
}

// DefaultHorizon is how far back each minute's advance looks for late data.
const DefaultHorizon = 15 * time.Minute

// Series keeps the cumulative value of every exported series as of a
// minute boundary, and moves it forward minute by minute.
type Series struct {
	cfg     *config.Config
	src     sli.Cells
	horizon int64
	specs   map[string][]*sli.Spec // by service; composites left out
	buckets map[string][]uint32    // by service: latency bounds, ms, ascending

	at     int64 // the totals cover the minutes before at (Unix seconds)
	totals Values
	recent map[int64]Values     // the minutes of the horizon as last counted
	keys   map[string][]dimKeys // by service, by dimension id

	watch    Watched
	dirtyMu  sync.Mutex
	dirty    map[int64]bool // minutes changed since the last Advance
	reported int64          // the newest commit count OnChange told
	seen     int64          // the commit count the last Advance saw
}

// New returns the Series of cfg's services and SLOs, empty: call Rebuild.
func New(opts Options) *Series {
	s := &Series{cfg: opts.Config, src: opts.Cells, horizon: int64(opts.Horizon / time.Second),
		specs: map[string][]*sli.Spec{}, buckets: map[string][]uint32{}, totals: Values{}, recent: map[int64]Values{}, keys: map[string][]dimKeys{}}
	if s.horizon <= 0 {
		s.horizon = int64(DefaultHorizon / time.Second)
	}
	s.horizon -= s.horizon % store.Minute
	for _, sp := range sli.CompileAll(opts.Config) {
		if sp.IsComposite() {
			continue // not events of its own: its components are exported
		}
		s.specs[sp.Service] = append(s.specs[sp.Service], sp)
	}
	for _, svc := range opts.Config.Services {
		b := slices.Clone(CoarseBucketsMs)
		for _, sl := range opts.Config.SLOs {
			if sl.Service == svc.Name && sl.SLI.Type == config.Latency {
				b = append(b, uint32(time.Duration(sl.SLI.Threshold)/time.Millisecond))
			}
		}
		slices.Sort(b)
		s.buckets[svc.Name] = slices.Compact(b)
	}
	return s
}

// At returns the boundary the totals are at.
func (s *Series) At() time.Time { return time.Unix(s.at, 0).UTC() }

// Snapshot returns a copy of the totals.
func (s *Series) Snapshot() Snapshot {
	v := make(Values, len(s.totals))
	for k, x := range s.totals {
		v[k] = x
	}
	return Snapshot{At: s.At(), Values: v}
}

// Rebuild counts every series from the store's first cell to at (taken
// down to the minute), from the coarsest cells that answer exactly, and
// recounts the horizon's minutes.
func (s *Series) Rebuild(ctx context.Context, at time.Time) error {
	end := at.Unix() - mod(at.Unix(), store.Minute)
	cut := end - s.horizon
	totals, err := s.count(ctx, 0, cut)
	if err != nil {
		return err
	}
	recent := map[int64]Values{}
	if err := s.countMinutes(ctx, cut, end, recent); err != nil {
		return err
	}
	for _, v := range recent {
		totals.add(v)
	}
	s.at, s.totals, s.recent = end, totals, recent
	return nil
}

// Watched is a store that tells its writes: which minute cells this
// process changed (OnChange), and how many writes any process made
// (Commits).
type Watched interface {
	OnChange(fn func(store.Change))
	Commits(ctx context.Context) (int64, error)
}

// Watch makes Advance recount only the minutes w reports changed, instead
// of the whole horizon; when another process wrote (w's commit count moved
// past the changes reported), the whole horizon is recounted.
func (s *Series) Watch(w Watched) {
	s.watch = w
	w.OnChange(func(c store.Change) {
		s.dirtyMu.Lock()
		defer s.dirtyMu.Unlock()
		s.reported = max(s.reported, c.Commits)
		if c.Res != store.Minute || c.All {
			return // rollups and pruning change no total
		}
		if s.dirty == nil {
			s.dirty = map[int64]bool{}
		}
		for _, m := range c.Starts {
			s.dirty[m] = true
		}
	})
}

// takeDirty returns the minutes changed since the last call; all is true
// when it cannot tell (no Watch, or a write by another process).
func (s *Series) takeDirty(ctx context.Context) (dirty map[int64]bool, all bool) {
	if s.watch == nil {
		return nil, true
	}
	commits, err := s.watch.Commits(ctx)
	s.dirtyMu.Lock()
	defer s.dirtyMu.Unlock()
	dirty, s.dirty = s.dirty, nil
	seen := s.seen
	s.seen = max(commits, s.reported)
	return dirty, err != nil || commits > max(s.reported, seen)
}

// Advance moves the totals to at (taken down to the minute): the minutes
// since the last boundary are added, and the horizon's minutes changed since
// they were counted (all of them without Watch) recounted, so that what
// arrived late for them is added too. Totals never go down.
func (s *Series) Advance(ctx context.Context, at time.Time) error {
	end := at.Unix() - mod(at.Unix(), store.Minute)
	if end <= s.at {
		return nil
	}
	if end-s.at > s.horizon {
		return s.Rebuild(ctx, at) // a stall longer than the horizon
	}
	from := max(end-s.horizon, 0)
	dirty, all := s.takeDirty(ctx)
	runs := [][2]int64{{from, end}}
	if !all {
		runs = [][2]int64{{s.at, end}}
		for m := range dirty {
			if m >= from && m < s.at {
				runs = append(runs, [2]int64{m, m + store.Minute})
			}
		}
	}
	fresh := map[int64]Values{}
	for m, v := range s.recent {
		if m >= from {
			fresh[m] = v // kept unless recounted below
		}
	}
	for _, r := range runs {
		counted := map[int64]Values{}
		if err := s.countMinutes(ctx, r[0], r[1], counted); err != nil {
			return err
		}
		for m := r[0]; m < r[1]; m += store.Minute {
			now, old := counted[m], s.recent[m]
			if m >= s.at {
				old = nil // a minute after the old boundary: all of it is new
			}
			for k, x := range now {
				if d := x - old[k]; d > 0 {
					s.totals[k] += d
				}
			}
			if now != nil {
				fresh[m] = now
			} else {
				delete(fresh, m)
			}
		}
	}
	s.at, s.recent = end, fresh
	return nil
}

// count sums every series over [from, to) from the coarsest cells that
// answer exactly.
func (s *Series) count(ctx context.Context, from, to int64) (Values, error) {
	out := Values{}
	if to <= from {
		return out, nil
	}
	floors, err := sli.ReadFloors(ctx, s.src)
	if err != nil {
		return nil, err
	}
	for _, svc := range s.cfg.Services {
		http := svc.RUM == nil // a frontend app's cells hold browser events, not requests
		id, err := s.src.ServiceID(ctx, svc.Name, false)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			continue
		}
		// Before the first stored cell there is nothing: start at its day.
		first, ok, err := firstStart(ctx, s.src, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		f := max(from, first-mod(first, store.Day))
		if f >= to {
			continue
		}
		r := floors.Covered(sli.Range{From: time.Unix(f, 0), To: time.Unix(to, 0)})
		q, err := sli.NewQuery(ctx, s.src, s.specs[svc.Name])
		if err != nil {
			return nil, err
		}
		sums, err := q.Sum(r)
		if err != nil {
			return nil, err
		}
		s.addSLOs(out, svc.Name, sums)
		dims, err := s.src.Dims(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, p := range sli.Cover(r.From.Unix(), r.To.Unix()) {
			if !http {
				break
			}
			err := s.src.ReadCells(ctx, id, p.Res, p.From, p.To, func(sp *store.Span) error {
				s.addHTTP(out, svc.Name, dims, &sp.Cell)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// countMinutes counts every series of each minute of [from, to) into out,
// by minute.
func (s *Series) countMinutes(ctx context.Context, from, to int64, out map[int64]Values) error {
	if to <= from {
		return nil
	}
	for _, svc := range s.cfg.Services {
		http := svc.RUM == nil // a frontend app's cells hold browser events, not requests
		id, err := s.src.ServiceID(ctx, svc.Name, false)
		if err != nil {
			return err
		}
		if id == 0 {
			continue
		}
		dims, err := s.src.Dims(ctx, id)
		if err != nil {
			return err
		}
		var starts []int64
		err = s.src.ReadCells(ctx, id, store.Minute, from, to, func(sp *store.Span) error {
			v := out[sp.Start]
			if v == nil {
				v = Values{}
				out[sp.Start] = v
			}
			if http {
				s.addHTTP(v, svc.Name, dims, &sp.Cell)
			}
			starts = append(starts, sp.Start)
			return nil
		})
		if err != nil {
			return err
		}
		specs := s.specs[svc.Name]
		if len(specs) == 0 || len(starts) == 0 {
			continue
		}
		q, err := sli.NewQuery(ctx, s.src, specs)
		if err != nil {
			return err
		}
		for _, m := range starts {
			sums, err := q.Sum(sli.Range{From: time.Unix(m, 0), To: time.Unix(m+store.Minute, 0)})
			if err != nil {
				return err
			}
			s.addSLOs(out[m], svc.Name, sums)
		}
	}
	return nil
}

func (s *Series) addSLOs(out Values, service string, sums []slo.Counts) {
	for i, sp := range s.specs[service] {
		c := sums[i]
		out[key(SLOEvents, "slo", sp.Name, "service", service, "result", "good")] += c.Good
		out[key(SLOEvents, "slo", sp.Name, "service", service, "result", "bad")] += c.Total - c.Good
	}
}

// dimKeys are the keys of a dimension's series: its requests' and its
// latency buckets' (the bounds', then +Inf).
type dimKeys struct {
	req     Key
	buckets []Key
}

// keysOf returns the series keys of each dimension of service, built once
// per dimension: dictionaries only grow.
func (s *Series) keysOf(service string, dims []store.DimValue) []dimKeys {
	ks := s.keys[service]
	if len(ks) > len(dims) {
		ks = nil // a reset dictionary
	}
	bounds := s.buckets[service]
	byRoute := map[string][]Key{}
	for _, k := range ks {
		if len(k.buckets) > 0 {
			byRoute[k.buckets[0].Label("route")] = k.buckets
		}
	}
	for i := len(ks); i < len(dims); i++ {
		d := dims[i]
		k := dimKeys{req: key(HTTPRequests, "service", service, "route", d.Route, "method", d.Method, "code", strconv.Itoa(d.Status), "node", d.Node)}
		b, ok := byRoute[d.Route]
		if !ok {
			for _, le := range bounds {
				b = append(b, key(HTTPDurationBkt, "service", service, "route", d.Route, "le", leString(le)))
			}
			b = append(b, key(HTTPDurationBkt, "service", service, "route", d.Route, "le", "+Inf"))
			byRoute[d.Route] = b
		}
		k.buckets = b
		ks = append(ks, k)
	}
	s.keys[service] = ks
	return ks
}

// addHTTP adds the requests and latency buckets of a cell of service.
func (s *Series) addHTTP(out Values, service string, dims []store.DimValue, c *cells.Cell) {
	bounds := s.buckets[service]
	keys := s.keysOf(service, dims)
	for i := range c.Entries {
		e := &c.Entries[i]
		if int(e.Dim) >= len(dims) || e.Count == 0 {
			continue
		}
		k := &keys[e.Dim]
		out[k.req] += float64(e.Count)
		timed := e.Hist.Timed()
		if timed == 0 {
			continue
		}
		for j, le := range bounds {
			out[k.buckets[j]] += e.Hist.CountLE(le, true)
		}
		out[k.buckets[len(bounds)]] += float64(timed)
	}
}

// leString writes a bound in milliseconds as Prometheus writes le: seconds.
func leString(ms uint32) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
}

func firstStart(ctx context.Context, src sli.Cells, id int64) (int64, bool, error) {
	f, ok := src.(interface {
		FirstStart(ctx context.Context, serviceID int64) (int64, bool, error)
	})
	if !ok {
		return 0, true, nil
	}
	start, has, err := f.FirstStart(ctx, id)
	if err != nil {
		return 0, false, fmt.Errorf("export: %w", err)
	}
	return start, has, nil
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
