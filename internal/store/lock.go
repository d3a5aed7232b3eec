package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the name, in the data directory, of the file Lock locks.
const LockFile = "headroom.lock"

// DirLock is a data directory's exclusive lock, held from Lock to Release.
type DirLock struct {
	f *os.File
}

// LockedError says that another process holds a data directory's lock.
type LockedError struct {
	Dir    string
	PID    int    // the holder's process id; 0 if unknown
	Holder string // what the holder is ("headroom serve"); "" if unknown
}

func (e *LockedError) Error() string {
	who := "another process"
	switch {
	case e.Holder != "" && e.PID != 0:
		who = fmt.Sprintf("%s (pid %d)", e.Holder, e.PID)
	case e.PID != 0:
		who = fmt.Sprintf("another process (pid %d)", e.PID)
	}
	return fmt.Sprintf("store %s is in use by %s: one process at a time may follow logs and send alerts from a store; stop it first, or give this one another storage.dir", e.Dir, who)
}

// errWouldBlock is what the platform's lock call returns when another
// process holds the lock.
var errWouldBlock = errors.New("lock held by another process")

// Lock takes the exclusive lock of the data directory dir (creating it if
// needed) for a process that writes the store all the time and must be
// its only writer of that kind (`headroom serve`, the fleet agent): a
// second one would tail, evaluate and notify everything twice. holder says
// what the process is ("headroom serve"); it is written into the lock file
// with the process id, so that a second process gets a *LockedError naming
// the first. Commands that read, or write now and then (import, status,
// event add), do not take it.
//
// The lock is flock(2) on dir/headroom.lock: the kernel releases it when
// the process exits, however it exits (kill -9 too), so a stale lock file
// never blocks anyone. On platforms without flock (Windows) Lock takes no
// lock; it only records the holder.
func Lock(dir, holder string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock store: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock store: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, lockedError(dir, path)
		}
		return nil, fmt.Errorf("lock store %s: %w", path, err)
	}
	err = f.Truncate(0)
	if err == nil {
		_, err = fmt.Fprintf(f, "%d %s\n", os.Getpid(), holder)
	}
	if err != nil {
		f.Close() // which releases the lock
		return nil, fmt.Errorf("lock store %s: %w", path, err)
	}
	return &DirLock{f: f}, nil
}

// lockedError reads who holds the lock from the lock file. It may be empty
// when the holder has just taken it and not written yet.
func lockedError(dir, path string) error {
	e := &LockedError{Dir: dir}
	b, err := os.ReadFile(path)
	if err != nil {
		return e
	}
	pid, holder, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	if n, err := strconv.Atoi(pid); err == nil && n > 0 {
		e.PID, e.Holder = n, holder
	}
	return e
}

// Release empties the lock file and releases the lock.
func (l *DirLock) Release() error {
	_ = l.f.Truncate(0) // a holder that is gone says nothing
	return l.f.Close()  // closing the last descriptor releases the flock
}
