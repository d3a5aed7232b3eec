package store

import (
	"context"
	"fmt"
	"time"
)

// ChangeEvent is a change to a service: a deploy, a config change, a flag.
type ChangeEvent struct {
	ID          int64     `json:"id"`
	Service     string    `json:"service"`
	Kind        string    `json:"kind"`
	Version     string    `json:"version,omitempty"`
	Description string    `json:"description,omitempty"`
	At          time.Time `json:"at"`
}

// AddChanges stores change events in one transaction; an event already
// stored (same service, kind, version and instant) is not added twice, so
// history can be imported again. It returns how many were new.
func (s *Store) AddChanges(ctx context.Context, events []ChangeEvent) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("add changes: %w", err)
	}
	defer tx.Rollback()
	added := 0
	for _, e := range events {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO change_events (service, kind, version, description, at) VALUES (?, ?, ?, ?, ?)`,
			e.Service, e.Kind, e.Version, e.Description, e.At.UnixMilli())
		if err != nil {
			return 0, fmt.Errorf("add change: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("add changes: %w", err)
	}
	return added, nil
}

// Changes returns the change events in [from, to), oldest first, of one
// service ("" for all).
func (s *Store) Changes(ctx context.Context, service string, from, to time.Time) ([]ChangeEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, service, kind, version, description, at FROM change_events
		WHERE at >= ? AND at < ? AND (? = '' OR service = ?) ORDER BY at, id`, from.UnixMilli(), to.UnixMilli(), service, service)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer rows.Close()
	var out []ChangeEvent
	for rows.Next() {
		var e ChangeEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.Service, &e.Kind, &e.Version, &e.Description, &at); err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// ToilEntry is time spent on toil: manual, repetitive, interrupt work.
type ToilEntry struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	Minutes     float64   `json:"minutes"`
	Category    string    `json:"category"`
	Tag         string    `json:"tag,omitempty"`
	Service     string    `json:"service,omitempty"`
	Description string    `json:"description,omitempty"`
}

// AddToil stores a toil entry and returns its id.
func (s *Store) AddToil(ctx context.Context, e ToilEntry) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO toil (at, minutes, category, tag, service, description) VALUES (?, ?, ?, ?, ?, ?)`,
		e.At.UnixMilli(), e.Minutes, e.Category, e.Tag, e.Service, e.Description)
	if err != nil {
		return 0, fmt.Errorf("add toil: %w", err)
	}
	return res.LastInsertId()
}

// Toil returns the toil entries in [from, to), oldest first.
func (s *Store) Toil(ctx context.Context, from, to time.Time) ([]ToilEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, minutes, category, tag, service, description FROM toil
		WHERE at >= ? AND at < ? ORDER BY at, id`, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("toil: %w", err)
	}
	defer rows.Close()
	var out []ToilEntry
	for rows.Next() {
		var e ToilEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Minutes, &e.Category, &e.Tag, &e.Service, &e.Description); err != nil {
			return nil, fmt.Errorf("toil: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
