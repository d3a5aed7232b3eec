package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/store"
)

// HistoryStore is where the Runner keeps alert states and transitions
// (store.Store).
type HistoryStore interface {
	AlertStates(ctx context.Context) (map[string][]byte, error)
	AlertEvents(ctx context.Context, from, to time.Time, limit int) ([]store.AlertEvent, error)
}

// History reads what the Runner stored: the alert states as of an instant
// and the transitions in a range. It is the one reader of stored alerts:
// the CLI, the dashboard, the API and the sprint review all use it.
type History struct {
	st HistoryStore
	// now and fresh decide when "as of at" means "as of the last
	// evaluation": when at is within fresh of now.
	now   func() time.Time
	fresh time.Duration
}

// HistoryOptions configure a History.
type HistoryOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Fresh is how close to now an instant must be for StatesAt to answer
	// with the last evaluation's states (default two evaluation intervals,
	// 2×DefaultInterval).
	Fresh time.Duration
}

// NewHistory returns a reader of the alerts stored in st.
func NewHistory(st HistoryStore, opts HistoryOptions) *History {
	h := &History{st: st, now: opts.Now, fresh: opts.Fresh}
	if h.now == nil {
		h.now = time.Now
	}
	if h.fresh <= 0 {
		h.fresh = 2 * DefaultInterval
	}
	return h
}

// Current returns every alert's state as of the last evaluation, most
// urgent first.
func (h *History) Current(ctx context.Context) ([]State, error) {
	states, err := loadStates(ctx, h.st)
	if err != nil {
		return nil, err
	}
	SortByUrgency(states)
	return states, nil
}

// StatesAt returns the alert states as of at, most urgent first: the last
// evaluation's when at is about now, else each alert's state after its last
// change before at (alerts that never changed before at are left out: they
// were inactive).
func (h *History) StatesAt(ctx context.Context, at time.Time) ([]State, error) {
	if d := h.now().Sub(at); d < h.fresh && d > -h.fresh {
		return h.Current(ctx)
	}
	trs, err := h.Events(ctx, time.Time{}, at.Add(time.Millisecond), 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	states := []State{}
	for _, t := range trs { // newest first
		if !seen[t.State.Key] {
			seen[t.State.Key] = true
			states = append(states, t.State)
		}
	}
	SortByUrgency(states)
	return states, nil
}

// Events returns the transitions in [from, to), newest first, at most
// limit (0: all).
func (h *History) Events(ctx context.Context, from, to time.Time, limit int) ([]Transition, error) {
	events, err := h.st.AlertEvents(ctx, from, to, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Transition, 0, len(events))
	for _, e := range events {
		var t Transition
		if err := json.Unmarshal(e.Data, &t); err != nil {
			return nil, fmt.Errorf("alert event %d (%s): %w", e.ID, e.Key, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// Episodes returns the alerts that fired in [from, to), or were firing at
// from, oldest first (without the backtest's detection and reset times).
func (h *History) Episodes(ctx context.Context, from, to time.Time) ([]Episode, error) {
	trs, err := h.Events(ctx, time.Time{}, to, 0)
	if err != nil {
		return nil, err
	}
	slices.Reverse(trs) // oldest first
	open := map[string]*Episode{}
	var out []Episode
	for _, t := range trs {
		switch key := t.State.Key; {
		case t.Fired():
			open[key] = newEpisode(t)
		case t.Resolved():
			if f := open[key]; f != nil {
				f.Resolved = t.At
				if !t.At.Before(from) {
					out = append(out, *f)
				}
				delete(open, key)
			}
		}
	}
	for _, f := range open {
		out = append(out, *f)
	}
	slices.SortStableFunc(out, func(a, b Episode) int { return a.Fired.Compare(b.Fired) })
	return out, nil
}

// loadStates reads and decodes the stored states.
func loadStates(ctx context.Context, st interface {
	AlertStates(ctx context.Context) (map[string][]byte, error)
}) ([]State, error) {
	stored, err := st.AlertStates(ctx)
	if err != nil {
		return nil, err
	}
	states := make([]State, 0, len(stored))
	for key, data := range stored {
		var s State
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("alert state %s: %w", key, err)
		}
		states = append(states, s)
	}
	return states, nil
}

// Event is a transition as the API and the alerts page show it: flat, with
// its summary.
type Event struct {
	At       time.Time `json:"at"`
	Key      string    `json:"key"`
	Kind     Kind      `json:"kind"`
	SLO      string    `json:"slo,omitempty"`
	Service  string    `json:"service"`
	Tier     string    `json:"tier,omitempty"`
	Severity string    `json:"severity"`
	From     Phase     `json:"from"`
	To       Phase     `json:"to"`
	Summary  string    `json:"summary"`
}

// Event returns the transition as shown.
func (t Transition) Event() Event {
	s := t.State
	return Event{At: t.At, Key: s.Key, Kind: s.Kind, SLO: s.SLO, Service: s.Service, Tier: s.Tier,
		Severity: s.Severity, From: t.From, To: t.To, Summary: Summary(s)}
}
