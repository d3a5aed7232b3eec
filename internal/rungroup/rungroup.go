// Package rungroup runs the long-running parts of a process together (the
// tailer, the HTTP server, the alert evaluator, the notifiers…) and stops
// them together: when the process is told to stop, or when one part fails,
// every part is told to stop, and Run returns only when all of them have
// returned, so whatever they share (the store) can be closed after it.
//
// It is Prometheus' run group with names, one-shot tasks and a deadline:
// shutdown is logged part by part, and a part that does not stop within the
// deadline is named in the error instead of holding the process forever.
package rungroup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// ErrStuck is returned (joined with the parts' errors) when parts were still
// running when the stop deadline passed.
var ErrStuck = errors.New("parts did not stop in time")

// DefaultGrace is how long Run waits for the parts once they are told to
// stop.
const DefaultGrace = 15 * time.Second

// Group is a set of named parts. The zero value is ready to use.
type Group struct {
	// Log receives one line when the group stops and one per part as it
	// stops (nil: none).
	Log *slog.Logger
	// Grace bounds the wait for the parts after they are told to stop
	// (default DefaultGrace).
	Grace time.Duration

	parts []part
}

type part struct {
	name    string
	run     func(ctx context.Context) error
	oneShot bool
}

// Add adds a long-running part: run must return when its context ends. Its
// return, error or not, before the group is stopping, stops the group (a
// server that is no longer serving is a failure of the process).
func (g *Group) Add(name string, run func(ctx context.Context) error) {
	g.parts = append(g.parts, part{name: name, run: run})
}

// AddTask adds a part that may finish on its own (a cache warm-up): its
// returning nil stops nothing; an error stops the group. It is told to stop
// and waited for like any other part.
func (g *Group) AddTask(name string, run func(ctx context.Context) error) {
	g.parts = append(g.parts, part{name: name, run: run, oneShot: true})
}

type exit struct {
	name string
	err  error
	took time.Duration
}

// Run starts every part and blocks until ctx ends or a part stops the group,
// then tells every part to stop and waits for all of them, at most Grace.
// It returns the errors of the parts that failed (context.Canceled is not a
// failure), with ErrStuck and the names of the parts that did not stop.
func (g *Group) Run(ctx context.Context) error {
	log := g.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	grace := g.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exits := make(chan exit, len(g.parts))
	start := time.Now()
	for _, p := range g.parts {
		go func() {
			err := p.run(ctx)
			exits <- exit{name: p.name, err: err, took: time.Since(start)}
		}()
	}

	running := map[string]int{}
	for _, p := range g.parts {
		running[p.name]++
	}
	oneShot := map[string]bool{}
	for _, p := range g.parts {
		oneShot[p.name] = p.oneShot
	}
	var errs []error
	collect := func(e exit) {
		running[e.name]--
		if running[e.name] == 0 {
			delete(running, e.name)
		}
		if e.err != nil && !errors.Is(e.err, context.Canceled) {
			errs = append(errs, fmt.Errorf("%s: %w", e.name, e.err))
		}
	}

	// Until something stops the group.
	reason := "told to stop"
	for len(running) > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case e := <-exits:
			collect(e)
			switch {
			case e.err != nil && !errors.Is(e.err, context.Canceled):
				reason = e.name + " failed"
				cancel()
			case !oneShot[e.name]:
				reason = e.name + " stopped"
				cancel()
			}
		}
	}
	cancel()
	if len(running) == 0 {
		return errors.Join(errs...)
	}

	// Stopping: wait for the rest, naming what we wait for.
	stopAt := time.Now()
	log.Info("stopping", "why", reason, "waiting_for", names(running), "grace", grace)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for len(running) > 0 {
		select {
		case e := <-exits:
			collect(e)
			log.Debug("stopped", "part", e.name, "after", time.Since(stopAt).Round(time.Millisecond), "err", e.err)
		case <-timer.C:
			log.Error("parts did not stop in time", "still_running", names(running), "grace", grace)
			return errors.Join(append(errs, fmt.Errorf("%w: %s", ErrStuck, names(running)))...)
		}
	}
	log.Info("stopped", "after", time.Since(stopAt).Round(time.Millisecond))
	return errors.Join(errs...)
}

func names(running map[string]int) string {
	out := make([]string, 0, len(running))
	for n := range running {
		out = append(out, n)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
