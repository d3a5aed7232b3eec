// Package store is headroom's embedded store: minute cells with hour and day
// rollups, the dimension dictionary, and the read position of every log file,
// in one SQLite database (pure Go, no cgo) under the data directory.
//
// Exactly-once ingestion rests on one rule: the cells a batch of log lines
// produced and the new read offset of their file are committed in the same
// transaction, after checking the offset the batch started from is still the
// stored one. A crash loses the uncommitted batch and its offset together;
// a second process reading the same file cannot count it twice.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/headroom-slo/headroom/internal/cells"
)

// Resolutions of stored cells, in seconds.
const (
	Minute = 60
	Hour   = 3600
	Day    = 86400
)

// Resolutions lists the stored resolutions, finest first.
var Resolutions = []int64{Minute, Hour, Day}

// ErrConflict reports that a source's stored offset moved since the batch
// started: another process ingested the same file. Re-read from the new offset.
var ErrConflict = errors.New("source offset changed concurrently")

// Store is an open data directory.
type Store struct {
	db  *sql.DB
	dir string
	// schema is the version of the database's schema: schemaVersion, or
	// less for an older store opened read-only (not migrated).
	schema int

	mu   sync.Mutex
	dims map[int64]map[DimValue]uint32 // service id → dimension → id
	svcs map[string]int64

	hookMu sync.Mutex
	hooks  []func(Change)

	cellBufs sync.Pool // *[]byte: writeService's encoding buffers

	// cellStmts are writeService's statements, prepared once: preparing
	// them in every transaction cost a server taking a fleet's pushes
	// (20 a second) as much as its service lookups.
	cellStmts struct {
		once     sync.Once
		sel, ins *sql.Stmt
		err      error
	}
	// markStmts are an agent's push's statements for its stale rollups
	// (rollup.go), prepared once likewise.
	markStmts struct {
		once         sync.Once
		mark, floors *sql.Stmt
		err          error
	}
}

// cellStatements returns writeService's statements, bound to tx.
func (s *Store) cellStatements(ctx context.Context, tx *sql.Tx) (sel, ins *sql.Stmt, err error) {
	cs := &s.cellStmts
	cs.once.Do(func() {
		if cs.sel, cs.err = s.db.PrepareContext(ctx, `SELECT data FROM cells WHERE service_id = ? AND res = ? AND start = ? AND node = ?`); cs.err != nil {
			return
		}
		cs.ins, cs.err = s.db.PrepareContext(ctx, `INSERT OR REPLACE INTO cells (service_id, res, start, node, data) VALUES (?, ?, ?, ?, ?)`)
	})
	if cs.err != nil {
		return nil, nil, fmt.Errorf("write cells: %w", cs.err)
	}
	return tx.StmtContext(ctx, cs.sel), tx.StmtContext(ctx, cs.ins), nil
}

// Change tells what a write changed: the cells of Service at resolution
// Res starting at Starts, or everything (All: cells were pruned). Commits is
// the store's commit count after the write (see Commits).
type Change struct {
	Service string
	Res     int64
	Starts  []int64
	All     bool
	Commits int64
}

// OnChange registers fn to be called after each write of this Store that
// changed cells, once per service and resolution, after the transaction
// committed. Writes by other processes are not reported; Commits tells them.
func (s *Store) OnChange(fn func(Change)) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hooks = append(s.hooks, fn)
}

func (s *Store) notify(changes []Change) {
	s.hookMu.Lock()
	hooks := slices.Clone(s.hooks)
	s.hookMu.Unlock()
	for _, c := range changes {
		for _, fn := range hooks {
			fn(c)
		}
	}
}

// Commits returns how many writes changing cells the store has seen, from
// any process: a reader caching cells compares it with the count it saw.
func (s *Store) Commits(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'commits'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("commits: %w", err)
	}
	return v.Int64, nil
}

// bumpCommits counts a write in tx and returns the new count.
func bumpCommits(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO meta (key, value) VALUES ('commits', '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING CAST(value AS INTEGER)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count commit: %w", err)
	}
	return n, nil
}

// Options tune Open.
type Options struct {
	// ReadOnly opens without creating or migrating anything.
	ReadOnly bool
	// MaxPages, when not 0, caps the database at that many pages, as a
	// full disk would: tests use it to see SQLite's own "disk is full".
	MaxPages int64
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS services (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS dims (
	id INTEGER PRIMARY KEY,
	service_id INTEGER NOT NULL,
	host TEXT NOT NULL, route TEXT NOT NULL, method TEXT NOT NULL, status INTEGER NOT NULL,
	UNIQUE (service_id, host, route, method, status)
);
CREATE TABLE IF NOT EXISTS cells (
	service_id INTEGER NOT NULL,
	res INTEGER NOT NULL,
	start INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (service_id, res, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (
	fingerprint TEXT PRIMARY KEY,
	service TEXT NOT NULL,
	log TEXT NOT NULL,
	path TEXT NOT NULL,
	offset INTEGER NOT NULL,
	lines INTEGER NOT NULL,
	malformed INTEGER NOT NULL,
	excluded INTEGER NOT NULL,
	first_ts INTEGER NOT NULL,
	last_ts INTEGER NOT NULL,
	updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS malformed (
	id INTEGER PRIMARY KEY,
	fingerprint TEXT NOT NULL,
	path TEXT NOT NULL,
	line INTEGER NOT NULL,
	reason TEXT NOT NULL,
	excerpt TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS malformed_fp ON malformed (fingerprint, id);
CREATE TABLE IF NOT EXISTS alert_states (
	key TEXT PRIMARY KEY,
	data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_events (
	id INTEGER PRIMARY KEY,
	key TEXT NOT NULL,
	at INTEGER NOT NULL,
	data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_at ON alert_events (at);
CREATE TABLE IF NOT EXISTS deliveries (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notify_queue (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	target TEXT NOT NULL,
	data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notify_queue_target ON notify_queue (target, id);
CREATE TABLE IF NOT EXISTS change_events (
	id INTEGER PRIMARY KEY,
	service TEXT NOT NULL,
	kind TEXT NOT NULL,
	version TEXT NOT NULL,
	description TEXT NOT NULL,
	at INTEGER NOT NULL,
	UNIQUE (service, kind, version, at)
);
CREATE INDEX IF NOT EXISTS change_events_at ON change_events (at);
CREATE TABLE IF NOT EXISTS toil (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	minutes REAL NOT NULL,
	category TEXT NOT NULL,
	tag TEXT NOT NULL,
	service TEXT NOT NULL,
	description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS toil_at ON toil (at);
CREATE TABLE IF NOT EXISTS spool (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	at INTEGER NOT NULL,
	bytes INTEGER NOT NULL,
	data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
	name TEXT PRIMARY KEY,
	instance TEXT NOT NULL,
	last_seq INTEGER NOT NULL,
	last_push INTEGER NOT NULL,
	stats TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1');
`

// migrations bring a store's schema up to date, in order: migrations[i]
// takes version i+1 to i+2. Each runs once, in the transaction that records
// the new version in meta, so a store opened by two processes at once is
// migrated once. An older headroom that opens a migrated store ignores the
// columns it does not know.
var migrations = []string{
	// 2: a file's row remembers what tells it apart from other files of its
	// log that start with the same line (twin vhost logs whose first request
	// is the same health check): head, the key of its first line (rows
	// keyed by it before, hence head = fingerprint); prefix_len and
	// prefix_hash, a hash of the first prefix_len bytes read (at most 64 KiB);
	// dev and ino, the device and inode of the file that owns the row. Rows of
	// older stores know no prefix and no inode: they belong to the file at
	// their path (see ingest.identify).
	`ALTER TABLE sources ADD COLUMN head TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN prefix_len INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN prefix_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN dev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN ino INTEGER NOT NULL DEFAULT 0;
UPDATE sources SET head = fingerprint;
CREATE INDEX sources_head ON sources (head, log);`,
	// 3: a dimension records the node (agent) its cells came from, '' for
	// logs read here; the table is rebuilt (SQLite cannot change a UNIQUE
	// constraint), every id kept. The spool and agents tables are new
	// tables of the schema itself.
	`CREATE TABLE dims_v3 (
	id INTEGER PRIMARY KEY,
	service_id INTEGER NOT NULL,
	host TEXT NOT NULL, route TEXT NOT NULL, method TEXT NOT NULL, status INTEGER NOT NULL,
	node TEXT NOT NULL DEFAULT '',
	UNIQUE (service_id, host, route, method, status, node)
);
INSERT INTO dims_v3 (id, service_id, host, route, method, status) SELECT id, service_id, host, route, method, status FROM dims;
DROP TABLE dims;
ALTER TABLE dims_v3 RENAME TO dims;`,
	// 4: a log read for several services (services[].match) counts the
	// lines no service took: unmatched, beside lines, malformed and
	// excluded; samples of such lines are kept apart from the malformed
	// ones (unmatched = 1), so that neither pushes the other out.
	`ALTER TABLE sources ADD COLUMN unmatched INTEGER NOT NULL DEFAULT 0;
ALTER TABLE malformed ADD COLUMN unmatched INTEGER NOT NULL DEFAULT 0;`,
	// 5: cells are kept per node (see writeService), so that a push
	// rewrites its agent's cells only; the cells so far are serve's own,
	// node ''.
	`CREATE TABLE cells_v5 (
	service_id INTEGER NOT NULL,
	res INTEGER NOT NULL,
	start INTEGER NOT NULL,
	node TEXT NOT NULL DEFAULT '',
	data BLOB NOT NULL,
	PRIMARY KEY (service_id, res, start, node)
) WITHOUT ROWID;
INSERT INTO cells_v5 (service_id, res, start, data) SELECT service_id, res, start, data FROM cells;
DROP TABLE cells;
ALTER TABLE cells_v5 RENAME TO cells;`,
	// 6: the hours and days of an agent's cells are rolled up later, not
	// at each push (see rollup.go): a mark says a node's row of an hour
	// or a day is stale until then. Rolling up reads one node's cells: the
	// index finds them without scanning every node's rows of the hour (a
	// leaf page holds four of them, with the start of their data).
	`CREATE TABLE IF NOT EXISTS rollup_pending (
	service_id INTEGER NOT NULL,
	res INTEGER NOT NULL,
	start INTEGER NOT NULL,
	node TEXT NOT NULL,
	PRIMARY KEY (service_id, res, start, node)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cells_node ON cells (service_id, res, node, start);`,
}

// schemaVersion is the version of the schema Open migrates a store to.
var schemaVersion = len(migrations) + 1

// migrate applies the migrations a store has not had yet, and returns its
// schema version.
func migrate(ctx context.Context, db *sql.DB) (int, error) {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see Open): one migrating process at a time
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	v, err := schemaOf(ctx, tx)
	if err != nil {
		return 0, err
	}
	if v >= schemaVersion {
		return v, nil
	}
	for ; v < schemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return 0, fmt.Errorf("migrate to schema %d: %w", v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'schema'`, strconv.Itoa(v)); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return v, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaOf reads the schema version recorded in meta.
func schemaOf(ctx context.Context, q queryer) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return max(v, 1), nil
}

// DBFile is the database's file name inside the data directory.
const DBFile = "headroom.db"

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	path := filepath.Join(dir, DBFile)
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store: %w (run `headroom import` or `headroom serve` first)", err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// WAL lets `status` read while `serve` writes; synchronous=FULL makes a
	// committed batch survive power loss, not only a killed process.
	dsn := "file:" + path + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	if opts.MaxPages > 0 {
		dsn += fmt.Sprintf("&_pragma=max_page_count(%d)", opts.MaxPages)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, dir: dir, dims: map[int64]map[DimValue]uint32{}, svcs: map[string]int64{}}
	ctx := context.Background()
	if opts.ReadOnly {
		s.schema, err = schemaOf(ctx, db)
	} else if _, err = db.Exec(schema); err == nil {
		s.schema, err = migrate(ctx, db)
	}
	if err == nil && !opts.ReadOnly {
		// Rows an older headroom added after the migration: their key is
		// the key of their first line (see migrations).
		_, err = db.Exec(`UPDATE sources SET head = fingerprint WHERE head = ''`)
	}
	if err == nil && s.schema > schemaVersion {
		err = fmt.Errorf("it was written by a newer headroom (schema %d; this one knows %d)", s.schema, schemaVersion)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// IsFull reports whether err is SQLite saying the database or its disk is
// full (SQLITE_FULL): nothing of the failed transaction was written, and
// the same write passes once there is room.
func IsFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.cellStmts.sel, s.cellStmts.ins, s.markStmts.mark, s.markStmts.floors} {
		if st != nil {
			st.Close()
		}
	}
	return s.db.Close()
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// Size returns the bytes the database files take on disk.
func (s *Store) Size() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(filepath.Join(s.dir, DBFile+suffix)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// ServiceID returns the id of a service, creating it when create is true.
// It returns 0 and no error for an unknown service when create is false.
func (s *Store) ServiceID(ctx context.Context, name string, create bool) (int64, error) {
	s.mu.Lock()
	id, ok := s.svcs[name]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	if create {
		if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO services (name) VALUES (?)`, name); err != nil {
			return 0, fmt.Errorf("service %q: %w", name, err)
		}
	}
	err := s.db.QueryRowContext(ctx, `SELECT id FROM services WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("service %q: %w", name, err)
	}
	s.mu.Lock()
	s.svcs[name] = id
	s.mu.Unlock()
	return id, nil
}

// DimValue is one combination of dimensions.
type DimValue struct {
	Host, Route, Method string
	Status              int
	// Node is the agent the cells came from ("" for logs read here).
	Node string
}

// Dims returns the dimension dictionary of a service, indexed by id (ids are
// small and dense; unused slots are zero).
func (s *Store) Dims(ctx context.Context, serviceID int64) ([]DimValue, error) {
	q := `SELECT id, host, route, method, status, node FROM dims WHERE service_id = ? ORDER BY id`
	if s.schema < 3 { // a read-only store not migrated yet
		q = `SELECT id, host, route, method, status, '' FROM dims WHERE service_id = ? ORDER BY id`
	}
	rows, err := s.db.QueryContext(ctx, q, serviceID)
	if err != nil {
		return nil, fmt.Errorf("read dims: %w", err)
	}
	defer rows.Close()
	var out []DimValue
	for rows.Next() {
		var id int64
		var d DimValue
		if err := rows.Scan(&id, &d.Host, &d.Route, &d.Method, &d.Status, &d.Node); err != nil {
			return nil, fmt.Errorf("read dims: %w", err)
		}
		for int64(len(out)) <= id {
			out = append(out, DimValue{})
		}
		out[id] = d
	}
	return out, rows.Err()
}

// DimsSince returns known (a dictionary Dims or DimsSince returned for the
// service) with the dimensions numbered since it was read: known itself
// when there are none, which is the usual case and costs one indexed
// lookup, where Dims reads the whole dictionary (60,000 dimensions for a
// fleet of 200 agents; report's cache read it at every commit). known is
// not changed.
//
// New dimensions are numbered after every stored one, so past known's end;
// only ResetService takes numbers back, and serve must be stopped for it.
func (s *Store) DimsSince(ctx context.Context, serviceID int64, known []DimValue) ([]DimValue, error) {
	q := `SELECT id, host, route, method, status, node FROM dims WHERE service_id = ? AND id >= ? ORDER BY id`
	if s.schema < 3 { // a read-only store not migrated yet
		q = `SELECT id, host, route, method, status, '' FROM dims WHERE service_id = ? AND id >= ? ORDER BY id`
	}
	rows, err := s.db.QueryContext(ctx, q, serviceID, len(known))
	if err != nil {
		return nil, fmt.Errorf("read dims: %w", err)
	}
	defer rows.Close()
	out := known
	for rows.Next() {
		var id int64
		var d DimValue
		if err := rows.Scan(&id, &d.Host, &d.Route, &d.Method, &d.Status, &d.Node); err != nil {
			return nil, fmt.Errorf("read dims: %w", err)
		}
		if len(out) == len(known) {
			out = slices.Clip(out) // a new array, not known's
		}
		for int64(len(out)) <= id {
			out = append(out, DimValue{})
		}
		out[id] = d
	}
	return out, rows.Err()
}

// FirstStart returns the start of a service's oldest stored cell (Unix
// seconds); ok is false when it has none.
func (s *Store) FirstStart(ctx context.Context, serviceID int64) (start int64, ok bool, err error) {
	var v sql.NullInt64
	q := `SELECT MIN(start) FROM cells WHERE service_id = ?1`
	if s.schema >= 6 { // a day not rolled up yet starts before its cells
		q = `SELECT MIN(m) FROM (SELECT MIN(start) AS m FROM cells WHERE service_id = ?1
			UNION ALL SELECT MIN(start) FROM rollup_pending WHERE service_id = ?1)`
	}
	if err := s.db.QueryRowContext(ctx, q, serviceID).Scan(&v); err != nil {
		return 0, false, fmt.Errorf("first cell: %w", err)
	}
	return v.Int64, v.Valid, nil
}

// LastMinute returns the start of a service's newest stored minute cell
// (Unix seconds); ok is false when it has none.
func (s *Store) LastMinute(ctx context.Context, serviceID int64) (start int64, ok bool, err error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(start) FROM cells WHERE service_id = ? AND res = ?`, serviceID, Minute).Scan(&v); err != nil {
		return 0, false, fmt.Errorf("last cell: %w", err)
	}
	return v.Int64, v.Valid, nil
}

// Routes returns the distinct route templates stored for a service, in the
// order they were first seen.
func (s *Store) Routes(ctx context.Context, serviceID int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT route FROM dims WHERE service_id = ? GROUP BY route ORDER BY MIN(id)`, serviceID)
	if err != nil {
		return nil, fmt.Errorf("read routes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("read routes: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Span is a stored cell: its start (Unix seconds) and resolution.
type Span struct {
	Start int64
	Res   int64
	Cell  cells.Cell
}

// ReadCells calls fn for every stored cell of a service at resolution res
// whose start lies in [from, to) (Unix seconds), in time order. A cell
// stored per node (see writeService) is read whole: its nodes' entries
// together. A node's hour or day not rolled up yet (see rollup.go) is
// summed from its finer cells: what fn gets is exact whether or not Roll
// ran. The Span is reused between calls.
func (s *Store) ReadCells(ctx context.Context, serviceID, res, from, to int64, fn func(*Span) error) error {
	stale, err := s.stalePieces(ctx, serviceID, res, from, to)
	if err != nil {
		return err
	}
	// The rows of one start (one per node) come together; a store of an
	// older schema has one a start.
	q := `SELECT start, data, '' FROM cells WHERE service_id = ? AND res = ? AND start >= ? AND start < ? ORDER BY start`
	if stale != nil {
		q = `SELECT start, data, node FROM cells WHERE service_id = ? AND res = ? AND start >= ? AND start < ? ORDER BY start`
	}
	rows, err := s.db.QueryContext(ctx, q, serviceID, res, from, to)
	if err != nil {
		return fmt.Errorf("read cells: %w", err)
	}
	defer rows.Close()
	var sp Span
	sp.Res = res
	var data []byte
	var node string
	var part cells.Cell
	have, parts := false, 0
	// add adds c's entries to the cell of start being read.
	add := func(start int64, c *cells.Cell) {
		if !have {
			sp.Cell.Entries = append(sp.Cell.Entries[:0], c.Entries...)
		} else {
			sp.Cell.Entries = append(sp.Cell.Entries, c.Entries...)
		}
		sp.Start, have = start, true
		parts++
	}
	// Stale pieces are added to the rows of their start, or read alone
	// where they are all there is.
	staleStarts := sortedStarts(stale)
	flush := func() error {
		if len(staleStarts) > 0 && staleStarts[0] == sp.Start {
			if c := stale[sp.Start].cell; c != nil {
				add(sp.Start, c)
			}
			staleStarts = staleStarts[1:]
		}
		if parts > 1 {
			// The nodes' entries, each part sorted, in one sorted cell
			// (a dimension in two parts, written before cells were kept
			// per node, is merged).
			sp.Cell.Sort()
		}
		n := parts
		have, parts = false, 0
		if n == 0 {
			return nil
		}
		return fn(&sp)
	}
	// staleBefore reads the stale pieces before start without rows.
	staleBefore := func(start int64) error {
		for len(staleStarts) > 0 && staleStarts[0] < start {
			sp.Start = staleStarts[0]
			if err := flush(); err != nil {
				return err
			}
		}
		return nil
	}
	cur, inStart := int64(0), false // the start whose rows are being read
	for rows.Next() {
		var start int64
		if err := rows.Scan(&start, &data, &node); err != nil {
			return fmt.Errorf("read cells: %w", err)
		}
		if inStart && start != cur {
			sp.Start = cur
			if err := flush(); err != nil {
				return err
			}
			inStart = false
		}
		if !inStart {
			if err := staleBefore(start); err != nil {
				return err
			}
			cur, inStart = start, true
		}
		if stale[start].nodes[node] {
			continue // summed from its finer cells
		}
		dst := &sp.Cell
		if have {
			dst = &part
		}
		if err := dst.Decode(data); err != nil {
			return fmt.Errorf("read cell %d/%d@%d: %w", serviceID, res, start, err)
		}
		if have {
			sp.Cell.Entries = append(sp.Cell.Entries, part.Entries...)
		}
		sp.Start, have = start, true
		parts++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read cells: %w", err)
	}
	if inStart {
		sp.Start = cur
		if err := flush(); err != nil {
			return err
		}
	}
	return staleBefore(to)
}

// Pruned is what one Prune deleted, by resolution.
type Pruned struct {
	Res     int64     // Minute, Hour or Day
	Cells   int64     // cells deleted
	Cutoff  time.Time // cells starting before it were deleted
	Through time.Time // the end of the newest cell deleted
}

// Prune deletes cells older than their resolution's retention as of now; a
// zero retention keeps that resolution forever. It records, with the
// deletion, the instant before which each resolution may now miss cells
// (PrunedBefore), so that queries use coarser cells exactly where finer ones
// are gone, and nowhere else.
func (s *Store) Prune(ctx context.Context, now time.Time, minutes, hours, days time.Duration) ([]Pruned, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	defer tx.Rollback()
	var out []Pruned
	for _, r := range []struct {
		res  int64
		keep time.Duration
	}{{Minute, minutes}, {Hour, hours}, {Day, days}} {
		if r.keep <= 0 {
			continue
		}
		cutoff := now.Add(-r.keep).Unix()
		var newest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(start) FROM cells WHERE res = ? AND start < ?`, r.res, cutoff).Scan(&newest); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
		if !newest.Valid {
			continue
		}
		// The stale hours (days) the cells deleted are rolled up from,
		// rolled up first (see rollup.go).
		if coarser := map[int64]int64{Minute: Hour, Hour: Day}[r.res]; coarser != 0 {
			if err := s.rollBefore(ctx, tx, coarser, cutoff); err != nil {
				return nil, err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM cells WHERE res = ? AND start < ?`, r.res, cutoff)
		if err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
		n, _ := res.RowsAffected()
		through := newest.Int64 + r.res
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`,
			prunedKey(r.res), through); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
		out = append(out, Pruned{Res: r.res, Cells: n, Cutoff: time.Unix(cutoff, 0).UTC(), Through: time.Unix(through, 0).UTC()})
	}
	if len(out) == 0 {
		return nil, nil
	}
	commits, err := bumpCommits(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	s.notify([]Change{{All: true, Commits: commits}})
	return out, nil
}

// ResolutionName names a resolution: "minute", "hour" or "day".
func ResolutionName(res int64) string {
	switch res {
	case Minute:
		return "minute"
	case Hour:
		return "hour"
	case Day:
		return "day"
	}
	return fmt.Sprintf("%ds", res)
}

func prunedKey(res int64) string { return fmt.Sprintf("pruned_before_%d", res) }

// PrunedBefore returns the instant (Unix seconds) before which cells of
// resolution res may have been deleted by Prune; 0 when none ever were.
// Cells at or after it are all there.
func (s *Store) PrunedBefore(ctx context.Context, res int64) (int64, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?`, prunedKey(res)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pruned before: %w", err)
	}
	return v.Int64, nil
}
