package report

import (
	"context"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/store"
)

// MaintenanceStore gives the maintenance windows recorded with `headroom
// maintenance add` (store.Store). The engine reads them at every query, so
// a running serve honours a window as soon as it is recorded.
type MaintenanceStore interface {
	MaintenanceWindows(ctx context.Context) ([]store.MaintenanceWindow, error)
}

var _ MaintenanceStore = (*store.Store)(nil)

// Maintenance returns the maintenance windows of service ("" for every
// service): the config's, then those recorded in the store.
func (e *Engine) Maintenance(ctx context.Context, service string) ([]config.Maintenance, error) {
	var out []config.Maintenance
	for _, m := range e.cfg.Maintenance {
		if service == "" || m.AppliesTo(service) {
			out = append(out, m)
		}
	}
	ms, ok := e.src.(MaintenanceStore)
	if !ok {
		return out, nil
	}
	recorded, err := ms.MaintenanceWindows(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range recorded {
		m := FromStore(w)
		if service == "" || m.AppliesTo(service) {
			out = append(out, m)
		}
	}
	return out, nil
}

// FromStore returns a recorded window as a config window.
func FromStore(w store.MaintenanceWindow) config.Maintenance {
	return config.Maintenance{
		Service: w.Service, Start: config.NewTimestamp(w.Start), End: config.NewTimestamp(w.End),
		Note: w.Note, ID: w.ID,
	}
}

// Window is an occurrence of a maintenance window, as the dashboard, the
// API and the review show it.
type Window struct {
	Service string    `json:"service,omitempty"` // "": every service
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Note    string    `json:"note,omitempty"`
	// Recurring says the window repeats weekly (config: every).
	Recurring bool `json:"recurring,omitempty"`
	// ID is the store's id of a window recorded by `headroom maintenance
	// add`; 0 for the config's.
	ID int64 `json:"id,omitempty"`
}

// Windows returns the occurrences of service's maintenance windows that
// overlap [from, to) ("" for every service's), by start.
func (e *Engine) Windows(ctx context.Context, service string, from, to time.Time) ([]Window, error) {
	ms, err := e.Maintenance(ctx, service)
	if err != nil {
		return nil, err
	}
	return Occurrences(ms, from, to), nil
}

// Occurrences lists the occurrences of windows overlapping [from, to), by
// start.
func Occurrences(windows []config.Maintenance, from, to time.Time) []Window {
	out := []Window{}
	for _, m := range windows {
		for _, iv := range m.Intervals(from, to) {
			out = append(out, Window{Service: m.Service, Start: iv.Start, End: iv.End, Note: m.Note, Recurring: len(m.Every) > 0, ID: m.ID})
		}
	}
	slices.SortStableFunc(out, func(a, b Window) int { return a.Start.Compare(b.Start) })
	return out
}

// outside returns the parts of c (as covered by the floors) outside the
// service's maintenance windows.
func (sc *scanner) outside(c sli.Range) [][2]int64 {
	if len(sc.windows) == 0 {
		return [][2]int64{{c.From.Unix(), c.To.Unix()}}
	}
	return sli.Outside(sc.floors, sc.windows, c)
}

// openWindow returns the occurrence of windows open at t, nil when none is
// (the one ending last when several are).
func openWindow(windows []config.Maintenance, t time.Time) *Window {
	var open *Window
	for _, w := range Occurrences(windows, t, t.Add(time.Nanosecond)) {
		if !t.Before(w.Start) && t.Before(w.End) && (open == nil || w.End.After(open.End)) {
			open = &w
		}
	}
	return open
}
