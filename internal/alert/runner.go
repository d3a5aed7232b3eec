package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/notify"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Notifier delivers alerts (notify.Dispatcher).
type Notifier interface {
	// Route routes state changes to the targets they go to; the runner
	// queues the batch with the states that caused it.
	Route([]notify.Alert) (*notify.Batch, error)
	// Queued hands over a batch once stored.
	Queued(*notify.Batch)
	// Refresh hands over every alert firing now, for targets that forget
	// alerts not re-sent (Alertmanager).
	Refresh([]notify.Alert)
	// Refreshes reports whether any target takes refreshes: if none does,
	// the runner does not build them (each says where its budget goes,
	// which costs two queries).
	Refreshes() bool
}

// Store keeps alert states and history, and queues the notifications of
// their changes with them (store.Store).
type Store interface {
	SaveAlerts(ctx context.Context, states map[string][]byte, events []store.AlertEvent, q *notify.Batch) error
	AlertStates(ctx context.Context) (map[string][]byte, error)
}

// Measurer measures SLOs for the evaluator (report.Engine).
type Measurer interface {
	// Measures returns every SLO's events over each of windows ending at
	// at, with its own window's events and budget.
	Measures(ctx context.Context, at time.Time, windows []time.Duration) ([]Measure, error)
	// TopBad returns an SLO's n groups with the most bad events in
	// [from, to), grouped by "route" or "status", most first.
	TopBad(ctx context.Context, slo string, from, to time.Time, by string, n int) ([]Count, error)
}

// Count is a group's bad events.
type Count struct {
	Key string
	Bad float64
}

// Runner is the evaluator inside `headroom serve`: every interval it
// measures every SLO, moves the alerts, and stores their states, their
// history and the notifications of their changes in one transaction, then
// hands those to the notifiers. A restart picks up the stored states and
// the notifications not yet delivered, so it neither pages again nor
// forgets a firing alert or a page.
type Runner struct {
	m        Measurer
	st       Store
	notifier Notifier
	sources  func() []SourceHealth
	ext      string // the dashboard's external URL, for links
	log      *slog.Logger
	policies map[string]Policy
	interval time.Duration
	now      func() time.Time

	capacity CapacitySource
	// capacityAt is when capacity alerts were last evaluated.
	capacityAt time.Time

	mu      sync.Mutex
	eval    *Evaluator
	windows []time.Duration
	broken  map[string]time.Time // source → when it was first seen broken
}

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	Config   *config.Config // the SLOs and alerting policies
	Measurer Measurer
	Store    Store
	// Notifier routes the changes to the notify targets (nil: none). The
	// runner queues them with Store.SaveAlerts, so the notifier must
	// deliver from that queue (notify.Options.Queue: the same store).
	Notifier Notifier
	// Sources says, for no-data alerts, whether each log can be read now
	// (nil: no no-data alerts).
	Sources     func() []SourceHealth
	ExternalURL string
	Log         *slog.Logger
	// Capacity measures the services with a declared capacity, for their
	// capacity alerts, every CapacityEvery (nil: no capacity alerts).
	Capacity CapacitySource
	// Interval is how often Run evaluates (default: the config's
	// alerting.interval).
	Interval time.Duration
	// Now is Run's clock (default time.Now).
	Now func() time.Time
}

// NewRunner loads the stored alert states.
func NewRunner(ctx context.Context, opts RunnerOptions) (*Runner, error) {
	policies, err := Policies(opts.Config)
	if err != nil {
		return nil, err
	}
	states, err := loadStates(ctx, opts.Store)
	if err != nil {
		return nil, err
	}
	r := &Runner{
		m: opts.Measurer, st: opts.Store, notifier: opts.Notifier, sources: opts.Sources,
		ext: strings.TrimSuffix(opts.ExternalURL, "/"), log: opts.Log,
		policies: map[string]Policy{}, broken: map[string]time.Time{},
		eval: NewEvaluator(policies, states), windows: Windows(policies),
		interval: opts.Interval, now: opts.Now, capacity: opts.Capacity,
	}
	r.eval.NoDataAfter, r.eval.NoDataSeverity = NoDataConfig(opts.Config)
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.interval <= 0 {
		r.interval = Interval(opts.Config)
	}
	if r.now == nil {
		r.now = time.Now
	}
	for _, p := range policies {
		r.policies[p.SLO] = p
	}
	return r, nil
}

// Run evaluates every interval until ctx ends; a failed evaluation is
// logged and tried again at the next tick. It returns nil when ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if _, err := r.Step(ctx, r.now()); err != nil && ctx.Err() == nil {
			r.log.Error("alert evaluation", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step evaluates at `at`, stores and sends what changed, and returns it.
func (r *Runner) Step(ctx context.Context, at time.Time) ([]Transition, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	trs, err := r.evaluate(ctx, at, r.sourceHealth(at))
	if err != nil {
		return nil, err
	}
	trs = append(trs, r.evaluateCapacity(ctx, at)...)
	q, err := r.route(ctx, trs)
	if err != nil {
		return nil, err
	}
	if err := r.save(ctx, trs, q); err != nil {
		return nil, err
	}
	if q != nil {
		r.notifier.Queued(q)
	}
	r.refresh(ctx)
	return trs, nil
}

// Replay evaluates every step over [from, to] as `serve` would have, without
// notifying anyone, and stores the resulting states and history once.
func (r *Runner) Replay(ctx context.Context, from, to time.Time, step time.Duration) ([]Transition, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []Transition
	for at := from; !at.After(to); at = at.Add(step) {
		trs, err := r.evaluate(ctx, at, nil)
		if err != nil {
			return nil, err
		}
		all = append(all, trs...)
	}
	return all, r.save(ctx, all, nil)
}

func (r *Runner) evaluate(ctx context.Context, at time.Time, sources []Source) ([]Transition, error) {
	measures, err := r.m.Measures(ctx, at, r.windows)
	if err != nil {
		return nil, err
	}
	return r.eval.Step(at, measures, sources), nil
}

// evaluateCapacity evaluates the capacity alerts when CapacityEvery has
// passed since they last were (on the instants evaluated, not the wall
// clock). A failed measure is logged and tried again at the next step:
// the capacity alerts keep their states meanwhile.
func (r *Runner) evaluateCapacity(ctx context.Context, at time.Time) []Transition {
	if r.capacity == nil || !r.capacityAt.IsZero() && at.Sub(r.capacityAt) < CapacityEvery && !at.Before(r.capacityAt) {
		return nil
	}
	ms, err := r.capacity(ctx, at)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("capacity alert evaluation", "err", err)
		}
		return nil
	}
	r.capacityAt = at
	return r.eval.StepCapacity(at, ms)
}

// save stores every state, the transitions and the notifications q (nil:
// none), in one transaction.
func (r *Runner) save(ctx context.Context, trs []Transition, q *notify.Batch) error {
	states := map[string][]byte{}
	var events []store.AlertEvent
	for _, s := range r.eval.States() {
		b, _ := json.Marshal(s)
		states[s.Key] = b
	}
	for _, t := range trs {
		b, _ := json.Marshal(t)
		events = append(events, store.AlertEvent{Key: t.State.Key, At: t.At, Data: b})
	}
	return r.st.SaveAlerts(ctx, states, events, q)
}

// route returns the firings and resolutions routed to the notifiers'
// targets, to be queued; nil when there are none.
func (r *Runner) route(ctx context.Context, trs []Transition) (*notify.Batch, error) {
	if r.notifier == nil {
		return nil, nil
	}
	var changes []notify.Alert
	for _, t := range trs {
		if t.Fired() || t.Resolved() {
			changes = append(changes, r.alert(ctx, t.State, t.At, t.ResolvedAt))
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	return r.notifier.Route(changes)
}

// refresh hands the firing set to the notifier, for refreshes.
func (r *Runner) refresh(ctx context.Context) {
	if r.notifier == nil || !r.notifier.Refreshes() {
		return
	}
	var firing []notify.Alert
	for _, s := range r.eval.Firing() {
		firing = append(firing, r.alert(ctx, s, s.Since, time.Time{}))
	}
	r.notifier.Refresh(firing)
}

// SourceHealth is whether a log can be read now: Broken says why not, or
// is "" when it reads fine (a source without new lines has no traffic,
// which is no alert).
type SourceHealth struct {
	Service, Log string
	Broken       string
}

// AgentLog is the source an agent is for no-data alerts: it has no service
// of its own (its cells may feed several).
func AgentLog(name string) string { return "agent " + name }

// sourceHealth turns the sources' health into no-data inputs, with when
// each broken source was first seen broken.
func (r *Runner) sourceHealth(at time.Time) []Source {
	if r.sources == nil {
		return nil
	}
	var out []Source
	for _, s := range r.sources() {
		key := s.Service + "\x00" + s.Log
		src := Source{Service: s.Service, Log: s.Log, Broken: s.Broken}
		if s.Broken == "" {
			delete(r.broken, key)
		} else {
			if _, ok := r.broken[key]; !ok {
				r.broken[key] = at
			}
			src.Since = r.broken[key]
		}
		out = append(out, src)
	}
	return out
}

// alert builds what the notifiers send for a state.
func (r *Runner) alert(ctx context.Context, s State, startsAt, resolvedAt time.Time) notify.Alert {
	a := notify.Alert{
		Fingerprint: s.Key, Name: s.Kind.AlertName(), SLO: s.SLO, Service: s.Service, Severity: s.Severity, Tier: s.Tier,
		State: notify.Firing, StartsAt: s.ActiveAt, EndsAt: resolvedAt, Labels: s.Labels,
		Summary: Summary(s), BudgetRemaining: s.Values["budget_remaining"],
		BurnRates: map[string]float64{}, Thresholds: map[string]float64{},
	}
	if a.StartsAt.IsZero() {
		a.StartsAt = startsAt
	}
	if !resolvedAt.IsZero() {
		a.State = notify.Resolved
	}
	p, ok := r.policies[s.SLO]
	if ok {
		a.RunbookURL, a.Objective, a.Window = p.Runbook, p.Objective, p.Window
	}
	if r.ext != "" && s.SLO != "" {
		a.DashboardURL = r.ext + "/slo/" + url.PathEscape(s.SLO)
	}
	if r.ext != "" && s.Kind == KindCapacity {
		a.DashboardURL = r.ext + "/service/" + url.PathEscape(s.Service) + "#capacity"
	}
	if s.Kind == KindBurn && ok {
		for _, t := range p.Tiers {
			if t.Name != s.Tier {
				continue
			}
			long, short := slo.FormatDuration(t.Long), slo.FormatDuration(t.Short)
			a.BurnRates[long], a.BurnRates[short] = s.Values["long_burn"], s.Values["short_burn"]
			a.Thresholds[long], a.Thresholds[short] = s.Values["threshold"], s.Values["threshold"]
			a.Description = fmt.Sprintf("Burn rate %.1f× over %s and %.1f× over %s, above %.1f× (%.0f%% of the %s budget in %s). Error budget left: %.1f%%.",
				s.Values["long_burn"], long, s.Values["short_burn"], short, s.Values["threshold"], t.BudgetShare*100, a.Window, long, a.BudgetRemaining*100)
			// Where: the top routes and statuses by bad events over the
			// long window.
			end := startsAt
			if !resolvedAt.IsZero() {
				end = resolvedAt
			}
			a.TopRoutes = r.top(ctx, s.SLO, end.Add(-t.Long), end, "route")
			a.TopStatuses = r.top(ctx, s.SLO, end.Add(-t.Long), end, "status")
		}
	}
	return a
}

func (r *Runner) top(ctx context.Context, name string, from, to time.Time, by string) []notify.Count {
	rows, err := r.m.TopBad(ctx, name, from, to, by, 3)
	if err != nil {
		r.log.Warn("alert breakdown", "slo", name, "by", by, "err", err)
		return nil
	}
	var out []notify.Count
	for _, row := range rows {
		out = append(out, notify.Count(row))
	}
	return out
}
