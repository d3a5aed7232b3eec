// Package pushload simulates a fleet of `headroom agent`s pushing to one
// server, for the fleet benchmark (scripts/bench-fleet.sh, through
// internal/cmd/pushload): each simulated agent sends, every Interval, the
// commits of its last Interval in the real wire format (package push:
// push.Encode, POST push.Path with the bearer token), as `headroom agent`
// does with its default poll and push intervals (a commit per PollEvery,
// a push per Interval). The agents' pushes are spread evenly over the
// interval. It records every push's latency and what it sent, so that the
// server's stored counts can be checked.
//
// The traffic of an agent is Dims dimensions (host, route template, method,
// status) with Zipf-like shares of Rate requests a second (each at least
// once a commit), each dimension with its own log-normal latency; a
// commit's worth of it is drawn from a fixed set of precomputed ones, so
// generating the load costs the machine it shares with the server little.
package pushload

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/push"
)

// Options say what load Run sends.
type Options struct {
	URL   string // the server's base URL (http://127.0.0.1:8080)
	Token string // the server's push token
	// Service is the service every cell is for (it must be configured on
	// the server).
	Service string
	// Agents is how many agents push (default 200); each is named
	// NamePrefix-NNN and has an instance id of its own.
	Agents     int
	NamePrefix string // default "node"
	// Dims is the dimensions of an agent's traffic (default 300); Rate its
	// requests a second (default 2,000).
	Dims int
	Rate float64
	// Interval is the time between two pushes of an agent (default 10 s,
	// agent.DefaultPushInterval); PollEvery the time a commit covers
	// (default 10 s, agent.DefaultPollInterval: a commit a push).
	Interval  time.Duration
	PollEvery time.Duration
	// Warmup is how long at least the agents push before the measured
	// period (their pushes count in Result.Warmup): it starts two
	// intervals after the last first push was answered, if that is later.
	// Duration is the measured period.
	Warmup, Duration time.Duration
	// Backlog is how much traffic each agent's first push carries (at
	// least an interval's): with Backlog, the agents start as if they had
	// been running (or had been cut off from the server) that long, and
	// the server's hour and day cells start full, as they are late in an
	// hour, where a push costs the most (merging into them).
	Backlog time.Duration
	Seed    uint64
	// Transport, when set, carries every agent's pushes (tests); by
	// default each agent has its own connection, as agents on their own
	// nodes have.
	Transport http.RoundTripper
	// Measured, when set, is called when the measured period starts and
	// when it ends: after Duration, once the last push of it was answered.
	Measured func(start bool)
}

func (o *Options) defaults() error {
	if o.Agents == 0 {
		o.Agents = 200
	}
	if o.NamePrefix == "" {
		o.NamePrefix = "node"
	}
	if o.Dims == 0 {
		o.Dims = 300
	}
	if o.Rate == 0 {
		o.Rate = 2000
	}
	if o.Interval == 0 {
		o.Interval = 10 * time.Second
	}
	if o.PollEvery == 0 {
		o.PollEvery = 10 * time.Second
	}
	var errs []error
	if o.URL == "" || o.Service == "" {
		errs = append(errs, errors.New("a URL and a service are required"))
	}
	catalogSize := len(catalog(rand.New(rand.NewPCG(0, 0))))
	if o.Agents < 0 || o.Dims < 0 || o.Dims > catalogSize || !(o.Rate > 0) {
		errs = append(errs, fmt.Errorf("agents %d, dims %d (at most %d), rate %v: want positive numbers", o.Agents, o.Dims, catalogSize, o.Rate))
	}
	if o.Interval < o.PollEvery || o.PollEvery < time.Second || o.PollEvery%time.Second != 0 {
		errs = append(errs, fmt.Errorf("interval %v, poll %v: want whole seconds, the interval at least a poll", o.Interval, o.PollEvery))
	}
	if o.Duration <= 0 || o.Warmup < 0 || o.Backlog < 0 {
		errs = append(errs, fmt.Errorf("duration %v, warm-up %v: want a positive duration", o.Duration, o.Warmup))
	}
	return errors.Join(errs...)
}

// Sent is what a set of pushes carried.
type Sent struct {
	Pushes   int   // answered 2xx
	Failed   int   // not answered 2xx (each logged in Result.Errors)
	Commits  int64 // in the pushes answered 2xx
	Requests int64 // requests in their cells
	Errors5  int64 // of them with a 5xx status
	Bytes    int64 // compressed push bodies
}

// Result is what Run sent and how long the server took.
type Result struct {
	Warmup, Measured Sent
	// Latencies of the measured period's pushes (2xx or not), sorted.
	Latencies []time.Duration
	// Pushes are every push, warm-up included, in the order they were
	// answered.
	Pushes []Record
	// Period is the measured period: Duration, or until the answer to
	// its last push when that came later.
	Period time.Duration
	Errors []string // the first few failures
}

// Record is one push: when it was sent, by which agent, how long the
// server took, and whether it failed.
type Record struct {
	At      time.Time
	Agent   int
	Latency time.Duration
	Failed  bool
}

// Quantile returns the q-quantile (0..1) of the measured latencies, by
// the nearest rank.
func (r *Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.Latencies)))) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// Run pushes until the warm-up and the measured period are over, then
// waits for the pushes in flight. It fails only on bad options or when ctx
// ends; failed pushes are counted, and their commits sent again with the
// agent's next push.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("pushload: %w", err)
	}
	fleet := newFleet(opts)
	res := &Result{}
	var mu sync.Mutex
	start := time.Now().Truncate(time.Second).Add(time.Second)
	// The measured period starts after the warm-up, and two intervals
	// after every agent's first push was answered (a backlog takes the
	// server a while, and the pushes it delayed carry more); it is known
	// once they were.
	var firstPushes sync.WaitGroup
	firstPushes.Add(opts.Agents)
	var period struct {
		sync.Mutex
		from, to time.Time
	}
	bounds := func() (from, to time.Time) {
		period.Lock()
		defer period.Unlock()
		return period.from, period.to
	}
	started := make(chan bool, 1)
	go func() {
		firstPushes.Wait()
		from := start.Add(opts.Warmup)
		if after := time.Now().Add(2 * opts.Interval); after.After(from) {
			from = after
		}
		period.Lock()
		period.from, period.to = from, from.Add(opts.Duration)
		period.Unlock()
		ok := sleepUntil(ctx, from)
		if ok && opts.Measured != nil {
			opts.Measured(true)
		}
		started <- ok
	}()
	var wg sync.WaitGroup
	for a := range opts.Agents {
		ag := fleet.agents[a]
		phase := fleet.Phase(a)
		wg.Go(func() {
			client := &http.Client{Timeout: time.Minute, Transport: opts.Transport}
			if opts.Transport == nil {
				client.Transport = &http.Transport{MaxIdleConnsPerHost: 1}
				defer client.CloseIdleConnections()
			}
			first := true
			defer func() {
				if first {
					firstPushes.Done()
				}
			}()
			for at := start.Add(phase); ; at = at.Add(opts.Interval) {
				if _, to := bounds(); !to.IsZero() && !at.Before(to) {
					return
				}
				if !sleepUntil(ctx, at) {
					return
				}
				// An agent whose last push took longer than an interval
				// pushes again at once, not for each slot it missed
				// (its next push carries the polls in between).
				for time.Since(at) > opts.Interval {
					at = at.Add(opts.Interval)
				}
				p, n := ag.push(at)
				body, err := push.Encode(p)
				if err != nil {
					panic(err) // the push types always encode
				}
				t0 := time.Now()
				err = post(ctx, client, opts, body)
				lat := time.Since(t0)
				from, to := bounds()
				mu.Lock()
				res.Pushes = append(res.Pushes, Record{At: t0, Agent: a, Latency: lat, Failed: err != nil})
				s := &res.Warmup
				if !from.IsZero() && !at.Before(from) && at.Before(to) {
					s = &res.Measured
					res.Latencies = append(res.Latencies, lat)
				}
				if err != nil {
					s.Failed++
					if len(res.Errors) < 10 {
						res.Errors = append(res.Errors, fmt.Sprintf("%s at %s: %v", p.Agent, at.Format(time.TimeOnly), err))
					}
					ag.retry(p) // sent again with the next push
				} else {
					s.Pushes++
					s.Commits += int64(len(p.Commits))
					s.Requests += n.requests
					s.Errors5 += n.errors5
					s.Bytes += int64(len(body))
				}
				mu.Unlock()
				if first {
					first = false
					firstPushes.Done()
				}
			}
		})
	}
	wg.Wait()
	// Every push of the measured period was answered, and the period is
	// over (its last pushes may come before its end).
	if <-started {
		from, to := bounds()
		if sleepUntil(ctx, to) {
			res.Period = time.Since(from)
			if opts.Measured != nil {
				opts.Measured(false)
			}
		}
	}
	slices.Sort(res.Latencies)
	return res, ctx.Err()
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// post sends one push; an answer other than 2xx is an error with the
// server's message.
func post(ctx context.Context, client *http.Client, opts Options, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(opts.URL, "/")+push.Path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+opts.Token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// Fleet is the simulated agents of some Options, to build their pushes
// without sending them (a benchmark of the server's side).
type Fleet struct {
	opts   Options
	agents []*agentState
}

// NewFleet returns the agents of opts; URL and Duration may be unset.
func NewFleet(opts Options) (*Fleet, error) {
	if opts.URL == "" {
		opts.URL = "http://unused"
	}
	if opts.Duration == 0 {
		opts.Duration = time.Second
	}
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("pushload: %w", err)
	}
	return newFleet(opts), nil
}

func newFleet(opts Options) *Fleet {
	w := newWorkload(opts)
	f := &Fleet{opts: opts}
	for a := range opts.Agents {
		f.agents = append(f.agents, w.agent(a))
	}
	return f
}

// Phase is when in each interval agent a pushes: the agents' pushes are
// spread evenly over the interval.
func (f *Fleet) Phase(a int) time.Duration {
	return f.opts.Interval * time.Duration(a) / time.Duration(f.opts.Agents)
}

// Push returns agent a's next push, sent at t: the commits of its polls
// since its last push (an interval's for the first).
func (f *Fleet) Push(a int, t time.Time) *push.Push {
	p, _ := f.agents[a].push(t)
	return p
}

// workload is the traffic every agent draws its seconds from.
type workload struct {
	opts    Options
	seconds [][]push.Entry // precomputed seconds of one agent's traffic
	counts  []count        // their requests
}

type count struct{ requests, errors5 int64 }

// templateSeconds is how many different seconds of traffic are drawn.
const templateSeconds = 97

func newWorkload(opts Options) *workload {
	r := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	all := catalog(r)
	// Dims dimensions drawn by weight without replacement (each keyed by
	// u^(1/weight), the largest keys kept): the busy ones and a tail of
	// rare ones, as a node's minute has.
	keys := make([]float64, len(all))
	for i, d := range all {
		keys[i] = math.Pow(r.Float64(), 1/d.weight)
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(keys[b], keys[a]) })
	dims := make([]dim, opts.Dims)
	total := 0.0
	for i := range dims {
		dims[i] = all[order[i]]
		total += dims[i].weight
	}
	layout := cells.NewLayout()
	secs := opts.PollEvery.Seconds()
	w := &workload{opts: opts}
	for range templateSeconds {
		var entries []push.Entry
		var c count
		for _, d := range dims {
			// Every dimension at least once a commit: an agent's
			// dimensions are all known to the server after its first
			// push, as a fleet's are in its steady state, and each
			// minute carries Dims of them.
			mean := opts.Rate * secs * d.weight / total
			n := int(mean)
			if r.Float64() < mean-float64(n) {
				n++
			}
			n = max(n, 1)
			var h cells.Hist
			for range n {
				ms := d.medianMs * math.Exp(0.6*r.NormFloat64())
				h.Add(layout.Bucket(int64(ms*1000)), 1)
			}
			e := d.Entry
			e.Count = uint64(n)
			for _, b := range h {
				e.Hist = append(e.Hist, [2]uint64{uint64(b.Le), b.N})
			}
			entries = append(entries, e)
			c.requests += int64(n)
			if d.Status >= 500 {
				c.errors5 += int64(n)
			}
		}
		w.seconds = append(w.seconds, entries)
		w.counts = append(w.counts, c)
	}
	return w
}

// agentState is one simulated agent: its name, store instance, next
// commit and the seconds its next push covers.
type agentState struct {
	w        *workload
	name     string
	instance string
	seq      int64
	next     int64         // the first second (Unix) its next push covers; 0 before the first
	pending  []push.Commit // of a failed push: sent again first
	index    int           // which template second comes next
	lines    int64         // requests in its commits so far: its state's lines
}

func (w *workload) agent(i int) *agentState {
	return &agentState{w: w, name: fmt.Sprintf("%s-%03d", w.opts.NamePrefix, i), instance: fmt.Sprintf("pushload-%d-%d", w.opts.Seed, i),
		index: (i * 31) % templateSeconds}
}

// push builds the agent's push at t: a commit per poll since its last
// push (the first covers one interval), each poll's second drawn from the
// templates and stored in the minute it falls in.
func (a *agentState) push(t time.Time) (*push.Push, count) {
	poll := int64(a.w.opts.PollEvery / time.Second)
	end := t.Unix()
	if a.next == 0 {
		a.next = end - int64(max(a.w.opts.Interval, a.w.opts.Backlog)/time.Second)
		a.next -= (a.next%poll + poll) % poll // polls at whole multiples
	}
	p := &push.Push{Agent: a.name, Instance: a.instance, Sent: t.UTC(), Commits: slices.Clone(a.pending)}
	var n count
	for _, c := range a.pending {
		n.add(a.commitCount(c))
	}
	for sec := a.next; sec < end; sec += poll {
		a.seq++
		k := a.index % templateSeconds
		a.index++
		p.Commits = append(p.Commits, push.Commit{Seq: a.seq, Services: []push.Service{{
			Name:    a.w.opts.Service,
			Minutes: []push.Minute{{Start: sec - sec%60, Entries: a.w.seconds[k]}},
		}}})
		n.add(a.w.counts[k])
		a.lines += a.w.counts[k].requests
		p.State.LastEvent = (sec + poll) * 1000
	}
	p.State.Lines = a.lines
	a.next = end
	a.pending = nil
	return p, n
}

// retry keeps a failed push's commits for the next push.
func (a *agentState) retry(p *push.Push) { a.pending = p.Commits }

func (a *agentState) commitCount(c push.Commit) count {
	var n count
	for _, s := range c.Services {
		for _, m := range s.Minutes {
			for _, e := range m.Entries {
				n.requests += int64(e.Count)
				if e.Status >= 500 {
					n.errors5 += int64(e.Count)
				}
			}
		}
	}
	return n
}

func (c *count) add(o count) {
	c.requests += o.requests
	c.errors5 += o.errors5
}

// dim is a dimension an agent may have, with its share of the traffic
// (relative) and its median latency.
type dim struct {
	push.Entry
	weight   float64
	medianMs float64
}

// catalog is every dimension an agent may have: hosts × route templates ×
// their methods × statuses, as a B2B SaaS behind nginx logs them, weighted
// by host, route (Zipf-like over a random order), method and status.
func catalog(r *rand.Rand) []dim {
	hosts := []struct {
		name   string
		weight float64
	}{{"app.example.com", 0.6}, {"api.example.com", 0.3}, {"static.example.com", 0.1}}
	routes := []struct {
		tmpl    string
		methods []string // the first takes most of the route's requests
	}{
		{"/", []string{"GET"}},
		{"/login", []string{"GET", "POST"}},
		{"/logout", []string{"POST"}},
		{"/dashboard", []string{"GET"}},
		{"/settings", []string{"GET", "PUT"}},
		{"/healthz", []string{"GET"}},
		{"/api/v1/users", []string{"GET", "POST"}},
		{"/api/v1/users/:id", []string{"GET", "PUT", "DELETE"}},
		{"/api/v1/users/:id/avatar", []string{"GET", "PUT"}},
		{"/api/v1/orders", []string{"GET", "POST"}},
		{"/api/v1/orders/:id", []string{"GET", "PUT", "DELETE"}},
		{"/api/v1/orders/:id/items", []string{"GET", "POST"}},
		{"/api/v1/orders/:id/items/:id", []string{"GET", "DELETE"}},
		{"/api/v1/invoices", []string{"GET"}},
		{"/api/v1/invoices/:id", []string{"GET"}},
		{"/api/v1/invoices/:id.pdf", []string{"GET"}},
		{"/api/v1/search", []string{"GET"}},
		{"/api/v1/tasks", []string{"GET", "POST"}},
		{"/api/v1/tasks/:id", []string{"GET", "PATCH", "DELETE"}},
		{"/api/v1/tasks/:id/comments", []string{"GET", "POST"}},
		{"/api/v1/deals", []string{"GET", "POST"}},
		{"/api/v1/deals/:id", []string{"GET", "PUT"}},
		{"/api/v1/reports/:id", []string{"GET"}},
		{"/api/v1/webhooks", []string{"POST"}},
		{"/api/v1/files/:id", []string{"GET", "PUT"}},
		{"/assets/app.:id.js", []string{"GET"}},
		{"/assets/app.:id.css", []string{"GET"}},
		{"/assets/img/:id.png", []string{"GET"}},
		{"/favicon.ico", []string{"GET"}},
		{"/robots.txt", []string{"GET"}},
	}
	statuses := []struct {
		code   int
		weight float64
	}{
		{200, 0.80}, {201, 0.03}, {204, 0.03}, {301, 0.005}, {304, 0.08}, {400, 0.01}, {401, 0.01}, {403, 0.003},
		{404, 0.02}, {409, 0.001}, {422, 0.003}, {429, 0.002}, {499, 0.003}, {500, 0.001}, {502, 0.0005}, {503, 0.0005}, {504, 0.0003},
	}
	rank := r.Perm(len(routes))
	var out []dim
	for _, h := range hosts {
		for i, rt := range routes {
			rw := 1 / math.Pow(float64(rank[i]+1), 1.2)
			median := 3 + 80*r.Float64()*r.Float64()
			for j, m := range rt.methods {
				mw := 0.8
				if j > 0 {
					mw = 0.2 / float64(len(rt.methods)-1)
				} else if len(rt.methods) == 1 {
					mw = 1
				}
				for _, s := range statuses {
					d := dim{Entry: push.Entry{Host: h.name, Route: rt.tmpl, Method: m, Status: s.code},
						weight: h.weight * rw * mw * s.weight, medianMs: median}
					if s.code >= 500 {
						d.medianMs *= 5
					} else if s.code >= 400 {
						d.medianMs /= 3
					}
					out = append(out, d)
				}
			}
		}
	}
	return out
}
