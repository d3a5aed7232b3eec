// Package tail follows the configured log files while `headroom serve` runs:
// it polls their globs (and rotated siblings), recognises every file by its
// content (first line, then a longer prefix) and its inode, and reads
// whatever was appended since the stored offset. Rename rotation,
// copytruncate, new files and partial last lines need no special case: a
// renamed file keeps its inode and offset, a copy continues the offset once
// its original is truncated, a truncated file starts a new row, twin logs
// starting with the same line part when their contents do (see
// ingest.identify), and only whole lines are consumed.
package tail

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/ingest"
)

// Follower polls a set of sources.
type Follower struct {
	store    ingest.StateStore
	sources  []*ingest.Source
	log      *slog.Logger
	interval time.Duration
	wake     <-chan time.Time

	mu      sync.Mutex
	done    map[string]fileStamp // compressed files fully read: skip until they change
	refused map[string]fileStamp // files whose lines do not fit the format: skip until they change
	failed  map[string]fileStamp // files that could not be read (corrupt .gz, permission): skip until they change
	outside map[string]bool      // symbolic links out of the log's directory, already warned about
	states  map[string]*State    // by configured log
	stalled map[string]*stall    // files whose lines the store refused: tried again with backoff
}

// stall is a file whose last lines the store refused (a full disk, a
// locked or broken database). The lines stay in the file, unread: it is
// tried again after a delay that doubles from StoreRetryMin to
// StoreRetryMax, so a full disk neither re-parses the file four times a
// second nor fills the service's log. The error is said when it starts,
// when it changes and every StoreErrorRepeat while it lasts; its end is
// said once.
type stall struct {
	err   string
	since time.Time
	next  time.Time // not tried before then
	delay time.Duration
	said  time.Time
	tries int
	from  int64 // the stored offset: what follows it waits
}

// The store-error backoff's bounds, and how often a lasting store error is
// said again.
const (
	StoreRetryMin    = time.Second
	StoreRetryMax    = 30 * time.Second
	StoreErrorRepeat = 5 * time.Minute
)

type fileStamp struct {
	size int64
	mod  time.Time
}

// State is what the follower last saw of one configured log.
type State struct {
	Log string `json:"log"`
	// Service names the services reading the log: their names, sorted,
	// joined by commas (ingest.Source.Label); Services lists them in the
	// config's order.
	Service  string    `json:"service"`
	Services []string  `json:"services"`
	Files    int       `json:"files"`
	Behind   int64     `json:"bytes_behind"` // bytes present but not yet read
	LastPoll time.Time `json:"last_poll"`
	LastData time.Time `json:"last_data"` // when new lines were last read
	// Lines read by this process: malformed, excluded (by every service
	// that took them), unmatched (taken by no service's match) or parsed.
	Lines     int64 `json:"lines"`
	Malformed int64 `json:"malformed"`
	Excluded  int64 `json:"excluded"`
	Unmatched int64 `json:"unmatched"`
	// ReadErrors counts files that failed to read (a corrupt .gz, permission
	// denied), once per change of the file: a failed file is tried again only
	// when its size or modification time changes.
	ReadErrors  int64     `json:"read_errors"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// DefaultInterval is how often Run polls by default; every poll that reads
// lines commits them, so data is durable within about this long.
const DefaultInterval = 250 * time.Millisecond

// Options configure a Follower.
type Options struct {
	Log *slog.Logger
	// Interval is how often Run polls (default DefaultInterval).
	Interval time.Duration
	// Wake, when not nil, replaces Run's ticker: tests drive polls
	// through it.
	Wake <-chan time.Time
}

// MarshalJSON encodes the state with the times it has not seen yet
// (no poll, no data, no error) as null, not as year 1.
func (s State) MarshalJSON() ([]byte, error) {
	type plain State
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return json.Marshal(struct {
		plain
		LastPoll    *time.Time `json:"last_poll"`
		LastData    *time.Time `json:"last_data"`
		LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	}{plain(s), at(s.LastPoll), at(s.LastData), at(s.LastErrorAt)})
}

// Broken says why the log cannot be read now: its last poll failed (after
// its last data), or no file matches its glob; "" when it reads fine.
func (s State) Broken() string {
	switch {
	case s.LastError != "" && !s.LastErrorAt.Before(s.LastData):
		return s.LastError
	case s.Files == 0 && !s.LastPoll.IsZero():
		return "no file matches " + s.Log
	}
	return ""
}

// New returns a Follower of sources that commits into st.
func New(st ingest.StateStore, sources []*ingest.Source, opts Options) *Follower {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	f := &Follower{store: st, sources: sources, log: opts.Log, interval: opts.Interval, wake: opts.Wake,
		done: map[string]fileStamp{}, refused: map[string]fileStamp{}, failed: map[string]fileStamp{}, outside: map[string]bool{}, states: map[string]*State{}, stalled: map[string]*stall{}}
	for _, s := range sources {
		f.states[s.Log] = &State{Log: s.Log, Service: s.Label(), Services: s.Names()}
	}
	return f
}

// Run polls every interval (or at every Wake) until ctx is done; it
// returns nil then. A poll's failures are kept in the sources' States, not
// returned: a log that cannot be read must not stop the others.
func (f *Follower) Run(ctx context.Context) error {
	wake := f.wake
	if wake == nil {
		t := time.NewTicker(f.interval)
		defer t.Stop()
		wake = t.C
	}
	for {
		f.Poll(ctx, time.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		}
	}
}

// Poll reads every file of every source once, to its current end.
func (f *Follower) Poll(ctx context.Context, now time.Time) {
	for _, s := range f.sources {
		f.pollSource(ctx, s, now)
	}
}

func (f *Follower) pollSource(ctx context.Context, s *ingest.Source, now time.Time) {
	st := f.state(s.Log)
	paths, outside, err := s.Glob().ExpandAll()
	if err != nil {
		f.fail(st, now, err)
		return
	}
	for _, p := range outside {
		f.mu.Lock()
		said := f.outside[p]
		f.outside[p] = true
		f.mu.Unlock()
		if !said {
			f.log.Warn("log file skipped: a symbolic link out of the log's directory (name the file in the config, or set follow_symlinks: true, to read it)", "path", p)
		}
	}
	var behind int64
	for _, p := range paths {
		if ctx.Err() != nil {
			return
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		stamp := fileStamp{fi.Size(), fi.ModTime()}
		f.mu.Lock()
		seen, ok := f.done[p]
		refused, wasRefused := f.refused[p]
		failed, hasFailed := f.failed[p]
		stalled := f.stalled[p]
		f.mu.Unlock()
		if ok && seen == stamp || wasRefused && refused == stamp || hasFailed && failed == stamp {
			continue
		}
		if stalled != nil && now.Before(stalled.next) {
			behind += max(0, fi.Size()-stalled.from)
			continue
		}
		res, err := ingest.IngestFile(ctx, f.store, s, p, ingest.Options{})
		var fe *ingest.FormatError
		switch {
		case errors.Is(err, ingest.ErrNotReady), errors.Is(err, fs.ErrNotExist):
			continue
		case errors.As(err, &fe):
			// Refused whole, nothing stored: said once per file, tried
			// again when it changes (a fixed format needs a restart).
			if !wasRefused {
				f.log.Warn("log file refused: its first lines do not fit the format", "path", p, "err", err)
			}
			f.mu.Lock()
			f.refused[p] = stamp
			f.mu.Unlock()
			f.fail(st, now, err)
			continue
		case err != nil && !fileFault(err):
			if ctx.Err() == nil { // the store's: tried again after a delay
				f.stall(p, now, res.From, err)
				f.fail(st, now, err)
				behind += max(0, fi.Size()-res.From)
			}
			continue
		case err != nil:
			if ctx.Err() == nil {
				// Said and counted once per change of the file: a corrupt
				// .gz is not decompressed again every poll.
				f.log.Warn("read log: tried again when the file changes", "path", p, "err", err)
				f.mu.Lock()
				f.failed[p] = stamp
				st.ReadErrors++
				f.mu.Unlock()
				f.fail(st, now, err)
			}
			continue
		}
		if stalled != nil {
			f.log.Info("read log: the store takes the lines again", "path", p, "after", now.Sub(stalled.since).Round(time.Second), "tries", stalled.tries+1)
		}
		f.mu.Lock()
		delete(f.refused, p)
		delete(f.failed, p)
		delete(f.stalled, p)
		if res.Gzip {
			f.done[p] = stamp
		}
		f.mu.Unlock()
		behind += res.Partial
		f.mu.Lock()
		if res.Lines > 0 {
			st.LastData = now
			st.Lines += res.Lines
			st.Malformed += res.Malformed
			st.Excluded += res.Excluded
			st.Unmatched += res.Unmatched
		}
		f.mu.Unlock()
	}
	f.mu.Lock()
	st.Files = len(paths)
	st.Behind = behind
	st.LastPoll = now
	f.mu.Unlock()
}

// stall records that the store refused path's lines after offset from at
// now, and says so when the error is new, changed or has lasted
// StoreErrorRepeat since it was last said.
func (f *Follower) stall(p string, now time.Time, from int64, err error) {
	f.mu.Lock()
	s := f.stalled[p]
	if s == nil {
		s = &stall{since: now}
		f.stalled[p] = s
	}
	s.tries++
	s.from = from
	s.delay = min(max(2*s.delay, StoreRetryMin), StoreRetryMax)
	s.next = now.Add(s.delay)
	say := s.err != err.Error() || now.Sub(s.said) >= StoreErrorRepeat
	s.err = err.Error()
	if say {
		s.said = now
	}
	tries, since, delay := s.tries, s.since, s.delay
	f.mu.Unlock()
	if say {
		f.log.Warn("read log: the store refused the lines; they stay in the log and are read again when it takes them",
			"path", p, "err", err, "failing_for", now.Sub(since).Round(time.Second), "tries", tries, "retry_in", delay)
	}
}

// fileFault reports whether err is the file's own (corrupt compressed data,
// no permission to read it), which reading it again unchanged cannot mend;
// a store error may pass and is retried at the next poll.
func fileFault(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.As(err, &corrupt) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (f *Follower) state(log string) *State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.states[log]
}

func (f *Follower) fail(st *State, now time.Time, err error) {
	f.mu.Lock()
	st.LastError = err.Error()
	st.LastErrorAt = now
	f.mu.Unlock()
}

// States returns a copy of what the follower knows of each configured log.
func (f *Follower) States() []State {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]State, 0, len(f.sources))
	for _, s := range f.sources {
		out = append(out, *f.states[s.Log])
	}
	return out
}
