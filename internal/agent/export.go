package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/export"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/store"
)

// An agent exports (export: in its config) the series serve would export
// of its cells, every one labelled node with the agent's name, from the
// same spool its pushers read: the exporter is one more cursor over the
// spool, and rows leave the spool only once it counted them too.
//
// Exactly once across crashes, in this order, once a minute:
//
//  1. read the spool rows after the cursor (each row was committed in one
//     transaction with the read positions of the lines it counts) and add
//     their cells to the running totals, by minute;
//  2. move the totals to the minute boundary (minutes before it go in);
//  3. write the cursor and the totals (JSON, one meta row: one SQLite
//     transaction) — the commit point;
//  4. queue the boundary's sample for each target whose queue has not
//     queued that minute yet (Queue.Last, itself kept on disk);
//  5. trim the spool.
//
// A kill before 3 leaves the old cursor and totals: the rows are read
// again and counted once. A kill between 3 and 4 is repaired at start:
// the stored minute is queued for every target that lacks it. A kill after
// 4 leaves the request queued, sent at start. What a receiver took just
// before a kill may be sent again: a remote write sample of the same
// series, time and value (idempotent), a Datadog count point of the same
// series and time (Datadog keeps the last).

// exportStateKey is the meta key of the exporter's cursor and totals.
const exportStateKey = "export_state"

// exportState is what the exporter stores at each minute.
type exportState struct {
	Cursor  int64           `json:"cursor"` // the spool rows through it are counted
	Running *export.Running `json:"running"`
}

// exporter is the agent's live exporter.
type exporter struct {
	st      *store.Store
	counter *export.Counter
	targets []*export.Target
	node    string
	log     *slog.Logger
	settle  time.Duration
	tick    time.Duration
	now     func() time.Time
	trim    func(ctx context.Context)
	send    export.SendOptions

	// crash, in tests, stops a step at a point ("counted": before the
	// store, "stored": before the queues) as a kill would.
	crash func(point string) bool

	mu     sync.Mutex
	state  exportState
	lost   int64 // spool rows dropped by the spool's bound before they were counted
	rows   int64 // spool rows counted since the start
	failed string
}

// exportOptions configure newExporter.
type exportOptions struct {
	Log    *slog.Logger
	Now    func() time.Time
	Tick   time.Duration // how often it looks for a closed minute (5s)
	Settle time.Duration // export.settle
	Send   export.SendOptions
	// Trim trims the spool to every cursor (the pushers' and the
	// exporter's); nil: no trim.
	Trim func(ctx context.Context)
}

// newExporter makes the exporter and loads its stored cursor and totals:
// before the tailer starts, so that a first start's cursor is the spool's
// newest row before this run read a line (it raced the tailer in Run).
func newExporter(ctx context.Context, cfg *config.Config, st *store.Store, node string, targets []*export.Target, o exportOptions) (*exporter, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick <= 0 {
		o.Tick = 5 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = cfg.Export.SettleDelay()
	}
	if o.Trim == nil {
		o.Trim = func(context.Context) {}
	}
	o.Send.Log = o.Log
	if o.Send.Now == nil {
		o.Send.Now = o.Now
	}
	x := &exporter{st: st, counter: export.NewCounter(cfg, node), targets: targets, node: node, log: o.Log,
		settle: o.Settle, tick: o.Tick, now: o.Now, trim: o.Trim, send: o.Send}
	if err := x.load(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// due is the newest minute boundary whose sample is due.
func (x *exporter) due() time.Time { return x.now().Add(-x.settle).Truncate(time.Minute) }

// load reads the stored cursor and totals; without them (export was just
// configured) it starts at the spool's newest row and the current minute,
// and stores that.
func (x *exporter) load(ctx context.Context) error {
	v, ok, err := x.st.Meta(ctx, exportStateKey)
	if err != nil {
		return err
	}
	var s exportState
	if ok {
		if err := json.Unmarshal([]byte(v), &s); err != nil {
			return fmt.Errorf("the export totals in %s: %w", x.st.Dir(), err)
		}
		if s.Running == nil {
			return fmt.Errorf("the export totals in %s: no totals", x.st.Dir())
		}
		if n := s.Running.Prune(x.counter.Keeps); n > 0 {
			x.log.Info("export: series of SLOs or services no longer configured are no longer sent", "series", n)
		}
	} else {
		sp, err := x.st.Spool(ctx, 0)
		if err != nil {
			return err
		}
		s = exportState{Cursor: sp.Last, Running: export.NewRunning(x.due())}
		if err := x.save(ctx, s); err != nil {
			return err
		}
	}
	x.mu.Lock()
	x.state = s
	x.mu.Unlock()
	return nil
}

func (x *exporter) save(ctx context.Context, s exportState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return x.st.SetMeta(ctx, exportStateKey, string(b))
}

// cursor returns the spool row through which the exporter counted.
func (x *exporter) cursor() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.state.Cursor
}

// Run exports until ctx ends; its senders are joined before it returns.
func (x *exporter) Run(ctx context.Context) error {
	x.enqueue() // a minute stored but not queued before a crash
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { export.SendQueues(ctx, x.targets, x.send) })
	tick := time.NewTicker(x.tick)
	defer tick.Stop()
	for {
		if due := x.due(); due.After(x.at()) {
			if err := x.step(ctx, due); err != nil && ctx.Err() == nil {
				x.fail(err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (x *exporter) at() time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.state.Running.At
}

// fail logs a failed step (the first of a run of them as an error) and
// goes back to the stored state.
func (x *exporter) fail(err error) {
	x.mu.Lock()
	first := x.failed == ""
	x.failed = err.Error()
	x.mu.Unlock()
	if first {
		x.log.Error("export: counting the spool failed; retried every tick from the stored totals", "err", err)
	}
	if err := x.load(context.Background()); err != nil {
		x.log.Error("export: reading the stored totals", "err", err)
	}
}

// step counts the spool rows after the cursor, moves the totals to due,
// stores both, queues the minute and trims the spool.
func (x *exporter) step(ctx context.Context, due time.Time) error {
	x.mu.Lock()
	s := x.state
	x.mu.Unlock()
	// Work on a copy: the stored state stays what Run goes back to.
	r := s.Running.Clone()
	cursor, rows, lost := s.Cursor, int64(0), int64(0)
	tally := x.counter.Tally()
	for {
		batch, err := x.st.ReadSpool(ctx, cursor, MaxPushBytes)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		for _, row := range batch {
			if gap := row.Seq - cursor - 1; gap > 0 {
				lost += gap
			}
			if err := x.count(tally, row.Data); err != nil {
				// Unreadable: never countable. Skipped, counted and
				// logged, rather than holding the export (and the spool)
				// back for good. Nothing of it was counted.
				lost++
				x.log.Error("export: a spool row cannot be read; its lines are missing from the exported totals", "row", row.Seq, "err", err)
			}
			cursor = row.Seq
			rows++
		}
	}
	tally.Flush(r.Minute)
	r.Advance(due)
	if x.crash != nil && x.crash("counted") {
		return errCrash
	}
	next := exportState{Cursor: cursor, Running: r}
	if err := x.save(ctx, next); err != nil {
		return err
	}
	if x.crash != nil && x.crash("stored") {
		return errCrash
	}
	x.mu.Lock()
	x.state = next
	x.rows += rows
	x.lost += lost
	recovered := x.failed != ""
	x.failed = ""
	x.mu.Unlock()
	if lost > 0 {
		x.log.Error("export: spool rows were dropped (agent.spool.max_bytes) before the exporter counted them; their lines are missing from the exported totals",
			"rows", lost, "through", cursor)
	}
	if recovered {
		x.log.Info("export: counting the spool again", "minute", r.At)
	}
	x.enqueue()
	x.trim(ctx)
	return nil
}

// count tallies a spool row's cells.
func (x *exporter) count(t *export.Tally, data []byte) error {
	var svcs []push.Service
	// encoding/json's v2 (as push.Decode): about twice as fast on rows of
	// histogram numbers.
	if err := jsonv2.Unmarshal(data, &svcs); err != nil {
		return err
	}
	var e cells.Entry
	for _, svc := range svcs {
		for _, m := range svc.Minutes {
			for _, pe := range m.Entries {
				e.Count = pe.Count
				e.Hist = e.Hist[:0]
				for _, b := range pe.Hist {
					e.Hist = append(e.Hist, cells.Bucket{Le: uint32(b[0]), N: b[1]})
				}
				t.Add(m.Start, svc.Name, store.DimValue{Host: pe.Host, Route: pe.Route, Method: pe.Method, Status: pe.Status}, &e)
			}
		}
	}
	return nil
}

// enqueue queues the stored minute for every target that has not queued
// it yet. Nothing is queued before the first count.
func (x *exporter) enqueue() {
	x.mu.Lock()
	r := x.state.Running
	x.mu.Unlock()
	if len(r.Totals) == 0 {
		return
	}
	var need []*export.Target
	for _, t := range x.targets {
		if t.Queue.Last().Before(r.At) {
			need = append(need, t)
		}
	}
	if len(need) > 0 {
		export.Enqueue(need, r.Previous(), r.Snapshot(), []string{"node:" + x.node}, x.log)
	}
}

// exportStatus is the exporter's part of /healthz.
type exportStatus struct {
	Minute    time.Time           `json:"minute"` // the boundary of the stored totals
	Cursor    int64               `json:"cursor"`
	Lost      int64               `json:"lost_commits"`
	LastError string              `json:"last_error,omitempty"`
	Targets   []exportTargetState `json:"targets"`
}

type exportTargetState struct {
	URL         string    `json:"url"`
	Kind        string    `json:"kind"`
	Sent        int64     `json:"sent_minutes"`
	Failed      int64     `json:"failed_sends"`
	Rejected    int64     `json:"rejected_minutes"`
	Dropped     int64     `json:"dropped_minutes"`
	Queued      int       `json:"queued_minutes"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

func (x *exporter) status() exportStatus {
	x.mu.Lock()
	s := exportStatus{Cursor: x.state.Cursor, Lost: x.lost, LastError: x.failed}
	s.Minute = x.state.Running.At
	x.mu.Unlock()
	for _, t := range x.targets {
		ts := t.State()
		s.Targets = append(s.Targets, exportTargetState{URL: ts.URL, Kind: ts.Kind, Sent: ts.Sent, Failed: ts.Failed,
			Rejected: ts.Rejected, Dropped: ts.Queue.Dropped + ts.Expired, Queued: ts.Queue.Requests, LastSuccess: ts.LastSuccess, LastError: ts.LastError})
	}
	return s
}

var errCrash = errors.New("a test's crash")

var errNoTargets = errors.New("agent.push and export: nothing to send to: add a server under agent.push, or an export target")
