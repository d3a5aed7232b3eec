package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
)

// Deferred rollups.
//
// A push from an agent writes its minute cells only. The hour and day that
// cover them are marked stale for that agent's node (rollup_pending), in the
// same transaction as the minutes, and rolled up later, once: Roll rebuilds
// a node's hour from its minute cells and its day from its hours (replacing
// the stored rows, not adding to them) and clears the mark in one
// transaction. Before, each push read, merged and rewrote its node's hour
// and day rows too (100 KB each at 300 dimensions): two thirds of the cells
// a push wrote, 360 times an hour per agent, where one roll an hour does.
//
// Readers stay exact at all times because ReadCells answers a stale piece
// (a node's hour or day that is marked) from its finer cells instead of its
// row: every reader of hour and day cells (sli.Query, report's charts,
// export) goes through it, and a read-only process (status, report) sees
// the same as serve without writing anything. Each (node, start) is taken
// from one source only, its row or its finer cells, so a roll committing
// while a read is under way cannot count anything twice.
//
// Retention never deletes the minutes of a stale hour, nor the hours of a
// stale day: Prune rolls them up first, in the transaction that deletes
// (a push between the two could otherwise mark an hour stale again whose
// minutes are then deleted). A minute
// pushed late into an hour whose minutes retention already deleted some of
// (the hour starts before PrunedBefore(Minute)) is merged into the hour's
// row directly, as before, since that hour can no longer be rebuilt; a day
// whose hours are partly gone likewise.
//
// serve's own logs and beacons (node "") and `import` write their hours and
// days directly, as before: a tailer commits every 250 ms for a few
// services, and import writes history in large batches whose hours are
// complete, so rewriting them costs little there.

// RollGrace is how long after its end an hour or a day is rolled up: the
// agents' pushes of its last minute have arrived by then (every 10 s by
// default), so that a late one rarely rolls it up twice. Until then, a
// reader of the hour sums its minutes.
const RollGrace = time.Minute

// pendingKey is a stale piece of one node.
type pendingKey struct {
	svc   int64
	res   int64
	start int64
	node  string
}

// markStatements returns the statements of markPending and floorsIn,
// bound to tx.
func (s *Store) markStatements(ctx context.Context, tx *sql.Tx) (mark, floors *sql.Stmt, err error) {
	ms := &s.markStmts
	ms.once.Do(func() {
		if ms.mark, ms.err = s.db.PrepareContext(ctx, `INSERT OR IGNORE INTO rollup_pending (service_id, res, start, node) VALUES (?, ?, ?, ?)`); ms.err != nil {
			return
		}
		ms.floors, ms.err = s.db.PrepareContext(ctx, `SELECT
			COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), 0),
			COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), 0)`)
	})
	if ms.err != nil {
		return nil, nil, fmt.Errorf("mark rollups: %w", ms.err)
	}
	return tx.StmtContext(ctx, ms.mark), tx.StmtContext(ctx, ms.floors), nil
}

// markPending records with mark (markStatements) that the rollups of node
// covering starts (at res) are stale.
func markPending(ctx context.Context, mark *sql.Stmt, svc int64, node string, res int64, starts []int64) error {
	for _, start := range starts {
		if _, err := mark.ExecContext(ctx, svc, res, start, node); err != nil {
			return fmt.Errorf("mark rollup: %w", err)
		}
	}
	return nil
}

// floorsIn reads where retention deleted minute and hour cells (see
// PrunedBefore) with floors (markStatements).
func floorsIn(ctx context.Context, floors *sql.Stmt) (minute, hour int64, err error) {
	if err := floors.QueryRowContext(ctx, prunedKey(Minute), prunedKey(Hour)).Scan(&minute, &hour); err != nil {
		return 0, 0, fmt.Errorf("pruned before: %w", err)
	}
	return minute, hour, nil
}

// rowQuerier is a *sql.DB or a *sql.Tx.
type rowQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// pendingIn returns the stale pieces of a service at res starting in
// [from, to), by start: the nodes whose row there is stale.
func pendingIn(ctx context.Context, q rowQuerier, svc, res, from, to int64) (map[int64]map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT start, node FROM rollup_pending WHERE service_id = ? AND res = ? AND start >= ? AND start < ?`,
		svc, res, from, to)
	if err != nil {
		return nil, fmt.Errorf("read rollup marks: %w", err)
	}
	defer rows.Close()
	var out map[int64]map[string]bool
	for rows.Next() {
		var start int64
		var node string
		if err := rows.Scan(&start, &node); err != nil {
			return nil, fmt.Errorf("read rollup marks: %w", err)
		}
		if out == nil {
			out = map[int64]map[string]bool{}
		}
		if out[start] == nil {
			out[start] = map[string]bool{}
		}
		out[start][node] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rollup marks: %w", err)
	}
	return out, nil
}

// finer is the resolution an hour (minutes) or a day (hours) is rolled up
// from.
func finer(res int64) int64 {
	if res == Day {
		return Hour
	}
	return Minute
}

// fromFiner sums the cells of nodes at the resolution finer than res over
// [start, start+res): what their rows at res hold once rolled up. Stale
// finer pieces of those nodes are summed from their own finer cells. It
// returns nil when the nodes have no such cells.
//
// Each node is summed on its own, then the nodes' sums are put together as
// ReadCells puts rows together: a node's dimensions are its own (the
// dimension names the node), so a node's minutes fold into a cell of a few
// hundred entries. Folding all nodes' minutes at once merged every cell
// into a growing 60,000-entry one: 18 s for 200 nodes' hour.
func fromFiner(ctx context.Context, q rowQuerier, svc, res, start int64, nodes map[string]bool) (*cells.Cell, error) {
	fres, end := finer(res), start+res
	var stale map[int64]map[string]bool
	if fres != Minute {
		var err error
		if stale, err = pendingIn(ctx, q, svc, fres, start, end); err != nil {
			return nil, err
		}
	}
	// By node, through its index (cells_node): the primary key's order,
	// by start, has every node's rows of the hour between one node's.
	sel, err := q.PrepareContext(ctx, `SELECT start, data FROM cells INDEXED BY cells_node
		WHERE service_id = ? AND res = ? AND node = ? AND start >= ? AND start < ?`)
	if err != nil {
		return nil, fmt.Errorf("roll up: %w", err)
	}
	defer sel.Close()
	out := &cells.Cell{}
	parts := 0
	for _, node := range slices.Sorted(maps.Keys(nodes)) {
		var b cells.Builder
		rows, err := sel.QueryContext(ctx, svc, fres, node, start, end)
		if err != nil {
			return nil, fmt.Errorf("roll up: %w", err)
		}
		for rows.Next() {
			var at int64
			var data sql.RawBytes
			if err := rows.Scan(&at, &data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("roll up: %w", err)
			}
			if stale[at][node] {
				continue // summed from its own finer cells, below
			}
			c := &cells.Cell{}
			if err := c.Decode(data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("roll up cell %d/%d@%d of %q: %w", svc, fres, at, node, err)
			}
			b.Add(c)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("roll up: %w", err)
		}
		for _, at := range sortedStarts(stale) {
			if !stale[at][node] {
				continue
			}
			c, err := fromFiner(ctx, q, svc, fres, at, map[string]bool{node: true})
			if err != nil {
				return nil, err
			}
			if c != nil {
				b.Add(c)
			}
		}
		if c := b.Cell(); len(c.Entries) > 0 {
			out.Entries = append(out.Entries, c.Entries...)
			parts++
		}
	}
	if parts == 0 {
		return nil, nil
	}
	if parts > 1 {
		out.Sort() // the nodes' entries, each sorted, in one sorted cell
	}
	return out, nil
}

// stalePieces sums, for ReadCells, the stale pieces of a service at res
// (Hour or Day) starting in [from, to) from their finer cells: by start,
// the nodes whose rows there are stale and their sum. It returns nil when
// nothing there is stale, or the store's schema knows no marks.
func (s *Store) stalePieces(ctx context.Context, svc, res, from, to int64) (map[int64]stalePiece, error) {
	if res == Minute || s.schema < 6 {
		return nil, nil
	}
	marks, err := pendingIn(ctx, s.db, svc, res, from, to)
	if err != nil || len(marks) == 0 {
		return nil, err
	}
	out := make(map[int64]stalePiece, len(marks))
	for start, nodes := range marks {
		c, err := fromFiner(ctx, s.db, svc, res, start, nodes)
		if err != nil {
			return nil, err
		}
		out[start] = stalePiece{nodes: nodes, cell: c}
	}
	return out, nil
}

// stalePiece is the stale part of a cell: its nodes, summed from finer
// cells (nil when they have none).
type stalePiece struct {
	nodes map[string]bool
	cell  *cells.Cell
}

// Rolled is what one Roll did.
type Rolled struct {
	Pieces int // node rows rolled up (hours and days)
}

// Roll rolls up the stale hours and days that ended at least RollGrace
// before now: each node's row rebuilt from its finer cells, its mark
// cleared, one piece a transaction (a push waits for one piece at most,
// a few milliseconds). Hours go first, so a day sums rolled hours. Each
// piece rolled is reported to OnChange like a write, though what a
// reader of the store sees does not change.
func (s *Store) Roll(ctx context.Context, now time.Time) (Rolled, error) {
	var r Rolled
	if s.schema < 6 {
		return r, nil
	}
	before := now.Add(-RollGrace).Unix()
	rows, err := s.db.QueryContext(ctx, `SELECT service_id, res, start, node FROM rollup_pending WHERE start + res <= ? ORDER BY res, start, service_id, node`, before)
	if err != nil {
		return r, fmt.Errorf("roll up: %w", err)
	}
	var todo []pendingKey
	for rows.Next() {
		var k pendingKey
		if err := rows.Scan(&k.svc, &k.res, &k.start, &k.node); err != nil {
			rows.Close()
			return r, fmt.Errorf("roll up: %w", err)
		}
		todo = append(todo, k)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return r, fmt.Errorf("roll up: %w", err)
	}
	names := map[int64]string{}
	for _, k := range todo {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		name, ok := names[k.svc]
		if !ok {
			if err := s.db.QueryRowContext(ctx, `SELECT name FROM services WHERE id = ?`, k.svc).Scan(&name); err != nil {
				return r, fmt.Errorf("roll up: service %d: %w", k.svc, err)
			}
			names[k.svc] = name
		}
		done, commits, err := s.rollOne(ctx, k)
		if err != nil {
			return r, err
		}
		if done {
			r.Pieces++
			s.notify([]Change{{Service: name, Res: k.res, Starts: []int64{k.start}, Commits: commits}})
		}
	}
	return r, nil
}

// rollOne rolls up one stale piece in a transaction of its own; done is
// false when it was rolled up meanwhile (by another process).
func (s *Store) rollOne(ctx context.Context, k pendingKey) (done bool, commits int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, 0, fmt.Errorf("roll up: %w", err)
	}
	defer tx.Rollback()
	if done, err = rollIn(ctx, tx, s, k); err != nil || !done {
		return false, 0, err
	}
	if commits, err = bumpCommits(ctx, tx); err != nil {
		return false, 0, err
	}
	if err := tx.Commit(); err != nil {
		return false, 0, fmt.Errorf("roll up: %w", err)
	}
	return true, commits, nil
}

// rollIn rolls up a stale piece in tx: the node's row replaced by the sum of
// its finer cells (deleted when there are none), the mark cleared. done is
// false when the piece is not marked (any more).
func rollIn(ctx context.Context, tx *sql.Tx, s *Store, k pendingKey) (done bool, err error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM rollup_pending WHERE service_id = ? AND res = ? AND start = ? AND node = ?`,
		k.svc, k.res, k.start, k.node)
	if err != nil {
		return false, fmt.Errorf("roll up: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	c, err := fromFiner(ctx, tx, k.svc, k.res, k.start, map[string]bool{k.node: true})
	if err != nil {
		return false, err
	}
	if c == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM cells WHERE service_id = ? AND res = ? AND start = ? AND node = ?`, k.svc, k.res, k.start, k.node)
	} else {
		var buf []byte
		if b, ok := s.cellBufs.Get().(*[]byte); ok {
			buf = *b
		}
		buf = c.Encode(buf[:0])
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO cells (service_id, res, start, node, data) VALUES (?, ?, ?, ?, ?)`,
			k.svc, k.res, k.start, k.node, buf)
		s.cellBufs.Put(&buf)
	}
	if err != nil {
		return false, fmt.Errorf("roll up: %w", err)
	}
	return true, nil
}

// rollBefore rolls up, in tx, every stale piece at res starting before
// cutoff: Prune calls it before deleting the finer cells they are rolled
// up from.
func (s *Store) rollBefore(ctx context.Context, tx *sql.Tx, res, cutoff int64) error {
	if s.schema < 6 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT service_id, res, start, node FROM rollup_pending WHERE res = ? AND start < ? ORDER BY start`, res, cutoff)
	if err != nil {
		return fmt.Errorf("roll up: %w", err)
	}
	var todo []pendingKey
	for rows.Next() {
		var k pendingKey
		if err := rows.Scan(&k.svc, &k.res, &k.start, &k.node); err != nil {
			rows.Close()
			return fmt.Errorf("roll up: %w", err)
		}
		todo = append(todo, k)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("roll up: %w", err)
	}
	for _, k := range todo {
		if _, err := rollIn(ctx, tx, s, k); err != nil {
			return err
		}
	}
	return nil
}

// Pending returns how many node rows of hours and days are stale (waiting
// for Roll).
func (s *Store) Pending(ctx context.Context) (int64, error) {
	if s.schema < 6 {
		return 0, nil
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM rollup_pending`).Scan(&n); err != nil {
		return 0, fmt.Errorf("rollup marks: %w", err)
	}
	return n, nil
}
