package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLock(t *testing.T) {
	switch runtime.GOOS {
	case "darwin", "dragonfly", "freebsd", "linux", "netbsd", "openbsd":
	default:
		t.Skipf("no flock on %s", runtime.GOOS)
	}
	dir := filepath.Join(t.TempDir(), "data") // created by Lock
	l, err := Lock(dir, "headroom serve")
	if err != nil {
		t.Fatal(err)
	}
	// A second holder, even in the same process (another open file),
	// is refused and told who holds the lock.
	_, err = Lock(dir, "headroom agent")
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: %v, want a *LockedError", err)
	}
	if le.PID != os.Getpid() || le.Holder != "headroom serve" || le.Dir != dir {
		t.Errorf("LockedError %+v", le)
	}
	if want := fmt.Sprintf("store %s is in use by headroom serve (pid %d)", dir, os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	// The store itself opens beside the lock (import, status).
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l, err = Lock(dir, "headroom agent")
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	defer l.Release()
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if want := fmt.Sprintf("%d headroom agent\n", os.Getpid()); err != nil || string(b) != want {
		t.Errorf("lock file %q (%v), want %q", b, err, want)
	}
}
