package report

import (
	"context"
	"testing"

	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// watched is a store's change hook and commit count, by hand.
type watched struct {
	hook    func(store.Change)
	commits int64
}

func (w *watched) OnChange(fn func(store.Change))         { w.hook = fn }
func (w *watched) Commits(context.Context) (int64, error) { return w.commits, nil }

// TestCountCacheKeepsUnchangedCells: a request keeps what it computed from
// the cells that did not change while it ran, whatever else changed (a
// fleet's pushes change the newest cells all the time); never a cell that
// changed, nor anything once everything was dropped.
func TestCountCacheKeepsUnchangedCells(t *testing.T) {
	w := &watched{}
	c := newCountCache(w)
	counts := []slo.Counts{{Total: 1}}
	change := func(starts ...int64) {
		w.commits++
		w.hook(store.Change{Service: "web", Res: store.Minute, Starts: starts, Commits: w.commits})
	}
	v := c.view("web")
	change(120) // a push into the newest minute, while v reads
	v.Put(store.Minute, 60, counts)
	v.Put(store.Minute, 120, counts)
	if _, ok := v.Get(store.Minute, 60); !ok {
		t.Error("a cell that did not change was not kept")
	}
	if _, ok := v.Get(store.Minute, 120); ok {
		t.Error("a cell that changed during the request was kept")
	}
	// A later request keeps the changed cell.
	v2 := c.view("web")
	v2.Put(store.Minute, 120, counts)
	if _, ok := v2.Get(store.Minute, 120); !ok {
		t.Error("a cell read after its change was not kept")
	}
	change(120)
	if _, ok := v2.Get(store.Minute, 120); ok {
		t.Error("a changed cell was not dropped")
	}
	// Everything dropped (cells pruned): the requests under way keep
	// nothing.
	v3 := c.view("web")
	w.commits++
	w.hook(store.Change{All: true, Commits: w.commits})
	v3.Put(store.Minute, 180, counts)
	if _, ok := v3.Get(store.Minute, 180); ok {
		t.Error("a request begun before everything was dropped kept a cell")
	}
	// Writes by another process: the same.
	v4 := c.view("web")
	w.commits += 5
	if err := c.sync(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	v4.Put(store.Minute, 180, counts)
	if _, ok := v4.Get(store.Minute, 180); ok {
		t.Error("a request begun before another process's writes kept a cell")
	}
}
