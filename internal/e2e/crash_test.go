package e2e

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Crash test parameters: how long and how fast the writer writes, and the
// range of a serve process's life before SIGKILL.
const (
	crashWriteFor = 12 * time.Second
	crashRate     = 2000 // lines per second
	crashBurst    = 10 * time.Millisecond
	minLife       = 200 * time.Millisecond
	maxLife       = 2 * time.Second
	minKills      = 10
	catchUp       = 30 * time.Second // deadline for the last serve to read everything
)

// rotation is something the writer does to its files at a moment of its run.
type rotation struct {
	after time.Duration
	kind  string // "rename" or "copytruncate"
}

// crashWriter appends unique combined-format lines to dir/access.log at a
// steady rate, sometimes leaving a line half written until its next burst,
// and rotates the files as scheduled. One goroutine does all appends and
// rotations, so a copytruncate's copy and truncate have no append between
// them: the test expects every line written, exactly.
type crashWriter struct {
	dir, path string
	rng       *rand.Rand
	f         *os.File
	pending   []byte // the start of a line not yet fully written
	seq       int64  // next line number

	written atomic.Int64 // lines completely on disk
	bad     atomic.Int64 // of which 5xx
	last    atomic.Int64 // the latest line's time, Unix seconds
	rotated atomic.Int64 // rotations done
}

func newCrashWriter(t *testing.T, dir string, seed uint64) *crashWriter {
	t.Helper()
	w := &crashWriter{dir: dir, path: filepath.Join(dir, "access.log"), rng: rand.New(rand.NewPCG(seed, 1))}
	var err error
	if w.f, err = os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		t.Fatal(err)
	}
	return w
}

// line returns line number n: its path, user agent and size make every line
// (so every file's first line) unique.
func (w *crashWriter) line(n int64, now time.Time) []byte {
	w.last.Store(now.Unix())
	status := 200
	switch n % 10 {
	case 3:
		status = 500
		w.bad.Add(1)
	case 6:
		status = 503
		w.bad.Add(1)
	case 7:
		status = 404
	case 8:
		status = 429
	}
	return fmt.Appendf(nil, "10.0.%d.%d - - [%s] \"GET /api/items/%d?seq=%d HTTP/1.1\" %d %d \"-\" \"crash-writer/%d\"\n",
		n/256%256, n%256, now.Format("02/Jan/2006:15:04:05 -0700"), n%1000, n, status, 100+n%900, n)
}

// run writes until d has passed, doing the rotations on schedule, then
// finishes its last line and closes the file.
func (w *crashWriter) run(d time.Duration, rotations []rotation) error {
	start := time.Now()
	tick := time.NewTicker(crashBurst)
	defer tick.Stop()
	for {
		el := time.Since(start)
		if len(rotations) > 0 && el >= rotations[0].after {
			if err := w.rotate(rotations[0].kind); err != nil {
				return err
			}
			rotations = rotations[1:]
		}
		if el >= d {
			break
		}
		now := time.Now()
		var buf []byte
		buf = append(buf, w.pending...)
		for target := int64(el.Seconds() * crashRate); w.seq < target; w.seq++ {
			buf = append(buf, w.line(w.seq, now)...)
		}
		// Write all but a random tail: a partial line stays on disk until
		// the next burst, as with a slow writer or a full pipe.
		cut := len(buf)
		if len(buf) > 0 && w.rng.IntN(3) == 0 {
			cut = w.rng.IntN(len(buf))
		}
		if err := w.write(buf[:cut]); err != nil {
			return err
		}
		w.pending = append(w.pending[:0], buf[cut:]...)
		<-tick.C
	}
	if err := w.flush(); err != nil {
		return err
	}
	return w.f.Close()
}

// write appends b and counts the lines it completes.
func (w *crashWriter) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := w.f.Write(b); err != nil {
		return err
	}
	w.written.Add(int64(bytes.Count(b, []byte("\n"))))
	return nil
}

// flush finishes the partial line, so no line spans two files.
func (w *crashWriter) flush() error {
	err := w.write(w.pending)
	w.pending = w.pending[:0]
	return err
}

// rotate does one rotation. Rotated files are never deleted: a line still
// unread by a killed headroom must stay on disk for the count to be exact.
func (w *crashWriter) rotate(kind string) error {
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.shift(); err != nil {
		return err
	}
	switch kind {
	case "rename":
		if err := os.Rename(w.path, w.path+".1"); err != nil {
			return err
		}
		// Late lines, as nginx writes into the renamed file until it
		// reopens its logs.
		now := time.Now()
		var late []byte
		for range 20 {
			late = append(late, w.line(w.seq, now)...)
			w.seq++
		}
		if err := w.write(late); err != nil {
			return err
		}
		if err := w.f.Close(); err != nil {
			return err
		}
		f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		w.f = f
	case "copytruncate":
		src, err := os.Open(w.path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.Create(w.path + ".1")
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			return err
		}
		if err := dst.Close(); err != nil {
			return err
		}
		if err := w.f.Truncate(0); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown rotation %q", kind)
	}
	w.rotated.Add(1)
	return nil
}

// shift renames access.log.N to access.log.N+1, oldest first.
func (w *crashWriter) shift() error {
	matches, err := filepath.Glob(w.path + ".*")
	if err != nil {
		return err
	}
	var ns []int
	for _, m := range matches {
		if n, err := strconv.Atoi(strings.TrimPrefix(m, w.path+".")); err == nil {
			ns = append(ns, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ns)))
	for _, n := range ns {
		if err := os.Rename(w.path+"."+strconv.Itoa(n), w.path+"."+strconv.Itoa(n+1)); err != nil {
			return err
		}
	}
	return nil
}

// TestCrash has headroom serve follow a log written at 2,000 lines/s while it
// is killed with SIGKILL at random moments and restarted, and then checks
// that the last serve counts every line exactly once: no line lost, none
// counted twice, with and without rotation.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped under -short")
	}
	headroomBin(t)
	t.Run("append", func(t *testing.T) { crashRun(t, 1, nil) })
	t.Run("rotate", func(t *testing.T) {
		crashRun(t, 2, []rotation{
			{2 * time.Second, "rename"},
			{4 * time.Second, "copytruncate"},
			{5500 * time.Millisecond, "rename"},
			{7 * time.Second, "copytruncate"},
			{8500 * time.Millisecond, "copytruncate"},
			{10 * time.Second, "rename"},
		})
	})
}

func crashRun(t *testing.T, seed uint64, rotations []rotation) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, fmt.Sprintf(`storage:
  dir: %s
services:
  - name: crash
    logs:
      - path: %s
        format: combined
slos:
  - name: availability
    service: crash
    objective: 99
    window: 28d
    sli: {type: availability}
`, filepath.Join(dir, "data"), filepath.Join(dir, "access.log*")))
	serveLogPath := filepath.Join(dir, "serve.log")
	serveLog, err := os.Create(serveLogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer serveLog.Close()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("headroom serve output (end):\n%s", tailFile(serveLogPath, 8<<10))
			if names, err := filepath.Glob(filepath.Join(dir, "access.log*")); err == nil {
				for _, n := range names {
					if fi, err := os.Stat(n); err == nil {
						t.Logf("  %s: %d bytes", filepath.Base(n), fi.Size())
					}
				}
			}
		}
	})

	w := newCrashWriter(t, dir, seed)
	var (
		wg       sync.WaitGroup
		writeErr error
	)
	writing := make(chan struct{})
	wg.Go(func() {
		defer close(writing)
		writeErr = w.run(crashWriteFor, rotations)
	})
	t.Cleanup(wg.Wait)

	rng := rand.New(rand.NewPCG(seed, 2))
	kills := 0
	var seen float64 // the largest total status has shown: committed data never goes away
	for done := false; !done || kills < minKills; {
		fmt.Fprintf(serveLog, "=== start %d\n", kills+1)
		p := startServe(t, cfg, serveLog)
		life := minLife + time.Duration(rng.Int64N(int64(maxLife-minLife)))
		timer := time.NewTimer(life)
		select {
		case <-timer.C:
		case <-p.done:
			timer.Stop()
			t.Fatalf("serve %d exited by itself before its SIGKILL: %v", kills+1, p.err)
		}
		p.kill()
		kills++
		fmt.Fprintf(serveLog, "=== SIGKILL %d after %v\n", kills, life)

		// Between lives, what was committed is readable and never more
		// than what was written.
		if _, err := os.Stat(filepath.Join(dir, "data", "headroom.db")); err == nil {
			rep := status(t, cfg, time.Now().Add(time.Minute))
			total := rep.slo(t, "availability").Total
			written := w.written.Load()
			switch {
			case total > float64(written):
				t.Fatalf("after kill %d: total %v > %d lines written: lines counted twice", kills, total, written)
			case total < seen:
				t.Fatalf("after kill %d: total %v < %v seen before: committed data lost", kills, total, seen)
			}
			seen = total
		}
		select {
		case <-writing:
			done = true
		default:
		}
	}
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writer: %v", writeErr)
	}
	written, bad := w.written.Load(), w.bad.Load()
	if int(w.rotated.Load()) != len(rotations) {
		t.Fatalf("writer did %d rotations, want %d", w.rotated.Load(), len(rotations))
	}
	at := time.Unix(w.last.Load(), 0).Add(time.Minute)
	t.Logf("seed %d: writer wrote %d lines (%d bad) in %v, %d rotations; %d SIGKILLs; last total before the final serve %v",
		seed, written, bad, crashWriteFor, len(rotations), kills, seen)

	fmt.Fprintf(serveLog, "=== final start\n")
	p := startServe(t, cfg, serveLog)
	check := func(rep *statusReport) error {
		s := rep.slo(t, "availability")
		if s.Total != float64(written) || s.Good != float64(written-bad) {
			return fmt.Errorf("total/good %v/%v, want %d/%d (the writer's lines)", s.Total, s.Good, written, written-bad)
		}
		if len(rep.Sources) != 1 || rep.Sources[0].Lines != written || rep.Sources[0].Malformed != 0 {
			return fmt.Errorf("sources %+v, want one with %d lines, 0 malformed", rep.Sources, written)
		}
		return nil
	}
	start := time.Now()
	rep := waitStatus(t, cfg, at, catchUp, func(rep *statusReport) error {
		if p.exited() {
			t.Fatalf("final serve exited: %v", p.err)
		}
		return check(rep)
	})
	t.Logf("final serve caught up in %v: total %v good %v, %d files read",
		time.Since(start).Round(time.Millisecond), rep.SLOs[0].Total, rep.SLOs[0].Good, rep.Sources[0].FilesRead)
	waitFor(t, time.Second) // four more poll cycles
	if err := check(status(t, cfg, at)); err != nil {
		t.Errorf("a second later: %v", err)
	}
	if err := p.stop(t); err != nil {
		t.Errorf("final serve: exit after SIGTERM: %v, want status 0", err)
	}
	if err := check(status(t, cfg, at)); err != nil {
		t.Errorf("after the final serve stopped: %v", err)
	}
}
