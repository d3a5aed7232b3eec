package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/store"
)

// wrapEnv is an env whose log is an ingress-nginx controller's container
// log, wrapped by w.
func wrapEnv(t *testing.T, logPath string, w logformat.Wrapper) *env {
	t.Helper()
	cfg := headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: web
    logs:
      - {path: %q, format: ingress-nginx, wrapper: %s}
    exclude:
      - route: ^/health
      - user_agent: kube-probe
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
`, logPath, w))
	st := headroomtest.Store(t, cfg.Storage.Dir)
	return &env{t: t, st: st, src: testSource(t, cfg, st, 2), cfg: cfg}
}

// containerLog writes a container log as a runtime does, keeping its own
// count of what the log holds: requests by "METHOD route status", lines
// (each counted once, when its full part is written), and the malformed
// and excluded ones.
type containerLog struct {
	w         logformat.Wrapper
	b         strings.Builder
	want      map[string]uint64
	lines     int64
	malformed int64
	excluded  int64
	reasons   map[int64]string // line number → why, for the wrapper's errors
}

func newContainerLog(w logformat.Wrapper) *containerLog {
	return &containerLog{w: w, want: map[string]uint64{}, reasons: map[int64]string{}}
}

// physical writes one line of stream with tag P or F.
func (g *containerLog) physical(stream, tag, text string) {
	const ts = "2026-11-14T10:00:00.123456789Z"
	if g.w == logformat.WrapCRI {
		fmt.Fprintf(&g.b, "%s %s %s %s\n", ts, stream, tag, text)
		return
	}
	if tag == "F" {
		text += "\n"
	}
	b, err := json.Marshal(struct {
		Log    string `json:"log"`
		Stream string `json:"stream"`
		Time   string `json:"time"`
	}{text, stream, ts})
	if err != nil {
		panic(err)
	}
	g.b.Write(append(b, '\n'))
}

// line writes text to stream in the given number of parts, with between
// the first two, when between is set, a whole line of the other stream.
func (g *containerLog) line(stream, text string, parts int, between func()) {
	cuts := []int{0}
	for i := 1; i < parts; i++ {
		cuts = append(cuts, len(text)*i/parts)
	}
	cuts = append(cuts, len(text))
	for i := 0; i+1 < len(cuts); i++ {
		tag := "P"
		if i+2 == len(cuts) {
			tag = "F"
			g.lines++
		}
		g.physical(stream, tag, text[cuts[i]:cuts[i+1]])
		if i == 0 && between != nil {
			between()
		}
	}
}

// stderr writes a line of the controller's own, to stderr: excluded.
func (g *containerLog) stderr(parts int) {
	g.line("stderr", `I1114 10:00:00.000000       7 controller.go:190] "Configuration changes detected, backend reload required"`, parts, nil)
	g.excluded++
}

// garbage writes a physical line that is not what the wrapper says.
func (g *containerLog) garbage(line, why string) {
	g.b.WriteString(line + "\n")
	g.lines++
	g.malformed++
	g.reasons[g.lines] = why
}

// request writes an ingress-nginx access line to stdout and counts it.
func (g *containerLog) request(i int, method, path string, status int, ua string, parts int, between func()) {
	ts := time.Date(2026, 11, 14, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	text := fmt.Sprintf(`10.0.0.%d - - [%s] "%s %s HTTP/1.1" %d 612 "-" "%s" 389 0.012 [shop-web-8080] [] 10.244.0.5:8080 612 0.011 %d %032x`,
		i%250, ts.Format("02/Jan/2006:15:04:05 -0700"), method, path, status, ua, status, i)
	g.line("stdout", text, parts, between)
}

// ingressControllerLog is a controller's log: its start-up banner on
// stdout (not requests: malformed), its own messages on stderr, n
// requests of which some are written in parts (one in 500 long enough to
// span several 1 KiB chunks), some with a stderr line between their parts,
// and two lines the wrapper does not recognise.
func ingressControllerLog(w logformat.Wrapper, n int) *containerLog {
	g := newContainerLog(w)
	for _, l := range []string{
		"-------------------------------------------------------------------------------",
		"NGINX Ingress controller",
		"  Release:       v1.9.4",
		"  Build:         846d251814a09d8a5d8d28e2e604bfc7749bcb49",
		"  Repository:    https://github.com/kubernetes/ingress-nginx",
		"  nginx version: nginx/1.21.6",
		"",
		"-------------------------------------------------------------------------------",
	} {
		// The controller's start-up banner on stdout: not an access line,
		// so excluded like stderr, not malformed.
		g.line("stdout", l, 1, nil)
		g.excluded++
	}
	rng := rand.New(rand.NewPCG(13, 1))
	for i := range n {
		parts := 1
		if rng.IntN(4) == 0 {
			parts = 2 + rng.IntN(3)
		}
		ua := "Mozilla/5.0 (X11; Linux x86_64)"
		if i%500 == 50 {
			// Longer than a chunk: the reader reads on (64 KiB) to its end.
			ua += " " + strings.Repeat("x", 3000)
			parts = 3 + rng.IntN(4)
		}
		var between func()
		if parts > 1 && rng.IntN(3) == 0 {
			between = func() { g.stderr(1 + rng.IntN(2)) }
		}
		switch {
		case i%10 == 0:
			g.request(i, "GET", "/healthz", 200, ua, parts, between)
			g.excluded++
		case i%10 == 1:
			g.request(i, "GET", fmt.Sprintf("/api/users/%d", 1000+i), 200, "kube-probe/1.28", parts, between)
			g.excluded++
		case i%10 == 2:
			g.request(i, "POST", fmt.Sprintf("/api/deals/%d", i), 502, ua, parts, between)
			g.want["POST /api/deals/:id 502"]++
		default:
			g.request(i, "GET", fmt.Sprintf("/api/users/%d", 1000+i), 200, ua, parts, between)
			g.want["GET /api/users/:id 200"]++
		}
		if i%25 == 0 {
			g.stderr(1)
		}
		if i == n/3 {
			if w == logformat.WrapCRI {
				g.garbage("2026-11-14T10:0", "cri: no RFC 3339 time at the start of the line")
			} else {
				g.garbage(`{"log":"10.0.0.1 - - [14/Nov/2026:10:`, "docker: JSON object cut short")
			}
		}
		if i == 2*n/3 {
			if w == logformat.WrapCRI {
				g.garbage("2026-11-14T10:00:00Z stdout", "cri: no P or F tag")
			} else {
				g.garbage(`{"log":"x\n","time":"2026-11-14T10:00:00Z"}`, "docker: no stream field")
			}
		}
	}
	return g
}

// TestImportContainerLog: a CRI or Docker wrapped ingress-nginx log,
// with lines in parts, stderr lines and garbage, imports to exactly the
// requests written (counted independently as they were written); every
// committed offset is between whole lines; the parts of a last line with
// no full part yet are left, and counted once when it comes.
func TestImportContainerLog(t *testing.T) {
	for _, w := range []logformat.Wrapper{logformat.WrapCRI, logformat.WrapDocker} {
		t.Run(w.String(), func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "ingress-nginx-controller-abc_ingress-nginx_controller-0123.log")
			g := ingressControllerLog(w, 1200)
			content := g.b.String()
			// The last line's parts, without its full part yet.
			tail := newContainerLog(w)
			tail.request(999, "GET", "/api/users/7", 200, "curl/8", 3, nil)
			cut := strings.LastIndexByte(strings.TrimSuffix(tail.b.String(), "\n"), '\n') + 1
			partial, final := tail.b.String()[:cut], tail.b.String()[cut:]
			write(t, log, content+partial)

			e := wrapEnv(t, log, w)
			ctx := context.Background()
			rec := &batchRecorder{Store: e.st}
			res, err := IngestFile(ctx, rec, e.src, log, Options{CommitBytes: 4096, ChunkSize: 1024})
			if err != nil {
				t.Fatal(err)
			}
			got := [3]int64{res.Lines, res.Malformed, res.Excluded}
			if want := [3]int64{g.lines, g.malformed, g.excluded}; got != want {
				t.Errorf("lines, malformed, excluded = %v, want %v", got, want)
			}
			if diff := cmp.Diff(g.want, e.counts()); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if res.To != int64(len(content)) || res.Partial != int64(len(partial)) {
				t.Errorf("read to %d, %d bytes left; want %d, %d (the last line's parts)", res.To, res.Partial, len(content), len(partial))
			}
			if len(rec.ranges) < 10 {
				t.Errorf("%d commits; want many, to commit between parts if the cut allowed it", len(rec.ranges))
			}
			for _, r := range rec.ranges {
				if end, _, _ := w.Cut([]byte(content[:r[1]]), 0); end != int(r[1]) {
					t.Errorf("committed offset %d is inside a line (the last whole line ends at %d)", r[1], end)
				}
			}
			reasons := map[int64]string{}
			for _, s := range res.Samples {
				if strings.HasPrefix(s.Reason, w.String()+": ") {
					reasons[s.Line] = s.Reason
				}
			}
			if diff := cmp.Diff(g.reasons, reasons); diff != "" {
				t.Errorf("wrapper errors by line (-want +got):\n%s", diff)
			}

			// The full part comes: the line counts once.
			write(t, log, content+partial+final)
			res, err = IngestFile(ctx, e.st, e.src, log, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Lines != 1 || res.Malformed != 0 || res.Partial != 0 {
				t.Errorf("after the full part: %+v, want 1 line", res.Result)
			}
			g.want["GET /api/users/:id 200"]++
			if diff := cmp.Diff(g.want, e.counts()); diff != "" {
				t.Errorf("counts after the full part (-want +got):\n%s", diff)
			}
		})
	}
}

// TestContainerLogRestartsBetweenParts: runs stopped after every commit
// (as by a restart, or SIGKILL once the commit is durable) and resumed
// from the stored offset count every line exactly once.
func TestContainerLogRestartsBetweenParts(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "c.log")
	g := ingressControllerLog(logformat.WrapCRI, 300)
	write(t, log, g.b.String())
	e := wrapEnv(t, log, logformat.WrapCRI)
	ctx := context.Background()
	var total Result
	for runs := 0; ; runs++ {
		if runs > 1000 {
			t.Fatal("no progress")
		}
		st := &stopAfterCommit{batchRecorder: batchRecorder{Store: e.st}}
		res, err := IngestFile(ctx, st, e.src, log, Options{CommitBytes: 1, ChunkSize: 1024})
		if err != nil && !errors.Is(err, errStopped) {
			t.Fatal(err)
		}
		total.Lines += res.Lines
		total.Malformed += res.Malformed
		total.Excluded += res.Excluded
		if err == nil && res.Lines == 0 {
			break
		}
	}
	got := [3]int64{total.Lines, total.Malformed, total.Excluded}
	if want := [3]int64{g.lines, g.malformed, g.excluded}; got != want {
		t.Errorf("lines, malformed, excluded = %v, want %v", got, want)
	}
	if diff := cmp.Diff(g.want, e.counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

var errStopped = errors.New("stopped after a commit")

// stopAfterCommit commits one batch, then fails the run.
type stopAfterCommit struct {
	batchRecorder
	done bool
}

func (s *stopAfterCommit) Commit(ctx context.Context, b *store.Batch) error {
	if s.done {
		return errStopped
	}
	s.done = true
	return s.batchRecorder.Commit(ctx, b)
}

// TestContainerLogLineTooLong: a line whose parts outgrow the read buffer
// is one malformed line, whatever the chunks it spans; the lines around
// it, the other stream's between its parts included, count; no commit
// falls inside it.
func TestContainerLogLineTooLong(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "c.log")
	g := newContainerLog(logformat.WrapCRI)
	g.request(1, "GET", "/a", 200, "curl/8", 1, nil)
	huge := strings.Repeat("y", 12000)
	g.line("stdout", huge, 12, func() { g.stderr(1) })
	g.malformed++
	g.request(2, "GET", "/b", 200, "curl/8", 2, nil)
	g.request(3, "GET", "/c", 200, "curl/8", 1, nil)
	g.want = map[string]uint64{"GET /a 200": 1, "GET /b 200": 1, "GET /c 200": 1}
	write(t, log, g.b.String())
	e := wrapEnv(t, log, logformat.WrapCRI)
	rec := &batchRecorder{Store: e.st}
	res, err := IngestFile(context.Background(), rec, e.src, log, Options{ChunkSize: 1024, MaxLine: 2048, CommitBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.ranges {
		if end, _, _ := logformat.WrapCRI.Cut([]byte(g.b.String()[:r[1]]), 0); end != int(r[1]) {
			t.Errorf("committed offset %d is inside a line (the last whole line ends at %d)", r[1], end)
		}
	}
	if len(rec.ranges) < 2 {
		t.Errorf("%d commits, want one per chunk outside the long line", len(rec.ranges))
	}
	got := [3]int64{res.Lines, res.Malformed, res.Excluded}
	if want := [3]int64{g.lines, g.malformed, g.excluded}; got != want {
		t.Errorf("lines, malformed, excluded = %v, want %v", got, want)
	}
	if diff := cmp.Diff(g.want, e.counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if len(res.Samples) != 1 || res.Samples[0].Reason != "line longer than 2048 bytes" || res.Samples[0].Line != 3 {
		t.Errorf("samples = %+v, want line 3, too long", res.Samples)
	}
	if res.To != int64(g.b.Len()) {
		t.Errorf("read to %d, want %d", res.To, g.b.Len())
	}
}

// TestContainerLogComplete: a complete stream (stdin, a .gz file) counts
// a last line whose full part never came, as it is.
func TestContainerLogComplete(t *testing.T) {
	g := newContainerLog(logformat.WrapCRI)
	g.request(1, "GET", "/a", 200, "curl/8", 2, nil)
	g.request(2, "GET", "/b", 200, "curl/8", 1, nil)
	content := g.b.String()
	content = content[:strings.LastIndex(content, " stdout F ")] + " stdout P " + content[strings.LastIndex(content, " stdout F ")+len(" stdout F "):]
	e := wrapEnv(t, "-", logformat.WrapCRI)
	res, err := IngestStdin(context.Background(), e.st, e.src, strings.NewReader(content), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 2 || res.Malformed != 0 || res.To != int64(len(content)) {
		t.Errorf("%+v, want 2 lines read to %d", res.Result, len(content))
	}
	if diff := cmp.Diff(map[string]uint64{"GET /a 200": 1, "GET /b 200": 1}, e.counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestProbeContainerLog: a plain log read with a wrapper, or a wrapped one
// without, is refused whole, with the reason; the stderr lines of a
// wrapped log are not tried.
func TestProbeContainerLog(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.log")
	write(t, plain, strings.Repeat(line(t0, "GET", "/a", 200, "0.010"), 10))
	e := wrapEnv(t, plain, logformat.WrapCRI)
	_, err := IngestFile(context.Background(), e.st, e.src, plain, Options{})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Lines != 10 || fe.Malformed[0].Reason != "cri: no RFC 3339 time at the start of the line" {
		t.Errorf("plain log read as cri: %v, want refused", err)
	}

	// Mostly stderr, a few stdout lines that do not fit: refused, on the
	// stdout lines alone.
	g := newContainerLog(logformat.WrapCRI)
	for range 50 {
		g.stderr(1)
	}
	for range 3 {
		g.line("stdout", "not an access line", 1, nil)
	}
	wrapped := filepath.Join(dir, "wrapped.log")
	write(t, wrapped, g.b.String())
	e = wrapEnv(t, wrapped, logformat.WrapCRI)
	pr, err := e.src.ProbeFile(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Lines != 3 || !pr.Refused() || pr.Malformed[0].Line != 51 {
		t.Errorf("probe = %+v, want 3 stdout lines tried, refused, the first one line 51", pr)
	}
}

// TestWrapperConfigured: NewSource reads the wrapper from the config, and
// refuses one it does not know.
func TestWrapperConfigured(t *testing.T) {
	e := wrapEnv(t, "x.log", logformat.WrapDocker)
	if e.src.Wrap != logformat.WrapDocker {
		t.Errorf("Wrap = %v", e.src.Wrap)
	}
	l := config.LogSource{Path: "x.log", Format: "combined", Wrapper: "podman"}
	if _, err := NewSource(l, 1, e.src.Services...); err == nil || !strings.Contains(err.Error(), `unknown wrapper "podman"`) {
		t.Errorf("err = %v", err)
	}
}
