package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/store"
)

// FingerprintBytes is how much of a file's start identifies it: its first
// line, or this many bytes when the first line is longer.
const FingerprintBytes = 4096

// ErrNotReady reports a file too young to identify: its first line is not
// complete yet.
var ErrNotReady = errors.New("first line not complete yet")

// Fingerprint identifies a file's content by its first line: the same log
// renamed, copied (copytruncate), compressed or piped in has the same
// fingerprint, wherever it is. head is the start of the (decompressed)
// content, at least FingerprintBytes long unless the content is shorter;
// complete says the content ends there (a finished stream).
func Fingerprint(head []byte, complete bool) (string, error) {
	if len(head) > FingerprintBytes {
		head = head[:FingerprintBytes]
	}
	end := bytes.IndexByte(head, '\n') + 1
	switch {
	case end > 0:
	case len(head) == FingerprintBytes, complete && len(head) > 0:
		end = len(head)
	default:
		return "", ErrNotReady
	}
	sum := sha256.Sum256(head[:end])
	return hex.EncodeToString(sum[:16]), nil
}

// File is an opened log file, positioned by Seek at a content offset.
type File struct {
	Path        string
	Fingerprint string
	Gzip        bool
	Size        int64 // on-disk size
	// Head is the start of the (decompressed) content: PrefixBytes, or all
	// of it when shorter.
	Head []byte
	ID   store.FileID // device and inode, when the platform has them
	f    *os.File
	r    io.Reader
}

// OpenFile opens path and fingerprints it; ErrNotReady when its first line is
// incomplete.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	lf := &File{Path: path, f: f, Size: fi.Size(), r: f, ID: fileID(fi)}
	head := make([]byte, PrefixBytes)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	head = head[:n]
	complete := false
	if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		lf.Gzip = true
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		head = make([]byte, PrefixBytes)
		n, err = io.ReadFull(zr, head)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		head = head[:n]
		complete = n < PrefixBytes // a gzip file is finished
	}
	if lf.Fingerprint, err = Fingerprint(head, complete); err != nil {
		f.Close()
		return nil, err
	}
	lf.Head = head
	return lf, nil
}

// SeekContent positions the file at a content offset (decompressed for gzip).
func (f *File) SeekContent(offset int64) error {
	if !f.Gzip {
		if _, err := f.f.Seek(offset, io.SeekStart); err != nil {
			return err
		}
		f.r = f.f
		return nil
	}
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f.f, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	if _, err := io.CopyN(io.Discard, zr, offset); err != nil {
		return fmt.Errorf("%s: skip to %d: %w", f.Path, offset, err)
	}
	f.r = zr
	return nil
}

// Read reads content from the current position.
func (f *File) Read(p []byte) (int, error) { return f.r.Read(p) }

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Stdin wraps a pipe: it reads enough to fingerprint it and replays those
// bytes, so stdin is recognised like any file.
type Stdin struct {
	Fingerprint string
	// Head is the start of the content: PrefixBytes, or all of it when
	// shorter.
	Head []byte
	// peek is the start of the content up to compareBytes, in r's buffer:
	// valid until the first Read or Skip.
	peek []byte
	r    *bufio.Reader
}

// OpenStdin fingerprints r (transparently decompressing gzip).
func OpenStdin(r io.Reader) (*Stdin, error) {
	br := bufio.NewReaderSize(r, compareBytes)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("stdin: %w", err)
		}
		br = bufio.NewReaderSize(zr, compareBytes)
	}
	head, err := br.Peek(compareBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("stdin: %w", err)
	}
	fp, err := Fingerprint(head, len(head) < compareBytes)
	if err != nil {
		return nil, fmt.Errorf("stdin: %w", err)
	}
	return &Stdin{Fingerprint: fp, Head: bytes.Clone(head[:min(len(head), PrefixBytes)]), peek: head, r: br}, nil
}

// Skip discards the first n bytes (already ingested).
func (s *Stdin) Skip(n int64) error {
	_, err := io.CopyN(io.Discard, s.r, n)
	return err
}

// Read reads the stream.
func (s *Stdin) Read(p []byte) (int, error) { return s.r.Read(p) }

// Glob is a configured log's path or glob, and how its matches are
// found.
type Glob struct {
	Pattern string
	// Follow reads matches that are symbolic links out of the pattern's
	// directory (logs[].follow_symlinks), with the rotated siblings of
	// their targets.
	Follow bool
}

// GlobOf is the Glob of a configured log.
func GlobOf(l config.LogSource) Glob { return Glob{Pattern: l.Path, Follow: l.Follow()} }

// Expand returns the files matching a configured path or glob and their
// rotated siblings (path.1, path.2.gz, path-20260101, …), oldest first by
// modification time, without duplicates. Symbolic links that lead out of
// the pattern's directory are left out (see ExpandAll).
func Expand(pattern string) ([]string, error) {
	return Glob{Pattern: pattern}.Expand()
}

// ExpandAll is Expand that also returns the matches it left out: symbolic
// links resolving outside the directory of the pattern (a link to
// /etc/shadow in the log directory is not read, and its lines never become
// malformed samples), unless the pattern names that very path.
func ExpandAll(pattern string) (files, outside []string, err error) {
	return Glob{Pattern: pattern}.ExpandAll()
}

// Expand is ExpandAll without the files left out.
func (g Glob) Expand() ([]string, error) {
	out, _, err := g.ExpandAll()
	return out, err
}

// ExpandAll returns the files of the glob and their rotated siblings,
// oldest first, and the matches it left out. A match that is a symbolic
// link out of the pattern's directory is left out, unless the pattern
// names it or g.Follow. A link followed is read under its own name, and
// the rotated siblings of its target are looked for beside the target,
// where a runtime rotating the file it leads to puts them: kubelet renames
// /var/log/pods/…/0.log, which /var/log/containers/….log leads to, to
// 0.log.TIMESTAMP beside it, and compresses that to .gz later. A sibling
// there that is itself a link out of that directory is left out.
func (g Glob) ExpandAll() (files, outside []string, err error) {
	seen := map[string]bool{}
	var out, targets []string
	base := staticDir(g.Pattern)
	for _, p := range []string{g.Pattern, g.Pattern + ".*", g.Pattern + "-*"} {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, nil, fmt.Errorf("glob %q: %w", g.Pattern, err)
		}
		for _, f := range m {
			if seen[f] {
				continue
			}
			if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			seen[f] = true
			if leavesDir(base, f) {
				if !g.Follow && f != g.Pattern {
					outside = append(outside, f)
					continue
				}
				if g.Follow {
					if t, err := filepath.EvalSymlinks(f); err == nil {
						targets = append(targets, t)
					}
				}
			}
			out = append(out, f)
		}
	}
	for _, t := range targets {
		seen[t] = true // read under its link's name
	}
	for _, t := range targets {
		dir, quoted := filepath.Dir(t), quoteGlob(t)
		for _, p := range []string{quoted + ".*", quoted + "-*"} {
			m, err := filepath.Glob(p)
			if err != nil {
				return nil, nil, fmt.Errorf("glob %q: %w", p, err)
			}
			for _, f := range m {
				if seen[f] {
					continue
				}
				if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() {
					continue
				}
				seen[f] = true
				if leavesDir(dir, f) {
					outside = append(outside, f)
					continue
				}
				out = append(out, f)
			}
		}
	}
	sortByAge(out)
	return out, outside, nil
}

// quoteGlob escapes the glob metacharacters of a path.
func quoteGlob(path string) string {
	var b strings.Builder
	for _, r := range path {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// staticDir is the directory of pattern without glob metacharacters: the
// directory a configured log's files are expected in.
func staticDir(pattern string) string {
	dir := filepath.Dir(pattern)
	for strings.ContainsAny(dir, `*?[\`) {
		dir = filepath.Dir(dir)
	}
	return dir
}

// leavesDir reports whether path is a symbolic link (or lies under one)
// whose target is outside dir.
func leavesDir(dir, path string) bool {
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return false
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return true
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	dir, _ = filepath.Abs(dir)
	target, _ = filepath.Abs(target)
	rel, err := filepath.Rel(dir, target)
	return err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func sortByAge(paths []string) {
	mod := map[string]int64{}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			mod[p] = fi.ModTime().UnixNano()
		}
	}
	sort.SliceStable(paths, func(i, j int) bool {
		if mod[paths[i]] != mod[paths[j]] {
			return mod[paths[i]] < mod[paths[j]]
		}
		return strings.Compare(paths[i], paths[j]) > 0
	})
}

// Matches reports whether path is one of pattern's files or rotated siblings.
func Matches(pattern, path string) bool {
	for _, p := range []string{pattern, pattern + ".*", pattern + "-*"} {
		if ok, _ := filepath.Match(p, path); ok {
			return true
		}
	}
	return false
}
