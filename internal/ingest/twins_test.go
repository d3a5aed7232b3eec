package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// health is the first line of twin vhost logs: the same health check, at
// the same second, in both.
const health = `10.0.0.9 - - [20/Nov/2026:00:00:00 +0000] "GET /health HTTP/1.1" 200 2 "-" "probe"` + "\n"

// vhostLines returns lines from..from+n-1 of a vhost: requests no other
// vhost has, one a second.
func vhostLines(vhost string, from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		ts := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&b, "10.0.0.1 - - [%s] \"GET /%s/%d HTTP/1.1\" 200 5 \"-\" \"t\"\n", ts.Format("02/Jan/2006:15:04:05 -0700"), vhost, i)
	}
	return b.String()
}

// globEnv is one service reading every file of a glob, as `headroom
// import` does.
type globEnv struct {
	t   *testing.T
	dir string
	st  *store.Store
	src *Source
}

// newGlobEnv reads pattern, relative to a new directory, in the combined
// format; before opening the store, prepare may write into its directory.
func newGlobEnv(t *testing.T, pattern string, prepare func(dataDir string)) *globEnv {
	t.Helper()
	cfg := headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: web
    logs: [{path: %q, format: combined}]
slos: []
`, pattern))
	if prepare != nil {
		if err := os.MkdirAll(cfg.Storage.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		prepare(cfg.Storage.Dir)
	}
	st := headroomtest.Store(t, cfg.Storage.Dir)
	return &globEnv{t: t, dir: filepath.Dir(cfg.Path), st: st, src: testSource(t, cfg, st, 2)}
}

func (e *globEnv) path(name string) string { return filepath.Join(e.dir, name) }

// append appends s to the file name.
func (e *globEnv) append(name, s string) {
	e.t.Helper()
	f, err := os.OpenFile(e.path(name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// importAll reads every file of the glob once, as `headroom import` does,
// and returns the lines read.
func (e *globEnv) importAll() int64 {
	e.t.Helper()
	paths, err := Expand(e.src.Log)
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, p := range paths {
		r, err := IngestFile(context.Background(), e.st, e.src, p, Options{})
		if err != nil {
			e.t.Fatalf("%s: %v", p, err)
		}
		n += r.Lines
	}
	return n
}

// total returns the requests stored.
func (e *globEnv) total() int64 {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.st.ServiceID(ctx, "web", false)
	if err != nil || id == 0 {
		if err != nil {
			e.t.Fatal(err)
		}
		return 0
	}
	var n int64
	if err := e.st.ReadCells(ctx, id, store.Day, 0, 1<<40, func(sp *store.Span) error {
		n += int64(sp.Cell.Count())
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// expect fails the test unless the lines just read and the requests stored
// are as wanted.
func (e *globEnv) expect(step string, read, wantRead, wantTotal int64) {
	e.t.Helper()
	if total := e.total(); read != wantRead || total != wantTotal {
		e.t.Fatalf("%s: read %d lines, %d stored; want %d read, %d stored", step, read, total, wantRead, wantTotal)
	}
}

// TestTwinFilesInOneGlob imports two vhost logs matched by one glob whose
// first line is the same health check: every line of both is counted once,
// and again nothing; appended lines, a compressed copy and stdin follow.
func TestTwinFilesInOneGlob(t *testing.T) {
	e := newGlobEnv(t, "*.access.log", nil)
	e.append("a.access.log", health+vhostLines("a", 1, 300))
	e.append("b.access.log", health+vhostLines("b", 1, 700))
	e.expect("first import", e.importAll(), 1002, 1002)
	e.expect("second import", e.importAll(), 0, 1002)
	e.append("a.access.log", vhostLines("a", 301, 10))
	e.append("b.access.log", vhostLines("b", 701, 20))
	e.expect("appended", e.importAll(), 30, 1032)

	// b's content again, compressed and on stdin: nothing new.
	b, err := os.ReadFile(e.path("b.access.log"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	e.append("b.access.log.1.gz", gz.String())
	e.expect("with a .gz copy", e.importAll(), 0, 1032)
	r, err := IngestStdin(context.Background(), e.st, e.src, bytes.NewReader(b), Options{})
	if err != nil || !r.Known || r.Lines != 0 {
		t.Fatalf("stdin of b: %+v, %v; want known, nothing read", r, err)
	}
	e.expect("after stdin", 0, 0, 1032)
}

// TestYoungTwinsImport imports twin logs while they hold only their
// identical first line, then once they differ: every line once.
func TestYoungTwinsImport(t *testing.T) {
	for _, tc := range []struct {
		name         string
		aMore, bMore int // lines a and b get after the first import
	}{
		{name: "both grow", aMore: 3, bMore: 5},
		{name: "only a grows", aMore: 3},
		{name: "only b grows", bMore: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newGlobEnv(t, "*.access.log", nil)
			e.append("a.access.log", health)
			e.append("b.access.log", health)
			// Identical so far: one is read, the other repeats it and waits
			// until they differ (it could be a copy of the first).
			e.expect("young", e.importAll(), 1, 1)
			e.append("a.access.log", vhostLines("a", 1, tc.aMore))
			e.append("b.access.log", vhostLines("b", 1, tc.bMore))
			want := int64(2 + tc.aMore + tc.bMore)
			read := e.importAll()
			read += e.importAll() // a twin that waited behind the other is read now
			e.expect("diverged", read, want-1, want)
			e.expect("again", e.importAll(), 0, want)
		})
	}
}

// schema1 is the sources table as stores before schema 2 have it.
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
`

// TestUpgradeKeepsPositions opens a store written by an older headroom,
// whose positions are keyed by SourceKey(log, fingerprint) and, older still,
// by the bare fingerprint: reading goes on from them, nothing counted again,
// and a twin of a known file appearing after the upgrade is read whole.
func TestUpgradeKeepsPositions(t *testing.T) {
	other := strings.Replace(health, "/health", "/ready", 1)
	aRead, cRead := health+vhostLines("a", 1, 60), other+vhostLines("c", 1, 30)
	e := newGlobEnv(t, "*.access.log", func(dataDir string) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, store.DBFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(schema1); err != nil {
			t.Fatal(err)
		}
		fp := func(s string) string {
			f, err := Fingerprint([]byte(s), false)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		log := filepath.Join(filepath.Dir(dataDir), "*.access.log")
		for _, r := range []struct {
			key, path string
			offset    int
			lines     int
		}{
			{SourceKey(log, fp(health)), "a.access.log", len(aRead), 61},
			{fp(other), "c.access.log", len(cRead), 31},
		} {
			if _, err := db.Exec(`INSERT INTO sources VALUES (?, 'web', ?, ?, ?, ?, 0, 0, 0, 0, 0)`,
				r.key, log, filepath.Join(filepath.Dir(dataDir), r.path), r.offset, r.lines); err != nil {
				t.Fatal(err)
			}
		}
	})
	if !strings.HasSuffix(e.src.Log, "*.access.log") || filepath.Dir(e.src.Log) != e.dir {
		t.Fatalf("log %q is not the one the old rows name", e.src.Log)
	}
	// What the old store read, and what came since.
	e.append("a.access.log", aRead+vhostLines("a", 61, 40))
	e.append("c.access.log", cRead+vhostLines("c", 31, 20))
	e.append("b.access.log", health+vhostLines("b", 1, 70)) // a's twin, new
	e.expect("after the upgrade", e.importAll(), 40+20+71, 40+20+71)
	e.expect("again", e.importAll(), 0, 131)
}

// TestCompare relates a file's content to a live owner's.
func TestCompare(t *testing.T) {
	big := strings.Repeat(health, compareBytes/len(health)+10) // equal beyond what is compared
	for _, tc := range []struct {
		name, file, owner string
		want              relation
	}{
		{"same", health + "x\n", health + "x\n", within},
		{"a copy cut short", health, health + "x\n", within},
		{"longer", health + "x\n", health, extends},
		{"different", health + "y\n", health + "x\n", differs},
		{"equal as far as compared, longer", big + "x\n", big, extends},
		{"equal as far as compared, shorter", big, big + "x\n", within},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			open := func(name, s string) *File {
				p := filepath.Join(dir, name)
				write(t, p, s)
				f, err := OpenFile(p)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { f.Close() })
				return f
			}
			f, owner := open("file", tc.file), open("owner", tc.owner)
			got, err := compare(f.content(), owner)
			if err != nil || got != tc.want {
				t.Errorf("compare = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
