package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/headroom-slo/headroom/internal/notify"
)

// The store keeps the alert evaluator's state, its history, the
// notifiers' queue and their delivery log as documents it does not
// interpret.

// AlertEvent is one stored alert transition.
type AlertEvent struct {
	ID   int64
	Key  string
	At   time.Time
	Data []byte
}

// SaveAlerts writes alert states (by key), appends events and queues the
// notifications they cause (q may be nil), in one transaction: a restart
// finds the states that go with the events, and the notifications of every
// change still to deliver. On success it sets q's IDs and Dropped (see
// QueueNotes).
func (s *Store) SaveAlerts(ctx context.Context, states map[string][]byte, events []AlertEvent, q *notify.Batch) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save alerts: %w", err)
	}
	defer tx.Rollback()
	for key, data := range states {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO alert_states (key, data) VALUES (?, ?)`, key, string(data)); err != nil {
			return fmt.Errorf("save alert %s: %w", key, err)
		}
	}
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_events (key, at, data) VALUES (?, ?, ?)`, e.Key, e.At.UnixMilli(), string(e.Data)); err != nil {
			return fmt.Errorf("save alert event: %w", err)
		}
	}
	var queued queuedNotes
	if q != nil {
		if queued, err = queueNotes(ctx, tx, q); err != nil {
			return fmt.Errorf("save alerts: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save alerts: %w", err)
	}
	queued.set(q)
	return nil
}

// AlertStates returns every stored alert state by key.
func (s *Store) AlertStates(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, data FROM alert_states`)
	if err != nil {
		return nil, fmt.Errorf("alert states: %w", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var k, d string
		if err := rows.Scan(&k, &d); err != nil {
			return nil, fmt.Errorf("alert states: %w", err)
		}
		out[k] = []byte(d)
	}
	return out, rows.Err()
}

// AlertEvents returns the events in [from, to), newest first, at most limit
// (0: all).
func (s *Store) AlertEvents(ctx context.Context, from, to time.Time, limit int) ([]AlertEvent, error) {
	q := `SELECT id, key, at, data FROM alert_events WHERE at >= ? AND at < ? ORDER BY at DESC, id DESC`
	args := []any{from.UnixMilli(), to.UnixMilli()}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alert events: %w", err)
	}
	defer rows.Close()
	var out []AlertEvent
	for rows.Next() {
		var e AlertEvent
		var at int64
		var d string
		if err := rows.Scan(&e.ID, &e.Key, &at, &d); err != nil {
			return nil, fmt.Errorf("alert events: %w", err)
		}
		e.At, e.Data = time.UnixMilli(at).UTC(), []byte(d)
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeliveriesKept is how many delivery records the store keeps.
const DeliveriesKept = 10000

// RecordDelivery appends one delivery attempt to the log, keeping the last
// DeliveriesKept.
func (s *Store) RecordDelivery(ctx context.Context, at time.Time, data []byte) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO deliveries (at, data) VALUES (?, ?)`, at.UnixMilli(), string(data))
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	if id, err := res.LastInsertId(); err == nil && id%100 == 0 {
		_, err = s.db.ExecContext(ctx, `DELETE FROM deliveries WHERE id <= ?`, id-DeliveriesKept)
		if err != nil {
			return fmt.Errorf("trim deliveries: %w", err)
		}
	}
	return nil
}

// Deliveries returns the last limit delivery records, newest first.
func (s *Store) Deliveries(ctx context.Context, limit int) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM deliveries ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var d sql.RawBytes
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("deliveries: %w", err)
		}
		out = append(out, append([]byte(nil), d...))
	}
	return out, rows.Err()
}
