package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

// Scope is what a reset forgets: the cells and dimensions of Services,
// and the files (read positions and samples) read for them or from Logs.
// A log read for several services is in the scope of a reset of all of
// them: its rows name them all (see ingest.Source.Label), so the caller
// names the log.
type Scope struct {
	Services []string
	Logs     []string
}

// where is the condition on sources rows in the scope, and its arguments.
func (sc Scope) where() (string, []any) {
	in := func(col string, vals []string, args []any) (string, []any) {
		if len(vals) == 0 {
			return "0", args
		}
		for _, v := range vals {
			args = append(args, v)
		}
		return col + " IN (?" + strings.Repeat(", ?", len(vals)-1) + ")", args
	}
	svc, args := in("service", sc.Services, nil)
	log, args := in("log", sc.Logs, args)
	return "(" + svc + " OR " + log + ")", args
}

// services is the condition on service ids in the scope.
func (sc Scope) services() (string, []any) {
	if len(sc.Services) == 0 {
		return "0", nil
	}
	var args []any
	for _, v := range sc.Services {
		args = append(args, v)
	}
	return "service_id IN (SELECT id FROM services WHERE name IN (?" + strings.Repeat(", ?", len(sc.Services)-1) + "))", args
}

// cellKeys is a table of the keys (service_id, res, start) of the cells
// readers see: the rows, and the hours and days not rolled up yet, which
// may have none (see rollup.go).
func (s *Store) cellKeys() string {
	if s.schema < 6 {
		return "cells"
	}
	return "(SELECT service_id, res, start FROM cells UNION ALL SELECT service_id, res, start FROM rollup_pending)"
}

// Footprint counts what Reset would forget.
func (s *Store) Footprint(ctx context.Context, sc Scope) (Footprint, error) {
	var f Footprint
	srcs, srcArgs := sc.where()
	ids, idArgs := sc.services()
	var args []any
	args = append(append(append(append(args, idArgs...), idArgs...), srcArgs...), srcArgs...)
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM (SELECT DISTINCT service_id, res, start FROM `+s.cellKeys()+` WHERE `+ids+`)),
		(SELECT COUNT(*) FROM dims WHERE `+ids+`),
		(SELECT COUNT(*) FROM sources WHERE `+srcs+`),
		(SELECT COUNT(*) FROM malformed WHERE fingerprint IN (SELECT fingerprint FROM sources WHERE `+srcs+`))`,
		args...).Scan(&f.Cells, &f.Dims, &f.Files, &f.Samples)
	if err != nil {
		return f, fmt.Errorf("footprint of %s: %w", strings.Join(sc.Services, ", "), err)
	}
	return f, nil
}

// ResetService is Reset of one service and the files read for it.
func (s *Store) ResetService(ctx context.Context, service string) (Footprint, error) {
	return s.Reset(ctx, Scope{Services: []string{service}})
}

// Reset forgets what was ingested for the services of sc, in one
// transaction: their cells at every resolution, their dimension
// dictionaries, and the files read for them or from sc.Logs (fingerprints,
// offsets, counts) with their samples, so that the next import reads their
// logs anew. Alert history, deliveries, change events and toil are kept.
// It returns what it deleted.
//
// A process that ingests the services meanwhile (`serve`) keeps its own
// cache of dimension ids: stop it first.
func (s *Store) Reset(ctx context.Context, sc Scope) (Footprint, error) {
	var f Footprint
	name := strings.Join(sc.Services, ", ")
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return f, fmt.Errorf("reset %s: %w", name, err)
	}
	defer tx.Rollback()
	var ids []int64
	for _, svc := range sc.Services {
		var id int64
		switch err := tx.QueryRowContext(ctx, `SELECT id FROM services WHERE name = ?`, svc).Scan(&id); {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return f, fmt.Errorf("reset %s: %w", name, err)
		}
		ids = append(ids, id)
	}
	srcs, srcArgs := sc.where()
	svcs, svcArgs := sc.services()
	// A cell is a row per node (writeService): counted once.
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT service_id, res, start FROM `+s.cellKeys()+` WHERE `+svcs+`)`, svcArgs...).Scan(&f.Cells); err != nil {
		return f, fmt.Errorf("reset %s: %w", name, err)
	}
	// Samples first: they are found through their files; cells and
	// dimensions before the services' ids are gone.
	for _, d := range []struct {
		n     *int64
		query string
		args  []any
	}{
		{&f.Samples, `DELETE FROM malformed WHERE fingerprint IN (SELECT fingerprint FROM sources WHERE ` + srcs + `)`, srcArgs},
		{&f.Files, `DELETE FROM sources WHERE ` + srcs, srcArgs},
		{new(int64), `DELETE FROM cells WHERE ` + svcs, svcArgs},
		{new(int64), `DELETE FROM rollup_pending WHERE ` + svcs, svcArgs},
		{&f.Dims, `DELETE FROM dims WHERE ` + svcs, svcArgs},
	} {
		res, err := tx.ExecContext(ctx, d.query, d.args...)
		if err != nil {
			return f, fmt.Errorf("reset %s: %w", name, err)
		}
		if *d.n, err = res.RowsAffected(); err != nil {
			return f, fmt.Errorf("reset %s: %w", name, err)
		}
	}
	commits, err := bumpCommits(ctx, tx)
	if err != nil {
		return f, err
	}
	if err := tx.Commit(); err != nil {
		return f, fmt.Errorf("reset %s: %w", name, err)
	}
	s.mu.Lock()
	for _, id := range ids {
		delete(s.dims, id)
	}
	s.mu.Unlock()
	changes := make([]Change, len(sc.Services))
	for i, svc := range sc.Services {
		changes[i] = Change{Service: svc, All: true, Commits: commits}
	}
	s.notify(changes)
	return f, nil
}
