// Package push is the wire format between `headroom agent` and a server
// taking pushes: the minute cells of an agent's commits, with dimension
// values spelled out (each store numbers its own dimensions), gzipped
// JSON.
//
// A push is idempotent: each commit carries the agent's sequence number,
// and a server applies, in the transaction that stores them, only the
// commits after the last one it stored from that agent's store (its
// instance). A retried, duplicated or replayed push counts once.
package push

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/klauspost/compress/gzip"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Path is where a server takes pushes.
const Path = "/api/v1/push"

// Limits of one push, checked by Decode: a push body is at most MaxBody
// bytes compressed and MaxContent decompressed.
const (
	MaxBody    = 16 << 20
	MaxContent = 256 << 20
	// MaxCommits is the most commits one push carries.
	MaxCommits = 10_000
)

// Push is one POST of an agent: some of its commits, in order, and its
// state. A push without commits is a heartbeat.
type Push struct {
	Agent    string    `json:"agent"`    // its name: the node its cells come from
	Instance string    `json:"instance"` // its store's id; a new store counts its commits afresh
	Sent     time.Time `json:"sent"`
	State    State     `json:"state"`
	Commits  []Commit  `json:"commits"`
}

// State is an agent's state as of a push, shown by the server.
type State struct {
	Lines     int64 `json:"lines"`
	Malformed int64 `json:"malformed"`
	Excluded  int64 `json:"excluded"`
	// Unmatched counts the lines no service's match took.
	Unmatched int64 `json:"unmatched"`
	// LastEvent is the time of the latest line read (Unix ms; 0 if none).
	LastEvent int64 `json:"last_event"`
	// Spool is what waits in the agent's spool for this server: commits
	// and bytes; Dropped counts the commits the spool's bound dropped.
	SpoolCommits int64 `json:"spool_commits"`
	SpoolBytes   int64 `json:"spool_bytes"`
	Dropped      int64 `json:"dropped"`
	// Broken names the logs the agent cannot read, if any.
	Broken []string `json:"broken,omitempty"`
}

// Commit is the cells of one agent commit.
type Commit struct {
	Seq      int64     `json:"seq"`
	Services []Service `json:"services"`
}

// Service is a service's cells in a commit.
type Service struct {
	Name    string   `json:"name"`
	Minutes []Minute `json:"minutes"`
}

// Minute is a minute cell: its start (Unix seconds) and entries.
type Minute struct {
	Start   int64   `json:"start"`
	Entries []Entry `json:"entries"`
}

// Entry is a cell entry by dimension value, with its latency histogram.
type Entry struct {
	Host   string `json:"host"`
	Route  string `json:"route"`
	Method string `json:"method"`
	Status int    `json:"status"`
	Count  uint64 `json:"count"`
	Hist   Hist   `json:"hist"`
}

// Hist pairs a latency bucket's bound (ms; cells.NoLatency for requests
// without one) with its count, by increasing bound; its counts add up to
// the entry's Count.
type Hist [][2]uint64

// NewCommit spells out the cells of a batch: byService maps a service to
// its minute cells, whose entries' dimension ids index dims[service].
func NewCommit(seq int64, byService map[string]map[int64]*cells.Cell, dims map[string][]store.DimValue) (Commit, error) {
	c := Commit{Seq: seq}
	for name, byMin := range byService {
		svc := Service{Name: name}
		ds := dims[name]
		for start, cell := range byMin {
			m := Minute{Start: start, Entries: make([]Entry, 0, len(cell.Entries))}
			for _, e := range cell.Entries {
				if int(e.Dim) >= len(ds) {
					return Commit{}, fmt.Errorf("service %s: dimension %d unknown", name, e.Dim)
				}
				d := ds[e.Dim]
				pe := Entry{Host: d.Host, Route: d.Route, Method: d.Method, Status: d.Status, Count: e.Count, Hist: make(Hist, len(e.Hist))}
				for i, b := range e.Hist {
					pe.Hist[i] = [2]uint64{uint64(b.Le), b.N}
				}
				m.Entries = append(m.Entries, pe)
			}
			svc.Minutes = append(svc.Minutes, m)
		}
		c.Services = append(c.Services, svc)
	}
	return c, nil
}

// Batch is the commit's cells as a store batch, every dimension from node.
// The commit must have been checked (Decode does): histograms sorted.
func (c *Commit) Batch(node string) *store.Batch {
	b := &store.Batch{}
	for _, s := range c.Services {
		for _, m := range s.Minutes {
			for _, e := range m.Entries {
				if e.Count == 0 {
					continue
				}
				d := store.DimValue{Host: e.Host, Route: e.Route, Method: e.Method, Status: e.Status, Node: node}
				h := make(cells.Hist, len(e.Hist))
				for i, p := range e.Hist {
					h[i] = cells.Bucket{Le: uint32(p[0]), N: p[1]}
				}
				b.AddHist(s.Name, m.Start, d, e.Count, h)
			}
		}
	}
	return b
}

// Encode writes p as gzipped JSON.
func Encode(p *Push) ([]byte, error) { return EncodeJSON(p) }

// EncodeJSON writes v, a push in any shape that encodes as one (an agent's
// spooled commits are raw JSON), as gzipped JSON.
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrBad is wrapped by Decode's errors for a push that will never be
// taken as it is (malformed, or past a limit): the agent must not send it
// again.
var ErrBad = errors.New("bad push")

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$`)

// Decode reads a gzipped JSON push (encoding/json; Hist reads itself) and
// checks it whole: names, minute starts within headroom's time range,
// entries whose histograms add up with increasing bounds, commits in
// increasing order. known reports whether a service is one the server has.
func Decode(r io.Reader, known func(string) bool) (*Push, error) {
	return decode(r, known, MaxContent)
}

// decode is Decode with limit bytes decompressed at most.
func decode(r io.Reader, known func(string) bool, limit int64) (*Push, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip: %v", ErrBad, err)
	}
	lr := &io.LimitedReader{R: zr, N: limit + 1}
	var p Push
	// encoding/json's v2 (its staging module): about twice as fast on a
	// push, mostly histogram numbers, and strict where v1 is lenient: a
	// key must match exactly, a number must fit its field (v1 and others
	// wrap or round), a [bound, count] pair has two numbers, nothing
	// follows the push; its errors say where ("within /commits/0/...").
	if err := jsonv2.UnmarshalRead(lr, &p, jsonv2.RejectUnknownMembers(true)); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w: more than %d bytes decompressed", ErrBad, limit)
		}
		return nil, fmt.Errorf("%w: not a push: %v", ErrBad, err)
	}
	if err := p.check(known); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBad, err)
	}
	return &p, nil
}

func (p *Push) check(known func(string) bool) error {
	switch {
	case !nameRE.MatchString(p.Agent):
		return fmt.Errorf("agent %q: want a name of letters, digits, '.', '_' or '-'", p.Agent)
	case p.Instance == "" || len(p.Instance) > 64:
		return errors.New("instance: want the agent store's id")
	case len(p.Commits) > MaxCommits:
		return fmt.Errorf("%d commits: at most %d a push", len(p.Commits), MaxCommits)
	}
	last := int64(0)
	for i, c := range p.Commits {
		if c.Seq <= last {
			return fmt.Errorf("commits[%d].seq %d: want increasing sequence numbers above 0", i, c.Seq)
		}
		last = c.Seq
		for j, s := range c.Services {
			where := fmt.Sprintf("commits[%d].services[%d]", i, j)
			if !known(s.Name) {
				return fmt.Errorf("%s: unknown service %q: add it to the server's services", where, s.Name)
			}
			for k, m := range s.Minutes {
				if m.Start%60 != 0 || !slo.InTimeRange(time.Unix(m.Start, 0)) {
					return fmt.Errorf("%s.minutes[%d].start %d: want a minute's start within %s", where, k, m.Start, slo.TimeRange)
				}
				for l, e := range m.Entries {
					if err := e.check(); err != nil {
						return fmt.Errorf("%s.minutes[%d].entries[%d]: %v", where, k, l, err)
					}
				}
			}
		}
	}
	return nil
}

func (e *Entry) check() error {
	if len(e.Host) > 1024 || len(e.Route) > 2048 || len(e.Method) > 64 {
		return errors.New("a dimension value too long")
	}
	if e.Status < 0 || e.Status > 999 {
		return fmt.Errorf("status %d: want 0 to 999", e.Status)
	}
	var sum uint64
	for i, h := range e.Hist {
		if h[0] > uint64(cells.NoLatency) {
			return fmt.Errorf("hist bucket %d: want a bound up to %d", h[0], cells.NoLatency)
		}
		if i > 0 && h[0] <= e.Hist[i-1][0] {
			return fmt.Errorf("hist bucket %d after %d: want increasing bounds", h[0], e.Hist[i-1][0])
		}
		if sum+h[1] < sum {
			return errors.New("hist counts overflow")
		}
		sum += h[1]
	}
	if sum != e.Count {
		return fmt.Errorf("hist counts add up to %d, count is %d", sum, e.Count)
	}
	return nil
}
