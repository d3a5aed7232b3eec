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
	Source(ctx context.Context, fingerprint string) (store.SourceState, bool, error)
}

// FileResult is what reading one file did.
type FileResult struct {
	Result
	Path        string
	Fingerprint string
	From        int64 // where reading started (the stored offset)
	Known       bool  // the file had been read before (under any name)
	Gzip        bool  // the file is compressed, hence complete
	Partial     int64 // bytes of an incomplete last line left for later
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
	key, state, known, err := lookup(ctx, st, src.Log, f.Fingerprint)
	if err != nil {
		return fr, err
	}
	fr.Fingerprint = key
	fr.Known, fr.From = known, state.Offset
	fr.To = state.Offset
	if !f.Gzip && known && state.Offset >= f.Size {
		return fr, nil // nothing new
	}
	if err := f.SeekContent(state.Offset); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fr, nil // a compressed copy shorter than what was read: nothing new
		}
		return fr, err
	}
	res, err := Run(ctx, st, src, Stream{
		R: f, Path: path, Fingerprint: key, From: state.Offset, Line: state.Lines, Final: f.Gzip,
		Size: contentSize(f),
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

// SourceKey is the key a file's read position is stored under: its content
// fingerprint within its configured log (path or glob). Two logs whose files
// start with the same line (vhosts whose first request is the same health
// check) keep their own positions, while a file renamed, copied, compressed
// or piped within its log keeps its key.
func SourceKey(log, fingerprint string) string {
	sum := sha256.Sum256([]byte(log + "\x00" + fingerprint))
	return hex.EncodeToString(sum[:16])
}

// lookup finds the stored position of content fingerprinted fp in log: under
// its SourceKey, or under the bare fingerprint that stores written before
// keys named the log used, when that row belongs to the same log.
func lookup(ctx context.Context, st StateStore, log, fp string) (string, store.SourceState, bool, error) {
	key := SourceKey(log, fp)
	state, known, err := st.Source(ctx, key)
	if err != nil || known {
		return key, state, known, err
	}
	old, known, err := st.Source(ctx, fp)
	if err != nil {
		return key, state, false, err
	}
	if known && old.Log == log {
		return fp, old, true, nil
	}
	return key, state, false, nil
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
	key, state, known, err := lookup(ctx, st, src.Log, in.Fingerprint)
	if err != nil {
		return fr, err
	}
	fr.Fingerprint = key
	fr.Known, fr.From, fr.To = known, state.Offset, state.Offset
	if err := in.Skip(state.Offset); err != nil {
		if errors.Is(err, io.EOF) {
			return fr, nil
		}
		return fr, fmt.Errorf("stdin: %w", err)
	}
	res, err := Run(ctx, st, src, Stream{R: in, Path: "-", Fingerprint: key, From: state.Offset, Line: state.Lines, Final: true}, opts)
	fr.Result = res
	if err != nil {
		return fr, fmt.Errorf("stdin: %w", err)
	}
	return fr, nil
}
