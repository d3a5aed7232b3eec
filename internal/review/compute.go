package review

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/capacity"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Defaults of the changes block.
const (
	DefaultChangeWindow = 3 * time.Hour
	DefaultFailedShare  = 0.10
	// ToilCap is the SRE book's cap on toil: half of the team's time.
	ToilCap = 0.5
	// trendSprints is how many sprints the toil trend shows.
	trendSprints = 4
)

// Sprints knows the team's sprints.
type Sprints struct {
	First  time.Time
	Length time.Duration
	Loc    *time.Location
	cfg    *config.Sprints
}

// NewSprints reads the config's sprints; without a sprints block, sprints
// are two weeks from Monday 2025-01-06, in UTC.
func NewSprints(cfg *config.Config) *Sprints {
	sc := cfg.Sprints
	if sc == nil {
		sc = &config.Sprints{Start: config.NewDate(2025, time.January, 6)}
	}
	first, length := sli.SprintConfig(sc)
	return &Sprints{First: first, Length: length, Loc: first.Location(), cfg: sc}
}

// At returns the sprint containing t.
func (s *Sprints) At(t time.Time) Sprint {
	start := slo.SprintStart(s.First, s.Length, t)
	return Sprint{Number: int(start.Sub(s.First)/s.Length) + 1, Start: start, End: start.Add(s.Length), Location: s.Loc}
}

// Resolve turns "current", "previous" or a date (any day of the sprint) into
// a sprint, as of now. A date outside slo.TimeRange is an error, as durations
// from the first sprint would overflow. Errors quote which; callers name it.
func (s *Sprints) Resolve(which string, now time.Time) (Sprint, error) {
	switch which {
	case "", "current":
		return s.At(now), nil
	case "previous":
		return s.At(s.At(now).Start.Add(-time.Nanosecond)), nil
	}
	d, err := time.ParseInLocation("2006-01-02", which, s.Loc)
	if err != nil {
		return Sprint{}, fmt.Errorf("%q: want current, previous or a date like 2025-03-17", which)
	}
	if !slo.InTimeRange(d) {
		return Sprint{}, fmt.Errorf("%q: out of range: want a date in %s", which, slo.TimeRange)
	}
	return s.At(d), nil
}

// Inputs are what a review reads.
type Inputs struct {
	Config  *config.Config
	Engine  *report.Engine
	Store   *store.Store
	Sprints *Sprints
	// Capacity, when set, gives the services' capacity reports (serve's
	// capacity.Cache: the review page refreshes); nil reads them.
	Capacity interface {
		Service(ctx context.Context, name string, at time.Time) (*capacity.Report, error)
	}
}

// Build computes the review of a sprint (of one service, or all with "").
// A sprint in progress is reviewed up to now.
func Build(ctx context.Context, in Inputs, sp Sprint, service string, now time.Time) (*Review, error) {
	cfg := in.Config
	end := reviewEnd(sp, now)
	r := &Review{Service: service, Sprint: sp, At: now, ChangeWindow: DefaultChangeWindow, FailedShare: DefaultFailedShare}
	if w := time.Duration(cfg.Changes.Window); w > 0 {
		r.ChangeWindow = w
	}
	if f := cfg.Changes.FailedShare; f != nil {
		r.FailedShare = *f / 100
	}
	alerts, err := alertEpisodes(ctx, in.Store, sp.Start, end)
	if err != nil {
		return nil, err
	}
	// The SLOs.
	slos, err := in.Engine.SLOs(ctx, end.Add(-time.Nanosecond), service)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(slos, func(a, b report.SLO) int { return cmp.Compare(a.Name, b.Name) })
	budgets := map[string]float64{} // SLO → its window's budget in events at the sprint's end
	for _, o := range slos {
		spec, _ := in.Engine.Spec(o.Name)
		c, err := in.Engine.Counts(ctx, o.Name, sp.Start, end)
		if err != nil {
			return nil, err
		}
		sr := SLOReview{Name: o.Name, Service: o.Service, Objective: o.Objective, Window: o.Window,
			SprintTotal: c.Total, SprintBad: report.Round(c.Bad()), Met: true,
			WindowSLI: o.SLI, BudgetRemaining: o.BudgetRemaining}
		if c.Total > 0 {
			v := c.SLI()
			sr.SprintSLI = &v
			sr.Met = v >= spec.Objective
		}
		sr.Period = spec.Window.Period(end.Add(-time.Nanosecond), time.UTC) // as report evaluates windows
		if spec.Window.Kind != slo.Rolling {
			sr.Resets = o.WindowStart.Add(sr.Period)
		}
		budgets[o.Name] = o.ErrorBudget * o.Total
		if b := budgets[o.Name]; b > 0 {
			sr.BudgetSpent = c.Bad() / b
		}
		for _, a := range alerts {
			if a.slo == o.Name {
				sr.Alerts = append(sr.Alerts, a.Alert)
			}
		}
		if !spec.IsComposite() && sr.SprintBad > 0 {
			if sr.TopRoutes, err = offenders(ctx, in.Engine, o.Name, sp.Start, end, "route"); err != nil {
				return nil, err
			}
			if sr.TopStatuses, err = offenders(ctx, in.Engine, o.Name, sp.Start, end, "status"); err != nil {
				return nil, err
			}
		}
		sr.Policy = PolicyFor(cfg.Policy, o.BudgetRemaining, o.NoData)
		r.SLOs = append(r.SLOs, sr)
	}
	// The changes and what they burned.
	changes, err := in.Store.Changes(ctx, service, sp.Start, end)
	if err != nil {
		return nil, err
	}
	failed := 0
	for _, ch := range changes {
		c := Change{Service: ch.Service, Kind: ch.Kind, Version: ch.Version, Description: ch.Description, At: ch.At}
		for _, sr := range r.SLOs {
			if sr.Service != ch.Service {
				continue
			}
			b, err := BurnAround(ctx, in.Engine, sr.Name, ch.At, r.ChangeWindow, budgets[sr.Name])
			if err != nil {
				return nil, err
			}
			if sr.SprintBad > 0 {
				b.ShareOfSprint = b.BadAfter / sr.SprintBad
			}
			c.Burns = append(c.Burns, b)
			if b.After > r.FailedShare {
				c.Failed = true
			}
		}
		for _, a := range alerts {
			if a.service == ch.Service && a.Severity == "page" && !a.Fired.Before(ch.At) && a.Fired.Before(ch.At.Add(r.ChangeWindow)) {
				c.Paged, c.Failed = true, true
			}
		}
		if c.Failed {
			failed++
		}
		r.Changes = append(r.Changes, c)
	}
	if len(r.Changes) > 0 {
		v := float64(failed) / float64(len(r.Changes))
		r.ChangeFailureRate = &v
	}
	if r.Maintenance, err = in.Engine.Windows(ctx, service, sp.Start, end); err != nil {
		return nil, err
	}
	if r.Toil, err = toil(ctx, in, sp); err != nil {
		return nil, err
	}
	if r.Capacity, err = capacityForecasts(ctx, in, service, end); err != nil {
		return nil, err
	}
	r.Findings, r.Suggestions = findings(r)
	return r, nil
}

// capacityForecasts forecasts, as of end, when each service with a
// declared capacity (of the review's, or every one) reaches 80% of it.
func capacityForecasts(ctx context.Context, in Inputs, service string, end time.Time) ([]CapacityForecast, error) {
	var out []CapacityForecast
	for _, s := range in.Config.Services {
		if s.Capacity == nil || service != "" && s.Name != service {
			continue
		}
		var c *capacity.Report
		var err error
		if in.Capacity != nil {
			c, err = in.Capacity.Service(ctx, s.Name, end)
		} else {
			c, err = capacity.Service(ctx, in.Store, s, end, 0)
		}
		if err != nil {
			return nil, err
		}
		f := CapacityForecast{Service: s.Name, Level: capacity.AlertLevel}
		if c.Trend != nil {
			f.Growth = &c.Trend.WeeklyGrowth
		}
		for _, cr := range c.Crossings {
			if cr.Level == f.Level && cr.Date != nil {
				f.At, f.Already = *cr.Date, cr.Already
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// reviewEnd is where a review of a sprint stops: the sprint's end, or for a
// sprint in progress now, rounded up to the minute.
func reviewEnd(sp Sprint, now time.Time) time.Time {
	if !now.IsZero() && now.Before(sp.End) {
		return slo.EndMinute(now)
	}
	return sp.End
}

// BurnAround returns an SLO's burn in the window after a change and in the
// same length before it, as shares of budget (the bad events the SLO's
// window allows).
func BurnAround(ctx context.Context, eng *report.Engine, name string, at time.Time, w time.Duration, budget float64) (ChangeBurn, error) {
	b := ChangeBurn{SLO: name}
	after, err := eng.Counts(ctx, name, at, at.Add(w))
	if err != nil {
		return b, err
	}
	before, err := eng.Counts(ctx, name, at.Add(-w), at)
	if err != nil {
		return b, err
	}
	b.BadAfter = report.Round(after.Bad())
	if budget > 0 {
		b.After, b.Before = after.Bad()/budget, before.Bad()/budget
	}
	if b.BadAfter > 0 {
		if top, err := offenders(ctx, eng, name, at, at.Add(w), "route"); err == nil && len(top) > 0 {
			b.TopRouteAfter = top[0].Key
		}
	}
	return b, nil
}

func offenders(ctx context.Context, eng *report.Engine, name string, from, to time.Time, by string) ([]Offender, error) {
	bd, err := eng.Breakdown(ctx, name, from, to, by, 3)
	if err != nil {
		return nil, err
	}
	var out []Offender
	for _, row := range bd.Rows {
		out = append(out, Offender{Key: row.Key, Bad: row.Bad, Share: row.Share})
	}
	return out, nil
}

// PolicyFor returns the policy rule in force at a budget left (a ratio):
// the one with the lowest threshold the budget is below.
func PolicyFor(rules []config.PolicyRule, remaining float64, noData bool) *PolicyState {
	if noData {
		return nil
	}
	var best *PolicyState
	for _, r := range rules {
		if remaining*100 < r.Below && (best == nil || r.Below < best.Below) {
			best = &PolicyState{Below: r.Below, Action: r.Action, Freeze: r.Freeze}
		}
	}
	return best
}

// episode is an alert that fired, with its SLO and service.
type episode struct {
	Alert
	slo, service string
}

// alertEpisodes returns the alerts that fired in [from, to) (or were firing
// at from), with their firing time inside the range.
func alertEpisodes(ctx context.Context, st *store.Store, from, to time.Time) ([]episode, error) {
	eps, err := alert.NewHistory(st, alert.HistoryOptions{}).Episodes(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]episode, 0, len(eps))
	for _, e := range eps {
		a := Alert{Key: e.Key, Severity: e.Severity, Tier: e.Tier, Fired: e.Fired, Resolved: e.Resolved}
		start, stop := a.Fired, a.Resolved
		if start.Before(from) {
			start = from
		}
		if stop.IsZero() || stop.After(to) {
			stop = to
		}
		a.Duration = stop.Sub(start)
		out = append(out, episode{Alert: a, slo: e.SLO, service: e.Service})
	}
	return out, nil
}

// toil sums the sprint's toil and the trend of the sprints before it.
func toil(ctx context.Context, in Inputs, sp Sprint) (Toil, error) {
	t := Toil{}
	if c := in.Sprints.cfg.Capacity; c.People > 0 && c.Hours > 0 {
		t.CapacityHours = c.People * c.Hours
		t.SpareHours = t.CapacityHours * c.Spare / 100
	}
	first := sp.Start.Add(-time.Duration(trendSprints-1) * in.Sprints.Length)
	entries, err := in.Store.Toil(ctx, first, sp.End)
	if err != nil {
		return t, err
	}
	bySprint := map[int]float64{}
	cats, tags := map[string]*Amount{}, map[string]*Amount{}
	earlierTags := map[string]bool{}
	for _, e := range entries {
		s := in.Sprints.At(e.At)
		bySprint[s.Number] += e.Minutes / 60
		if s.Number != sp.Number {
			earlierTags[e.Tag] = true
			continue
		}
		t.Entries++
		t.Hours += e.Minutes / 60
		add(cats, e.Category, e.Minutes/60)
		if e.Tag != "" {
			add(tags, e.Tag, e.Minutes/60)
		}
	}
	t.ByCategory, t.ByTag = sorted(cats), sorted(tags)
	for _, a := range t.ByTag {
		if earlierTags[a.Name] || a.Count > 1 {
			t.Recurring = append(t.Recurring, a)
		}
	}
	if t.CapacityHours > 0 {
		t.Share = t.Hours / t.CapacityHours
		t.OverCap = t.Share > ToilCap
		interrupts := 0.0
		for _, c := range t.ByCategory {
			if c.Name == "interrupt" {
				interrupts = c.Hours
			}
		}
		t.SpareUsed = t.SpareHours > 0 && interrupts >= t.SpareHours
	}
	for n := sp.Number - trendSprints + 1; n <= sp.Number; n++ {
		if n < 1 {
			continue
		}
		st := SprintToil{Number: n, Start: in.Sprints.First.Add(time.Duration(n-1) * in.Sprints.Length), Hours: bySprint[n]}
		if t.CapacityHours > 0 {
			st.Share = st.Hours / t.CapacityHours
		}
		t.Trend = append(t.Trend, st)
	}
	return t, nil
}

func add(m map[string]*Amount, name string, hours float64) {
	a := m[name]
	if a == nil {
		a = &Amount{Name: name}
		m[name] = a
	}
	a.Hours += hours
	a.Count++
}

func sorted(m map[string]*Amount) []Amount {
	var out []Amount
	for _, a := range m {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Amount) int {
		if c := cmp.Compare(b.Hours, a.Hours); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}
