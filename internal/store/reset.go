package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Footprint is what the store holds of what was ingested for one service.
type Footprint struct {
	Cells   int64 // minute, hour and day cells
	Dims    int64 // dimensions (host, route, method, status) in the dictionary
	Files   int64 // files known by fingerprint, with their read positions
	Samples int64 // malformed-line samples of those files
}

// Empty reports whether there is nothing.
func (f Footprint) Empty() bool { return f == Footprint{} }

// Footprint counts what ResetService would forget of a service.
func (s *Store) Footprint(ctx context.Context, service string) (Footprint, error) {
	var f Footprint
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM (SELECT DISTINCT res, start FROM cells WHERE service_id = (SELECT id FROM services WHERE name = ?1))),
		(SELECT COUNT(*) FROM dims WHERE service_id = (SELECT id FROM services WHERE name = ?1)),
		(SELECT COUNT(*) FROM sources WHERE service = ?1),
		(SELECT COUNT(*) FROM malformed WHERE fingerprint IN (SELECT fingerprint FROM sources WHERE service = ?1))`,
		service).Scan(&f.Cells, &f.Dims, &f.Files, &f.Samples)
	if err != nil {
		return f, fmt.Errorf("footprint of %q: %w", service, err)
	}
	return f, nil
}

// ResetService forgets what was ingested for a service, in one transaction:
// its cells at every resolution, its dimension dictionary, and the files it
// read (fingerprints, offsets, counts) with their malformed-line samples, so
// that the next import reads its logs anew. Alert history, deliveries,
// change events and toil are kept. It returns what it deleted.
//
// A process that ingests the service meanwhile (`serve`) keeps its own
// cache of dimension ids: stop it first.
func (s *Store) ResetService(ctx context.Context, service string) (Footprint, error) {
	var f Footprint
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return f, fmt.Errorf("reset %q: %w", service, err)
	}
	defer tx.Rollback()
	var id int64
	switch err := tx.QueryRowContext(ctx, `SELECT id FROM services WHERE name = ?`, service).Scan(&id); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return f, fmt.Errorf("reset %q: %w", service, err)
	}
	// A cell is a row per node (writeService): counted once.
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT res, start FROM cells WHERE service_id = ?)`, id).Scan(&f.Cells); err != nil {
		return f, fmt.Errorf("reset %q: %w", service, err)
	}
	// Samples first: they are found through their files.
	for _, d := range []struct {
		n     *int64
		query string
		arg   any
	}{
		{&f.Samples, `DELETE FROM malformed WHERE fingerprint IN (SELECT fingerprint FROM sources WHERE service = ?)`, service},
		{&f.Files, `DELETE FROM sources WHERE service = ?`, service},
		{new(int64), `DELETE FROM cells WHERE service_id = ?`, id},
		{&f.Dims, `DELETE FROM dims WHERE service_id = ?`, id},
	} {
		res, err := tx.ExecContext(ctx, d.query, d.arg)
		if err != nil {
			return f, fmt.Errorf("reset %q: %w", service, err)
		}
		if *d.n, err = res.RowsAffected(); err != nil {
			return f, fmt.Errorf("reset %q: %w", service, err)
		}
	}
	commits, err := bumpCommits(ctx, tx)
	if err != nil {
		return f, err
	}
	if err := tx.Commit(); err != nil {
		return f, fmt.Errorf("reset %q: %w", service, err)
	}
	s.mu.Lock()
	delete(s.dims, id)
	s.mu.Unlock()
	s.notify([]Change{{Service: service, All: true, Commits: commits}})
	return f, nil
}
