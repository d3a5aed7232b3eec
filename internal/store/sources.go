package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Prefix is the length and hash of the first bytes of a file's content.
type Prefix struct {
	Len  int64
	Hash string
}

// FileID is the device and inode of a live file; zero when unknown.
type FileID struct {
	Dev, Ino uint64
}

// Known reports whether the identity is known.
func (id FileID) Known() bool { return id != FileID{} }

// SourcesByHead returns the rows of log whose head is one of heads: the
// files of the log that start with the same line (see SourceUpdate.Head).
func (s *Store) SourcesByHead(ctx context.Context, log string, heads ...string) ([]SourceState, error) {
	if len(heads) == 0 {
		return nil, nil
	}
	cols := `head, prefix_len, prefix_hash, dev, ino`
	where := `head IN (?` + strings.Repeat(`, ?`, len(heads)-1) + `)`
	if s.schema < 2 { // an older store opened read-only: its rows are keyed by their head
		cols = `fingerprint, 0, '', 0, 0`
		where = `fingerprint IN (?` + strings.Repeat(`, ?`, len(heads)-1) + `)`
	}
	args := []any{log}
	for _, h := range heads {
		args = append(args, h)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.sourceCols()+`, `+cols+`
		FROM sources WHERE log = ? AND `+where+` ORDER BY fingerprint`, args...)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	var out []SourceState
	for rows.Next() {
		var st SourceState
		var dev, ino int64
		if err := rows.Scan(append(st.scanArgs(), &st.Head, &st.Prefix.Len, &st.Prefix.Hash, &dev, &ino)...); err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		st.File = FileID{uint64(dev), uint64(ino)}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Claim records the file at path, identity id, as the owner of the source
// row key, and its content prefix when longer than the row's, provided the
// row's offset is still offset: otherwise another process moved it, and
// Claim changes nothing (that process's file owns it; a batch read from
// offset will get ErrConflict).
func (s *Store) Claim(ctx context.Context, key string, offset int64, path string, id FileID, p Prefix) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("claim source %s: %w", path, err)
	}
	defer tx.Rollback()
	var stored int64
	switch err := tx.QueryRowContext(ctx, `SELECT offset FROM sources WHERE fingerprint = ?`, key).Scan(&stored); {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("claim source %s: %w", path, err)
	case stored != offset:
		return nil
	}
	if err := record(ctx, tx, key, true, path, id, p); err != nil {
		return fmt.Errorf("claim source %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("claim source %s: %w", path, err)
	}
	return nil
}

// record writes, in tx, what identifies the file of row key: its path and
// identity when owner, and its content prefix when longer than the row's.
func record(ctx context.Context, tx *sql.Tx, key string, owner bool, path string, id FileID, p Prefix) error {
	if owner {
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET path = ?, dev = ?, ino = ? WHERE fingerprint = ?`,
			path, int64(id.Dev), int64(id.Ino), key); err != nil {
			return err
		}
	}
	if p.Len > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET prefix_len = ?, prefix_hash = ? WHERE fingerprint = ? AND prefix_len < ?`,
			p.Len, p.Hash, key, p.Len); err != nil {
			return err
		}
	}
	return nil
}
