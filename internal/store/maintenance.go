package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Maintenance windows recorded by `headroom maintenance add` live in their
// own table, created by the first window recorded (CREATE TABLE IF NOT
// EXISTS, not a numbered migration: a store without it simply has none,
// and a read-only store reads it without creating anything).

const createMaintenance = `CREATE TABLE IF NOT EXISTS maintenance (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	service TEXT NOT NULL,
	start INTEGER NOT NULL,
	end INTEGER NOT NULL,
	note TEXT NOT NULL,
	added INTEGER NOT NULL
)`

// MaintenanceWindow is a maintenance window recorded in the store: [Start,
// End) of Service ("" for every service).
type MaintenanceWindow struct {
	ID      int64     `json:"id"`
	Service string    `json:"service,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Note    string    `json:"note,omitempty"`
	Added   time.Time `json:"added"`
}

// AddMaintenance records a window and returns its id.
func (s *Store) AddMaintenance(ctx context.Context, w MaintenanceWindow) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("add maintenance window: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, createMaintenance); err != nil {
		return 0, fmt.Errorf("add maintenance window: %w", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO maintenance (service, start, end, note, added) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		w.Service, w.Start.Unix(), w.End.Unix(), w.Note, w.Added.UnixMilli()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add maintenance window: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("add maintenance window: %w", err)
	}
	return id, nil
}

// RemoveMaintenance deletes the window of id; it reports whether there was
// one.
func (s *Store) RemoveMaintenance(ctx context.Context, id int64) (bool, error) {
	if ok, err := s.hasMaintenance(ctx); err != nil || !ok {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM maintenance WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("remove maintenance window: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// MaintenanceWindows returns every recorded window, by start.
func (s *Store) MaintenanceWindows(ctx context.Context) ([]MaintenanceWindow, error) {
	if ok, err := s.hasMaintenance(ctx); err != nil || !ok {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, service, start, end, note, added FROM maintenance ORDER BY start, id`)
	if err != nil {
		return nil, fmt.Errorf("maintenance windows: %w", err)
	}
	defer rows.Close()
	var out []MaintenanceWindow
	for rows.Next() {
		var w MaintenanceWindow
		var start, end, added int64
		if err := rows.Scan(&w.ID, &w.Service, &start, &end, &w.Note, &added); err != nil {
			return nil, fmt.Errorf("maintenance windows: %w", err)
		}
		w.Start, w.End, w.Added = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC(), time.UnixMilli(added).UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

func (s *Store) hasMaintenance(ctx context.Context) (bool, error) {
	var name string
	err := s.db.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'maintenance'`).Scan(&name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("maintenance windows: %w", err)
	}
	return true, nil
}
