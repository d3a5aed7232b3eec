package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/headroom-slo/headroom/internal/notify"
)

// The notifiers' queue: each state change to deliver to each target, one
// row, in the order of its id (AUTOINCREMENT: never reused, so a row
// queued after a restart comes after every row left from before).

var _ notify.Queue = (*Store)(nil)

// QueueNotes implements notify.Queue: it appends b.Notes, and drops the
// oldest waiting notes of each target beyond b.Max (the head, the target's
// oldest note, which may be in delivery, is never dropped), in one
// transaction. On success it sets the notes' IDs and b.Dropped.
func (s *Store) QueueNotes(ctx context.Context, b *notify.Batch) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("queue notifications: %w", err)
	}
	defer tx.Rollback()
	queued, err := queueNotes(ctx, tx, b)
	if err != nil {
		return fmt.Errorf("queue notifications: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("queue notifications: %w", err)
	}
	queued.set(b)
	return nil
}

// queuedNotes is what queueNotes did, for the batch once committed.
type queuedNotes struct {
	ids     []int64
	dropped []notify.Note
}

func (q queuedNotes) set(b *notify.Batch) {
	if b == nil {
		return
	}
	for i, id := range q.ids {
		b.Notes[i].ID = id
	}
	b.Dropped = append(b.Dropped, q.dropped...)
}

func queueNotes(ctx context.Context, tx *sql.Tx, b *notify.Batch) (queuedNotes, error) {
	var q queuedNotes
	if len(b.Notes) == 0 {
		return q, nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO notify_queue (target, data) VALUES (?, ?) RETURNING id`)
	if err != nil {
		return q, err
	}
	defer ins.Close()
	var targets []string
	for _, n := range b.Notes {
		var id int64
		if err := ins.QueryRowContext(ctx, n.Target, string(n.Data)).Scan(&id); err != nil {
			return q, err
		}
		q.ids = append(q.ids, id)
		if !slices.Contains(targets, n.Target) {
			targets = append(targets, n.Target)
		}
	}
	for _, target := range targets {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_queue WHERE target = ?`, target).Scan(&n); err != nil {
			return q, err
		}
		excess := n - 1 - b.Max
		if excess <= 0 {
			continue
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM notify_queue WHERE id IN (
			SELECT id FROM notify_queue WHERE target = ? ORDER BY id LIMIT ? OFFSET 1) RETURNING id, data`, target, excess)
		if err != nil {
			return q, err
		}
		var dropped []notify.Note
		for rows.Next() {
			d := notify.Note{Target: target}
			var data string
			if err := rows.Scan(&d.ID, &data); err != nil {
				rows.Close()
				return q, err
			}
			d.Data = []byte(data)
			dropped = append(dropped, d)
		}
		if err := rows.Close(); err != nil {
			return q, err
		}
		slices.SortFunc(dropped, func(a, b notify.Note) int { return cmp.Compare(a.ID, b.ID) })
		q.dropped = append(q.dropped, dropped...)
	}
	return q, nil
}

// NextNote implements notify.Queue.
func (s *Store) NextNote(ctx context.Context, target string, after int64) (notify.Note, bool, error) {
	n := notify.Note{Target: target}
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT id, data FROM notify_queue WHERE target = ? AND id > ? ORDER BY id LIMIT 1`,
		target, after).Scan(&n.ID, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return notify.Note{}, false, nil
	}
	if err != nil {
		return notify.Note{}, false, fmt.Errorf("next notification: %w", err)
	}
	n.Data = []byte(data)
	return n, true, nil
}

// RemoveNote implements notify.Queue.
func (s *Store) RemoveNote(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM notify_queue WHERE id = ?`, id); err != nil {
		return fmt.Errorf("remove notification: %w", err)
	}
	return nil
}

// QueuedNotes implements notify.Queue.
func (s *Store) QueuedNotes(ctx context.Context) (map[string]int, int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT target, COUNT(*), MAX(id) FROM notify_queue GROUP BY target`)
	if err != nil {
		return nil, 0, fmt.Errorf("queued notifications: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	var last int64
	for rows.Next() {
		var target string
		var n int
		var id int64
		if err := rows.Scan(&target, &n, &id); err != nil {
			return nil, 0, fmt.Errorf("queued notifications: %w", err)
		}
		counts[target] = n
		last = max(last, id)
	}
	return counts, last, rows.Err()
}
