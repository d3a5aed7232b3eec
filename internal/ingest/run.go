package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/store"
)

// Committer stores batches (the store).
type Committer interface {
	DimStore
	Commit(ctx context.Context, b *store.Batch) error
}

// Source is one configured log (a path or glob in one format) and the
// services that list it: the log is read once, with one read position per
// file, and each line counts for every service whose match takes it. It
// keeps its workers' parsers and caches between runs; one run at a time.
type Source struct {
	// Services read the log, in the config's order.
	Services []*Service
	Log      string // the configured path or glob
	// Wrap is the container runtime's framing of the lines, if any: the
	// run then cuts chunks only between whole lines (see cut) and the
	// workers unwrap them.
	Wrap logformat.Wrapper
	// Follow reads the log's symbolic links out of its directory
	// (logs[].follow_symlinks; see Glob).
	Follow bool
	// Refs are where the config lists the log, one per service (set by
	// NewSources).
	Refs    []config.LogRef
	workers []*worker
	mu      sync.Mutex
}

// NewSource compiles l's format once per worker, for the services that
// read the log.
func NewSource(l config.LogSource, workers int, services ...*Service) (*Source, error) {
	if len(services) == 0 {
		return nil, fmt.Errorf("%s: no service reads the log", l.Path)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	wrap, err := l.Wrap()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Path, err)
	}
	s := &Source{Services: services, Log: l.Path, Wrap: wrap, Follow: l.Follow()}
	p, err := l.Compile()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Path, err)
	}
	var need []logformat.Var
	for _, svc := range services {
		need = append(need, svc.needs()...)
	}
	p.Need(need...)
	for range workers {
		w := newWorker(services, p.Clone())
		if wrap != logformat.WrapNone {
			w.unwrap = logformat.NewUnwrapper(wrap)
			w.banner = l.Format == "ingress-nginx"
		}
		s.workers = append(s.workers, w)
	}
	return s, nil
}

// NewSources returns a source for every log of cfg (see config.Logs): a
// log listed under several services is one source. known supplies the
// routes and hosts stored so far (nil for none).
func NewSources(ctx context.Context, cfg *config.Config, known RouteSource, workers int) ([]*Source, error) {
	svcs := make([]*Service, len(cfg.Services))
	var out []*Source
	for _, l := range cfg.Logs() {
		var readers []*Service
		for _, r := range l.Refs {
			if svcs[r.Svc] == nil {
				svc, err := NewService(ctx, cfg, &cfg.Services[r.Svc], known)
				if err != nil {
					return nil, err
				}
				svcs[r.Svc] = svc
			}
			readers = append(readers, svcs[r.Svc])
		}
		src, err := NewSource(l.LogSource, workers, readers...)
		if err != nil {
			return nil, err
		}
		src.Refs = l.Refs
		out = append(out, src)
	}
	return out, nil
}

// Glob is the source's log and how its files are found.
func (s *Source) Glob() Glob { return Glob{Pattern: s.Log, Follow: s.Follow} }

// Names lists the names of the services reading the source, in its order.
func (s *Source) Names() []string {
	out := make([]string, len(s.Services))
	for i, svc := range s.Services {
		out[i] = svc.Name
	}
	return out
}

// Label names the services reading the source in one string: their names,
// sorted, joined by commas ("shop-api,shop-web"); the service column of
// the source's rows in the store.
func (s *Source) Label() string {
	return ServiceLabel(s.Names())
}

// ServiceLabel joins service names as Label does.
func ServiceLabel(names []string) string {
	names = slices.Clone(names)
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}

// Reads reports whether service name reads the source.
func (s *Source) Reads(name string) bool {
	for _, svc := range s.Services {
		if svc.Name == name {
			return true
		}
	}
	return false
}

// Stream is the content of one file to ingest, from a known position.
type Stream struct {
	R           io.Reader // positioned at From
	Path        string
	Fingerprint string
	From        int64 // offset of R's first byte in the file's content
	Line        int64 // lines before From
	// Final says the stream is complete (a .gz file, stdin): a last line
	// without a newline counts. Otherwise it is left for the next read.
	Final bool
	// Size is where the content ends, when known (a plain file): the run
	// then makes its last batch small, so that little is left to commit
	// once parsing is done.
	Size int64
	// Head is the start of the content (up to PrefixBytes): each commit
	// records the prefix read so far, which tells the file apart from others
	// starting with the same line (see identify).
	Head []byte
	// Base is the head of the row Fingerprint ("" for Fingerprint itself).
	Base string
	// Owner says the stream is the row's own file, whose path and identity
	// File the commits record; false for a copy reading on from a live
	// file's position.
	Owner bool
	File  store.FileID
}

// Result says what a run read and committed.
type Result struct {
	To        int64 // offset after the last committed line
	Lines     int64
	Malformed int64
	Excluded  int64
	// Unmatched counts the lines no service's match took; they are
	// sampled, one sample per upstream and host, in UnmatchedSamples.
	Unmatched        int64
	FirstTS          int64 // Unix ms, 0 if no event
	LastTS           int64
	Samples          []store.MalformedLine
	UnmatchedSamples []store.MalformedLine
	Commits          int
}

// Options tune a run.
type Options struct {
	// CommitBytes is how many bytes of lines go into one commit (default 32 MiB).
	CommitBytes int64
	// ChunkSize is the unit of work of a worker (default 1 MiB).
	ChunkSize int
	// MaxLine is the longest line parsed (default 4 MiB); a longer one is
	// counted as malformed and skipped.
	MaxLine int
	// Progress is called with the bytes read and the lines committed so far,
	// from the reading goroutine.
	Progress func(read, lines int64)
}

// Defaults of Options. Small chunks keep both cores busy up to each commit;
// 32 MiB batches bound memory (peak RSS stays near 50 MiB whatever the file).
const (
	ChunkSize          = 512 << 10
	MaxLine            = 4 << 20
	defaultCommitBytes = 32 << 20
)

// Run reads st to its end, committing cells and the new offset every
// CommitBytes and at the end. On error the last commit stands: the caller can
// resume from the stored offset. A stream read from its start is refused
// whole, with a *FormatError and before anything is committed, when its
// first lines do not fit the format (see ProbeLines).
func Run(ctx context.Context, c Committer, src *Source, st Stream, opts Options) (Result, error) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if opts.CommitBytes <= 0 {
		opts.CommitBytes = defaultCommitBytes
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = ChunkSize
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = MaxLine
	}
	r := &run{ctx: ctx, c: c, src: src, st: st, opts: opts, committed: st.From, line: st.Line}
	r.res.To = st.From
	if st.From == 0 {
		if err := r.probe(); err != nil {
			return r.res, err
		}
	}
	err := r.read()
	return r.res, err
}

// probe reads the first ChunkSize bytes of a stream read from its start and
// refuses the stream, a *FormatError, when its first lines do not fit the
// format (see ProbeLines); otherwise the run reads them again.
func (r *run) probe() error {
	head, eof, err := readHead(r.st.R, ChunkSize)
	if err != nil {
		return fmt.Errorf("read %s: %w", r.st.Path, err)
	}
	if pr := r.src.probe(r.st.Path, head, eof && r.st.Final, r.st.Line); pr.Refused() {
		return &FormatError{*pr}
	}
	r.st.R = io.MultiReader(bytes.NewReader(head), r.st.R)
	return nil
}

type run struct {
	ctx  context.Context
	c    Committer
	src  *Source
	st   Stream
	opts Options

	// The reading side, shared by the workers under mu: each worker reads
	// its next chunk itself (so the bytes land in its own core's cache),
	// then parses it outside the lock.
	mu       sync.Mutex
	carry    []byte // the start of a line cut by the previous read
	nread    int64  // bytes read from the stream
	eof      bool
	skipping bool  // inside a line longer than MaxLine
	err      error // the first error; stops every worker
	// With a wrapper: the streams whose line is open at the carry's start
	// (a record longer than the buffer, cut short), and Cut's answer for
	// the buffer being filled.
	open   logformat.Streams
	cutMem cutMemo

	wg        sync.WaitGroup // chunks being parsed
	pending   []*chunk
	committed int64 // offset where the next batch starts
	consumed  int64 // bytes handed to workers since the last batch
	line      int64 // lines before the pending chunks
	res       Result

	// The previous batch commits while the workers parse the next one.
	inflight chan error
	update   store.SourceUpdate
}

func (r *run) read() error {
	var workers sync.WaitGroup
	for _, w := range r.src.workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			buf := w.buf[:0]
			defer func() {
				w.buf = nil
				if cap(buf) <= r.opts.ChunkSize {
					w.buf = buf[:0]
				}
			}()
			for {
				r.mu.Lock()
				c := r.next(&buf)
				if c != nil {
					r.wg.Add(1)
				}
				r.mu.Unlock()
				if c == nil {
					return
				}
				w.process(c)
				c.data = nil
				r.wg.Done()
			}
		}()
	}
	workers.Wait()
	err := r.err
	if err == nil {
		err = r.commit()
	}
	if werr := r.wait(); err == nil {
		err = werr
	}
	if err != nil {
		for _, w := range r.src.workers {
			w.take() // drop what was not committed
		}
	}
	return err
}

// next reads the next chunk of whole lines into *buf, growing it as needed
// up to ChunkSize+MaxLine, committing first when a batch is full; nil when
// the stream is done or failed (r.err). Called with r.mu held.
func (r *run) next(bufp *[]byte) *chunk {
	buf := *bufp
	defer func() { *bufp = buf[:0] }()
	maxBuf := r.opts.ChunkSize + r.opts.MaxLine
	if r.err != nil {
		return nil
	}
	// Not inside a wrapped line cut short (r.open): its offset would split it.
	if r.open == 0 && (r.consumed >= r.opts.CommitBytes || r.nearEnd()) {
		if r.err = r.commit(); r.err != nil {
			return nil
		}
	}
	for !r.eof || len(r.carry) > 0 {
		if r.err = r.ctx.Err(); r.err != nil {
			return nil
		}
		buf = append(buf[:0], r.carry...)
		r.carry = r.carry[:0]
		r.cutMem = cutMemo{}
		// Read a chunk's worth, then on to the end of a line if the chunk
		// holds none (up to MaxLine more).
		for !r.eof && len(buf) < maxBuf && (len(buf) < r.opts.ChunkSize || !r.skipping && !r.hasEnd(buf)) {
			limit := r.opts.ChunkSize
			if len(buf) >= limit {
				limit = len(buf) + 64<<10
			}
			limit = min(limit, maxBuf)
			if cap(buf) < limit {
				grown := make([]byte, len(buf), min(max(limit, 2*cap(buf)), maxBuf))
				copy(grown, buf)
				buf = grown
			}
			m, err := r.st.R.Read(buf[len(buf):limit])
			buf = buf[:len(buf)+m]
			r.nread += int64(m)
			if errors.Is(err, io.EOF) {
				r.eof = true
			} else if err != nil {
				r.err = fmt.Errorf("read %s: %w", r.st.Path, err)
				return nil
			}
		}
		if r.opts.Progress != nil {
			r.opts.Progress(r.nread, r.res.Lines)
		}
		if r.skipping {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				r.consumed += int64(len(buf))
				continue
			}
			r.consumed += int64(i + 1)
			r.carry = append(r.carry, buf[i+1:]...)
			r.skipping = false
			continue
		}
		cut := r.cut(buf)
		end := cut.end
		c := &chunk{resume: r.open}
		switch {
		case end > 0:
			r.open = 0
		case len(buf) == 0:
			continue
		case r.eof && r.st.Final:
			end, c.flush, r.open = len(buf), true, 0
		case r.eof:
			return nil // a partial last line: left for the next read
		case cut.last > 0:
			// A wrapped line whose parts outgrow the buffer: cut after its
			// last whole part; the worker counts it as too long and the
			// next chunk drops the rest of it.
			end, c.tooLong, r.open = cut.last, r.opts.MaxLine, cut.open
		default:
			// A full buffer without a newline: a line longer than MaxLine.
			r.pending = append(r.pending, &chunk{lines: 1, malformed: 1, samples: []sample{{
				line: 1, reason: fmt.Sprintf("line longer than %d bytes", r.opts.MaxLine), excerpt: excerpt(buf[:min(len(buf), excerptBytes)]),
			}}})
			r.consumed += int64(len(buf))
			r.skipping = true
			continue
		}
		r.carry = append(r.carry, buf[end:]...)
		c.data = buf[:end]
		r.pending = append(r.pending, c)
		r.consumed += int64(end)
		return c
	}
	return nil
}

// nearEnd reports whether the batch should end here because the stream's
// end is close: the last batch is a quarter of a full one, so that its commit,
// which nothing overlaps, is short, while the one before still commits as
// the workers parse that quarter.
func (r *run) nearEnd() bool {
	if r.st.Size <= 0 || r.consumed == 0 {
		return false
	}
	last := r.st.Size - r.opts.CommitBytes/4
	return r.committed < last && r.committed+r.consumed >= last
}

// commit waits for the pending chunks, turns them into a batch with the new
// offset, and starts committing it once the previous batch is committed.
func (r *run) commit() error {
	r.wg.Wait()
	if r.consumed == 0 {
		return nil
	}
	var b store.Batch
	u := store.SourceUpdate{
		Fingerprint: r.st.Fingerprint, Head: r.st.Base, Service: r.src.Label(), Log: r.src.Log, Path: r.st.Path,
		From: r.committed, To: r.committed + r.consumed, Owner: r.st.Owner, File: r.st.File,
	}
	u.Prefix = prefixOf(r.st.Head, u.To)
	line := r.line
	for _, c := range r.pending {
		u.Lines += c.lines
		u.Malformed += c.malformed
		u.Excluded += c.excluded
		u.Unmatched += c.unmatched
		if c.firstTS != 0 && (u.FirstTS == 0 || c.firstTS < u.FirstTS) {
			u.FirstTS = c.firstTS
		}
		u.LastTS = max(u.LastTS, c.lastTS)
		for _, s := range c.samples {
			if len(u.Samples) < store.SamplesKept {
				u.Samples = append(u.Samples, store.MalformedLine{Path: r.st.Path, Line: line + s.line, Reason: s.reason, Excerpt: s.excerpt})
			}
		}
		u.UnmatchedSamples = addUnmatched(u.UnmatchedSamples, r.st.Path, line, c.unmatchedSamples)
		line += c.lines
	}
	// The workers hand their aggregates over and go on parsing at once; the
	// committing goroutine turns them into cells, service by service.
	parts := make([][]minutes, len(r.src.Services))
	for _, w := range r.src.workers {
		for i, m := range w.take() {
			parts[i] = append(parts[i], m)
		}
	}
	b.Sources = []store.SourceUpdate{u}
	r.committed = u.To
	r.consumed = 0
	r.line = line
	r.pending = r.pending[:0]
	if err := r.wait(); err != nil {
		return err
	}
	r.update = u
	r.inflight = make(chan error, 1)
	go func() {
		for i, svc := range r.src.Services {
			if err := svc.flush(r.ctx, r.c, parts[i], &b); err != nil {
				r.inflight <- err
				return
			}
		}
		r.inflight <- r.c.Commit(r.ctx, &b)
	}()
	return nil
}

// addUnmatched adds a chunk's unmatched samples to to, up to
// store.UnmatchedKept, one per reason.
func addUnmatched(to []store.MalformedLine, path string, line int64, samples []sample) []store.MalformedLine {
	for _, s := range samples {
		if len(to) >= store.UnmatchedKept {
			break
		}
		if !slices.ContainsFunc(to, func(m store.MalformedLine) bool { return m.Reason == s.reason }) {
			to = append(to, store.MalformedLine{Path: path, Line: line + s.line, Reason: s.reason, Excerpt: s.excerpt})
		}
	}
	return to
}

// wait waits for the batch being committed, if any, and counts it.
func (r *run) wait() error {
	if r.inflight == nil {
		return nil
	}
	err := <-r.inflight
	r.inflight = nil
	if err != nil {
		return err
	}
	u := r.update
	r.res.Commits++
	r.res.To = u.To
	r.res.Lines += u.Lines
	r.res.Malformed += u.Malformed
	r.res.Excluded += u.Excluded
	r.res.Unmatched += u.Unmatched
	if u.FirstTS != 0 && (r.res.FirstTS == 0 || u.FirstTS < r.res.FirstTS) {
		r.res.FirstTS = u.FirstTS
	}
	r.res.LastTS = max(r.res.LastTS, u.LastTS)
	for _, s := range u.Samples {
		if len(r.res.Samples) < store.SamplesKept {
			r.res.Samples = append(r.res.Samples, s)
		}
	}
	for _, s := range u.UnmatchedSamples {
		if len(r.res.UnmatchedSamples) < store.UnmatchedKept &&
			!slices.ContainsFunc(r.res.UnmatchedSamples, func(m store.MalformedLine) bool { return m.Reason == s.Reason }) {
			r.res.UnmatchedSamples = append(r.res.UnmatchedSamples, s)
		}
	}
	return nil
}

// excerpt returns a line as its sample shows it, as valid UTF-8: whole up to
// excerptBytes, else its start and its end, where a line cut short or one
// with more fields than the format shows.
func excerpt(b []byte) string {
	valid := func(b []byte) string { return string(bytes.ToValidUTF8(b, []byte("\uFFFD"))) }
	if len(b) <= excerptBytes {
		return valid(b)
	}
	const tail = excerptBytes / 3
	return valid(b[:excerptBytes-tail]) + "…" + valid(b[len(b)-tail:])
}
