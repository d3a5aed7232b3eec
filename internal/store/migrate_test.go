package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// schema1 is the part of a schema-1 store that schema 2 changes.
const schema1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
	fingerprint TEXT PRIMARY KEY,
	service TEXT NOT NULL,
	log TEXT NOT NULL,
	path TEXT NOT NULL,
	offset INTEGER NOT NULL,
	lines INTEGER NOT NULL,
	malformed INTEGER NOT NULL,
	excluded INTEGER NOT NULL,
	first_ts INTEGER NOT NULL,
	last_ts INTEGER NOT NULL,
	updated INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('schema', '1');
INSERT INTO sources VALUES ('k1', 'web', 'x.log', '/logs/x.log', 100, 4, 0, 0, 0, 0, 0);
`

// execSQL runs statements on the database in dir, as another program would.
func execSQL(t *testing.T, dir, stmts string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmts); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateSchema1 opens a store of schema 1: read-only, its rows are found
// by head as they are (their key); opened for writing, it is migrated once,
// its rows keep their positions and learn their prefix and owner as files
// are read; a row added by an older headroom afterwards is found too.
func TestMigrateSchema1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	execSQL(t, dir, schema1)
	old := SourceState{Fingerprint: "k1", Service: "web", Log: "x.log", Path: "/logs/x.log", Offset: 100, Lines: 4, Head: "k1"}
	heads := func(s *Store, want ...SourceState) {
		t.Helper()
		got, err := s.SourcesByHead(ctx, "x.log", "k1", "k2")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("SourcesByHead (-want +got):\n%s", diff)
		}
	}

	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	heads(ro, old)
	ro.Close()

	for range 2 { // the second open finds nothing to migrate
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.schema != schemaVersion {
			t.Fatalf("schema %d, want %d", s.schema, schemaVersion)
		}
		heads(s, old)
		s.Close()
	}

	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b Batch
	p := Prefix{Len: 150, Hash: "h150"}
	id := FileID{Dev: 1, Ino: 1 << 40}
	b.Sources = []SourceUpdate{{Fingerprint: "k1", Service: "web", Log: "x.log", Path: "/logs/x.log.1", From: 100, To: 150, Lines: 1, Prefix: p, Owner: true, File: id}}
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatal(err)
	}
	now := old
	now.Path, now.Offset, now.Lines, now.Prefix, now.File = "/logs/x.log.1", 150, 5, p, id
	got, err := s.SourcesByHead(ctx, "x.log", "k1")
	if err != nil || len(got) != 1 {
		t.Fatalf("%v, %v", got, err)
	}
	now.Updated = got[0].Updated
	heads(s, now)

	// A shorter prefix and a reader that does not own the row change
	// neither; a claim at a stale offset changes nothing.
	b.Sources = []SourceUpdate{{Fingerprint: "k1", Service: "web", Log: "x.log", Path: "-", From: 150, To: 160, Lines: 1, Prefix: Prefix{Len: 10, Hash: "h10"}}}
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, "k1", 150, "/elsewhere", FileID{Dev: 2, Ino: 2}, Prefix{}); err != nil {
		t.Fatal(err)
	}
	now.Offset, now.Lines, now.Updated = 160, 6, 0
	got, _ = s.SourcesByHead(ctx, "x.log", "k1")
	now.Updated = got[0].Updated
	heads(s, now)

	// An older headroom adds a row without a head: the next open finds it.
	execSQL(t, dir, `INSERT INTO sources (fingerprint, service, log, path, offset, lines, malformed, excluded, first_ts, last_ts, updated)
		VALUES ('k2', 'web', 'x.log', '/logs/y.log', 7, 1, 0, 0, 0, 0, 0)`)
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	heads(s2, now, SourceState{Fingerprint: "k2", Service: "web", Log: "x.log", Path: "/logs/y.log", Offset: 7, Lines: 1, Head: "k2"})
}

// TestMigrateUnmatched opens a store of schema 3, before lines no service
// took were counted: read-only, its rows read with 0 unmatched and its
// samples as malformed ones; migrated, a commit counts unmatched lines and
// keeps their samples apart, one per reason, never pushing the malformed
// samples out.
func TestMigrateUnmatched(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	execSQL(t, dir, `ALTER TABLE sources DROP COLUMN unmatched;
ALTER TABLE malformed DROP COLUMN unmatched;
UPDATE meta SET value = '3' WHERE key = 'schema';
INSERT INTO sources (fingerprint, service, log, path, offset, lines, malformed, excluded, first_ts, last_ts, updated, head)
	VALUES ('k1', 'web', 'x.log', '/logs/x.log', 100, 4, 1, 0, 0, 0, 0, 'k1');
INSERT INTO malformed (fingerprint, path, line, reason, excerpt) VALUES ('k1', '/logs/x.log', 3, 'empty line', '');`)
	bad := []MalformedLine{{Path: "/logs/x.log", Line: 3, Reason: "empty line"}}
	check := func(s *Store, lines, unmatched int64, malformed, others []MalformedLine) {
		t.Helper()
		st, ok, err := s.Source(ctx, "k1")
		if err != nil || !ok || st.Lines != lines || st.Unmatched != unmatched {
			t.Fatalf("source %+v, %v, %v; want %d lines, %d unmatched", st, ok, err, lines, unmatched)
		}
		got, err := s.Samples(ctx, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(malformed, got); diff != "" {
			t.Errorf("malformed samples (-want +got):\n%s", diff)
		}
		got, err = s.UnmatchedSamples(ctx, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(others, got); diff != "" {
			t.Errorf("unmatched samples (-want +got):\n%s", diff)
		}
	}
	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	check(ro, 4, 0, bad, nil)
	ro.Close()

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s, 4, 0, bad, nil)
	sample := func(line int64, up string) MalformedLine {
		return MalformedLine{Path: "/logs/x.log", Line: line, Reason: "no service matches: upstream=" + up + " host=-"}
	}
	// Many commits of unmatched lines, with eight upstreams: the samples of
	// the newest UnmatchedKept reasons are kept, each once, and the
	// malformed sample stays.
	from := int64(100)
	for i := range 40 {
		up := fmt.Sprintf("u%d", i%8)
		b := Batch{Sources: []SourceUpdate{{Fingerprint: "k1", Service: "web,api", Log: "x.log", Path: "/logs/x.log", From: from, To: from + 10,
			Lines: 2, Unmatched: 2, UnmatchedSamples: []MalformedLine{sample(int64(5+i), up), sample(int64(5+i), up)}}}}
		if err := s.Commit(ctx, &b); err != nil {
			t.Fatal(err)
		}
		from += 10
	}
	var want []MalformedLine
	for i := 35; i < 40; i++ {
		want = append(want, sample(int64(5+i), fmt.Sprintf("u%d", i%8)))
	}
	check(s, 84, 80, bad, want)
	// A reason kept already is not stored again.
	b := Batch{Sources: []SourceUpdate{{Fingerprint: "k1", Service: "web,api", Log: "x.log", Path: "/logs/x.log", From: from, To: from + 10,
		Lines: 1, Unmatched: 1, UnmatchedSamples: []MalformedLine{sample(99, "u3")}}}}
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatal(err)
	}
	check(s, 85, 81, bad, want)
	if st, _, _ := s.Source(ctx, "k1"); st.Service != "web,api" {
		t.Errorf("service %q: the row names the services reading its log now, want web,api", st.Service)
	}
}
