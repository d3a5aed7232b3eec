package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/headroom-slo/headroom/internal/store"
)

// StateStore is what reading files needs from the store.
type StateStore interface {
	Committer
	SourceReader
	// Claim records the file at path as the owner of row key (see
	// identify), if the row's offset is still offset.
	Claim(ctx context.Context, key string, offset int64, path string, id store.FileID, p store.Prefix) error
}

// FileResult is what reading one file did.
type FileResult struct {
	Result
	Path        string
	Fingerprint string // the key of the file's row
	From        int64  // where reading started (the stored offset)
	Known       bool   // the file had been read before (under any name)
	Gzip        bool   // the file is compressed, hence complete
	Partial     int64  // bytes of an incomplete last line left for later
	// CopyOf is the live file whose content this growing file repeats (a
	// copy whose original is still there, or a twin log still holding only
	// the same lines): it is read there, and nothing was read here.
	CopyOf string
}

// IngestFile reads path from its stored offset to its end. A file whose
// first line is incomplete returns ErrNotReady. A plain file's incomplete
// last line is left for the next read; a gzip file is complete.
func IngestFile(ctx context.Context, st StateStore, src *Source, path string, opts Options) (FileResult, error) {
	f, err := OpenFile(path)
	if err != nil {
		return FileResult{Path: path}, err
	}
	defer f.Close()
	fr := FileResult{Path: path, Gzip: f.Gzip}
	m, err := identify(ctx, st, src.Glob(), f.content())
	if err != nil {
		return fr, fmt.Errorf("%s: %w", path, err)
	}
	state := m.state
	fr.Fingerprint = m.key
	fr.Known, fr.From = m.known, state.Offset
	fr.To = state.Offset
	if m.copyOf != "" {
		fr.CopyOf = m.copyOf
		return fr, nil
	}
	if m.claim {
		if err := st.Claim(ctx, m.key, state.Offset, path, f.ID, prefixOf(f.Head, state.Offset)); err != nil {
			return fr, err
		}
	}
	if !f.Gzip && m.known && state.Offset >= f.Size {
		return fr, nil // nothing new
	}
	if err := f.SeekContent(state.Offset); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fr, nil // a compressed copy shorter than what was read: nothing new
		}
		return fr, err
	}
	res, err := Run(ctx, st, src, Stream{
		R: f, Path: path, Fingerprint: m.key, From: state.Offset, Line: state.Lines, Final: f.Gzip,
		Size: contentSize(f), Head: f.Head, Base: m.head, Owner: m.owner, File: f.ID,
	}, opts)
	fr.Result = res
	if err != nil {
		return fr, fmt.Errorf("%s: %w", path, err)
	}
	if !f.Gzip && f.Size > res.To {
		fr.Partial = f.Size - res.To
	}
	return fr, nil
}

// SourceKey is the key of a file's first line (its fingerprint) within its
// configured log (path or glob): the key of the row of the first file read
// that starts with it, and the head under which the rows of every file of
// the log starting with it are found (see identify). Two logs whose files
// start with the same line (vhosts whose first request is the same health
// check) keep their own positions, while a file renamed, copied, compressed
// or piped within its log is found again.
func SourceKey(log, fingerprint string) string {
	sum := sha256.Sum256([]byte(log + "\x00" + fingerprint))
	return hex.EncodeToString(sum[:16])
}

// Unread returns how many bytes of the file at path lie past the position
// stored for it in the log of g: 0 for a compressed file (complete), for a
// copy of a live file (read there) and for a file that cannot be opened or
// is too young to identify; its size for a file never read. Its errors are
// the store's.
func Unread(ctx context.Context, st SourceReader, g Glob, path string) (int64, error) {
	f, err := OpenFile(path)
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	if f.Gzip {
		return 0, nil
	}
	m, err := identify(ctx, st, g, f.content())
	if err != nil || m.copyOf != "" {
		return 0, err
	}
	return max(f.Size-m.state.Offset, 0), nil
}

// contentSize is the size of f's content when known: its size on disk,
// unless it is compressed.
func contentSize(f *File) int64 {
	if f.Gzip {
		return 0
	}
	return f.Size
}

// IngestStdin reads a whole stream (a pipe) from where an earlier import of
// the same content stopped.
func IngestStdin(ctx context.Context, st StateStore, src *Source, r io.Reader, opts Options) (FileResult, error) {
	fr := FileResult{Path: "-"}
	in, err := OpenStdin(r)
	if err != nil {
		return fr, err
	}
	m, err := identify(ctx, st, src.Glob(), in.content())
	if err != nil {
		return fr, fmt.Errorf("stdin: %w", err)
	}
	state := m.state
	fr.Fingerprint = m.key
	fr.Known, fr.From, fr.To = m.known, state.Offset, state.Offset
	if m.claim { // a complete stream is never a copy waiting (see identify)
		if err := st.Claim(ctx, m.key, state.Offset, "-", store.FileID{}, prefixOf(in.Head, state.Offset)); err != nil {
			return fr, err
		}
	}
	if err := in.Skip(state.Offset); err != nil {
		if errors.Is(err, io.EOF) {
			return fr, nil
		}
		return fr, fmt.Errorf("stdin: %w", err)
	}
	res, err := Run(ctx, st, src, Stream{R: in, Path: "-", Fingerprint: m.key, From: state.Offset, Line: state.Lines, Final: true,
		Head: in.Head, Base: m.head, Owner: m.owner}, opts)
	fr.Result = res
	if err != nil {
		return fr, fmt.Errorf("stdin: %w", err)
	}
	return fr, nil
}
