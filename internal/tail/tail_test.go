package tail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/store"
)

type env struct {
	t   *testing.T
	dir string
	log string
	st  *store.Store
	f   *Follower
	n   int // lines written so far
}

func newEnv(t *testing.T, pattern string) *env {
	t.Helper()
	cfg := headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: web
    logs: [{path: %q, format: combined}]
slos: []
`, pattern))
	dir := filepath.Dir(cfg.Path) // pattern is relative to it
	e := &env{t: t, dir: dir, log: filepath.Join(dir, "access.log"), st: headroomtest.Store(t, cfg.Storage.Dir)}
	svc, err := ingest.NewService(context.Background(), cfg, &cfg.Services[0], e.st)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ingest.NewSource(cfg.Services[0].Logs[0], 2, svc)
	if err != nil {
		t.Fatal(err)
	}
	e.f = New(e.st, []*ingest.Source{src}, Options{})
	return e
}

// append writes n numbered lines to path (created if missing).
func (e *env) append(path string, n int) {
	e.t.Helper()
	var b strings.Builder
	for range n {
		e.n++
		ts := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Add(time.Duration(e.n) * time.Second)
		fmt.Fprintf(&b, "10.0.0.1 - - [%s] \"GET /n/%d HTTP/1.1\" 200 5 \"-\" \"t\"\n", ts.Format("02/Jan/2006:15:04:05 -0700"), e.n)
	}
	writeTo(e.t, path, b.String())
}

// poll polls once; an error the follower records fails the test (Poll
// reports errors only through States).
func (e *env) poll() {
	e.t.Helper()
	e.f.Poll(context.Background(), time.Now())
	for _, s := range e.f.States() {
		if s.LastError != "" {
			e.t.Fatalf("poll %s: %s", s.Log, s.LastError)
		}
	}
}

// total returns the requests stored; a store error fails the test rather
// than reading as 0.
func (e *env) total() uint64 {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.st.ServiceID(ctx, "web", false)
	if err != nil {
		e.t.Fatal(err)
	}
	if id == 0 { // nothing committed yet: the service is created with its first cell
		return 0
	}
	var n uint64
	err = e.st.ReadCells(ctx, id, store.Day, 0, 1<<40, func(sp *store.Span) error {
		n += sp.Cell.Count()
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) expect(want int) {
	e.t.Helper()
	if got := e.total(); got != uint64(want) {
		e.t.Fatalf("stored %d requests, want %d", got, want)
	}
}

func TestFollowAppends(t *testing.T) {
	e := newEnv(t, "access.log")
	e.poll() // no file yet: nothing, no error
	e.expect(0)
	e.append(e.log, 10)
	e.poll()
	e.expect(10)
	e.append(e.log, 5)
	e.poll()
	e.poll()
	e.expect(15)
}

func TestRenameRotation(t *testing.T) {
	e := newEnv(t, "access.log")
	e.append(e.log, 10)
	e.poll()
	// Lines written just before the rename are read from the renamed file.
	e.append(e.log, 3)
	if err := os.Rename(e.log, e.log+".1"); err != nil {
		t.Fatal(err)
	}
	e.append(e.log+".1", 2) // nginx writes to the old file until it reopens
	e.append(e.log, 4)
	e.poll()
	e.expect(19)
	// The rotated file is compressed later: nothing is counted twice.
	gzipFile(t, e.log+".1")
	e.poll()
	e.expect(19)
}

func TestCopyTruncate(t *testing.T) {
	e := newEnv(t, "access.log")
	e.append(e.log, 10)
	e.poll()
	e.append(e.log, 3) // not read before the copy
	b, err := os.ReadFile(e.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.log+".1", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(e.log, 0); err != nil {
		t.Fatal(err)
	}
	e.poll() // the copy has the same first line: read from the stored offset
	e.expect(13)
	e.append(e.log, 6)
	e.poll()
	e.expect(19)
}

func TestPartialLinesAndNewFiles(t *testing.T) {
	e := newEnv(t, "*.log")
	e.append(e.log, 2)
	writeTo(t, e.log, `10.0.0.1 - - [20/Nov/2026:00:10:00 +0000] "GET /half`)
	e.poll()
	e.expect(2)
	writeTo(t, e.log, ` HTTP/1.1" 200 5 "-" "t"`+"\n")
	e.poll()
	e.expect(3)
	// A new file matching the glob, first line still incomplete, then complete.
	other := filepath.Join(e.dir, "other.log")
	writeTo(t, other, `10.0.0.1 - - [20/Nov/2026:00:10:00 +0000] "GET /x`)
	e.poll()
	e.expect(3)
	writeTo(t, other, ` HTTP/1.1" 200 5 "-" "t"`+"\n")
	e.poll()
	e.expect(4)
	// Deleting a file forgets nothing already counted.
	if err := os.Remove(other); err != nil {
		t.Fatal(err)
	}
	e.poll()
	e.expect(4)
	st := e.f.States()
	if len(st) != 1 || st[0].Lines != 4 || st[0].Files != 1 {
		t.Errorf("states = %+v", st)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	e := newEnv(t, "access.log")
	e.append(e.log, 1)
	ctx, cancel := context.WithCancel(context.Background())
	wake := make(chan time.Time)
	done := make(chan error)
	e.f.wake = wake
	go func() { done <- e.f.Run(ctx) }()
	wake <- time.Now() // the first poll has happened when Run takes this
	e.expect(1)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// writeTo appends s to path, creating it if missing.
func writeTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// gzipFile replaces path by path.gz, as logrotate's compress does.
func gzipFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := newGzip(f)
	_, err = zw.Write(b)
	for _, c := range []func() error{zw.Close, f.Close} {
		if cerr := c(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestStateBroken(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		s    State
		want string
	}{
		{"never polled", State{Log: "/var/log/a.log"}, ""},
		{"reads fine", State{Log: "/var/log/a.log", Files: 1, LastPoll: t0, LastData: t0}, ""},
		{"no file matches", State{Log: "/var/log/a.log", LastPoll: t0}, "no file matches /var/log/a.log"},
		{"failing since its data", State{Log: "a", Files: 1, LastPoll: t0, LastData: t0, LastError: "permission denied", LastErrorAt: t0.Add(time.Second)}, "permission denied"},
		{"failed before its last data", State{Log: "a", Files: 1, LastPoll: t0, LastData: t0.Add(time.Second), LastError: "permission denied", LastErrorAt: t0}, ""},
	} {
		if got := tc.s.Broken(); got != tc.want {
			t.Errorf("%s: Broken() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestStateJSON(t *testing.T) {
	b, err := json.Marshal(State{Log: "/var/log/a.log", Service: "web", Files: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"last_poll":null`, `"last_data":null`, `"log":"/var/log/a.log"`, `"files":1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: want %s", b, want)
		}
	}
	if strings.Contains(string(b), "0001-01-01") || strings.Contains(string(b), "last_error_at") {
		t.Errorf("%s: a zero time is encoded", b)
	}
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	b, _ = json.Marshal(State{LastData: at})
	if !strings.Contains(string(b), `"last_data":"2026-11-02T10:00:00Z"`) {
		t.Errorf("%s: want the time", b)
	}
}

// TestRefusedFile: a file whose first lines do not fit the format is
// refused whole (nothing stored), said once in the log and in the source's
// state, skipped while it does not change, and tried again when it does.
func TestRefusedFile(t *testing.T) {
	e := newEnv(t, "access.log")
	var logged strings.Builder
	e.f = New(e.st, e.f.sources, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	writeTo(t, e.log, strings.Repeat(`{"status":200}`+"\n", 5))
	refusals := func() int { return strings.Count(logged.String(), "log file refused") }
	for i := range 3 {
		if i == 2 {
			writeTo(t, e.log, `{"status":500}`+"\n") // changed: tried again, not said again
		}
		e.f.Poll(context.Background(), time.Now())
		st := e.f.States()[0]
		if !strings.Contains(st.LastError, "refused, nothing imported: ") || !strings.Contains(st.Broken(), "do not fit the format") {
			t.Fatalf("poll %d: state %+v, want the refusal", i, st)
		}
		if n := refusals(); n != 1 {
			t.Fatalf("poll %d: refusal logged %d times, want once:\n%s", i, n, logged.String())
		}
		e.expect(0)
	}
	e.append(e.log, 20) // now mostly good: read, the 6 bad lines count as malformed
	e.f.Poll(context.Background(), time.Now())
	e.expect(20)
	if st := e.f.States()[0]; st.Lines != 26 || st.Malformed != 6 || st.Broken() != "" {
		t.Errorf("state %+v, want 26 lines, 6 malformed, not broken", st)
	}
}

// TestTwinLogsKeepTheirOwnPositions follows two vhost logs whose first line
// is the same health check: each is counted whole, through rename rotation
// and copytruncate.
func TestTwinLogsKeepTheirOwnPositions(t *testing.T) {
	cfg := headroomtest.Config(t, `
services:
  - name: web
    logs: [{path: a.log, format: combined}, {path: b.log, format: combined}]
slos: []
`)
	dir := filepath.Dir(cfg.Path)
	e := &env{t: t, dir: dir, st: headroomtest.Store(t, cfg.Storage.Dir)}
	svc, err := ingest.NewService(context.Background(), cfg, &cfg.Services[0], e.st)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []*ingest.Source
	for _, l := range cfg.Services[0].Logs {
		src, err := ingest.NewSource(l, 2, svc)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	e.f = New(e.st, srcs, Options{})
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	health := "10.0.0.9 - - [20/Nov/2026:00:00:00 +0000] \"GET /health HTTP/1.1\" 200 2 \"-\" \"probe\"\n"
	writeTo(t, a, health)
	writeTo(t, b, health)
	e.append(a, 100)
	e.append(b, 1000)
	e.poll()
	e.expect(1102)
	e.append(a, 10)
	if err := os.Rename(a, a+".1"); err != nil { // rename rotation
		t.Fatal(err)
	}
	e.append(a+".1", 5)
	later := strings.Replace(health, ":00:00 ", ":00:01 ", 1) // a new file starts with a new line
	writeTo(t, a, later)
	e.append(b, 20)
	content, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b+".1", content, 0o644); err != nil { // copytruncate
		t.Fatal(err)
	}
	if err := os.Truncate(b, 0); err != nil {
		t.Fatal(err)
	}
	writeTo(t, b, later)
	e.poll()
	e.expect(1102 + 10 + 5 + 1 + 20 + 1)
	gzipFile(t, a+".1")
	gzipFile(t, b+".1")
	e.append(a, 3)
	e.poll()
	e.poll()
	e.expect(1139 + 3)
}

// TestFailedFileReadOncePerChange reads a corrupt rotated .gz and an
// unreadable file once, warns and counts once, and tries again only when the
// file changes.
func TestFailedFileReadOncePerChange(t *testing.T) {
	e := newEnv(t, "access.log")
	var logged strings.Builder
	e.f = New(e.st, e.f.sources, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	e.append(e.log+".1", 2000)
	gzipFile(t, e.log+".1")
	gz := e.log + ".1.gz"
	b, err := os.ReadFile(gz)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+64; i++ {
		b[i] ^= 0x55
	}
	if err := os.WriteFile(gz, b, 0o644); err != nil {
		t.Fatal(err)
	}
	warnings := func() int { return strings.Count(logged.String(), "level=WARN") }
	for i := range 4 {
		e.f.Poll(context.Background(), time.Now())
		st := e.f.States()[0]
		if st.LastError == "" || st.ReadErrors != 1 || warnings() != 1 {
			t.Fatalf("poll %d: state %+v, %d warnings, want 1 read error said once:\n%s", i, st, warnings(), logged.String())
		}
	}
	if err := os.WriteFile(gz, append(b, 0), 0o644); err != nil { // changed: tried again
		t.Fatal(err)
	}
	e.f.Poll(context.Background(), time.Now())
	if st := e.f.States()[0]; st.ReadErrors != 2 || warnings() != 2 {
		t.Fatalf("after a change: state %+v, %d warnings, want 2", st, warnings())
	}

	if os.Geteuid() == 0 {
		t.Log("root reads any file: the permission case is not tested")
		return
	}
	e.append(e.log, 3)
	if err := os.Chmod(e.log, 0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e.f.Poll(context.Background(), time.Now())
	}
	if st := e.f.States()[0]; st.ReadErrors != 3 || warnings() != 3 {
		t.Fatalf("unreadable: state %+v, %d warnings, want 3", st, warnings())
	}
}

// health is the first line of twin vhost logs: the same health check, at
// the same second, in both.
const health = "10.0.0.9 - - [20/Nov/2026:00:00:00 +0000] \"GET /health HTTP/1.1\" 200 2 \"-\" \"probe\"\n"

// copyFile copies from to to, as logrotate's copytruncate does before it
// truncates.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTwinsInOneGlob follows two vhost logs matched by one glob whose first
// line is the same health check: each line is counted once while both
// grow, through a rename rotation of one and a copytruncate of the other
// (polled between its copy and its truncate too), and through the
// compression of the rotated files.
func TestTwinsInOneGlob(t *testing.T) {
	e := newEnv(t, "*.access.log")
	a, b := filepath.Join(e.dir, "a.access.log"), filepath.Join(e.dir, "b.access.log")
	writeTo(t, a, health)
	writeTo(t, b, health)
	e.append(a, 100)
	e.append(b, 1000)
	e.poll()
	e.expect(1102)
	e.append(a, 10)
	e.append(b, 20)
	e.poll()
	e.expect(1132)

	// a: rename rotation; nginx writes to the renamed file until it reopens.
	e.append(a, 10)
	if err := os.Rename(a, a+".1"); err != nil {
		t.Fatal(err)
	}
	e.append(a+".1", 5)
	// b: copytruncate, with a poll between the copy and the truncate.
	e.append(b, 20)
	copyFile(t, b, b+".1")
	e.poll()
	e.expect(1132 + 15 + 20)
	if err := os.Truncate(b, 0); err != nil {
		t.Fatal(err)
	}
	// The new files start alike again, then differ.
	later := strings.Replace(health, ":00:00 ", ":10:00 ", 1)
	writeTo(t, a, later)
	writeTo(t, b, later)
	e.append(a, 2)
	e.append(b, 3)
	e.poll()
	e.expect(1167 + 3 + 4)

	gzipFile(t, a+".1")
	gzipFile(t, b+".1")
	e.append(a, 3)
	e.append(b, 4)
	e.poll()
	e.poll()
	e.expect(1174 + 7)
}

// TestYoungTwins follows twin logs holding only their identical first line,
// then differing: every line counted once. While they are identical, one is
// read and the other waits (it could be a copy of the first).
func TestYoungTwins(t *testing.T) {
	for _, tc := range []struct {
		name         string
		aMore, bMore int // lines a and b get once both have their first line
	}{
		{"both grow", 3, 5},
		{"only a grows", 3, 0},
		{"only b grows", 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "*.access.log")
			a, b := filepath.Join(e.dir, "a.access.log"), filepath.Join(e.dir, "b.access.log")
			writeTo(t, a, health)
			writeTo(t, b, health)
			e.poll()
			e.poll()
			e.expect(1)
			e.append(a, tc.aMore)
			e.append(b, tc.bMore)
			e.poll()
			e.poll() // the twin that waited behind the other one
			e.expect(2 + tc.aMore + tc.bMore)
			e.append(a, 1)
			e.append(b, 1)
			e.poll()
			e.expect(4 + tc.aMore + tc.bMore)
		})
	}
}

// TestCompressedWhileThePlainFileIsThere polls while a rotated file and its
// .gz both exist (compress writes the .gz, then deletes the plain file),
// the .gz holding late lines not read yet: they are counted once.
func TestCompressedWhileThePlainFileIsThere(t *testing.T) {
	e := newEnv(t, "access.log")
	e.append(e.log, 10)
	e.poll()
	if err := os.Rename(e.log, e.log+".1"); err != nil {
		t.Fatal(err)
	}
	e.append(e.log+".1", 3) // late lines, not read yet
	e.append(e.log, 2)
	tmp := filepath.Join(t.TempDir(), "access.log.1")
	copyFile(t, e.log+".1", tmp)
	gzipFile(t, tmp)
	copyFile(t, tmp+".gz", e.log+".1.gz")
	e.poll()
	e.poll()
	e.expect(15)
	if err := os.Remove(e.log + ".1"); err != nil {
		t.Fatal(err)
	}
	e.append(e.log, 1)
	e.poll()
	e.expect(16)
}
