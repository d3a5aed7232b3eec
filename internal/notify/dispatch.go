package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Types of targets.
const (
	TypeAlertmanager = "alertmanager"
	TypeSlack        = "slack"
	TypeWebhook      = "webhook"
)

// Target is one place alerts go: one configured notify entry.
type Target struct {
	Name string
	Type string // TypeAlertmanager, TypeSlack or TypeWebhook
	// URL is Alertmanager's base URL (http://127.0.0.1:9093; alerts are
	// posted to URL/api/v2/alerts), the Slack incoming-webhook URL or the
	// webhook's URL. A Slack URL is a secret: errors and logs show only its
	// host.
	URL string
	// Secret is the webhook's HMAC-SHA256 key; empty: requests are unsigned.
	Secret string
	// Severities and Services restrict the target to alerts of these
	// severities and services; empty: all.
	Severities []string
	Services   []string
	// Timeout bounds each HTTP request (default 10 s).
	Timeout time.Duration
}

// matches reports whether a goes to t.
func (t *Target) matches(a *Alert) bool {
	return (len(t.Severities) == 0 || slices.Contains(t.Severities, a.Severity)) &&
		(len(t.Services) == 0 || slices.Contains(t.Services, a.Service))
}

// Options configure a Dispatcher. Zero fields take their defaults.
type Options struct {
	// Queue keeps the state changes waiting for delivery (default: a
	// MemoryQueue). With store.Store, what was queued survives a restart.
	Queue Queue
	// QueueSize bounds each target's queue of state changes waiting for
	// delivery (default 1000); its head, being delivered or next, is not
	// counted.
	QueueSize int
	// MinBackoff and MaxBackoff bound the wait before a retry (default 1 s
	// and 5 m): it doubles from MinBackoff with each consecutive failure of
	// the target, up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// ResendEvery is how often the caller calls Refresh (default 30 s).
	// Alertmanager is told a firing alert ends 4×ResendEvery after it was
	// sent, so it stays firing while refreshed and resolves by itself
	// when headroom stops.
	ResendEvery time.Duration
	// Log records every delivery attempt (nil: none).
	Log DeliveryLog
	// Logger logs failures (default: discard).
	Logger *slog.Logger
	// Client sends the requests (default: a client that follows no
	// redirects, so a signed body is never re-sent elsewhere).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() error {
	if o.Queue == nil {
		o.Queue = &MemoryQueue{}
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.MinBackoff > o.MaxBackoff {
		return fmt.Errorf("notify: min backoff %v is above max backoff %v", o.MinBackoff, o.MaxBackoff)
	}
	if o.ResendEvery <= 0 {
		o.ResendEvery = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Dispatcher delivers alerts to targets: each target has its own queue and
// worker, so a slow or unreachable target delays only itself.
//
// State changes wait in the Queue (durably, with store.Store), as notes:
// one per change and target. Per target, they are delivered one at a time
// in the order they were queued: a failing delivery stays at the head of
// the queue and is retried until it succeeds or fails permanently, and a
// note leaves the queue only then. A network error, a timeout, 408, 429 or
// a 5xx is retried, after a backoff (a longer Retry-After is honoured up
// to MaxBackoff); any other status outside 2xx (a 4xx, or a redirect,
// which is not followed) fails the delivery permanently: it is logged,
// recorded and counted, and the queue moves on. When a target has more
// than QueueSize changes waiting besides its head, the oldest waiting ones
// are dropped and counted: under a long outage the newest states, which say
// what is true now, are the ones worth keeping.
//
// A note is removed after its delivery succeeded: a process killed between
// the two delivers it again after a restart (at least once). A receiver
// that must not see a change twice deduplicates by fingerprint, state and
// start.
type Dispatcher struct {
	opts    Options
	workers []*worker
	byName  map[string]*worker
	running sync.Mutex // held by Run

	mu     sync.Mutex
	loaded bool // Load has read the queue
	// queueing is held by Load while it counts what the queue holds and
	// by Send from storing a state change to counting it, so that a Send
	// racing Run's own Load is counted once, not by both.
	queueing sync.Mutex
}

// NewDispatcher checks the targets and returns a Dispatcher for them; the
// error lists every bad target. Nothing is delivered until Run.
func NewDispatcher(targets []Target, opts Options) (*Dispatcher, error) {
	var errs []error
	if err := opts.defaults(); err != nil {
		errs = append(errs, err)
	}
	d := &Dispatcher{opts: opts, byName: map[string]*worker{}}
	names := map[string]bool{}
	for i, t := range targets {
		if bad := validate(t, names); len(bad) > 0 {
			name := t.Name
			if name == "" {
				name = fmt.Sprintf("#%d", i+1)
			}
			for _, err := range bad {
				errs = append(errs, fmt.Errorf("notify target %s: %w", name, err))
			}
			continue
		}
		if t.Timeout <= 0 {
			t.Timeout = 10 * time.Second
		}
		t.Severities = slices.Clone(t.Severities)
		t.Services = slices.Clone(t.Services)
		w := &worker{t: t, opts: &d.opts, wake: make(chan struct{}, 1)}
		d.workers = append(d.workers, w)
		d.byName[t.Name] = w
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// validate returns what is wrong with t.
func validate(t Target, names map[string]bool) []error {
	var errs []error
	switch {
	case t.Name == "":
		errs = append(errs, errors.New("name is empty"))
	case names[t.Name]:
		errs = append(errs, errors.New("name is used twice"))
	}
	names[t.Name] = true
	switch t.Type {
	case TypeAlertmanager, TypeSlack, TypeWebhook:
	default:
		errs = append(errs, fmt.Errorf("type %q: want alertmanager, slack or webhook", t.Type))
	}
	if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL may be a secret (Slack's): do not show it.
		errs = append(errs, errors.New("url: want an absolute http(s) URL"))
	}
	if t.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v is negative", t.Timeout))
	}
	return errs
}

// Load reads what the queue holds, such as the notes a previous process
// left undelivered: how many each target has, and where a refresh goes
// after them. Call it before Queued, Send and Refresh; Run calls it unless
// it was called.
func (d *Dispatcher) Load(ctx context.Context) error {
	d.queueing.Lock()
	defer d.queueing.Unlock()
	counts, last, err := d.opts.Queue.QueuedNotes(ctx)
	if err != nil {
		return fmt.Errorf("notify queue: %w", err)
	}
	for _, w := range d.workers {
		w.load(counts[w.t.Name], last)
		if n := counts[w.t.Name]; n > 0 {
			d.opts.Logger.Info("notify: state changes queued before the restart", "target", w.t.Name, "queued", n)
		}
		delete(counts, w.t.Name)
	}
	for target, n := range counts {
		d.opts.Logger.Warn("notify: state changes queued for a target that is not configured; they wait for it", "target", target, "queued", n)
	}
	d.mu.Lock()
	d.loaded = true
	d.mu.Unlock()
	return nil
}

// Run delivers until ctx ends, one goroutine per target, and returns when
// they have all stopped. What is still queued then (including a delivery
// interrupted mid-attempt, which is not counted as failed) stays queued and
// is delivered by a later Run, or after a restart when the queue is
// durable; calls to Run do not overlap (a second waits for the first to
// return). It returns an error only when the queue cannot be read at start.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.running.Lock()
	defer d.running.Unlock()
	d.mu.Lock()
	loaded := d.loaded
	d.mu.Unlock()
	if !loaded {
		if err := d.Load(ctx); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	for _, w := range d.workers {
		wg.Go(func() { w.run(ctx) })
	}
	<-ctx.Done() // with no targets too: Run is a part of serve until it stops
	wg.Wait()
	return nil
}

// Route returns the state changes (firing or resolved) routed to every
// target whose severities and services match them, ready to be queued:
// Send queues them itself; the alert runner queues them in the transaction
// that stores the alert states, then calls Queued.
func (d *Dispatcher) Route(alerts []Alert) (*Batch, error) {
	b := &Batch{Max: d.opts.QueueSize}
	for i := range alerts {
		a := &alerts[i]
		var data []byte
		for _, w := range d.workers {
			if !w.t.matches(a) {
				continue
			}
			if data == nil {
				var err error
				if data, err = encodeNote(a); err != nil {
					return nil, fmt.Errorf("notify: encode %s: %w", a.Fingerprint, err)
				}
			}
			b.Notes = append(b.Notes, Note{Target: w.t.Name, Data: data})
		}
	}
	return b, nil
}

// Queued hands a batch the Queue has stored to the targets' workers: they
// count what it queued and dropped, and deliver.
func (d *Dispatcher) Queued(b *Batch) {
	for _, n := range b.Notes {
		if w := d.byName[n.Target]; w != nil {
			w.noteQueued(n.ID)
		}
	}
	for _, n := range b.Dropped {
		if w := d.byName[n.Target]; w != nil {
			w.noteDropped(n)
		}
	}
	for _, w := range d.workers {
		w.signal()
	}
}

// Send queues a state change of an alert (firing or resolved) for every
// target whose severities and services match it, in one write to the
// Queue; a failed write is logged. See Dispatcher for what a full queue
// drops. It may be called before Run.
func (d *Dispatcher) Send(a Alert) {
	d.queueing.Lock()
	defer d.queueing.Unlock()
	b, err := d.Route([]Alert{a})
	if err == nil && len(b.Notes) > 0 {
		err = d.opts.Queue.QueueNotes(context.Background(), b)
	}
	if err != nil {
		d.opts.Logger.Error("notify: queueing a state change", "fingerprint", a.Fingerprint, "state", a.State, "err", err)
		return
	}
	d.Queued(b)
}

// Refresh gives the targets that must hear of every firing alert again and
// again (Alertmanager, which resolves an alert not re-sent before it ends)
// the set of alerts firing now; the caller calls it every ResendEvery. It
// replaces a refresh not yet delivered, so refreshes never pile up, and is
// delivered after the state changes queued before it and before those
// queued after it. Refreshes are not queued durably: after a restart the
// caller refreshes from the alert states. Other targets ignore it.
func (d *Dispatcher) Refresh(alerts []Alert) {
	for _, w := range d.workers {
		if w.t.Type != TypeAlertmanager {
			continue
		}
		var mine []Alert
		for i := range alerts {
			if w.t.matches(&alerts[i]) {
				mine = append(mine, clone(alerts[i]))
			}
		}
		w.setRefresh(mine)
	}
}

// Refreshes reports whether any target takes refreshes (Alertmanager).
func (d *Dispatcher) Refreshes() bool {
	for _, w := range d.workers {
		if w.t.Type == TypeAlertmanager {
			return true
		}
	}
	return false
}

// TargetStats is what a target's worker has done.
type TargetStats struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Queued is what waits for delivery: queued state changes (the one
	// being delivered included) and a refresh.
	Queued int `json:"queued"`
	// Sent counts deliveries (refreshes included); Failed counts
	// deliveries given up (a 4xx other than 408 and 429); Retries counts
	// attempts that failed and are retried; Dropped counts state changes
	// dropped because the queue was full.
	Sent    int64 `json:"sent"`
	Failed  int64 `json:"failed"`
	Retries int64 `json:"retries"`
	Dropped int64 `json:"dropped"`
	// LastError is the last failed attempt's error, cleared by a
	// successful delivery.
	LastError string `json:"last_error,omitempty"`
	// LastSent is when the last delivery succeeded.
	LastSent time.Time `json:"last_sent,omitzero"`
}

// Stats returns every target's stats, in the order of the targets.
func (d *Dispatcher) Stats() []TargetStats {
	out := make([]TargetStats, 0, len(d.workers))
	for _, w := range d.workers {
		out = append(out, w.stats())
	}
	return out
}

func clone(a Alert) Alert {
	a.Labels = maps.Clone(a.Labels)
	a.BurnRates = maps.Clone(a.BurnRates)
	a.Thresholds = maps.Clone(a.Thresholds)
	a.TopRoutes = slices.Clone(a.TopRoutes)
	a.TopStatuses = slices.Clone(a.TopStatuses)
	return a
}
