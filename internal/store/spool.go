package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
)

// An agent's store keeps no cells: each commit writes its read positions
// and, in the same transaction, the commit's cells encoded for the servers
// as the next row of the spool. Rows leave the spool once every server has
// them (TrimSpool), or when the spool's bound drops the oldest (counted).

// SpoolRow is one spooled commit.
type SpoolRow struct {
	Seq  int64
	At   time.Time // when it was committed
	Data []byte
}

// SpoolState is what the spool holds.
type SpoolState struct {
	Rows, Bytes int64
	// First and Last are the sequence numbers of the oldest and newest
	// rows held (0 when empty); Last is the newest ever written even when
	// the spool is empty. Oldest is when the oldest was committed.
	First, Last int64
	Oldest      time.Time
	// Dropped counts the rows the bound dropped before every server had
	// them, and DroppedThrough the newest of them.
	Dropped, DroppedThrough int64
}

// CommitSpool writes sources' new positions and data as the next spool
// row in one transaction, then drops the oldest rows while the spool holds
// more than maxBytes (never the new row). It returns the row's sequence
// number (0 when data is empty: positions only) and how many rows the
// bound dropped.
func (s *Store) CommitSpool(ctx context.Context, sources []SourceUpdate, data []byte, maxBytes int64) (seq, dropped int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	now := time.Now().Unix()
	for _, u := range sources {
		if err := s.updateSource(ctx, tx, u, now); err != nil {
			return 0, 0, err
		}
	}
	if len(data) > 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO spool (at, bytes, data) VALUES (?, ?, ?)`, time.Now().UnixMilli(), len(data), data)
		if err != nil {
			return 0, 0, fmt.Errorf("spool: %w", err)
		}
		if seq, err = res.LastInsertId(); err != nil {
			return 0, 0, fmt.Errorf("spool: %w", err)
		}
		if dropped, err = dropOldest(ctx, tx, seq, maxBytes); err != nil {
			return 0, 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return seq, dropped, nil
}

// dropOldest drops the oldest rows before keep while the spool holds more
// than maxBytes, counting them.
func dropOldest(ctx context.Context, tx *sql.Tx, keep, maxBytes int64) (int64, error) {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(bytes), 0) FROM spool`).Scan(&total); err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	if total <= maxBytes {
		return 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, bytes FROM spool WHERE seq < ? ORDER BY seq`, keep)
	if err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	var through, n int64
	for total > maxBytes && rows.Next() {
		var seq, b int64
		if err := rows.Scan(&seq, &b); err != nil {
			rows.Close()
			return 0, fmt.Errorf("spool: %w", err)
		}
		total -= b
		through = seq
		n++
	}
	rows.Close()
	if n == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM spool WHERE seq <= ?`, through); err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	for key, v := range map[string]int64{"spool_dropped": n, "spool_dropped_through": through} {
		op := "CAST(value AS INTEGER) + excluded.value"
		if key == "spool_dropped_through" {
			op = "excluded.value"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = `+op, key, v); err != nil {
			return 0, fmt.Errorf("spool: %w", err)
		}
	}
	return n, nil
}

// ReadSpool returns the rows after seq in order, up to about maxBytes (at
// least one row when there is one).
func (s *Store) ReadSpool(ctx context.Context, after int64, maxBytes int) ([]SpoolRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, data FROM spool WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	defer rows.Close()
	var out []SpoolRow
	size := 0
	for rows.Next() {
		var r SpoolRow
		var ms int64
		if err := rows.Scan(&r.Seq, &ms, &r.Data); err != nil {
			return nil, fmt.Errorf("read spool: %w", err)
		}
		r.At = time.UnixMilli(ms)
		if len(out) > 0 && size+len(r.Data) > maxBytes {
			break
		}
		size += len(r.Data)
		out = append(out, r)
	}
	return out, rows.Err()
}

// TrimSpool drops the rows up to seq (every server has them).
func (s *Store) TrimSpool(ctx context.Context, seq int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM spool WHERE seq <= ?`, seq); err != nil {
		return fmt.Errorf("trim spool: %w", err)
	}
	return nil
}

// Spool returns what the spool holds after seq.
func (s *Store) Spool(ctx context.Context, after int64) (SpoolState, error) {
	var st SpoolState
	var oldest int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(bytes), 0), COALESCE(MIN(seq), 0), COALESCE(MIN(at), 0) FROM spool WHERE seq > ?`, after).
		Scan(&st.Rows, &st.Bytes, &st.First, &oldest)
	if err != nil {
		return st, fmt.Errorf("spool: %w", err)
	}
	if oldest > 0 {
		st.Oldest = time.UnixMilli(oldest)
	}
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'spool'), 0)`).Scan(&st.Last)
	if err != nil {
		return st, fmt.Errorf("spool: %w", err)
	}
	for key, v := range map[string]*int64{"spool_dropped": &st.Dropped, "spool_dropped_through": &st.DroppedThrough} {
		s, _, err := s.Meta(ctx, key)
		if err != nil {
			return st, err
		}
		if s != "" {
			*v, _ = strconv.ParseInt(s, 10, 64)
		}
	}
	return st, nil
}

// Meta returns a value kept under key in the store's meta table.
func (s *Store) Meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("meta %s: %w", key, err)
	}
	return v, true, nil
}

// SetMeta keeps value under key.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("meta %s: %w", key, err)
	}
	return nil
}

// AgentState is what a server knows of an agent: the store (instance) it
// pushes from, the last commit it took, when, and the agent's state as of
// that push (JSON, package push's State).
type AgentState struct {
	Name     string
	Instance string
	LastSeq  int64
	LastPush time.Time
	State    string
}

// PushedCommit is a commit pushed by an agent, with its sequence number.
type PushedCommit struct {
	Seq   int64
	Batch *Batch
}

// CommitPush stores the commits an agent pushed that come after the last
// one stored from its instance, and the agent's state, in one transaction:
// a push retried, duplicated or replayed counts once. A new instance (the
// agent's store was made anew) starts its sequence afresh. It returns how
// many commits were new.
func (s *Store) CommitPush(ctx context.Context, agent, instance, state string, commits []PushedCommit, now time.Time) (applied int, err error) {
	for _, c := range commits {
		if err := s.resolveValues(ctx, c.Batch); err != nil {
			return 0, err
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("push: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var known string
	var last int64
	err = tx.QueryRowContext(ctx, `SELECT instance, last_seq FROM agents WHERE name = ?`, agent).Scan(&known, &last)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && known != instance) {
		last, err = 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("push: %w", err)
	}
	merged := map[string]map[int64]*cells.Cell{}
	for _, c := range commits {
		if c.Seq <= last {
			continue
		}
		applied++
		last = c.Seq
		for svc, byMin := range c.Batch.Cells {
			m := merged[svc]
			if m == nil {
				m = map[int64]*cells.Cell{}
				merged[svc] = m
			}
			for start, cell := range byMin {
				if m[start] == nil {
					m[start] = &cells.Cell{}
				}
				m[start].Entries = append(m[start].Entries, cell.Entries...)
			}
		}
	}
	var changes []Change
	for svc, byMin := range merged {
		ch, err := s.writeService(ctx, tx, svc, agent, byMin, true)
		if err != nil {
			return 0, err
		}
		changes = append(changes, ch...)
	}
	if len(changes) > 0 {
		n, err := bumpCommits(ctx, tx)
		if err != nil {
			return 0, err
		}
		for i := range changes {
			changes[i].Commits = n
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO agents (name, instance, last_seq, last_push, stats) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET instance = excluded.instance, last_seq = excluded.last_seq,
		last_push = excluded.last_push, stats = excluded.stats`, agent, instance, last, now.UnixMilli(), state); err != nil {
		return 0, fmt.Errorf("push: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("push: %w", err)
	}
	s.notify(changes)
	return applied, nil
}

// Agents returns the agents that pushed to this store, by name.
func (s *Store) Agents(ctx context.Context) ([]AgentState, error) {
	if s.schema < 3 { // a read-only store not migrated yet: no agents
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, instance, last_seq, last_push, stats FROM agents ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("agents: %w", err)
	}
	defer rows.Close()
	var out []AgentState
	for rows.Next() {
		var a AgentState
		var ms int64
		if err := rows.Scan(&a.Name, &a.Instance, &a.LastSeq, &ms, &a.State); err != nil {
			return nil, fmt.Errorf("agents: %w", err)
		}
		a.LastPush = time.UnixMilli(ms).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
