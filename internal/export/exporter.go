package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/store"
)

// Default bounds of the on-disk queues.
const (
	DefaultRemoteWriteQueue = 256 << 20
	DefaultDatadogQueue     = 64 << 20
)

// Target is a receiver with its queue.
type Target struct {
	Name string // for logs: export.remote_write[0], export.datadog
	// URL is where it sends, without credentials: the target label on
	// /metrics.
	URL   string
	Kind  string // remote_write or datadog
	Queue *Queue
	Send  func(ctx context.Context, data []byte) error
	// Deltas: the target takes per-minute changes (Datadog), not
	// cumulative values (remote write).
	Deltas bool
	// MaxAge, when set, drops queued requests older than it (Datadog
	// refuses points older than an hour).
	MaxAge time.Duration

	sent, samples, failed, rejected, expired atomic.Int64

	// queued is the last snapshot whose change a target taking deltas
	// queued (or that changed none of its series): a minute whose
	// queueing failed (a full disk) is not lost, its change goes with the
	// next. baseline, when set, keeps it on disk for the next run
	// (KeepBaselines).
	queued   Snapshot
	baseline string

	mu        sync.Mutex
	lastOK    time.Time
	lastErr   string // of the last failed or refused send; "" after a success
	lastErrAt time.Time
}

// TargetState counts what a target did.
type TargetState struct {
	Name, URL, Kind string
	// Sent counts the requests (minutes, live) the receiver took, Samples
	// their samples; Failed the sends that failed and are retried;
	// Rejected the requests the receiver refused for good (a 4xx:
	// dropped); Expired those older than the receiver takes (dropped).
	Sent, Samples, Failed, Rejected, Expired int64
	Queue                                    QueueState
	LastSuccess, LastErrorAt                 time.Time
	LastError                                string // "" once a send succeeds again
}

// State returns the target's counts.
func (t *Target) State() TargetState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return TargetState{Name: t.Name, URL: t.URL, Kind: t.Kind, Sent: t.sent.Load(), Samples: t.samples.Load(), Failed: t.failed.Load(),
		Rejected: t.rejected.Load(), Expired: t.expired.Load(), Queue: t.Queue.State(),
		LastSuccess: t.lastOK, LastErrorAt: t.lastErrAt, LastError: t.lastErr}
}

func (t *Target) succeeded(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastOK, t.lastErr = now, ""
}

func (t *Target) errored(now time.Time, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastErrAt, t.lastErr = now, err.Error()
}

// redact returns u without its user information.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return p.Redacted()
}

// Targets builds the targets of cfg's export section, their queues under
// dir (the store's directory). It fails, naming the field, when a named
// environment variable is unset or empty.
func Targets(cfg *config.Config, dir string, log *slog.Logger) ([]*Target, error) {
	e := cfg.Export
	env := func(field, name string) (string, error) {
		v := os.Getenv(name)
		if v == "" {
			return "", fmt.Errorf("%s: environment variable %s is unset or empty", field, name)
		}
		return v, nil
	}
	var out []*Target
	for i, r := range e.RemoteWrite {
		field := fmt.Sprintf("export.remote_write[%d]", i)
		h, err := RemoteWriteHeader(r, env, field)
		if err != nil {
			return nil, err
		}
		// The queue is the URL's: reordering the list keeps each target's.
		q, err := OpenQueue(filepath.Join(dir, "export", fmt.Sprintf("remote_write-%016x", fnv64(r.URL))), queueBound(e, DefaultRemoteWriteQueue), log)
		if err != nil {
			return nil, err
		}
		w := &RemoteWriter{URL: r.URL, Header: h}
		out = append(out, &Target{Name: field, URL: redact(r.URL), Kind: "remote_write", Queue: q, Send: w.Send})
	}
	if d := e.Datadog; d != nil {
		key, err := env("export.datadog.api_key_env", d.APIKeyEnv)
		if err != nil {
			return nil, err
		}
		q, err := OpenQueue(filepath.Join(dir, "export", "datadog"), queueBound(e, DefaultDatadogQueue), log)
		if err != nil {
			return nil, err
		}
		w := &DatadogWriter{BaseURL: d.BaseURL(), APIKey: key}
		out = append(out, &Target{Name: "export.datadog", URL: redact(d.BaseURL()), Kind: "datadog", Queue: q, Send: w.Send, Deltas: true, MaxAge: DatadogMaxAge})
	}
	return out, nil
}

// RemoteWriteHeader returns the headers a remote write target is sent
// with: its authorization and its extra headers.
func RemoteWriteHeader(r config.RemoteWrite, env func(field, name string) (string, error), field string) (http.Header, error) {
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	if r.BearerTokenEnv != "" {
		tok, err := env(field+".bearer_token_env", r.BearerTokenEnv)
		if err != nil {
			return nil, err
		}
		h.Set("Authorization", "Bearer "+tok)
	}
	if b := r.BasicAuth; b != nil {
		pw, err := env(field+".basic_auth.password_env", b.PasswordEnv)
		if err != nil {
			return nil, err
		}
		req, _ := http.NewRequest(http.MethodPost, "http://x", nil)
		req.SetBasicAuth(b.Username, pw)
		h.Set("Authorization", req.Header.Get("Authorization"))
	}
	return h, nil
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func queueBound(e config.Export, def int64) int64 {
	if e.Queue.MaxBytes != nil {
		return int64(*e.Queue.MaxBytes)
	}
	return def
}

// ExporterOptions configure an Exporter.
type ExporterOptions struct {
	Log *slog.Logger
	// Settle is how long after a minute closes it is sent
	// (config.DefaultSettle).
	Settle time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// Tick is how often the exporter looks for a closed minute (5s).
	Tick time.Duration
	// Backoff bounds the wait between retries of a failing target (1s
	// doubling to 1m, with jitter).
	BackoffMin, BackoffMax time.Duration
	// Rebuild is how often the totals are recounted from the store's
	// history, counting data that arrived later than the horizon (1h).
	Rebuild time.Duration
}

// Exporter sends the series of each closed minute to its targets.
type Exporter struct {
	series  *Series
	targets []*Target
	o       ExporterOptions
}

// NewExporter returns an exporter of cfg's series read from src.
func NewExporter(cfg *config.Config, src sli.Cells, targets []*Target, o ExporterOptions) *Exporter {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Settle <= 0 {
		o.Settle = cfg.Export.SettleDelay()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick <= 0 {
		o.Tick = 5 * time.Second
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = time.Minute
	}
	if o.Rebuild <= 0 {
		o.Rebuild = time.Hour
	}
	s := New(Options{Config: cfg, Cells: src})
	if w, ok := src.(Watched); ok {
		s.Watch(w)
	}
	return &Exporter{series: s, targets: targets, o: o}
}

// Targets returns the exporter's targets.
func (x *Exporter) Targets() []*Target { return x.targets }

// Run counts and sends until ctx ends; the senders it starts are joined
// before it returns.
func (x *Exporter) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		SendQueues(ctx, x.targets, SendOptions{Log: x.o.Log, Now: x.o.Now, BackoffMin: x.o.BackoffMin, BackoffMax: x.o.BackoffMax})
	})
	defer wg.Wait()
	var prev Snapshot
	var rebuilt time.Time
	tick := time.NewTicker(x.o.Tick)
	defer tick.Stop()
	for {
		now := x.o.Now()
		due := now.Add(-x.o.Settle).Truncate(time.Minute)
		var err error
		switch {
		case prev.Values == nil || now.Sub(rebuilt) >= x.o.Rebuild:
			old := x.series.Snapshot()
			if err = x.series.Rebuild(ctx, due); err == nil {
				x.series.keepAbove(old.Values) // totals never go down
				rebuilt = now
				if prev.Values == nil {
					prev = x.series.Snapshot()
					x.enqueue(prev, Snapshot{At: prev.At, Values: prev.Values}) // remote write's first sample; no delta
				}
			}
		case due.After(x.series.At()):
			err = x.series.Advance(ctx, due)
		}
		if err != nil && ctx.Err() == nil {
			x.o.Log.Warn("export: counting the series", "err", err)
		}
		if err == nil && x.series.At().After(prev.At) {
			cur := x.series.Snapshot()
			x.enqueue(cur, prev)
			prev = cur
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// keepAbove raises totals below old's values back to them.
func (s *Series) keepAbove(old Values) {
	for k, v := range old {
		if s.totals[k] < v {
			s.totals[k] = v
		}
	}
}

// enqueue queues cur (and its change from prev) for every target.
func (x *Exporter) enqueue(cur, prev Snapshot) {
	Enqueue(x.targets, prev, cur, nil, x.o.Log)
}

// Enqueue queues cur for every target that has not queued a minute at or
// after it: its values for remote write; for a target taking deltas
// (Datadog), its change from the last snapshot the target queued, with
// tags added to every series. prev is the snapshot before cur, taken as
// that last snapshot when the target has none. prev at cur's minute is a
// run's first snapshot, which has no change to send unless the target
// keeps its last snapshot on disk (KeepBaselines) and the last run's is
// less than MaxAge old: then the change since, the minutes while serve was
// down or not yet counting, goes with cur. A target whose queue fails is
// logged and skipped: a target taking deltas sends that change with the
// next minute's, remote write's next value carries it.
func Enqueue(targets []*Target, prev, cur Snapshot, tags []string, log *slog.Logger) {
	for _, t := range targets {
		if !cur.At.After(t.Queue.Last()) {
			// Sent already (a restart within the minute): remote write
			// would refuse another value at its time, and a later
			// minute's value or change carries what is new.
			continue
		}
		if t.Deltas {
			t.enqueueChange(prev, cur, tags, log)
			continue
		}
		data, err := EncodeRemoteWrite([]Snapshot{cur})
		if err == nil {
			err = t.Queue.Put(data, cur.At, len(cur.Values))
		}
		if err != nil {
			log.Error("export: queueing a minute", "target", t.Name, "minute", cur.At, "err", err)
		}
	}
}

// enqueueChange queues the change from t's last snapshot (or prev) to cur.
func (t *Target) enqueueChange(prev, cur Snapshot, tags []string, log *slog.Logger) {
	from := t.queued
	first := cur.At.Equal(prev.At)
	switch {
	case from.Values == nil && !first:
		from = prev
	case from.Values == nil, first && t.MaxAge > 0 && cur.At.Sub(from.At) > t.MaxAge:
		t.setQueued(cur, log) // the baseline
		return
	}
	if !cur.At.After(from.At) {
		return // nothing new (a restart within the minute)
	}
	data, n, err := encodeDatadog(from, cur, tags)
	if err == nil && len(data) == 0 {
		t.setQueued(cur, log) // nothing of its series changed
		return
	}
	if err == nil {
		// Saved before it is queued: a kill between the two loses this
		// minute's change rather than send it twice.
		t.saveBaseline(cur, log)
		if err = t.Queue.Put(data, cur.At, n); err != nil {
			t.saveBaseline(t.queued, log)
		}
	}
	if err != nil {
		log.Error("export: queueing a minute", "target", t.Name, "minute", cur.At, "err", err)
		return
	}
	t.queued = cur // on disk already
}

// SendOptions configure SendQueues.
type SendOptions struct {
	Log *slog.Logger
	Now func() time.Time
	// BackoffMin and BackoffMax bound the wait between retries of a
	// failing target (1s doubling to 1m, with jitter).
	BackoffMin, BackoffMax time.Duration
}

func (o *SendOptions) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = time.Minute
	}
}

// SendQueues sends every target's queue until ctx ends, one goroutine per
// target, joined before it returns.
func SendQueues(ctx context.Context, targets []*Target, o SendOptions) {
	o.defaults()
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Go(func() { send(ctx, t, o) })
	}
	wg.Wait()
}

// send sends t's queue, oldest first, retrying with backoff and jitter. A
// request the receiver refuses for good (ErrRejected) is dropped, counted
// and logged; so is one older than t.MaxAge. Everything else is retried
// until it is sent or the queue's bound drops it.
func send(ctx context.Context, t *Target, o SendOptions) {
	wait := o.BackoffMin
	failing := false
	for ctx.Err() == nil {
		r, ok, err := t.Queue.Peek()
		if err != nil {
			o.Log.Error("export: reading the queue; the request is dropped", "target", t.Name, "err", err)
			continue
		}
		if !ok {
			select {
			case <-ctx.Done():
			case <-t.Queue.Wake():
			}
			continue
		}
		if t.MaxAge > 0 && o.Now().Sub(r.At) > t.MaxAge {
			t.Queue.Remove(r.Name)
			t.expired.Add(1)
			o.Log.Warn("export: dropped a minute older than the target takes", "target", t.Name, "minute", r.At, "max_age", t.MaxAge)
			continue
		}
		err = t.Send(ctx, r.Data)
		switch {
		case err == nil:
			t.Queue.Remove(r.Name)
			t.sent.Add(1)
			t.samples.Add(int64(r.Samples))
			t.succeeded(o.Now())
			if failing {
				o.Log.Info("export: the target takes requests again", "target", t.Name)
			}
			wait, failing = o.BackoffMin, false
			continue
		case errors.Is(err, ErrRejected):
			t.Queue.Remove(r.Name)
			t.rejected.Add(1)
			t.errored(o.Now(), err)
			o.Log.Error("export: the target refused a minute; dropped", "target", t.Name, "minute", r.At, "err", err)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		t.failed.Add(1)
		t.errored(o.Now(), err)
		failing = true
		d := wait/2 + rand.N(wait/2+1) // jitter: half to all of the wait
		o.Log.Warn("export: sending failed; retrying", "target", t.Name, "in", d, "queued", t.Queue.State().Requests, "err", err)
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
		wait = min(wait*2, o.BackoffMax)
	}
}

// Backfill walks src's minutes of [from, to) and calls send with remote
// write requests of at most batch minutes each: every series' cumulative
// value at each minute's end.
func Backfill(ctx context.Context, cfg *config.Config, src sli.Cells, from, to time.Time, batch int, send func(ctx context.Context, data []byte, last time.Time) error) (minutes int, err error) {
	s := New(Options{Config: cfg, Cells: src, Horizon: time.Minute})
	from, to = from.Truncate(time.Minute), to.Truncate(time.Minute)
	if err := s.Rebuild(ctx, from); err != nil {
		return 0, err
	}
	if batch <= 0 {
		batch = 60
	}
	for start := from.Unix(); start < to.Unix(); {
		end := min(start+int64(batch)*store.Minute, to.Unix())
		per := map[int64]Values{}
		if err := s.countMinutes(ctx, start, end, per); err != nil {
			return minutes, err
		}
		var snaps []Snapshot
		for m := start; m < end; m += store.Minute {
			s.totals.add(per[m])
			s.at = m + store.Minute
			if len(s.totals) > 0 { // before the first cell there is nothing to say
				snaps = append(snaps, s.Snapshot())
			}
		}
		if len(snaps) == 0 {
			start = end
			continue
		}
		data, err := EncodeRemoteWrite(snaps)
		if err != nil {
			return minutes, err
		}
		if err := send(ctx, data, time.Unix(end, 0)); err != nil {
			return minutes, err
		}
		minutes += len(snaps)
		start = end
	}
	return minutes, nil
}

// baselineFile keeps, in a delta target's queue directory, the totals of
// the last snapshot whose change it queued (its own series only).
const baselineFile = "baseline"

// KeepBaselines makes the targets taking deltas keep their last snapshot
// on disk, and restores the one an earlier run kept: serve's, whose
// totals are counted anew at each start. An agent stores its totals
// itself, exactly once with its spool, and does not call it.
func KeepBaselines(targets []*Target, log *slog.Logger) {
	for _, t := range targets {
		if !t.Deltas {
			continue
		}
		t.baseline = filepath.Join(t.Queue.dir, baselineFile)
		b, err := os.ReadFile(t.baseline)
		if err != nil {
			continue
		}
		var r Running
		if err := json.Unmarshal(b, &r); err != nil {
			log.Warn("export: the last run's totals are unreadable; counting from this run's start", "target", t.Name, "file", t.baseline, "err", err)
			continue
		}
		t.queued = Snapshot{At: r.At, Values: r.Totals}
	}
}

// setQueued makes cur t's last snapshot, on disk too when t keeps it and
// its minute moved.
func (t *Target) setQueued(cur Snapshot, log *slog.Logger) {
	moved := !cur.At.Equal(t.queued.At)
	t.queued = cur
	if moved {
		t.saveBaseline(cur, log)
	}
}

// saveBaseline writes s's series of t's kind to t.baseline, when t keeps
// one; a failure is logged (the next run then counts from its start).
func (t *Target) saveBaseline(s Snapshot, log *slog.Logger) {
	if t.baseline == "" {
		return
	}
	v := Values{}
	for k, x := range s.Values {
		if k.Name == SLOEvents || k.Name == HTTPRequests {
			v[k] = x
		}
	}
	b, err := json.Marshal(&Running{At: s.At, Totals: v})
	if err == nil {
		err = writeFile(t.baseline, b)
	}
	if err != nil {
		log.Warn("export: keeping the last minute's totals for the next run", "target", t.Name, "err", err)
	}
}
