package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/cells"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sum(t *testing.T, s *Store, svc string, res, from, to int64) map[DimValue]uint64 {
	t.Helper()
	ctx := context.Background()
	id, err := s.ServiceID(ctx, svc, false)
	if err != nil {
		t.Fatal(err)
	}
	dims, err := s.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[DimValue]uint64{}
	err = s.ReadCells(ctx, id, res, from, to, func(sp *Span) error {
		for _, e := range sp.Cell.Entries {
			out[dims[e.Dim]] += e.Count
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCommitRollupsAndOffsets(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	ok := DimValue{Host: "a", Route: "/x", Method: "GET", Status: 200}
	bad := DimValue{Host: "a", Route: "/x", Method: "GET", Status: 500}
	day0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()

	var b Batch
	b.Add("web", day0+60, ok, 5, 3)
	b.Add("web", day0+3600+120, bad, cells.NoLatency, 1)
	b.Sources = []SourceUpdate{{Fingerprint: "f1", Service: "web", Log: "x.log", Path: "x.log", From: 0, To: 100, Lines: 4}}
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatal(err)
	}
	var b2 Batch
	b2.Add("web", day0+60, ok, 7, 2) // the same minute again: merged
	b2.Sources = []SourceUpdate{{Fingerprint: "f1", Service: "web", Log: "x.log", Path: "x.log", From: 100, To: 150, Lines: 2}}
	if err := s.Commit(ctx, &b2); err != nil {
		t.Fatal(err)
	}

	want := map[DimValue]uint64{ok: 5, bad: 1}
	for _, res := range Resolutions {
		if diff := cmp.Diff(want, sum(t, s, "web", res, day0, day0+Day)); diff != "" {
			t.Errorf("res %d (-want +got):\n%s", res, diff)
		}
	}
	if diff := cmp.Diff(map[DimValue]uint64{ok: 5}, sum(t, s, "web", Hour, day0, day0+Hour)); diff != "" {
		t.Errorf("first hour (-want +got):\n%s", diff)
	}
	st, found, err := s.Source(ctx, "f1")
	if err != nil || !found || st.Offset != 150 || st.Lines != 6 {
		t.Fatalf("source = %+v, %v, %v; want offset 150, 6 lines", st, found, err)
	}

	// A batch from a stale offset changes nothing.
	var stale Batch
	stale.Add("web", day0+60, ok, 5, 100)
	stale.Sources = []SourceUpdate{{Fingerprint: "f1", Service: "web", Path: "x.log", From: 100, To: 150, Lines: 2}}
	if err := s.Commit(ctx, &stale); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale commit: err = %v, want ErrConflict", err)
	}
	if diff := cmp.Diff(want, sum(t, s, "web", Minute, day0, day0+Day)); diff != "" {
		t.Errorf("after conflict (-want +got):\n%s", diff)
	}
	// A new dimension created in the rolled-back transaction must not be cached.
	var fresh Batch
	fresh.Add("web", day0+60, DimValue{Host: "b", Route: "/y", Method: "POST", Status: 201}, 5, 1)
	fresh.Sources = []SourceUpdate{{Fingerprint: "f2", Service: "web", Path: "y.log", From: 10, To: 20}}
	if err := s.Commit(ctx, &fresh); !errors.Is(err, ErrConflict) {
		t.Fatalf("new source not at 0: err = %v, want ErrConflict", err)
	}
	fresh.Sources[0].From = 0
	if err := s.Commit(ctx, &fresh); err != nil {
		t.Fatal(err)
	}
	if got := sum(t, s, "web", Day, day0, day0+Day)[DimValue{Host: "b", Route: "/y", Method: "POST", Status: 201}]; got != 1 {
		t.Errorf("new dimension count = %d, want 1", got)
	}
}

func TestSamplesBounded(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	from := int64(0)
	for i := range 30 {
		b := Batch{Sources: []SourceUpdate{{Fingerprint: "f", Service: "web", Path: "p", From: from, To: from + 10, Lines: 1, Malformed: 1,
			Samples: []MalformedLine{{Path: "p", Line: int64(i + 1), Reason: "bad"}}}}}
		from += 10
		if err := s.Commit(ctx, &b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Samples(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != SamplesKept || got[0].Line != 30-SamplesKept+1 || got[len(got)-1].Line != 30 {
		t.Errorf("kept %d samples, lines %d..%d; want the last %d", len(got), got[0].Line, got[len(got)-1].Line, SamplesKept)
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	var b Batch
	b.Add("web", now.Add(-48*time.Hour).Unix(), DimValue{Route: "/"}, 1, 1)
	b.Add("web", now.Add(-time.Hour).Unix(), DimValue{Route: "/"}, 1, 1)
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatal(err)
	}
	before := func(res int64) int64 {
		t.Helper()
		v, err := s.PrunedBefore(ctx, res)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if before(Minute) != 0 {
		t.Fatal("a new store says minutes were pruned")
	}
	// Nothing older than a week: nothing deleted, nothing recorded.
	if pr, err := s.Prune(ctx, now, 7*24*time.Hour, 0, 0); err != nil || len(pr) != 0 || before(Minute) != 0 {
		t.Fatalf("prune of nothing: %+v %v, pruned before %d", pr, err, before(Minute))
	}
	pr, err := s.Prune(ctx, now, 24*time.Hour, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The watermark is the end of the newest minute deleted, not the
	// cutoff: minutes between them were never stored, and are not missing.
	deleted := now.Add(-48 * time.Hour).Add(time.Minute)
	if len(pr) != 1 || pr[0].Res != Minute || pr[0].Cells != 1 || !pr[0].Through.Equal(deleted) || before(Minute) != deleted.Unix() || before(Hour) != 0 {
		t.Errorf("prune: %+v, minutes pruned before %d, hours %d; want 1 minute cell through %v", pr, before(Minute), before(Hour), deleted)
	}
	// A later prune that deletes older cells does not move it back.
	var old Batch
	old.Add("web", now.Add(-30*24*time.Hour).Unix(), DimValue{Route: "/"}, 1, 1)
	if err := s.Commit(ctx, &old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(ctx, now, 24*time.Hour, 0, 0); err != nil || before(Minute) != deleted.Unix() {
		t.Errorf("second prune: %v, pruned before %d, want %d", err, before(Minute), deleted.Unix())
	}
	if got := sum(t, s, "web", Minute, 0, now.Unix())[DimValue{Route: "/"}]; got != 1 {
		t.Errorf("minutes left = %d, want 1", got)
	}
	if got := sum(t, s, "web", Day, 0, now.Unix())[DimValue{Route: "/"}]; got != 3 {
		t.Errorf("day rollups = %d, want 3 (kept forever)", got)
	}
}

// TestMigrateDimsToNodes opens a store of schema 2 (dims without a node):
// read-only, its dims read with no node; for writing, it is migrated in
// place, every dimension keeping its id, and a node's dims come next.
func TestMigrateDimsToNodes(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Schema 2, as headroom before agents wrote it.
	if _, err := s.db.Exec(`DROP TABLE dims;
CREATE TABLE dims (
	id INTEGER PRIMARY KEY,
	service_id INTEGER NOT NULL,
	host TEXT NOT NULL, route TEXT NOT NULL, method TEXT NOT NULL, status INTEGER NOT NULL,
	UNIQUE (service_id, host, route, method, status)
);
INSERT INTO services (name) VALUES ('web');
INSERT INTO dims (id, service_id, host, route, method, status) VALUES (1, 1, 'a', '/x', 'GET', 200), (7, 1, 'a', '/x', 'GET', 500);
ALTER TABLE sources DROP COLUMN unmatched;
ALTER TABLE malformed DROP COLUMN unmatched;
UPDATE meta SET value = '2' WHERE key = 'schema';`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := []DimValue{1: {Host: "a", Route: "/x", Method: "GET", Status: 200}, 7: {Host: "a", Route: "/x", Method: "GET", Status: 500}}
	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ro.Dims(ctx, 1); err != nil || !slices.Equal(got, want) {
		t.Errorf("read-only, schema 2: dims %v, %v; want %v", got, err, want)
	}
	ro.Close()

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := schemaOf(ctx, s.db); err != nil || v != schemaVersion {
		t.Fatalf("schema %d, %v after the migration; want %d", v, err, schemaVersion)
	}
	if got, err := s.Dims(ctx, 1); err != nil || !slices.Equal(got, want) {
		t.Errorf("migrated: dims %v, %v; want %v", got, err, want)
	}
	node := DimValue{Host: "a", Route: "/x", Method: "GET", Status: 200, Node: "node-a"}
	ids, err := s.EnsureDims(ctx, "web", []DimValue{want[1], node})
	if err != nil || ids[0] != 1 || ids[1] != 8 {
		t.Errorf("EnsureDims: %v, %v; want the old id 1 and a new 8 for node-a's", ids, err)
	}
	// A store newer than this headroom is refused, not misread.
	if _, err := s.db.Exec(`UPDATE meta SET value = '99' WHERE key = 'schema'`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "newer headroom") {
		t.Errorf("a schema 99 store opened: %v", err)
	}
}

// TestCellsPerNode: serve's own cells and each agent's pushed cells are
// rows of their own (a push rewrites its node's rows only), read as one
// cell per start, sorted, at every resolution.
func TestCellsPerNode(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	m := time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC).Unix()
	local := DimValue{Host: "a", Route: "/x", Method: "GET", Status: 200}
	at := func(node string) DimValue { d := local; d.Node = node; return d }

	var b Batch
	b.Add("web", m, local, 5, 3)
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatal(err)
	}
	pushed := func(agent string, seq int64, add func(b *Batch)) {
		t.Helper()
		var b Batch
		add(&b)
		if _, err := s.CommitPush(ctx, agent, "i-"+agent, "{}", []PushedCommit{{Seq: seq, Batch: &b}}, time.Unix(m, 0)); err != nil {
			t.Fatal(err)
		}
	}
	pushed("node-a", 1, func(b *Batch) {
		b.Add("web", m, at("node-a"), 5, 4)
		b.Add("web", m+60, at("node-a"), 7, 1)
	})
	pushed("node-b", 1, func(b *Batch) { b.Add("web", m, at("node-b"), 5, 7) })
	pushed("node-a", 2, func(b *Batch) { b.Add("web", m, at("node-a"), 9, 3) })

	want := map[DimValue]uint64{local: 3, at("node-a"): 7, at("node-b"): 7}
	if got := sum(t, s, "web", Minute, m, m+60); !cmp.Equal(got, want) {
		t.Errorf("minute: %v, want %v", got, want)
	}
	want[at("node-a")]++
	for _, res := range Resolutions[1:] {
		if got := sum(t, s, "web", res, 0, m+Day); !cmp.Equal(got, want) {
			t.Errorf("%s: %v, want %v", ResolutionName(res), got, want)
		}
	}
	// One span a start, sorted; a row per node.
	id, _ := s.ServiceID(ctx, "web", false)
	var starts []int64
	err := s.ReadCells(ctx, id, Hour, 0, m+Day, func(sp *Span) error {
		starts = append(starts, sp.Start)
		if !slices.IsSortedFunc(sp.Cell.Entries, func(a, b cells.Entry) int { return int(a.Dim) - int(b.Dim) }) || len(sp.Cell.Entries) != 3 {
			t.Errorf("hour %d: entries %v, want 3 sorted", sp.Start, sp.Cell.Entries)
		}
		return nil
	})
	if err != nil || len(starts) != 1 {
		t.Errorf("hour spans %v, %v; want one", starts, err)
	}
	var rows int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM cells WHERE res = ? AND start = ?`, Minute, m).Scan(&rows); err != nil || rows != 3 {
		t.Errorf("rows of minute %d: %d, %v; want 3 (serve's, node-a's, node-b's)", m, rows, err)
	}
	if f, err := s.Footprint(ctx, Scope{Services: []string{"web"}}); err != nil || f.Cells != 4 {
		t.Errorf("footprint %+v, %v; want 4 cells (2 minutes, an hour, a day)", f, err)
	}
}

// TestMigrateCellsToNodes opens a store of schema 4 (a row a cell): read
// only, its cells read as before; for writing, they become serve's (node
// ”), and an agent's push adds rows beside them.
func TestMigrateCellsToNodes(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC).Unix()
	local := DimValue{Host: "a", Route: "/x", Method: "GET", Status: 200}
	var b Batch
	b.Add("web", m, local, 5, 3)
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatal(err)
	}
	// Schema 4, as headroom before cells per node wrote it.
	if _, err := s.db.Exec(`CREATE TABLE cells_v2 (
	service_id INTEGER NOT NULL,
	res INTEGER NOT NULL,
	start INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (service_id, res, start)
) WITHOUT ROWID;
INSERT INTO cells_v2 SELECT service_id, res, start, data FROM cells;
DROP TABLE cells;
ALTER TABLE cells_v2 RENAME TO cells;
UPDATE meta SET value = '4' WHERE key = 'schema';`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := map[DimValue]uint64{local: 3}
	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range Resolutions {
		if got := sum(t, ro, "web", res, 0, m+Day); !cmp.Equal(got, want) {
			t.Errorf("read-only, schema 4, %s: %v, want %v", ResolutionName(res), got, want)
		}
	}
	ro.Close()

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := schemaOf(ctx, s.db); err != nil || v != schemaVersion {
		t.Fatalf("schema %d, %v after the migration; want %d", v, err, schemaVersion)
	}
	var node string
	if err := s.db.QueryRow(`SELECT DISTINCT node FROM cells`).Scan(&node); err != nil || node != "" {
		t.Errorf("migrated cells of node %q, %v; want serve's, ''", node, err)
	}
	var pb Batch
	a := local
	a.Node = "node-a"
	pb.Add("web", m, a, 5, 2)
	if _, err := s.CommitPush(ctx, "node-a", "i1", "{}", []PushedCommit{{Seq: 1, Batch: &pb}}, time.Unix(m, 0)); err != nil {
		t.Fatal(err)
	}
	want[a] = 2
	for _, res := range Resolutions {
		if got := sum(t, s, "web", res, 0, m+Day); !cmp.Equal(got, want) {
			t.Errorf("migrated, %s: %v, want %v", ResolutionName(res), got, want)
		}
	}
}

// TestDimsSince: the dictionary read so far, extended with what was
// numbered since, is the whole dictionary; the slice read before is left
// as it was.
func TestDimsSince(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	d := func(route string) DimValue { return DimValue{Host: "a", Route: route, Method: "GET", Status: 200} }
	if _, err := s.EnsureDims(ctx, "web", []DimValue{d("/a"), d("/b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureDims(ctx, "api", []DimValue{d("/other")}); err != nil {
		t.Fatal(err)
	}
	id, _ := s.ServiceID(ctx, "web", false)
	known, err := s.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	same, err := s.DimsSince(ctx, id, known)
	if err != nil || len(same) != len(known) || &same[0] != &known[0] {
		t.Errorf("DimsSince with nothing new: %v, %v; want known itself", same, err)
	}
	if _, err := s.EnsureDims(ctx, "web", []DimValue{d("/c")}); err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(known)
	got, err := s.DimsSince(ctx, id, known)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := s.Dims(ctx, id)
	if !slices.Equal(got, want) || !slices.Equal(known, before) {
		t.Errorf("DimsSince: %v, want %v; known %v, was %v", got, want, known, before)
	}
}
