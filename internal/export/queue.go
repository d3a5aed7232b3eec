package export

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Queue is a target's on-disk queue of encoded requests, oldest first,
// bounded in bytes: one file per request, written whole (a temporary file
// renamed), so a crash leaves whole requests only. When a new request does
// not fit, the oldest are dropped, counted and logged. The queue also
// remembers the newest minute ever put (Last), across restarts, so an
// owner that persists its totals before queueing can tell after a crash
// whether a minute was queued already.
type Queue struct {
	dir string
	max int64
	log *slog.Logger

	mu      sync.Mutex
	items   []item
	bytes   int64
	seq     int64
	last    int64 // the newest at ever put (Unix seconds)
	dropped int64
	wake    chan struct{}
}

type item struct {
	name    string
	at      int64 // the request's newest sample (Unix seconds)
	samples int
	size    int64
}

// lastFile keeps the newest minute ever put, as decimal Unix seconds.
const lastFile = "last"

// OpenQueue opens (creating) the queue in dir, with what an earlier run
// left there.
func OpenQueue(dir string, maxBytes int64, log *slog.Logger) (*Queue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("export queue: %w", err)
	}
	q := &Queue{dir: dir, max: maxBytes, log: log, wake: make(chan struct{}, 1)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("export queue: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		seq, at, samples, ok := parseName(name)
		if !ok {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		q.items = append(q.items, item{name: name, at: at, samples: samples, size: fi.Size()})
		q.bytes += fi.Size()
		q.seq = max(q.seq, seq)
		q.last = max(q.last, at)
	}
	if b, err := os.ReadFile(filepath.Join(dir, lastFile)); err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			q.last = max(q.last, v)
		}
	}
	slices.SortFunc(q.items, func(a, b item) int { return strings.Compare(a.name, b.name) })
	return q, nil
}

// parseName reads a request's file name: seq-at, or seq-at-samples.
func parseName(name string) (seq, at int64, samples int, ok bool) {
	f := strings.Split(name, "-")
	if len(f) != 2 && len(f) != 3 {
		return 0, 0, 0, false
	}
	seq, err1 := strconv.ParseInt(f[0], 10, 64)
	at, err2 := strconv.ParseInt(f[1], 10, 64)
	if len(f) == 3 {
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return 0, 0, 0, false
		}
		samples = n
	}
	return seq, at, samples, err1 == nil && err2 == nil
}

// Put appends a request whose newest sample is at at, of samples samples
// (for /metrics).
func (q *Queue) Put(data []byte, at time.Time, samples int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	name := fmt.Sprintf("%020d-%d-%d", q.seq, at.Unix(), samples)
	if err := writeFile(filepath.Join(q.dir, name), data); err != nil {
		return err
	}
	// The marker is written before the request can be sent and removed:
	// until then the request's own name says it.
	if at.Unix() > q.last {
		if err := writeFile(filepath.Join(q.dir, lastFile), []byte(strconv.FormatInt(at.Unix(), 10))); err != nil {
			os.Remove(filepath.Join(q.dir, name))
			return err
		}
		q.last = at.Unix()
	}
	q.items = append(q.items, item{name: name, at: at.Unix(), samples: samples, size: int64(len(data))})
	q.bytes += int64(len(data))
	n := 0
	for q.max > 0 && q.bytes > q.max && len(q.items) > 1 {
		q.removeLocked(q.items[0].name)
		n++
	}
	if n > 0 {
		q.dropped += int64(n)
		q.log.Warn("export queue full: dropped the oldest requests", "dir", q.dir, "dropped", n, "max_bytes", q.max)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// writeFile writes data to path whole: a temporary file renamed.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		os.Remove(tmp) // what a full disk took of it
		return fmt.Errorf("export queue: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("export queue: %w", err)
	}
	return nil
}

// Last returns the newest minute ever put (the zero time when none was).
func (q *Queue) Last() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.last == 0 {
		return time.Time{}
	}
	return time.Unix(q.last, 0).UTC()
}

// Request is a queued request.
type Request struct {
	Name    string
	At      time.Time // its newest sample
	Samples int
	Data    []byte
}

// Peek returns the oldest request; ok is false when the queue is empty.
func (q *Queue) Peek() (r Request, ok bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return Request{}, false, nil
	}
	it := q.items[0]
	data, err := os.ReadFile(filepath.Join(q.dir, it.name))
	if err != nil {
		q.removeLocked(it.name) // unreadable: never sendable
		q.dropped++
		return Request{}, false, fmt.Errorf("export queue: %w", err)
	}
	return Request{Name: it.name, At: time.Unix(it.at, 0).UTC(), Samples: it.samples, Data: data}, true, nil
}

// Remove removes a request Peek returned.
func (q *Queue) Remove(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.removeLocked(name)
}

func (q *Queue) removeLocked(name string) {
	i := slices.IndexFunc(q.items, func(it item) bool { return it.name == name })
	if i < 0 {
		return
	}
	q.bytes -= q.items[i].size
	q.items = slices.Delete(q.items, i, i+1)
	os.Remove(filepath.Join(q.dir, name))
}

// QueueState is what a queue holds and dropped.
type QueueState struct {
	Requests int
	Bytes    int64
	Dropped  int64 // requests the bound dropped
}

// State returns what the queue holds.
func (q *Queue) State() QueueState {
	q.mu.Lock()
	defer q.mu.Unlock()
	return QueueState{Requests: len(q.items), Bytes: q.bytes, Dropped: q.dropped}
}

// Wake is signalled after each Put.
func (q *Queue) Wake() <-chan struct{} { return q.wake }
