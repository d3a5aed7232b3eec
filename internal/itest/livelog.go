package itest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// LiveLog is a combined-format access log that `headroom serve` tails,
// written with the current time, and a config with one service (web) and
// one SLO over it (web-availability: 99.9% of non-5xx over 1d).
type LiveLog struct {
	Config string // the config's path
	t      testing.TB
	f      *os.File
}

// NewLiveLog writes the config into dir and creates the log.
func NewLiveLog(t testing.TB, dir string) *LiveLog {
	t.Helper()
	logPath := filepath.Join(dir, "access.log")
	l := &LiveLog{Config: filepath.Join(dir, "headroom.yaml"), t: t}
	cfg := fmt.Sprintf(`storage: {dir: %q}
services:
  - name: web
    logs: [{path: %q, format: combined}]
slos:
  - {name: web-availability, service: web, objective: 99.9, window: 1d, sli: {type: availability}}
`, filepath.Join(dir, "data"), logPath)
	if err := os.WriteFile(l.Config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	l.f = f
	return l
}

// Write appends n requests answered with status, logged now, in one write.
func (l *LiveLog) Write(n, status int) {
	l.t.Helper()
	var b strings.Builder
	for range n {
		fmt.Fprintf(&b, "127.0.0.1 - - [%s] \"GET /api/items HTTP/1.1\" %d 12 \"-\" \"curl/8\"\n",
			time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"), status)
	}
	if _, err := l.f.WriteString(b.String()); err != nil {
		l.t.Fatal(err)
	}
}
