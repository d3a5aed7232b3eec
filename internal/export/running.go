package export

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/store"
)

// Counter counts the exported series of cell entries given with their
// dimension values, without a store: what `headroom agent` exports from the
// commits it spools. Every series carries the label node, the agent's
// name: the SLO events and latency buckets too, which serve exports
// without it, so that the series of many agents never collide (the
// generated rules and dashboards sum them by slo and service, or route).
// The counts are those serve makes of the same cells: Spec.Count per
// entry, the same latency bounds.
type Counter struct {
	node    string
	specs   map[string][]*sli.Spec // by service; composites left out
	buckets map[string][]uint32    // by service
	http    map[string]bool        // services whose cells are requests (not a frontend app's)
	keys    map[string]map[store.DimValue]*entryKeys
}

// entryKeys are the keys a dimension's entries add to.
type entryKeys struct {
	service string
	req     Key
	buckets []Key // the bounds', then +Inf
	slos    []int // the specs that match, by index
	good    []Key // by slos' order
	bad     []Key
}

// NewCounter returns the counter of cfg's services and SLOs, every series
// labelled node.
func NewCounter(cfg *config.Config, node string) *Counter {
	s := New(Options{Config: cfg}) // its specs and bounds
	c := &Counter{node: node, specs: s.specs, buckets: s.buckets, http: map[string]bool{}, keys: map[string]map[store.DimValue]*entryKeys{}}
	for _, svc := range cfg.Services {
		c.http[svc.Name] = svc.RUM == nil
	}
	return c
}

// Add adds an entry of service with dimension d (its Node ignored: the
// counter's) to out.
func (c *Counter) Add(out Values, service string, d store.DimValue, e *cells.Entry) {
	t := c.Tally()
	t.Add(0, service, d, e)
	t.Flush(func(int64) Values { return out })
}

// keysFor returns the keys of d's entries (d.Node set to the counter's).
func (c *Counter) keysFor(service string, d store.DimValue) *entryKeys {
	byDim := c.keys[service]
	if byDim == nil {
		byDim = map[store.DimValue]*entryKeys{}
		c.keys[service] = byDim
	}
	k := byDim[d]
	if k == nil {
		k = c.keysOf(service, d)
		byDim[d] = k
	}
	return k
}

// Tally adds entries up by minute and dimension, and adds them to the
// minutes' Values once per series (Flush): a spool row's entries repeat
// the dimensions of the rows before, and a map update keyed by a series'
// name and labels costs more than the sum.
type Tally struct {
	c  *Counter
	by map[int64]map[*entryKeys][]float64 // requests, good and bad by SLO, buckets
}

// Tally returns an empty tally of c's series.
func (c *Counter) Tally() *Tally { return &Tally{c: c, by: map[int64]map[*entryKeys][]float64{}} }

// Add adds an entry of service with dimension d (its Node ignored) in the
// minute starting at minute.
func (t *Tally) Add(minute int64, service string, d store.DimValue, e *cells.Entry) {
	if e.Count == 0 {
		return
	}
	c := t.c
	d.Node = c.node
	k := c.keysFor(service, d)
	byKey := t.by[minute]
	if byKey == nil {
		byKey = map[*entryKeys][]float64{}
		t.by[minute] = byKey
	}
	v := byKey[k]
	if v == nil {
		v = make([]float64, 1+2*len(k.slos)+len(k.buckets))
		byKey[k] = v
	}
	specs := c.specs[service]
	for j, i := range k.slos {
		n := specs[i].Count(d, e)
		v[1+2*j] += n.Good
		v[2+2*j] += n.Total - n.Good
	}
	if !c.http[service] {
		return
	}
	v[0] += float64(e.Count)
	timed := e.Hist.Timed()
	if timed == 0 {
		return
	}
	b := v[1+2*len(k.slos):]
	bounds := c.buckets[service]
	for j, le := range bounds {
		b[j] += e.Hist.CountLE(le, true)
	}
	b[len(bounds)] += float64(timed)
}

// Flush adds what was tallied to into(minute)'s values, and empties the
// tally.
func (t *Tally) Flush(into func(minute int64) Values) {
	for m, byKey := range t.by {
		out := into(m)
		for k, v := range byKey {
			for j := range k.slos {
				out[k.good[j]] += v[1+2*j]
				out[k.bad[j]] += v[2+2*j]
			}
			if !t.c.http[k.service] {
				continue
			}
			out[k.req] += v[0]
			for j, bk := range k.buckets {
				out[bk] += v[1+2*len(k.slos)+j]
			}
		}
	}
	clear(t.by)
}

func (c *Counter) keysOf(service string, d store.DimValue) *entryKeys {
	k := &entryKeys{service: service, req: key(HTTPRequests, "service", service, "route", d.Route, "method", d.Method, "code", strconv.Itoa(d.Status), "node", c.node)}
	for _, le := range c.buckets[service] {
		k.buckets = append(k.buckets, key(HTTPDurationBkt, "service", service, "route", d.Route, "le", leString(le), "node", c.node))
	}
	k.buckets = append(k.buckets, key(HTTPDurationBkt, "service", service, "route", d.Route, "le", "+Inf", "node", c.node))
	for i, sp := range c.specs[service] {
		if sp.Matches(d) {
			k.slos = append(k.slos, i)
			k.good = append(k.good, key(SLOEvents, "slo", sp.Name, "service", service, "result", "good", "node", c.node))
			k.bad = append(k.bad, key(SLOEvents, "slo", sp.Name, "service", service, "result", "bad", "node", c.node))
		}
	}
	return k
}

// Keeps reports whether k is a series of the counter's config: one of its
// services', and for SLO events one of its SLOs'.
func (c *Counter) Keeps(k Key) bool {
	svc := k.Label("service")
	if _, ok := c.http[svc]; !ok {
		return false
	}
	if k.Name != SLOEvents {
		return true
	}
	name := k.Label("slo")
	for _, sp := range c.specs[svc] {
		if sp.Name == name {
			return true
		}
	}
	return false
}

// Prune drops the series keep refuses (an SLO or service no longer
// configured: its counter would stay flat forever).
func (r *Running) Prune(keep func(Key) bool) (dropped int) {
	n := len(r.Totals)
	for _, v := range append([]Values{r.Totals, r.Step}, slices.Collect(maps.Values(r.Pending))...) {
		maps.DeleteFunc(v, func(k Key, _ float64) bool { return !keep(k) })
	}
	return n - len(r.Totals)
}

// Running is the running totals of an exporter without a cell store (an
// agent), which its owner keeps: the totals of the minutes before At, what
// the last Advance added to them (Step: Datadog's deltas), and the counts
// of minutes at or after At, not in the totals yet. It encodes itself as
// JSON, so that the owner can persist it with the position of what it
// counted.
type Running struct {
	At      time.Time
	Totals  Values
	Step    Values
	Pending map[int64]Values // by minute start (Unix seconds)
}

// NewRunning returns empty totals at at (taken down to the minute).
func NewRunning(at time.Time) *Running {
	return &Running{At: at.Truncate(time.Minute).UTC(), Totals: Values{}, Step: Values{}, Pending: map[int64]Values{}}
}

// Minute returns the counts of the minute starting at start, to add to.
func (r *Running) Minute(start int64) Values {
	v := r.Pending[start]
	if v == nil {
		v = Values{}
		r.Pending[start] = v
	}
	return v
}

// Advance moves the totals to due (taken down to the minute; never back):
// every counted minute before it is added, late ones too. Step becomes what
// was added.
func (r *Running) Advance(due time.Time) {
	due = due.Truncate(time.Minute).UTC()
	if !due.After(r.At) {
		return
	}
	r.Step = Values{}
	for m, v := range r.Pending {
		if m < due.Unix() {
			r.Step.add(v)
			delete(r.Pending, m)
		}
	}
	r.Totals.add(r.Step)
	r.At = due
}

// Clone returns a deep copy of r.
func (r *Running) Clone() *Running {
	c := &Running{At: r.At, Totals: maps.Clone(r.Totals), Step: maps.Clone(r.Step), Pending: make(map[int64]Values, len(r.Pending))}
	for m, v := range r.Pending {
		c.Pending[m] = maps.Clone(v)
	}
	return c
}

// Snapshot returns a copy of the totals at At.
func (r *Running) Snapshot() Snapshot {
	v := make(Values, len(r.Totals))
	for k, x := range r.Totals {
		v[k] = x
	}
	return Snapshot{At: r.At, Values: v}
}

// Previous returns the totals before the last Advance, as a snapshot a
// minute before At: the prev of Enqueue.
func (r *Running) Previous() Snapshot {
	v := make(Values, len(r.Totals))
	for k, x := range r.Totals {
		if p := x - r.Step[k]; p > 0 {
			v[k] = p
		}
	}
	return Snapshot{At: r.At.Add(-time.Minute), Values: v}
}

// runningJSON is Running as stored: the series once, values by index.
type runningJSON struct {
	At      int64                  `json:"at"`
	Series  [][]string             `json:"series"` // name, label, value, label, value…
	Totals  []float64              `json:"totals"` // of the first series
	Step    [][2]float64           `json:"step"`   // [series, value]
	Pending map[int64][][2]float64 `json:"pending"`
}

// MarshalJSON encodes the totals.
func (r *Running) MarshalJSON() ([]byte, error) {
	keys := Snapshot{Values: r.Totals}.Sorted()
	index := make(map[Key]int, len(keys))
	out := runningJSON{At: r.At.Unix(), Series: make([][]string, 0, len(keys)), Totals: make([]float64, 0, len(keys)), Pending: map[int64][][2]float64{}}
	id := func(k Key) int {
		i, ok := index[k]
		if !ok {
			i = len(out.Series)
			index[k] = i
			out.Series = append(out.Series, append([]string{k.Name}, k.Pairs()...))
		}
		return i
	}
	for _, k := range keys { // the totals' series first: Totals[i] is Series[i]'s
		id(k)
		out.Totals = append(out.Totals, r.Totals[k])
	}
	pairs := func(v Values) [][2]float64 {
		p := make([][2]float64, 0, len(v))
		for _, k := range (Snapshot{Values: v}).Sorted() {
			p = append(p, [2]float64{float64(id(k)), v[k]})
		}
		return p
	}
	out.Step = pairs(r.Step)
	starts := make([]int64, 0, len(r.Pending))
	for m := range r.Pending {
		starts = append(starts, m)
	}
	slices.Sort(starts)
	for _, m := range starts {
		out.Pending[m] = pairs(r.Pending[m])
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes totals MarshalJSON encoded.
func (r *Running) UnmarshalJSON(b []byte) error {
	var in runningJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("export totals: %w", err)
	}
	keys := make([]Key, len(in.Series))
	for i, s := range in.Series {
		if len(s) == 0 || len(s)%2 == 0 {
			return fmt.Errorf("export totals: series %d: %q is not a name and label pairs", i, s)
		}
		keys[i] = key(s[0], s[1:]...)
	}
	if len(in.Totals) > len(keys) {
		return fmt.Errorf("export totals: %d totals for %d series", len(in.Totals), len(keys))
	}
	values := func(p [][2]float64) (Values, error) {
		v := make(Values, len(p))
		for _, x := range p {
			i := int(x[0])
			if i < 0 || i >= len(keys) || float64(i) != x[0] {
				return nil, fmt.Errorf("export totals: series %v unknown", x[0])
			}
			v[keys[i]] += x[1]
		}
		return v, nil
	}
	*r = Running{At: time.Unix(in.At, 0).UTC(), Totals: make(Values, len(in.Totals)), Pending: map[int64]Values{}}
	for i, x := range in.Totals {
		r.Totals[keys[i]] = x
	}
	var err error
	if r.Step, err = values(in.Step); err != nil {
		return err
	}
	for m, p := range in.Pending {
		if r.Pending[m], err = values(p); err != nil {
			return err
		}
	}
	return nil
}
