package tail

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/store"
)

// fullStore is the store with a full disk while full is set: every commit
// fails as SQLite's does, and nothing is written.
type fullStore struct {
	*store.Store
	mu      sync.Mutex
	full    bool
	commits int // commits tried
}

func (s *fullStore) Commit(ctx context.Context, b *store.Batch) error {
	s.mu.Lock()
	s.commits++
	full := s.full
	s.mu.Unlock()
	if full {
		return errors.New("commit: database or disk is full (13)")
	}
	return s.Store.Commit(ctx, b)
}

func (s *fullStore) set(full bool) (commits int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.full = full
	return s.commits
}

// TestStoreErrorBackoff: while the store refuses lines (a full disk), the
// follower tries the file again after 1, 2, 4 … s, not at every poll; it
// says the error once (and again only after StoreErrorRepeat or when it
// changes), keeps the lines waiting in the log, and stores every one of
// them, once, when the store takes them again.
func TestStoreErrorBackoff(t *testing.T) {
	e := newEnv(t, "access.log")
	fs := &fullStore{Store: e.st, full: true}
	var logged strings.Builder
	e.f = New(fs, e.f.sources, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	e.append(e.log, 500)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	warnings := func() int { return strings.Count(logged.String(), "level=WARN") }
	poll := func(at time.Duration) { e.f.Poll(context.Background(), t0.Add(at)) }

	// Polled every 250ms for 8 s: tried at 0, 1, 3 and 7 s.
	for at := time.Duration(0); at <= 8*time.Second; at += DefaultInterval {
		poll(at)
	}
	if got := fs.set(true); got != 4 {
		t.Errorf("the full store was tried %d times in 8 s of polls, want 4 (at 0, 1, 3, 7 s)", got)
	}
	if warnings() != 1 {
		t.Errorf("%d warnings in 8 s, want the error said once:\n%s", warnings(), logged.String())
	}
	st := e.f.States()[0]
	if st.Broken() == "" || !strings.Contains(st.LastError, "disk is full") || st.Behind == 0 {
		t.Errorf("state while full: %+v, want the error and the bytes waiting", st)
	}
	e.expect(0)

	// Still full past StoreErrorRepeat: said again, once; the delay stays
	// at StoreRetryMax.
	for at := 8 * time.Second; at <= StoreErrorRepeat+10*time.Second; at += DefaultInterval {
		poll(at)
	}
	if warnings() != 2 {
		t.Errorf("%d warnings after %v, want 2:\n%s", warnings(), StoreErrorRepeat+10*time.Second, logged.String())
	}
	if tries := fs.set(false); tries > 4+int((StoreErrorRepeat+2*time.Second)/StoreRetryMax)+2 {
		t.Errorf("tried %d times, more than every %v", tries, StoreRetryMax)
	}

	// The disk has room again: at the next try every line is stored once.
	e.append(e.log, 20)
	for at := StoreErrorRepeat + 10*time.Second; at <= StoreErrorRepeat+10*time.Second+StoreRetryMax; at += DefaultInterval {
		poll(at)
	}
	e.expect(520)
	if st := e.f.States()[0]; st.Broken() != "" || st.Behind != 0 {
		t.Errorf("state after the store recovered: %+v", st)
	}
	if !strings.Contains(logged.String(), "the store takes the lines again") {
		t.Errorf("the recovery was not said:\n%s", logged.String())
	}
	// And the next error starts the backoff from the beginning.
	fs.set(true)
	e.append(e.log, 1)
	before := fs.set(true)
	end := StoreErrorRepeat + 10*time.Second + StoreRetryMax
	poll(end + time.Second)
	poll(end + 2*time.Second)
	if got := fs.set(false) - before; got != 2 {
		t.Errorf("a new store error: tried %d times in 1 s, want 2 (at once, then after %v)", got, StoreRetryMin)
	}
	poll(end + 4*time.Second)
	e.expect(521)
}
