package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

const customFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time`

func testConfig(t testing.TB, logPath string) *config.Config {
	t.Helper()
	return headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: web
    logs:
      - path: %q
        log_format: '%s'
    exclude:
      - route: ^/health
      - user_agent: kube-probe
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: lat, service: web, objective: 99, window: 28d, sli: {type: latency, threshold: 250ms}}
`, logPath, customFormat))
}

type env struct {
	t   *testing.T
	st  *store.Store
	src *Source
	cfg *config.Config
}

func newEnv(t *testing.T, logPath string) *env {
	t.Helper()
	cfg := testConfig(t, logPath)
	st := headroomtest.Store(t, cfg.Storage.Dir)
	return &env{t: t, st: st, src: testSource(t, cfg, st, 2), cfg: cfg}
}

// testSource returns the source of cfg's first log, with the routes and
// hosts of known (nil for none).
func testSource(t testing.TB, cfg *config.Config, known RouteSource, workers int) *Source {
	t.Helper()
	svc, err := NewService(context.Background(), cfg, &cfg.Services[0], known)
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewSource(cfg.Services[0].Logs[0], workers, svc)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// counts returns the stored requests by "METHOD route status".
func (e *env) counts() map[string]uint64 {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.st.ServiceID(ctx, "web", false)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]uint64{}
	if id == 0 {
		return out
	}
	dims, err := e.st.Dims(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.st.ReadCells(ctx, id, store.Minute, 0, 1<<40, func(sp *store.Span) error {
		for _, en := range sp.Cell.Entries {
			d := dims[en.Dim]
			out[fmt.Sprintf("%s %s %d", d.Method, d.Route, d.Status)] += en.Count
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func line(ts time.Time, method, path string, status int, rt string) string {
	return fmt.Sprintf(`10.0.0.1 - - [%s] "%s %s HTTP/1.1" %d 12 "-" "curl/8" %s %s`+"\n",
		ts.Format("02/Jan/2006:15:04:05 -0700"), method, path, status, rt, rt)
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("", 9*3600))

func sampleLog() string {
	var b strings.Builder
	for i := range 300 {
		ts := t0.Add(time.Duration(i) * 7 * time.Second)
		switch {
		case i%50 == 0:
			b.WriteString(line(ts, "GET", "/health", 200, "0.001"))
		case i%30 == 0:
			b.WriteString(line(ts, "POST", fmt.Sprintf("/api/deals/%d", i), 502, "0.100"))
		default:
			b.WriteString(line(ts, "GET", fmt.Sprintf("/api/users/%d?x=1", 1000+i), 200, "0.020"))
		}
	}
	return b.String()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportExactlyOnceAcrossCopies(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, sampleLog())
	e := newEnv(t, log)
	ctx := context.Background()

	res, err := IngestFile(ctx, e.st, e.src, log, Options{CommitBytes: 4096, ChunkSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 300 || res.Excluded != 6 || res.Malformed != 0 || res.Commits < 2 {
		t.Fatalf("result = %+v, want 300 lines, 6 excluded, several commits", res.Result)
	}
	want := map[string]uint64{"GET /api/users/:id 200": 286, "POST /api/deals/:id 502": 8}
	if diff := cmp.Diff(want, e.counts()); diff != "" {
		t.Fatalf("counts (-want +got):\n%s", diff)
	}
	if got := time.UnixMilli(res.FirstTS).UTC(); !got.Equal(t0.UTC()) {
		t.Errorf("first event %v, want %v (offset honoured)", got, t0.UTC())
	}

	// The same content again, renamed, gzipped, or on stdin, adds nothing.
	renamed := filepath.Join(dir, "access.log.1")
	write(t, renamed, sampleLog())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte(sampleLog())); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "access.log.2.gz"), gz.String())
	for _, p := range []string{log, renamed, filepath.Join(dir, "access.log.2.gz")} {
		r, err := IngestFile(ctx, e.st, e.src, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Known || r.Lines != 0 {
			t.Errorf("%s: known=%v lines=%d, want a known file adding nothing", p, r.Known, r.Lines)
		}
	}
	r, err := IngestStdin(ctx, e.st, e.src, bytes.NewReader(gz.Bytes()), Options{})
	if err != nil || !r.Known || r.Lines != 0 {
		t.Errorf("stdin: %+v, %v; want known, nothing added", r, err)
	}
	if diff := cmp.Diff(want, e.counts()); diff != "" {
		t.Fatalf("counts after re-imports (-want +got):\n%s", diff)
	}

	// Appending continues where the last read stopped, even through a copy
	// once its original no longer holds the lines (copytruncate). A copy
	// that grew while its original still held them would look like a twin
	// log further ahead, read as a file of its own (see identify).
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	more := line(t0.Add(time.Hour), "GET", "/", 500, "0.5")
	write(t, renamed, sampleLog()+more)
	if r, err := IngestFile(ctx, e.st, e.src, renamed, Options{}); err != nil || r.Lines != 1 {
		t.Fatalf("appended: %+v, %v; want 1 line", r, err)
	}
	want["GET / 500"] = 1
	if diff := cmp.Diff(want, e.counts()); diff != "" {
		t.Fatalf("counts after append (-want +got):\n%s", diff)
	}
}

func TestPartialLastLineWaits(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	full := line(t0, "GET", "/a", 200, "0.010")
	write(t, log, full+full[:20])
	e := newEnv(t, log)
	ctx := context.Background()
	r, err := IngestFile(ctx, e.st, e.src, log, Options{})
	if err != nil || r.Lines != 1 || r.Partial != 20 {
		t.Fatalf("first read: %+v, %v; want 1 line and 20 bytes left", r, err)
	}
	write(t, log, full+full)
	r, err = IngestFile(ctx, e.st, e.src, log, Options{})
	if err != nil || r.Lines != 1 || r.Partial != 0 || r.Malformed != 0 {
		t.Fatalf("second read: %+v, %v; want the completed line", r, err)
	}
	if got := e.counts()["GET /a 200"]; got != 2 {
		t.Errorf("count = %d, want 2", got)
	}
}

func TestJunkIsCountedNeverFatal(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	good := line(t0, "GET", "/a", 200, "0.010")
	tls := `203.0.113.9 - - [20/Nov/2026:10:00:01 +0900] "\x16\x03\x01\x00\xF7\x01\x00\x00\xF3\x03\x03" 400 157 "-" "-" 0.001 -` + "\n"
	dash := `203.0.113.9 - - [20/Nov/2026:10:00:02 +0900] "-" 400 0 "-" "-" 0.000 -` + "\n"
	huge := line(t0, "GET", "/a/"+strings.Repeat("x", 1<<20), 200, "0.010")
	tooLong := strings.Repeat("z", ChunkSize+MaxLine+100) + "\n"
	garbage := "\x00\x01\xff\xfe binary \x80\x81\n"
	truncated := good[:len(good)/2] + "\n"
	content := good + tls + dash + huge + garbage + truncated + "\n" + tooLong + good
	write(t, log, content)
	e := newEnv(t, log)
	r, err := IngestFile(context.Background(), e.st, e.src, log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Lines != 9 || r.Malformed != 4 {
		t.Errorf("lines=%d malformed=%d, want 9 lines, 4 malformed (garbage, truncated, empty, too long)", r.Lines, r.Malformed)
	}
	var lines []int64
	for _, s := range r.Samples {
		lines = append(lines, s.Line)
		if s.Reason == "" || s.Path != log {
			t.Errorf("sample without reason or path: %+v", s)
		}
	}
	if diff := cmp.Diff([]int64{5, 6, 7, 8}, lines); diff != "" {
		t.Errorf("sample line numbers (-want +got):\n%s", diff)
	}
	c := e.counts()
	if c["- - 400"] != 2 || c["GET /a 200"] != 2 {
		t.Errorf("counts = %v; want 2 junk 400s without a route and 2 good lines", c)
	}
	var long uint64
	for k, n := range c {
		if strings.HasPrefix(k, "GET /a/") {
			long += n
		}
	}
	if long != 1 {
		t.Errorf("the 1 MB line was not counted once: %v", c)
	}
	if r.To != int64(len(content)) {
		t.Errorf("offset %d, want the whole file %d", r.To, len(content))
	}
}

func TestFingerprint(t *testing.T) {
	for _, tc := range []struct {
		name     string
		head     string
		complete bool
		ready    bool
	}{
		{"first line", "abc\ndef", false, true},
		{"incomplete", "abc", false, false},
		{"complete stream", "abc", true, true},
		{"empty", "", true, false},
		{"long first line", strings.Repeat("a", FingerprintBytes+10), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fingerprint([]byte(tc.head), tc.complete)
			if (err == nil) != tc.ready {
				t.Errorf("err = %v, want ready=%v", err, tc.ready)
			}
		})
	}
	fp := func(head string) string {
		t.Helper()
		f, err := Fingerprint([]byte(head), false)
		if err != nil {
			t.Fatalf("Fingerprint(%q): %v", head, err)
		}
		return f
	}
	a, b, c := fp("line one\nline two\n"), fp("line one\nsomething else"), fp("line 1\n")
	if a != b || a == c {
		t.Errorf("fingerprints: same first line %v, different first line %v", a == b, a != c)
	}
}

// TestProbe checks the rule that refuses a file whose first lines do not fit
// the format: refused whole (nothing stored, offset unmoved) when more than
// half of its first ProbeLines complete lines are malformed; otherwise
// imported with the malformed lines counted and sampled.
func TestProbe(t *testing.T) {
	good := func(i int) string { return line(t0.Add(time.Duration(i)*time.Second), "GET", "/a", 200, "0.010") }
	jsonLine := func(i int) string {
		return fmt.Sprintf(`{"time":"2026-11-20T10:00:%02d+00:00","status":"200","request":"GET / HTTP/1.1"}`+"\n", i%60)
	}
	// A line whose last quoted field is cut short, like line 8,899 of the
	// apache_logs sample.
	cut := func(i int) string { l := good(i); return l[:strings.LastIndexByte(l, '"')-8] + "\n" }
	// A main-like line: one field more than the format.
	extra := func(i int) string { return strings.TrimSuffix(good(i), "\n") + ` "10.0.0.9"` + "\n" }
	gen := func(parts ...any) string {
		var b strings.Builder
		i := 0
		for k := 0; k < len(parts); k += 2 {
			for range parts[k].(int) {
				b.WriteString(parts[k+1].(func(int) string)(i))
				i++
			}
		}
		return b.String()
	}
	tests := []struct {
		name      string
		content   string
		refused   bool
		probed    int   // lines tried, when refused
		firstBad  int64 // line number of the first malformed line, when refused
		lines     int64 // when imported
		malformed int64
	}{
		{"a JSON log read as text", gen(50, jsonLine), true, 50, 1, 0, 0},
		{"extra fields on every line", gen(300, extra), true, 100, 1, 0, 0},
		{"60 of the first 100 malformed", gen(40, good, 60, cut), true, 100, 41, 0, 0},
		{"half of the first 100 malformed", gen(50, cut, 50, good), false, 0, 0, 100, 50},
		{"good start, bad end", gen(100, good, 200, jsonLine), false, 0, 0, 300, 200},
		{"a few cut lines among good ones", gen(10, good, 1, cut, 10, good, 1, cut), false, 0, 0, 22, 2},
		{"a short file, 2 of 3 bad", gen(1, good, 2, cut), true, 3, 2, 0, 0},
		{"a short file, 1 of 3 bad", gen(1, cut, 2, good), false, 0, 0, 3, 1},
		{"empty lines", gen(1, good) + "\n\n", true, 3, 2, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "access.log")
			write(t, log, tc.content)
			e := newEnv(t, log)
			ctx := context.Background()
			r, err := IngestFile(ctx, e.st, e.src, log, Options{CommitBytes: 2048, ChunkSize: 1024})
			if !tc.refused {
				if err != nil {
					t.Fatal(err)
				}
				if r.Lines != tc.lines || r.Malformed != tc.malformed || r.To != int64(len(tc.content)) {
					t.Fatalf("lines=%d malformed=%d offset=%d, want %d, %d, %d", r.Lines, r.Malformed, r.To, tc.lines, tc.malformed, len(tc.content))
				}
				if n := min(tc.malformed, store.SamplesKept); int64(len(r.Samples)) != n {
					t.Errorf("%d samples, want %d", len(r.Samples), n)
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FormatError", err)
			}
			if fe.Lines != tc.probed || fe.Path != log || !fe.Refused() || fe.Malformed[0].Line != tc.firstBad || fe.Malformed[0].Reason == "" ||
				!strings.Contains(err.Error(), log+": refused, nothing imported") || !strings.Contains(err.Error(), fmt.Sprintf("; line %d: ", tc.firstBad)) {
				t.Errorf("refused with %v (%d lines tried, first bad %+v); want %d tried, the first bad on line %d",
					err, fe.Lines, fe.Malformed[0], tc.probed, tc.firstBad)
			}
			if r.Lines != 0 || r.To != 0 || r.Commits != 0 {
				t.Errorf("result %+v, want nothing read", r.Result)
			}
			if _, known, err := e.st.Source(ctx, r.Fingerprint); err != nil || known {
				t.Errorf("the refused file is known to the store (%v): its offset moved", err)
			}
			if c := e.counts(); len(c) != 0 {
				t.Errorf("counts = %v, want none", c)
			}
			// ProbeFile, what validate uses, says the same.
			pr, err := e.src.ProbeFile(log)
			if err != nil || !pr.Refused() || pr.Lines != tc.probed {
				t.Errorf("ProbeFile: %+v, %v", pr, err)
			}
		})
	}
}

// TestProbeOnlyAtStart checks that a file already read is not probed again:
// lines appended to it count as malformed, as before.
func TestProbeOnlyAtStart(t *testing.T) {
	log := filepath.Join(t.TempDir(), "access.log")
	first := line(t0, "GET", "/a", 200, "0.010")
	write(t, log, first)
	e := newEnv(t, log)
	ctx := context.Background()
	if r, err := IngestFile(ctx, e.st, e.src, log, Options{}); err != nil || r.Lines != 1 {
		t.Fatalf("first read: %+v, %v", r, err)
	}
	write(t, log, first+"junk\njunk\n")
	r, err := IngestFile(ctx, e.st, e.src, log, Options{})
	if err != nil || r.Lines != 2 || r.Malformed != 2 {
		t.Fatalf("appended junk: %+v, %v; want 2 malformed lines", r.Result, err)
	}
	if r.Samples[0].Line != 2 {
		t.Errorf("first sample on line %d, want 2", r.Samples[0].Line)
	}
}

// TestProbeStdin checks that a refused stream says so too.
func TestProbeStdin(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "access.log"))
	_, err := IngestStdin(context.Background(), e.st, e.src, strings.NewReader("a\nb\nc\n"), Options{})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Lines != 3 || len(fe.Malformed) != 3 || !strings.HasPrefix(err.Error(), "stdin: refused") {
		t.Fatalf("err = %v, want stdin refused after 3 lines", err)
	}
}

// batchRecorder is the store, noting the byte range of each committed batch.
type batchRecorder struct {
	*store.Store
	ranges [][2]int64
}

func (b *batchRecorder) Commit(ctx context.Context, batch *store.Batch) error {
	for _, u := range batch.Sources {
		b.ranges = append(b.ranges, [2]int64{u.From, u.To})
	}
	return b.Store.Commit(ctx, batch)
}

// TestRunEndsWithSmallBatch: with the stream's size known, the last batch
// is at most a quarter of a full one (plus a chunk), so little is left to
// commit after parsing; without it, batches are full up to the end.
func TestRunEndsWithSmallBatch(t *testing.T) {
	content := sampleLog()
	e := newEnv(t, "access.log")
	const commitBytes, chunk = 8192, 1024
	for _, size := range []int64{int64(len(content)), 0} {
		rec := &batchRecorder{Store: e.st}
		fp := fmt.Sprintf("size-%d", size)
		res, err := Run(context.Background(), rec, e.src, Stream{R: strings.NewReader(content), Path: fp, Fingerprint: fp, Size: size},
			Options{CommitBytes: commitBytes, ChunkSize: chunk})
		if err != nil {
			t.Fatal(err)
		}
		if res.Lines != 300 || res.To != int64(len(content)) {
			t.Fatalf("size %d: %+v, want 300 lines up to %d", size, res, len(content))
		}
		var prev int64
		for _, r := range rec.ranges {
			if r[0] != prev {
				t.Fatalf("size %d: batches %v are not contiguous", size, rec.ranges)
			}
			prev = r[1]
		}
		full := len(rec.ranges) - 1 // batches before the last are full...
		if size > 0 {
			full-- // ...but for the one the end cut short
			if last := rec.ranges[len(rec.ranges)-1]; last[1]-last[0] > commitBytes/4+chunk {
				t.Errorf("size known: last batch of %d bytes (%v), want ≤ %d", last[1]-last[0], rec.ranges, commitBytes/4+chunk)
			}
		}
		for _, r := range rec.ranges[:full] {
			if r[1]-r[0] < commitBytes {
				t.Errorf("size %d: a batch of %d bytes before the end (%v)", size, r[1]-r[0], rec.ranges)
			}
		}
	}
}

// TestOutOfOrderMinutes: lines that go back and forth between minutes (as
// from several upstreams' clocks or a merged log) count in their own minute,
// once, whichever worker and chunk they land in.
func TestOutOfOrderMinutes(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	var b strings.Builder
	want := map[string]uint64{}
	for i := range 600 {
		ts := t0.Add(time.Duration(i%3) * 2 * time.Minute).Add(time.Duration(i%50) * time.Second)
		path := fmt.Sprintf("/api/items/%d", i%4)
		status := 200 + (i%2)*300
		b.WriteString(line(ts, "GET", path, status, "0.010"))
		want[fmt.Sprintf("%s %d", ts.UTC().Truncate(time.Minute).Format("15:04"), status)]++
	}
	write(t, log, b.String())
	e := newEnv(t, log)
	ctx := context.Background()
	if _, err := IngestFile(ctx, e.st, e.src, log, Options{CommitBytes: 16 << 10, ChunkSize: 2048}); err != nil {
		t.Fatal(err)
	}
	id, err := e.st.ServiceID(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	dims, err := e.st.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	err = e.st.ReadCells(ctx, id, store.Minute, 0, 1<<40, func(sp *store.Span) error {
		seen := map[uint32]bool{}
		for _, en := range sp.Cell.Entries {
			if seen[en.Dim] {
				t.Errorf("minute %d: dimension %d twice", sp.Start, en.Dim)
			}
			seen[en.Dim] = true
			if n := en.Hist.Timed(); n != en.Count {
				t.Errorf("minute %d: %d requests, %d in the histogram", sp.Start, en.Count, n)
			}
			got[fmt.Sprintf("%s %d", time.Unix(sp.Start, 0).UTC().Format("15:04"), dims[en.Dim].Status)] += en.Count
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts by minute and status (-want +got):\n%s", diff)
	}
}

// TestTwinLogsImportWhole imports two logs of one service whose first line is
// the same health check: each is read whole, once.
func TestTwinLogsImportWhole(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	health := line(t0, "GET", "/", 200, "0.001")
	write(t, a, health+sampleLog())
	write(t, b, health+sampleLog()+sampleLog())
	cfg := headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: web
    logs:
      - {path: %q, log_format: '%s'}
      - {path: %q, log_format: '%s'}
slos: []
`, a, customFormat, b, customFormat))
	st := headroomtest.Store(t, cfg.Storage.Dir)
	svc, err := NewService(context.Background(), cfg, &cfg.Services[0], st)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for i, p := range []string{a, b, a, b} {
		src, err := NewSource(cfg.Services[0].Logs[i%2], 2, svc)
		if err != nil {
			t.Fatal(err)
		}
		r, err := IngestFile(context.Background(), st, src, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Lines)
	}
	if diff := cmp.Diff([]int64{301, 601, 0, 0}, got); diff != "" {
		t.Fatalf("lines read (-want +got):\n%s", diff)
	}
}

// TestOlderStoreKeysKeepWorking reads a file whose position a store keeps
// under its bare fingerprint (before keys named the log): it goes on from
// there.
func TestOlderStoreKeysKeepWorking(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, sampleLog())
	e := newEnv(t, log)
	ctx := context.Background()
	f, err := OpenFile(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SeekContent(0); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, e.st, e.src, Stream{R: f, Path: log, Fingerprint: f.Fingerprint, Size: f.Size}, Options{}); err != nil {
		t.Fatal(err)
	}
	write(t, log, sampleLog()+line(t0.Add(time.Hour), "GET", "/", 500, "0.5"))
	r, err := IngestFile(ctx, e.st, e.src, log, Options{})
	if err != nil || !r.Known || r.Lines != 1 || r.Fingerprint != f.Fingerprint {
		t.Fatalf("%+v, %v; want the old row found and 1 line added", r, err)
	}
}

// TestExpandSkipsLinksOutOfTheDirectory leaves out a glob match that is a
// symbolic link to a file outside the log directory, unless the config
// names it; links within the directory are read.
func TestExpandSkipsLinksOutOfTheDirectory(t *testing.T) {
	logs, elsewhere := t.TempDir(), t.TempDir()
	secret := filepath.Join(elsewhere, "shadow")
	write(t, secret, "root:x:0:0\n")
	write(t, filepath.Join(logs, "a.log"), "a\n")
	for link, target := range map[string]string{"b.log": secret, "c.log": filepath.Join(logs, "a.log"), "a.log.1": secret} {
		if err := os.Symlink(target, filepath.Join(logs, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, pattern  string
		files, outside []string
	}{
		{"glob", "*.log", []string{"a.log", "c.log"}, []string{"a.log.1", "b.log"}},
		{"rotated sibling", "a.log", []string{"a.log"}, []string{"a.log.1"}},
		{"named in the config", "b.log", []string{"b.log"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, outside, err := ExpandAll(filepath.Join(logs, tc.pattern))
			if err != nil {
				t.Fatal(err)
			}
			rel := func(ps []string) []string {
				var out []string
				for _, p := range ps {
					out = append(out, filepath.Base(p))
				}
				sort.Strings(out)
				return out
			}
			if diff := cmp.Diff(tc.files, rel(files)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.outside, rel(outside)); diff != "" {
				t.Errorf("left out (-want +got):\n%s", diff)
			}
			if plain, _ := Expand(filepath.Join(logs, tc.pattern)); len(plain) != len(tc.files) {
				t.Errorf("Expand = %v, want %v", plain, tc.files)
			}
		})
	}
}

func TestTimesOutOfRange(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	at := func(s string) string {
		return `10.0.0.1 - - [` + s + `] "GET /a HTTP/1.1" 200 12 "-" "curl/8" 0.010 0.010` + "\n"
	}
	good := line(t0, "GET", "/a", 200, "0.010")
	content := good + good + good + good +
		at("31/Dec/9999:23:59:59 +0000") + // once stored at 1833 (minutes overflowed int32)
		at("01/Jan/1970:00:00:10 +0000") + // once "no time"
		at("01/Jan/2200:00:00:00 +0000") +
		at("01/Jan/1971:00:00:00 +0000") // the first time in range
	write(t, log, content)
	e := newEnv(t, log)
	r, err := IngestFile(context.Background(), e.st, e.src, log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range r.Samples {
		got = append(got, fmt.Sprintf("%d %s", s.Line, s.Reason))
	}
	want := []string{
		"5 time out of range (9999-12-31T23:59:59Z, want 1971-01-01 .. 2199-12-31 UTC)",
		"6 time out of range (1970-01-01T00:00:10Z, want 1971-01-01 .. 2199-12-31 UTC)",
		"7 time out of range (2200-01-01T00:00:00Z, want 1971-01-01 .. 2199-12-31 UTC)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("malformed samples (-want +got):\n%s", diff)
	}
	if r.Lines != 8 || r.Malformed != 3 {
		t.Errorf("lines=%d malformed=%d, want 8 lines, 3 malformed", r.Lines, r.Malformed)
	}
	if c := e.counts(); c["GET /a 200"] != 5 {
		t.Errorf("counts = %v, want the 4 good lines and the 1971 one", c)
	}
}

// TestExpandFollowsLinks: with Follow, a match that is a link out of the
// glob's directory is read under its own name, and the rotated siblings
// of its target are found beside the target (where kubelet renames and
// compresses them), not beside the link; a sibling there that is itself a
// link out of that directory is still left out. The target itself is not
// listed twice. Without Follow nothing changes.
func TestExpandFollowsLinks(t *testing.T) {
	root := t.TempDir()
	pods := filepath.Join(root, "pods", "ns_pod_uid", "controller")
	links := filepath.Join(root, "containers")
	secret := filepath.Join(root, "shadow")
	for _, d := range []string{pods, links} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, secret, "root:x:0:0\n")
	for i, f := range []string{"0.log.20261120-090000.gz", "0.log.20261120-100000", "0.log", "1.log"} {
		p := filepath.Join(pods, f)
		write(t, p, f+"\n")
		if err := os.Chtimes(p, time.Unix(int64(1_800_000_000+i), 0), time.Unix(int64(1_800_000_000+i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		filepath.Join(links, "pod_ns_controller-abc.log"): filepath.Join(pods, "0.log"),
		filepath.Join(pods, "0.log.20261120-110000"):      secret, // a stray link beside the target
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			r, _ := filepath.Rel(root, p)
			out = append(out, r)
		}
		return out
	}
	pattern := filepath.Join(links, "*.log")
	for _, tc := range []struct {
		follow         bool
		files, outside []string
	}{
		{true, []string{"pods/ns_pod_uid/controller/0.log.20261120-090000.gz", "pods/ns_pod_uid/controller/0.log.20261120-100000", "containers/pod_ns_controller-abc.log"},
			[]string{"pods/ns_pod_uid/controller/0.log.20261120-110000"}},
		{false, nil, []string{"containers/pod_ns_controller-abc.log"}},
	} {
		files, outside, err := Glob{Pattern: pattern, Follow: tc.follow}.ExpandAll()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.files, rel(files)); diff != "" {
			t.Errorf("follow %v: files, oldest first (-want +got):\n%s", tc.follow, diff)
		}
		if diff := cmp.Diff(tc.outside, rel(outside)); diff != "" {
			t.Errorf("follow %v: left out (-want +got):\n%s", tc.follow, diff)
		}
	}
}
