package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
)

// Batch is what one commit adds: counts per service, minute and dimension,
// and the read positions the counts were read up to.
type Batch struct {
	// Cells maps service name → minute start (Unix seconds) → dimension → counts.
	Cells   map[string]map[int64]map[DimValue]*Counts
	Sources []SourceUpdate
}

// Counts are the requests of one dimension in one minute.
type Counts struct {
	N    uint64
	Hist cells.Hist
}

// Add adds n requests of latency bucket le.
func (b *Batch) Add(service string, minute int64, d DimValue, le uint32, n uint64) {
	if b.Cells == nil {
		b.Cells = map[string]map[int64]map[DimValue]*Counts{}
	}
	bySvc := b.Cells[service]
	if bySvc == nil {
		bySvc = map[int64]map[DimValue]*Counts{}
		b.Cells[service] = bySvc
	}
	byMin := bySvc[minute]
	if byMin == nil {
		byMin = map[DimValue]*Counts{}
		bySvc[minute] = byMin
	}
	c := byMin[d]
	if c == nil {
		c = &Counts{}
		byMin[d] = c
	}
	c.N += n
	c.Hist.Add(le, n)
}

// Empty reports whether the batch changes nothing.
func (b *Batch) Empty() bool { return len(b.Cells) == 0 && len(b.Sources) == 0 }

// SourceUpdate moves a log file's read position from From to To and adds the
// line counts of the bytes in between.
type SourceUpdate struct {
	Fingerprint string
	Service     string
	Log         string // the configured path or glob the file came from
	Path        string // where the file was read this time
	From, To    int64  // byte offsets in the (decompressed) content
	Lines       int64
	Malformed   int64
	Excluded    int64
	FirstTS     int64 // Unix ms of the earliest event read, 0 if none
	LastTS      int64 // Unix ms of the latest event read, 0 if none
	Samples     []MalformedLine
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

// Commit writes a batch in one transaction: cells, rollups and source
// positions together. It fails with ErrConflict, changing nothing, when a
// source's stored offset is no longer the batch's From.
func (s *Store) Commit(ctx context.Context, b *Batch) (err error) {
	if b.Empty() {
		return nil
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
	newDims := map[int64]map[DimValue]uint32{}
	for svc, byMin := range b.Cells {
		if err := s.writeService(ctx, tx, svc, byMin, newDims); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.mu.Lock()
	for id, m := range newDims {
		for d, dim := range m {
			s.dims[id][d] = dim
		}
	}
	s.mu.Unlock()
	return nil
}

func (s *Store) updateSource(ctx context.Context, tx *sql.Tx, u SourceUpdate, now int64) error {
	var offset int64
	err := tx.QueryRowContext(ctx, `SELECT offset FROM sources WHERE fingerprint = ?`, u.Fingerprint).Scan(&offset)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if u.From != 0 {
			return fmt.Errorf("source %s: %w (new, batch starts at %d)", u.Path, ErrConflict, u.From)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sources
			(fingerprint, service, log, path, offset, lines, malformed, excluded, first_ts, last_ts, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Fingerprint, u.Service, u.Log, u.Path, u.To, u.Lines, u.Malformed, u.Excluded, u.FirstTS, u.LastTS, now)
	case err != nil:
	case offset != u.From:
		return fmt.Errorf("source %s: %w (stored %d, batch starts at %d)", u.Path, ErrConflict, offset, u.From)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE sources SET path = ?, offset = ?, lines = lines + ?,
			malformed = malformed + ?, excluded = excluded + ?,
			first_ts = CASE WHEN first_ts = 0 OR (? != 0 AND ? < first_ts) THEN ? ELSE first_ts END,
			last_ts = MAX(last_ts, ?), updated = ?
			WHERE fingerprint = ?`,
			u.Path, u.To, u.Lines, u.Malformed, u.Excluded, u.FirstTS, u.FirstTS, u.FirstTS, u.LastTS, now, u.Fingerprint)
	}
	if err != nil {
		return fmt.Errorf("source %s: %w", u.Path, err)
	}
	for _, m := range u.Samples {
		if _, err := tx.ExecContext(ctx, `INSERT INTO malformed (fingerprint, path, line, reason, excerpt) VALUES (?, ?, ?, ?, ?)`,
			u.Fingerprint, m.Path, m.Line, m.Reason, m.Excerpt); err != nil {
			return fmt.Errorf("malformed sample: %w", err)
		}
	}
	if len(u.Samples) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM malformed WHERE fingerprint = ? AND id <=
			(SELECT id FROM malformed WHERE fingerprint = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			u.Fingerprint, u.Fingerprint, SamplesKept); err != nil {
			return fmt.Errorf("malformed sample: %w", err)
		}
	}
	return nil
}

func (s *Store) writeService(ctx context.Context, tx *sql.Tx, name string, byMin map[int64]map[DimValue]*Counts, newDims map[int64]map[DimValue]uint32) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO services (name) VALUES (?)`, name); err != nil {
		return fmt.Errorf("service %q: %w", name, err)
	}
	var svc int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM services WHERE name = ?`, name).Scan(&svc); err != nil {
		return fmt.Errorf("service %q: %w", name, err)
	}
	s.mu.Lock()
	known := s.dims[svc]
	if known == nil {
		known = map[DimValue]uint32{}
		s.dims[svc] = known
	}
	s.mu.Unlock()
	pending := newDims[svc]
	dimID := func(d DimValue) (uint32, error) {
		s.mu.Lock()
		id, ok := known[d]
		s.mu.Unlock()
		if ok {
			return id, nil
		}
		if id, ok := pending[d]; ok {
			return id, nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO dims (service_id, host, route, method, status) VALUES (?, ?, ?, ?, ?)`,
			svc, d.Host, d.Route, d.Method, d.Status); err != nil {
			return 0, fmt.Errorf("dimension: %w", err)
		}
		var id64 int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM dims WHERE service_id = ? AND host = ? AND route = ? AND method = ? AND status = ?`,
			svc, d.Host, d.Route, d.Method, d.Status).Scan(&id64); err != nil {
			return 0, fmt.Errorf("dimension: %w", err)
		}
		if pending == nil {
			pending = map[DimValue]uint32{}
			newDims[svc] = pending
		}
		pending[d] = uint32(id64)
		return uint32(id64), nil
	}

	// Build the minute cells, then fold them into hour and day rollups.
	rollups := map[int64]map[int64]*cells.Cell{Minute: {}, Hour: {}, Day: {}}
	minutes := make([]int64, 0, len(byMin))
	for m := range byMin {
		minutes = append(minutes, m)
	}
	sort.Slice(minutes, func(i, j int) bool { return minutes[i] < minutes[j] })
	for _, m := range minutes {
		c := &cells.Cell{Entries: make([]cells.Entry, 0, len(byMin[m]))}
		for d, n := range byMin[m] {
			id, err := dimID(d)
			if err != nil {
				return err
			}
			c.Entries = append(c.Entries, cells.Entry{Dim: id, Count: n.N, Hist: n.Hist})
		}
		c.Sort()
		rollups[Minute][m] = c
		for _, res := range []int64{Hour, Day} {
			start := m - m%res
			if r := rollups[res][start]; r != nil {
				r.Merge(c)
			} else {
				r := &cells.Cell{}
				r.Merge(c)
				rollups[res][start] = r
			}
		}
	}
	var buf []byte
	for _, res := range Resolutions {
		for start, c := range rollups[res] {
			var old []byte
			err := tx.QueryRowContext(ctx, `SELECT data FROM cells WHERE service_id = ? AND res = ? AND start = ?`, svc, res, start).Scan(&old)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("read cell: %w", err)
			default:
				var prev cells.Cell
				if err := prev.Decode(old); err != nil {
					return fmt.Errorf("cell %s/%d@%d: %w", name, res, start, err)
				}
				prev.Merge(c)
				c = &prev
			}
			buf = c.Encode(buf[:0])
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO cells (service_id, res, start, data) VALUES (?, ?, ?, ?)`, svc, res, start, buf); err != nil {
				return fmt.Errorf("write cell: %w", err)
			}
		}
	}
	return nil
}

// SourceState is what the store knows of one log file.
type SourceState struct {
	Fingerprint string `json:"fingerprint"`
	Service     string `json:"service"`
	Log         string `json:"log"`
	Path        string `json:"path"`
	Offset      int64  `json:"offset"`
	Lines       int64  `json:"lines"`
	Malformed   int64  `json:"malformed"`
	Excluded    int64  `json:"excluded"`
	FirstTS     int64  `json:"first_ts"`
	LastTS      int64  `json:"last_ts"`
	Updated     int64  `json:"updated"`
}

// Source returns the state of a file by fingerprint; ok is false when the
// file was never read.
func (s *Store) Source(ctx context.Context, fingerprint string) (st SourceState, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT fingerprint, service, log, path, offset, lines, malformed, excluded, first_ts, last_ts, updated
		FROM sources WHERE fingerprint = ?`, fingerprint).Scan(
		&st.Fingerprint, &st.Service, &st.Log, &st.Path, &st.Offset, &st.Lines, &st.Malformed, &st.Excluded, &st.FirstTS, &st.LastTS, &st.Updated)
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
	rows, err := s.db.QueryContext(ctx, `SELECT fingerprint, service, log, path, offset, lines, malformed, excluded, first_ts, last_ts, updated
		FROM sources ORDER BY service, log, first_ts`)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	var out []SourceState
	for rows.Next() {
		var st SourceState
		if err := rows.Scan(&st.Fingerprint, &st.Service, &st.Log, &st.Path, &st.Offset, &st.Lines, &st.Malformed, &st.Excluded, &st.FirstTS, &st.LastTS, &st.Updated); err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Samples returns the most recent malformed-line samples of a file, oldest first.
func (s *Store) Samples(ctx context.Context, fingerprint string) ([]MalformedLine, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path, line, reason, excerpt FROM malformed WHERE fingerprint = ? ORDER BY id`, fingerprint)
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
