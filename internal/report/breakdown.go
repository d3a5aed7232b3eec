package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Dimensions a breakdown can group by.
var Dimensions = []string{"route", "status", "host", "method", "node"}

// LocalNode is the node key of cells read from logs by the server itself,
// not pushed by an agent.
const LocalNode = "local"

// Row is one group of a breakdown.
type Row struct {
	// Key is the group's value of the dimension: a route, a status, a host
	// or a method. A frontend app's statuses are named for the events they
	// stand for (EventName: "js error", "api failed", "LCP"), so alerts,
	// reviews and the dashboard show those names.
	Key   string  `json:"key"`
	Bad   float64 `json:"bad"`
	Total float64 `json:"total"`
	// Share is the group's share of the range's bad events.
	Share float64 `json:"share"`
	// BudgetBurned is the share of the range's error budget (error budget
	// × total events in the range) the group's bad events burned.
	BudgetBurned float64 `json:"budget_burned"`
}

// Breakdown says where an SLO's bad events came from over a range.
type Breakdown struct {
	SLO   string    `json:"slo"`
	By    string    `json:"by"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Total float64   `json:"total"`
	Bad   float64   `json:"bad"`
	// Budget is the bad events the range's traffic allows: error budget ×
	// total.
	Budget float64 `json:"budget"`
	// Rows are the groups with bad events, most first, then by name; Other
	// sums those past the limit, so Rows and Other add up to Bad exactly.
	Rows  []Row `json:"rows"`
	Other *Row  `json:"other,omitempty"`
}

// Breakdown groups the SLO's events over [from, to) (whole minutes) by one
// of Dimensions, keeping the limit groups with the most bad events (0: all).
func (e *Engine) Breakdown(ctx context.Context, name string, from, to time.Time, by string, limit int) (*Breakdown, error) {
	s, err := e.Spec(name)
	if err != nil {
		return nil, err
	}
	if s.IsComposite() {
		return nil, fmt.Errorf("slo %s is a composite: its components have the breakdowns: %w", name, ErrBadRequest)
	}
	key, err := dimKeyFunc(by, e.isBrowser(s.Service))
	if err != nil {
		return nil, err
	}
	from, to = from.Truncate(time.Minute), slo.EndMinute(to)
	out := &Breakdown{SLO: s.Name, By: by, From: from, To: to, Rows: []Row{}}
	groups := map[string]*Row{}
	sc, err := e.scanner(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	if sc != nil && to.After(from) {
		match := sc.matcher([]*sli.Spec{s})
		err = sc.scan(from, to, to.Sub(from), func(_ int, dim uint32, en *cells.Entry) {
			d, ok := sc.dim(dim)
			if !ok || !match(dim, 0) {
				return
			}
			c := s.Count(d, en)
			out.Total += c.Total
			k := key(d)
			g := groups[k]
			if g == nil {
				g = &Row{Key: k}
				groups[k] = g
			}
			g.Total += c.Total
			g.Bad += c.Bad()
		})
		if err != nil {
			return nil, err
		}
	}
	var rows []Row
	for _, g := range groups {
		g.Bad = Round(g.Bad)
		if g.Bad > 0 {
			rows = append(rows, *g)
			out.Bad += g.Bad
		}
	}
	out.Budget = slo.ErrorBudget(s.Objective) * out.Total
	slices.SortFunc(rows, func(a, b Row) int {
		if c := cmp.Compare(b.Bad, a.Bad); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if limit > 0 && len(rows) > limit {
		other := Row{Key: fmt.Sprintf("%d others", len(rows)-limit)}
		for _, r := range rows[limit:] {
			other.Bad += r.Bad
			other.Total += r.Total
		}
		out.Other = &other
		rows = rows[:limit]
	}
	out.Rows = append(out.Rows, rows...)
	for _, r := range append(pointers(out.Rows), out.Other) {
		if r == nil {
			continue
		}
		if out.Bad > 0 {
			r.Share = r.Bad / out.Bad
		}
		if out.Budget > 0 {
			r.BudgetBurned = r.Bad / out.Budget
		}
	}
	return out, nil
}

func pointers(rows []Row) []*Row {
	out := make([]*Row, len(rows))
	for i := range rows {
		out[i] = &rows[i]
	}
	return out
}

// dimKeyFunc returns the key of a dimension's groups: its value, and for
// the status of a frontend app's events, the event's name ("js error").
func dimKeyFunc(by string, browser bool) (func(store.DimValue) string, error) {
	switch by {
	case "route":
		return func(d store.DimValue) string { return d.Route }, nil
	case "status":
		return func(d store.DimValue) string { return statusName(d.Status, browser) }, nil
	case "host":
		return func(d store.DimValue) string { return d.Host }, nil
	case "method":
		return func(d store.DimValue) string { return d.Method }, nil
	case "node":
		return func(d store.DimValue) string {
			if d.Node == "" {
				return LocalNode
			}
			return d.Node
		}, nil
	}
	return nil, fmt.Errorf("by=%q: want one of route, status, host, method, node: %w", by, ErrBadRequest)
}
