package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
)

// Batch is what one commit adds: cells per service and minute, and the read
// positions they were read up to.
type Batch struct {
	// Cells maps service name → minute start (Unix seconds) → cell, whose
	// entries carry dimension ids from EnsureDims. Entries may repeat a
	// dimension; Commit merges them.
	Cells map[string]map[int64]*cells.Cell
	// values holds counts added by dimension value (Add), resolved at Commit.
	values  map[string]map[int64]map[DimValue]*cells.Entry
	Sources []SourceUpdate
}

// Cell returns the batch's cell of a service and minute, creating it.
func (b *Batch) Cell(service string, minute int64) *cells.Cell {
	if b.Cells == nil {
		b.Cells = map[string]map[int64]*cells.Cell{}
	}
	bySvc := b.Cells[service]
	if bySvc == nil {
		bySvc = map[int64]*cells.Cell{}
		b.Cells[service] = bySvc
	}
	c := bySvc[minute]
	if c == nil {
		c = &cells.Cell{}
		bySvc[minute] = c
	}
	return c
}

// Add adds n requests of dimension d and latency bucket le to a minute. It is
// the convenient, slower way to fill a batch; ingestion fills Cells directly.
func (b *Batch) Add(service string, minute int64, d DimValue, le uint32, n uint64) {
	e := b.value(service, minute, d)
	e.Count += n
	e.Hist.Add(le, n)
}

// AddHist adds count requests of dimension d to a minute, with their
// latency histogram h (sorted, its counts adding up to count), in one go
// where Add takes a bucket at a time. The batch owns h from then on.
func (b *Batch) AddHist(service string, minute int64, d DimValue, count uint64, h cells.Hist) {
	e := b.value(service, minute, d)
	e.Count += count
	e.Hist.Merge(h)
}

// value returns the entry of d in a minute of the batch's counts by
// value, creating it.
func (b *Batch) value(service string, minute int64, d DimValue) *cells.Entry {
	if b.values == nil {
		b.values = map[string]map[int64]map[DimValue]*cells.Entry{}
	}
	bySvc := b.values[service]
	if bySvc == nil {
		bySvc = map[int64]map[DimValue]*cells.Entry{}
		b.values[service] = bySvc
	}
	byMin := bySvc[minute]
	if byMin == nil {
		byMin = map[DimValue]*cells.Entry{}
		bySvc[minute] = byMin
	}
	e := byMin[d]
	if e == nil {
		e = &cells.Entry{}
		byMin[d] = e
	}
	return e
}

// Empty reports whether the batch changes nothing.
func (b *Batch) Empty() bool { return len(b.Cells) == 0 && len(b.values) == 0 && len(b.Sources) == 0 }

// SourceUpdate moves a log file's read position from From to To and adds the
// line counts of the bytes in between.
type SourceUpdate struct {
	Fingerprint string // the row's key
	// Head is the key of the file's first line in its log, which rows of
	// files starting alike share (see SourcesByHead); "" for Fingerprint.
	Head      string
	Service   string
	Log       string // the configured path or glob the file came from
	Path      string // where the file was read this time
	From, To  int64  // byte offsets in the (decompressed) content
	Lines     int64
	Malformed int64
	Excluded  int64
	// Unmatched counts the lines no service's match took (services[].match).
	Unmatched int64
	FirstTS   int64 // Unix ms of the earliest event read, 0 if none
	LastTS    int64 // Unix ms of the latest event read, 0 if none
	Samples   []MalformedLine
	// UnmatchedSamples are lines no service took, with the reason; kept
	// apart from the malformed ones (UnmatchedKept per file), one per
	// reason.
	UnmatchedSamples []MalformedLine
	// Prefix is the length and hash of the content's first bytes, recorded
	// when longer than the row's.
	Prefix Prefix
	// Owner says the file read is the row's own (not a copy reading on from
	// a live file's position): its Path and File identity are recorded.
	Owner bool
	File  FileID
}

// MalformedLine is a sample of a line that could not be parsed.
type MalformedLine struct {
	Path    string `json:"path"`
	Line    int64  `json:"line"`
	Reason  string `json:"reason"`
	Excerpt string `json:"excerpt"`
}

// SamplesKept is how many malformed-line samples are kept per file.
const SamplesKept = 20

// UnmatchedKept is how many samples of lines no service took are kept per
// file, each with another reason (upstream and host): a log shared by
// services may have many such lines, which must not push the malformed
// samples out.
const UnmatchedKept = 5

// Commit writes a batch in one transaction: cells, rollups and source
// positions together. It fails with ErrConflict, changing nothing, when a
// source's stored offset is no longer the batch's From.
func (s *Store) Commit(ctx context.Context, b *Batch) (err error) {
	if b.Empty() {
		return nil
	}
	if err := s.resolveValues(ctx, b); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	now := time.Now().Unix()
	for _, u := range b.Sources {
		if err := s.updateSource(ctx, tx, u, now); err != nil {
			return err
		}
	}
	var changes []Change
	for svc, byMin := range b.Cells {
		ch, err := s.writeService(ctx, tx, svc, "", byMin, false)
		if err != nil {
			return err
		}
		changes = append(changes, ch...)
	}
	if len(changes) > 0 {
		commits, err := bumpCommits(ctx, tx)
		if err != nil {
			return err
		}
		for i := range changes {
			changes[i].Commits = commits
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.notify(changes)
	return nil
}

// resolveValues moves the counts added by value into Cells.
func (s *Store) resolveValues(ctx context.Context, b *Batch) error {
	for svc, byMin := range b.values {
		// Each dimension is hashed once here: looked up among the known
		// ones (a push's, all of them after an agent's first), the others
		// numbered by EnsureDims. A server taking a fleet's pushes did
		// five hashes an entry here before.
		sid, err := s.ServiceID(ctx, svc, true)
		if err != nil {
			return err
		}
		var missing []DimValue
		s.mu.Lock()
		known := s.dims[sid]
		for _, m := range byMin {
			for d, e := range m {
				if id, ok := known[d]; ok {
					e.Dim = id
				} else {
					missing = append(missing, d)
				}
			}
		}
		s.mu.Unlock()
		var ids map[DimValue]uint32
		if len(missing) > 0 {
			slices.SortFunc(missing, compareDims)
			missing = slices.Compact(missing)
			got, err := s.EnsureDims(ctx, svc, missing)
			if err != nil {
				return err
			}
			ids = make(map[DimValue]uint32, len(missing))
			for i, d := range missing {
				ids[d] = got[i]
			}
		}
		for minute, m := range byMin {
			c := b.Cell(svc, minute)
			c.Entries = slices.Grow(c.Entries, len(m))
			for d, e := range m {
				if id, ok := ids[d]; ok {
					e.Dim = id
				}
				c.Entries = append(c.Entries, *e)
			}
		}
	}
	b.values = nil
	return nil
}

// compareDims orders dimension values, to find those repeated.
func compareDims(a, b DimValue) int {
	return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.Route, b.Route), strings.Compare(a.Method, b.Method),
		cmp.Compare(a.Status, b.Status), strings.Compare(a.Node, b.Node))
}

// EnsureDims returns the ids of a service's dimensions, creating those not
// stored yet (and the service). The dictionary is committed on its own: an id
// that no cell uses yet is harmless.
func (s *Store) EnsureDims(ctx context.Context, service string, dims []DimValue) ([]uint32, error) {
	svc, err := s.ServiceID(ctx, service, true)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, len(dims))
	var missing []int
	s.mu.Lock()
	known := s.dims[svc]
	if known == nil {
		known = map[DimValue]uint32{}
		s.dims[svc] = known
	}
	for i, d := range dims {
		if id, ok := known[d]; ok {
			out[i] = id
		} else {
			missing = append(missing, i)
		}
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("dimensions: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO dims (service_id, host, route, method, status, node) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("dimensions: %w", err)
	}
	defer ins.Close()
	sel, err := tx.PrepareContext(ctx, `SELECT id FROM dims WHERE service_id = ? AND host = ? AND route = ? AND method = ? AND status = ? AND node = ?`)
	if err != nil {
		return nil, fmt.Errorf("dimensions: %w", err)
	}
	defer sel.Close()
	for _, i := range missing {
		d := dims[i]
		if _, err := ins.ExecContext(ctx, svc, d.Host, d.Route, d.Method, d.Status, d.Node); err != nil {
			return nil, fmt.Errorf("dimensions: %w", err)
		}
		var id int64
		if err := sel.QueryRowContext(ctx, svc, d.Host, d.Route, d.Method, d.Status, d.Node).Scan(&id); err != nil {
			return nil, fmt.Errorf("dimensions: %w", err)
		}
		out[i] = uint32(id)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("dimensions: %w", err)
	}
	s.mu.Lock()
	for _, i := range missing {
		known[dims[i]] = out[i]
	}
	s.mu.Unlock()
	return out, nil
}

func (s *Store) updateSource(ctx context.Context, tx *sql.Tx, u SourceUpdate, now int64) error {
	if u.Head == "" {
		u.Head = u.Fingerprint
	}
	var offset int64
	err := tx.QueryRowContext(ctx, `SELECT offset FROM sources WHERE fingerprint = ?`, u.Fingerprint).Scan(&offset)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if u.From != 0 {
			return fmt.Errorf("source %s: %w (new, batch starts at %d)", u.Path, ErrConflict, u.From)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sources
			(fingerprint, service, log, path, offset, lines, malformed, excluded, unmatched, first_ts, last_ts, updated,
			 head, prefix_len, prefix_hash, dev, ino)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Fingerprint, u.Service, u.Log, u.Path, u.To, u.Lines, u.Malformed, u.Excluded, u.Unmatched, u.FirstTS, u.LastTS, now,
			u.Head, u.Prefix.Len, u.Prefix.Hash, int64(u.File.Dev), int64(u.File.Ino))
	case err != nil:
	case offset != u.From:
		return fmt.Errorf("source %s: %w (stored %d, batch starts at %d)", u.Path, ErrConflict, offset, u.From)
	default:
		// The row names the services reading its log now: a log listed
		// under one more service keeps its positions (the key is the
		// log's, not the service's) and is labelled anew.
		_, err = tx.ExecContext(ctx, `UPDATE sources SET offset = ?, lines = lines + ?,
			malformed = malformed + ?, excluded = excluded + ?, unmatched = unmatched + ?,
			first_ts = CASE WHEN first_ts = 0 OR (? != 0 AND ? < first_ts) THEN ? ELSE first_ts END,
			last_ts = MAX(last_ts, ?), updated = ?, service = ?
			WHERE fingerprint = ?`,
			u.To, u.Lines, u.Malformed, u.Excluded, u.Unmatched, u.FirstTS, u.FirstTS, u.FirstTS, u.LastTS, now, u.Service, u.Fingerprint)
		if err == nil {
			err = record(ctx, tx, u.Fingerprint, u.Owner, u.Path, u.File, u.Prefix)
		}
	}
	if err != nil {
		return fmt.Errorf("source %s: %w", u.Path, err)
	}
	if err := addSamples(ctx, tx, u.Fingerprint, u.Samples, false, SamplesKept); err != nil {
		return err
	}
	return addSamples(ctx, tx, u.Fingerprint, u.UnmatchedSamples, true, UnmatchedKept)
}

// addSamples stores the samples of a file's row, malformed lines or lines
// no service took, and keeps the newest keep of that kind. An unmatched
// sample whose reason is stored already is not stored again: the samples
// kept show as many upstreams and hosts as they can.
func addSamples(ctx context.Context, tx *sql.Tx, key string, samples []MalformedLine, unmatched bool, keep int) error {
	kind := 0
	if unmatched {
		kind = 1
	}
	added := false
	for _, m := range samples {
		res, err := tx.ExecContext(ctx, `INSERT INTO malformed (fingerprint, path, line, reason, excerpt, unmatched)
			SELECT ?, ?, ?, ?, ?, ? WHERE ? = 0 OR NOT EXISTS
				(SELECT 1 FROM malformed WHERE fingerprint = ? AND unmatched = 1 AND reason = ?)`,
			key, m.Path, m.Line, m.Reason, m.Excerpt, kind, kind, key, m.Reason)
		if err != nil {
			return fmt.Errorf("sample: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = true
		}
	}
	if !added {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM malformed WHERE fingerprint = ? AND unmatched = ? AND id <=
		(SELECT id FROM malformed WHERE fingerprint = ? AND unmatched = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
		key, kind, key, kind, keep); err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	return nil
}

// writeService adds a service's minute cells and their rollups to the
// stored ones of node, and returns what it changed. With deferRollups (an
// agent's push), the hours and days are not written but marked stale, for
// Roll (see rollup.go); readers see them exactly all the same.
//
// Cells are kept per node: a cell of a service, resolution and start is a
// row per node whose dimensions it counts (” for serve's own logs and
// beacons, an agent's name for what it pushes), read as one (ReadCells).
// Each write reads, merges and rewrites its node's rows only. In one row
// per start, each push of each agent of a fleet rewrote the minute, hour
// and day cells of the whole fleet: at 200 agents with 300 dimensions each
// (60,000 entries a cell) that was 0.6 s of CPU a push, 12 cores' worth at
// one push per agent every 10 s (BenchmarkPushFleet, docs/performance.md).
func (s *Store) writeService(ctx context.Context, tx *sql.Tx, name, node string, byMin map[int64]*cells.Cell, deferRollups bool) ([]Change, error) {
	if len(byMin) == 0 {
		return nil, nil
	}
	// The service's id, as ServiceID knows it (numbering the batch's
	// dimensions asked for it), else as this transaction makes it.
	s.mu.Lock()
	svc, ok := s.svcs[name]
	s.mu.Unlock()
	if !ok {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO services (name) VALUES (?)`, name); err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT id FROM services WHERE name = ?`, name).Scan(&svc); err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
	}
	// Which rollups are written now: all of them, or with deferRollups
	// only those that can no longer be rolled up from their finer cells
	// (retention deleted some: see rollup.go).
	direct := func(res, start int64) bool { return true }
	var mark *sql.Stmt
	if deferRollups && s.schema >= 6 {
		m, floors, err := s.markStatements(ctx, tx)
		if err != nil {
			return nil, err
		}
		defer m.Close()
		defer floors.Close()
		mark = m
		minuteFloor, hourFloor, err := floorsIn(ctx, floors)
		if err != nil {
			return nil, err
		}
		direct = func(res, start int64) bool {
			if res == Hour {
				return start < minuteFloor
			}
			return start < hourFloor
		}
	}
	sel, ins, err := s.cellStatements(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer sel.Close()
	defer ins.Close()
	w := cellWriter{ctx: ctx, sel: sel, ins: ins, svc: svc, name: name, node: node}
	// The encoding buffer is the store's, kept between writes: a push's
	// cells are tens of KB, 20 times a second with a fleet.
	if b, ok := s.cellBufs.Get().(*[]byte); ok {
		w.buf = *b
	}
	defer func() { s.cellBufs.Put(&w.buf) }()
	// Each minute cell is folded into its hour's rollup as it is written,
	// while its histograms are in the cache; hours into days likewise.
	hours := map[int64]*cells.Builder{}
	minutes := sortedStarts(byMin)
	for _, start := range minutes {
		c := byMin[start]
		c.Sort()
		builder(hours, start-start%Hour).Add(c)
		if err := w.put(Minute, start, c); err != nil {
			return nil, err
		}
	}
	days := map[int64]*cells.Builder{}
	var staleHours, staleDays []int64
	hourStarts := sortedStarts(hours)
	for _, start := range hourStarts {
		day := start - start%Day
		toHour, toDay := direct(Hour, start), direct(Day, day)
		if !toHour {
			staleHours = append(staleHours, start)
		}
		if !toDay && !slices.Contains(staleDays, day) {
			staleDays = append(staleDays, day)
		}
		if !toHour && !toDay {
			continue
		}
		c := hours[start].Cell()
		if toDay {
			builder(days, day).Add(c)
		}
		if toHour {
			if err := w.put(Hour, start, c); err != nil {
				return nil, err
			}
		}
	}
	dayStarts := sortedStarts(days)
	for _, start := range dayStarts {
		if err := w.put(Day, start, days[start].Cell()); err != nil {
			return nil, err
		}
	}
	if err := markPending(ctx, mark, svc, node, Hour, staleHours); err != nil {
		return nil, err
	}
	if err := markPending(ctx, mark, svc, node, Day, staleDays); err != nil {
		return nil, err
	}
	// What readers see of an hour or a day changed, rolled up or not.
	return []Change{
		{Service: name, Res: Minute, Starts: minutes},
		{Service: name, Res: Hour, Starts: hourStarts},
		{Service: name, Res: Day, Starts: sortedUnique(hourStarts, Day)},
	}, nil
}

// sortedUnique returns the starts of the units (Day) covering sorted starts.
func sortedUnique(starts []int64, unit int64) []int64 {
	var out []int64
	for _, s := range starts {
		u := s - s%unit
		if n := len(out); n == 0 || out[n-1] != u {
			out = append(out, u)
		}
	}
	return out
}

// cellWriter adds cells to the stored ones of a service's node, in a
// transaction.
type cellWriter struct {
	ctx      context.Context
	sel, ins *sql.Stmt
	svc      int64
	name     string
	node     string
	buf      []byte
}

// put adds c to the stored cell of resolution res starting at start.
func (w *cellWriter) put(res, start int64, c *cells.Cell) error {
	rows, err := w.sel.QueryContext(w.ctx, w.svc, res, start, w.node)
	if err != nil {
		return fmt.Errorf("read cell: %w", err)
	}
	var merged error
	found := rows.Next()
	if found {
		// The stored cell and c, merged as the stored one is read, in
		// the driver's memory (RawBytes: not copied again).
		var old sql.RawBytes
		if err = rows.Scan(&old); err == nil {
			w.buf, merged = cells.MergeEncoded(w.buf[:0], old, c)
		}
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rows.Err()
	}
	switch {
	case err != nil:
		return fmt.Errorf("read cell: %w", err)
	case merged != nil:
		return fmt.Errorf("cell %s/%d@%d: %w", w.name, res, start, merged)
	case !found:
		w.buf = c.Encode(w.buf[:0])
	}
	if _, err := w.ins.ExecContext(w.ctx, w.svc, res, start, w.node, w.buf); err != nil {
		return fmt.Errorf("write cell: %w", err)
	}
	return nil
}

// builder returns the rollup builder of start in m, creating it.
func builder(m map[int64]*cells.Builder, start int64) *cells.Builder {
	b := m[start]
	if b == nil {
		b = &cells.Builder{}
		m[start] = b
	}
	return b
}

// sortedStarts returns the keys of m in order.
func sortedStarts[T any](m map[int64]T) []int64 {
	return slices.Sorted(maps.Keys(m))
}

// SourceState is what the store knows of one log file.
type SourceState struct {
	Fingerprint string `json:"fingerprint"` // the row's key
	Service     string `json:"service"`
	Log         string `json:"log"`
	Path        string `json:"path"`
	Offset      int64  `json:"offset"`
	Lines       int64  `json:"lines"`
	Malformed   int64  `json:"malformed"`
	Excluded    int64  `json:"excluded"`
	Unmatched   int64  `json:"unmatched"`
	FirstTS     int64  `json:"first_ts"`
	LastTS      int64  `json:"last_ts"`
	Updated     int64  `json:"updated"`
	// What tells the file apart from others starting with the same line,
	// filled by SourcesByHead only.
	Head   string `json:"-"`
	Prefix Prefix `json:"-"`
	File   FileID `json:"-"` // zero when not known (older stores, stdin)
}

// sourceCols are the columns of a SourceState read by Source and Sources.
func (s *Store) sourceCols() string {
	unmatched := "unmatched"
	if s.schema < 4 { // a read-only store not migrated yet
		unmatched = "0"
	}
	return `fingerprint, service, log, path, offset, lines, malformed, excluded, ` + unmatched + `, first_ts, last_ts, updated`
}

func (st *SourceState) scanArgs() []any {
	return []any{&st.Fingerprint, &st.Service, &st.Log, &st.Path, &st.Offset, &st.Lines, &st.Malformed, &st.Excluded, &st.Unmatched,
		&st.FirstTS, &st.LastTS, &st.Updated}
}

// Source returns the state of a file by fingerprint; ok is false when the
// file was never read.
func (s *Store) Source(ctx context.Context, fingerprint string) (st SourceState, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT `+s.sourceCols()+` FROM sources WHERE fingerprint = ?`, fingerprint).Scan(st.scanArgs()...)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("source: %w", err)
	}
	return st, true, nil
}

// Sources lists every file ever read.
func (s *Store) Sources(ctx context.Context) ([]SourceState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.sourceCols()+` FROM sources ORDER BY service, log, first_ts`)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	var out []SourceState
	for rows.Next() {
		var st SourceState
		if err := rows.Scan(st.scanArgs()...); err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Samples returns the most recent malformed-line samples of a file, oldest first.
func (s *Store) Samples(ctx context.Context, fingerprint string) ([]MalformedLine, error) {
	return s.samples(ctx, fingerprint, 0)
}

// UnmatchedSamples returns the samples of a file's lines that no service
// took (services[].match), oldest first.
func (s *Store) UnmatchedSamples(ctx context.Context, fingerprint string) ([]MalformedLine, error) {
	if s.schema < 4 {
		return nil, nil
	}
	return s.samples(ctx, fingerprint, 1)
}

func (s *Store) samples(ctx context.Context, fingerprint string, kind int) ([]MalformedLine, error) {
	q := `SELECT path, line, reason, excerpt FROM malformed WHERE fingerprint = ? AND unmatched = ? ORDER BY id`
	args := []any{fingerprint, kind}
	if s.schema < 4 {
		q = `SELECT path, line, reason, excerpt FROM malformed WHERE fingerprint = ? ORDER BY id`
		args = args[:1]
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	defer rows.Close()
	var out []MalformedLine
	for rows.Next() {
		var m MalformedLine
		if err := rows.Scan(&m.Path, &m.Line, &m.Reason, &m.Excerpt); err != nil {
			return nil, fmt.Errorf("samples: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
