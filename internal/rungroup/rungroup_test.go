package rungroup

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// blocker is a part that runs until its context ends, then waits for
// release before it returns.
type blocker struct {
	started, stopping chan struct{}
	release           chan struct{}
	done              atomic.Bool
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}), stopping: make(chan struct{}), release: make(chan struct{})}
}

func (b *blocker) run(ctx context.Context) error {
	close(b.started)
	<-ctx.Done()
	close(b.stopping)
	<-b.release
	b.done.Store(true)
	return nil
}

func TestRunWaitsForEveryPart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := newBlocker()
	var g Group
	g.Add("slow", b.run)
	g.Add("quick", func(ctx context.Context) error { <-ctx.Done(); return nil })
	ret := make(chan error, 1)
	go func() { ret <- g.Run(ctx) }()
	<-b.started
	cancel()
	<-b.stopping
	select {
	case err := <-ret:
		t.Fatalf("Run returned (%v) while a part was still stopping", err)
	default:
	}
	close(b.release)
	if err := <-ret; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !b.done.Load() {
		t.Fatal("Run returned before the slow part did")
	}
}

func TestFailureStopsTheGroup(t *testing.T) {
	boom := errors.New("boom")
	var g Group
	g.Add("server", func(ctx context.Context) error { <-ctx.Done(); return nil })
	g.Add("tailer", func(ctx context.Context) error { return boom })
	err := g.Run(context.Background())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "tailer: boom") {
		t.Fatalf("Run = %v, want the tailer's error, named", err)
	}
}

func TestPartReturningStopsTheGroupButTaskDoesNot(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopped atomic.Bool
	var g Group
	g.AddTask("warm-up", func(context.Context) error { return nil })
	g.Add("server", func(ctx context.Context) error { <-ctx.Done(); stopped.Store(true); return nil })
	ret := make(chan error, 1)
	go func() { ret <- g.Run(ctx) }()
	select {
	case err := <-ret:
		t.Fatalf("a finished task stopped the group: %v", err)
	case <-time.After(50 * time.Millisecond): // a negative check: nothing may stop the group
	}
	cancel()
	if err := <-ret; err != nil || !stopped.Load() {
		t.Fatalf("Run = %v, server stopped %v", err, stopped.Load())
	}

	var g2 Group
	g2.Add("server", func(context.Context) error { return nil }) // stopped serving on its own
	g2.Add("tailer", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if err := g2.Run(context.Background()); err != nil {
		t.Fatalf("Run = %v: context.Canceled is not a failure", err)
	}
}

func TestStuckPartIsNamed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := newBlocker()
	defer close(b.release)
	g := Group{Grace: 10 * time.Millisecond}
	g.Add("notify", b.run)
	g.Add("tail", func(ctx context.Context) error { <-ctx.Done(); return nil })
	cancel()
	err := g.Run(ctx)
	if !errors.Is(err, ErrStuck) || !strings.Contains(err.Error(), "notify") || strings.Contains(err.Error(), "tail") {
		t.Fatalf("Run = %v, want ErrStuck naming notify only", err)
	}
}
