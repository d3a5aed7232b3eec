package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/headroom-slo/headroom/internal/store"
)

// How a file is known: the rule.
//
// A file's read position is stored in a source row. Its first line
// (Fingerprint) within its configured log gives the row's head,
// SourceKey(log, fingerprint), which indexes the rows of every file of the
// log starting with that line. Files rarely share a first line, but twin
// vhost logs in one glob whose first request is the same health check at the
// same second do; and a file renamed, copied (copytruncate), compressed or
// piped on stdin keeps its content and must keep its position. A first line
// cannot tell these apart, nor can an inode alone (a copy or a .gz is a new
// inode with an old position; stdin has none), nor can content alone (twins
// may hold the same lines for a while, as a copy does). So a row records
// both:
//
//   - a prefix: the length L and hash of the first L bytes read (L is the
//     offset, at most PrefixBytes). A file can continue a row only if its
//     content starts with those bytes, so twins part as soon as one of them
//     has been read past a line the other does not have;
//   - an owner: the path and the (device, inode) of the live file that reads
//     it. Rows of older stores, of stdin, and on systems without inodes know
//     only a path: they belong to the file at that path.
//
// A file F is matched against the rows of its head whose prefix it holds:
//
//  1. a row F owns (F's inode, or F's path for a row without one) is F's:
//     F itself at the next poll, or renamed (rename rotation);
//  2. a row whose owner is gone (deleted, truncated or rewritten: it no
//     longer holds the row's prefix, or is shorter than the offset; stdin)
//     F continues, and F becomes its owner: the copy once copytruncate has
//     truncated the original, the .gz of a rotated file, a file moved, a
//     store written by an older headroom;
//  3. a row whose owner is alive: F is compared with the owner (up to
//     compareBytes). If their contents differ, F is another file. A complete
//     stream (.gz, stdin) equal to the owner as far as both go — a .gz whose
//     plain file is still there, the log piped in — reads on from the
//     owner's position, as it always did: the lines they share are counted
//     once, by whichever reads them first. A growing (plain) file whose
//     content is all in the owner's is a copy of a live file —
//     copytruncate between its copy and its truncate — or a young twin
//     holding only lines its twin holds too: nothing is read from it while
//     the owner lives, which reads those lines itself, and it is looked at
//     again at the next poll. A growing file longer than the owner and equal
//     to it is another file (a copy does not outgrow its original): a twin
//     further ahead;
//  4. otherwise F is a file of its own: a new row, keyed SourceKey(log,
//     fingerprint) when no row has that key yet (the first file starting with
//     that line, keyed as in older stores), else by its own prefix. F is read
//     from its start. The key depends on F's content only, so two processes
//     reading F at once (import next to serve) pick the same key and the
//     second gets a conflict, not a second row.
//
// Rows are tried longest prefix first, and among equal prefixes those whose
// owner is gone first: a rotated twin's .gz goes back to its own row, not to
// a live twin's.
//
// What stays ambiguous, and how it ends: two live files equal over all they
// hold are one copy of the other until they differ, so the one that does not
// own the row waits until a poll sees them differ (in content, or it being
// the longer). If the owner disappears while the other still holds nothing
// but its lines, the other continues its row, as a copy would: its lines up
// to the owner's offset count as the owner's, once, where a twin's would
// count again. Files equal over compareBytes are taken for copies. A store
// in which twins already shared one row (before rows knew their owner)
// cannot be repaired: the row stays with the file at its path, and the
// other twin is read from its start.

// PrefixBytes bounds the content prefix a source row records: enough to
// take apart files whose first lines are equal.
const PrefixBytes = 64 << 10

// compareBytes bounds the comparison of a file with the live file it may be
// a copy of: content equal that far is taken for a copy.
const compareBytes = 1 << 20

// SourceReader is what finding a file's stored position needs.
type SourceReader interface {
	// SourcesByHead returns log's rows whose head is one of heads.
	SourcesByHead(ctx context.Context, log string, heads ...string) ([]store.SourceState, error)
}

// content is what identifying a file or a stream needs of it.
type content struct {
	path     string
	fp       string
	head     []byte       // its first bytes, up to PrefixBytes
	id       store.FileID // a live file's device and inode; zero for stdin
	size     int64        // a plain file's size on disk; -1 when not known
	complete bool         // a stream that does not grow (.gz, stdin)
	open     func() (io.Reader, error)
}

func (f *File) content() *content {
	c := &content{path: f.Path, fp: f.Fingerprint, head: f.Head, id: f.ID, size: f.Size, complete: f.Gzip}
	if f.Gzip {
		c.size = -1
	}
	c.open = func() (io.Reader, error) {
		if err := f.SeekContent(0); err != nil {
			return nil, err
		}
		return f, nil
	}
	return c
}

func (s *Stdin) content() *content {
	return &content{path: "-", fp: s.Fingerprint, head: s.Head, size: -1, complete: true,
		open: func() (io.Reader, error) { return bytes.NewReader(s.peek), nil }}
}

// match is where a file stands in the store.
type match struct {
	key   string            // its row
	head  string            // the head of its row
	state store.SourceState // its row, zero for a new one
	known bool
	// owner says the file owns the row: its path and identity are recorded
	// with what it reads. claim says they are not recorded yet (or a longer
	// prefix of it can be).
	owner, claim bool
	// copyOf is the live file whose content this one repeats and which is
	// read instead: nothing is read from this one now.
	copyOf string
}

type candidate struct {
	row   store.SourceState
	owner *File // the live file owning the row, nil when gone
}

// identify finds the row of c's content in the log of g, following the
// rule above.
func identify(ctx context.Context, st SourceReader, g Glob, c *content) (match, error) {
	log := g.Pattern
	head := SourceKey(log, c.fp)
	rows, err := st.SourcesByHead(ctx, log, head, c.fp)
	if err != nil {
		return match{}, err
	}
	hashes := map[int64]string{}
	var cands []candidate
	for _, r := range rows {
		if !holds(c.head, r.Prefix, hashes) {
			continue
		}
		if owns(c, r) {
			return take(c, r), nil
		}
		cands = append(cands, candidate{row: r})
	}
	defer func() {
		for _, cd := range cands {
			if cd.owner != nil {
				cd.owner.Close()
			}
		}
	}()
	for i := range cands {
		cands[i].owner = liveOwner(g, cands[i].row, c)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.row.Prefix.Len != b.row.Prefix.Len {
			return a.row.Prefix.Len > b.row.Prefix.Len
		}
		return a.owner == nil && b.owner != nil
	})
	for _, cd := range cands {
		if cd.owner == nil {
			return take(c, cd.row), nil
		}
		rel, err := compare(c, cd.owner)
		if err != nil {
			return match{}, err
		}
		switch {
		case rel == ownerLost:
			return take(c, cd.row), nil
		case rel == differs, rel == extends && !c.complete:
			continue // another file
		case c.complete:
			return match{key: cd.row.Fingerprint, head: cd.row.Head, state: cd.row, known: true}, nil
		default:
			return match{key: cd.row.Fingerprint, head: cd.row.Head, state: cd.row, known: true, copyOf: cd.owner.Path}, nil
		}
	}
	return match{key: newKey(log, head, c, rows), head: head, owner: true}, nil
}

// take makes c the owner of row r. The row records c when it does not yet:
// its identity, a longer prefix, or its path when the recorded one no longer
// leads to c (renamed; not when c has two names, a link in the glob).
func take(c *content, r store.SourceState) match {
	m := match{key: r.Fingerprint, head: r.Head, state: r, known: true, owner: true}
	m.claim = r.File != c.id || prefixOf(c.head, r.Offset).Len > r.Prefix.Len ||
		r.Path != c.path && !(c.id.Known() && statID(r.Path) == c.id)
	return m
}

// statID is the identity of the file at path; zero when there is none.
func statID(path string) store.FileID {
	fi, err := os.Stat(path)
	if err != nil {
		return store.FileID{}
	}
	return fileID(fi)
}

// holds reports whether content starting with head starts with prefix p;
// hashes caches the hashes of head's prefixes by length.
func holds(head []byte, p store.Prefix, hashes map[int64]string) bool {
	if p.Len == 0 {
		return true // a row of an older store: known by its first line only
	}
	if p.Len > int64(len(head)) {
		return false
	}
	h, ok := hashes[p.Len]
	if !ok {
		h = hashBytes(head[:p.Len])
		if hashes != nil {
			hashes[p.Len] = h
		}
	}
	return h == p.Hash
}

// owns reports whether c is the file recorded as r's owner.
func owns(c *content, r store.SourceState) bool {
	if r.File.Known() {
		return r.File == c.id
	}
	if r.Path == c.path {
		return true
	}
	return c.id.Known() && r.Path != "-" && statID(r.Path) == c.id
}

// liveOwner opens the live file that owns row r, other than c: the file at
// its path, or, when the row knows its inode, the file of the log with that
// inode (renamed). The owner must still hold the row's content: its first
// line and prefix, and at least its offset (a truncated file does not). nil
// when there is none.
func liveOwner(g Glob, r store.SourceState, c *content) *File {
	if r.Path == "" || r.Path == "-" {
		return nil
	}
	if o := ownerAt(r.Path, r, c); o != nil {
		return o
	}
	if !r.File.Known() || g.Pattern == "-" {
		return nil
	}
	paths, _, err := g.ExpandAll()
	if err != nil {
		return nil
	}
	for _, p := range paths {
		if p == r.Path || p == c.path {
			continue
		}
		if statID(p) != r.File {
			continue
		}
		if o := ownerAt(p, r, c); o != nil {
			return o
		}
	}
	return nil
}

// ownerAt opens the file at path if it is r's live owner, not c.
func ownerAt(path string, r store.SourceState, c *content) *File {
	f, err := OpenFile(path)
	if err != nil {
		return nil
	}
	ok := (!r.File.Known() || f.ID == r.File) && !(c.id.Known() && f.ID == c.id) &&
		f.Fingerprint == c.fp && holds(f.Head, r.Prefix, nil) && (f.Gzip || f.Size >= r.Offset)
	if !ok {
		f.Close()
		return nil
	}
	return f
}

// relation is how a file's content compares with a live owner's.
type relation int

const (
	differs   relation = iota // they differ within the bytes compared
	within                    // equal as far as compared, the file not longer: a copy
	extends                   // the file is the owner's content and more
	ownerLost                 // the owner could not be read: it no longer holds the content
)

// compare compares c's content with owner's, up to compareBytes.
func compare(c *content, owner *File) (relation, error) {
	a, err := c.open()
	if err != nil {
		return differs, err
	}
	if err := owner.SeekContent(0); err != nil {
		return ownerLost, nil
	}
	const chunk = 64 << 10
	bufA, bufB := make([]byte, chunk), make([]byte, chunk)
	for n := 0; n < compareBytes; n += chunk {
		na, err := io.ReadFull(a, bufA)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return differs, err
		}
		nb, err := io.ReadFull(owner, bufB)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return ownerLost, nil
		}
		m := min(na, nb)
		switch {
		case !bytes.Equal(bufA[:m], bufB[:m]):
			return differs, nil
		case na > nb:
			return extends, nil
		case na < chunk:
			return within, nil
		}
	}
	if c.size >= 0 && !owner.Gzip && c.size > owner.Size {
		return extends, nil
	}
	return within, nil
}

// newKey is the key of a new row for c: the key of its first line, as in
// older stores, unless a row has it, else a key naming c's own prefix.
func newKey(log, head string, c *content, rows []store.SourceState) string {
	used := map[string]bool{}
	for _, r := range rows {
		used[r.Fingerprint] = true
	}
	if !used[head] {
		return head
	}
	own := hashBytes(c.head)
	for i := 0; ; i++ {
		k := SourceKey(log, c.fp+"\x00"+own+"\x00"+strconv.Itoa(i))
		if !used[k] {
			return k
		}
	}
}

// prefixOf is the prefix of content starting with head that a row read up
// to offset records.
func prefixOf(head []byte, offset int64) store.Prefix {
	n := min(offset, int64(len(head)), PrefixBytes)
	if n <= 0 {
		return store.Prefix{}
	}
	return store.Prefix{Len: n, Hash: hashBytes(head[:n])}
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
