// Package slodoc writes an SLO's document, after the SRE Workbook's
// example: the service, the SLI and how headroom measures it, the objective
// and what history says of it, the error budget, the error budget policy,
// the alerts, the review cadence and what headroom cannot see — from the
// config and the store, in English or Japanese, as Markdown or HTML, ready
// to commit next to the config.
//
// Build gathers the facts (Document); Markdown and HTML write them.
package slodoc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
)

// Store is what the document reads from the store besides the engine's
// counts: where a service's history begins and where finer cells were
// pruned. *store.Store is one.
type Store interface {
	sli.Cells
	FirstStart(ctx context.Context, serviceID int64) (start int64, ok bool, err error)
}

// Inputs are what Build reads. Engine and Store are both nil when there is
// no store yet: the document then says so where it would give numbers.
type Inputs struct {
	Config *config.Config
	Engine *report.Engine
	Store  Store
}

// Options say which SLO, as of when, and how the document says it was made.
type Options struct {
	SLO string
	At  time.Time
	// Command is the command line that makes the document, printed at its
	// top so that whoever reads it can make it again.
	Command string
}

// Document is the facts of one SLO's document.
type Document struct {
	At      time.Time
	Loc     *time.Location // the sprints' time zone, else UTC: dates are in it
	Command string
	Config  string // the config file
	SLO     config.SLO
	Service config.Service
	// Components are a composite's SLOs, in the config's order, each with
	// its service.
	Components []Component
	// Siblings are the service's other SLOs.
	Siblings []string
	Period   time.Duration // the window's full length as of At

	// Status is the SLO's window as of At; nil without a store.
	Status *report.SLO

	Policy  []config.PolicyRule // sorted by threshold, highest first
	InForce *review.PolicyState // the rule in force as of At (nil: none, or no data)

	// Alerting is how the SLO alerts (nil: alerting disabled).
	Alerting       *alert.Policy
	NoDataAfter    time.Duration
	NoDataSeverity string // "" when no-data alerts are off
	Notify         []Target

	Sprints *Sprints // nil without a sprints block
	// History is what the SLO achieved over the stored history.
	History History
	// Suggest is what `headroom suggest` says of the SLO's service over
	// the same history; nil when it has nothing to say (no store, a
	// composite or browser SLO, no complete window yet).
	Suggest *SuggestFacts
	// Revisit is when the document is due for review: the end of the
	// current sprint, else one window after At.
	Revisit time.Time
	// MinuteRetention is how long minute cells are kept (0: forever).
	MinuteRetention time.Duration
}

// Component is one SLO of a composite.
type Component struct {
	SLO     config.SLO
	Service config.Service
	Weight  float64
}

// Target is a notify target that receives the SLO's alerts of Severities.
type Target struct {
	Name, Type string
	Severities []string // those of the SLO's alerts it receives
}

// Sprints is the team's sprint cadence.
type Sprints struct {
	First   time.Time
	Length  time.Duration
	Current review.Sprint // the sprint holding At
}

// Build gathers the facts of the SLO's document as of opts.At.
func Build(ctx context.Context, in Inputs, opts Options) (*Document, error) {
	cfg := in.Config
	i := slices.IndexFunc(cfg.SLOs, func(o config.SLO) bool { return o.Name == opts.SLO })
	if i < 0 {
		return nil, CheckSLO(cfg, opts.SLO)
	}
	o := cfg.SLOs[i]
	svc := cfg.Service(o.Service)
	if svc == nil {
		return nil, fmt.Errorf("slo %q: unknown service %q", o.Name, o.Service)
	}
	at := opts.At.UTC()
	d := &Document{At: at, Loc: time.UTC, Command: opts.Command, Config: cfg.Path, SLO: o, Service: *svc,
		Period: o.Window.Window().Period(at, time.UTC)}
	for _, c := range o.SLI.Components {
		j := slices.IndexFunc(cfg.SLOs, func(s config.SLO) bool { return s.Name == c.SLO })
		if j < 0 {
			return nil, fmt.Errorf("slo %q: component %q: no such SLO", o.Name, c.SLO)
		}
		w := c.Weight
		if w == 0 {
			w = 1
		}
		cs := cfg.Service(cfg.SLOs[j].Service)
		if cs == nil {
			return nil, fmt.Errorf("slo %q: unknown service %q", cfg.SLOs[j].Name, cfg.SLOs[j].Service)
		}
		d.Components = append(d.Components, Component{SLO: cfg.SLOs[j], Service: *cs, Weight: w})
	}
	for _, s := range cfg.SLOsOf(o.Service) {
		if s.Name != o.Name {
			d.Siblings = append(d.Siblings, s.Name)
		}
	}
	if cfg.Sprints != nil {
		sp := review.NewSprints(cfg)
		d.Loc = sp.Loc
		d.Sprints = &Sprints{First: sp.First, Length: sp.Length, Current: sp.At(at)}
		if o.Window.Window().Kind == slo.SprintWindow {
			d.Period = sp.Length
		}
	}
	d.Revisit = at.Add(d.Period)
	if r := cfg.Storage.Retention.Minutes; r != config.Forever {
		d.MinuteRetention = time.Duration(r)
	}
	if d.Sprints != nil {
		d.Revisit = d.Sprints.Current.End
	}
	d.Policy = slices.Clone(cfg.Policy)
	slices.SortStableFunc(d.Policy, func(a, b config.PolicyRule) int {
		switch {
		case a.Below > b.Below:
			return -1
		case a.Below < b.Below:
			return 1
		}
		return 0
	})
	if err := d.alerting(cfg); err != nil {
		return nil, err
	}
	if in.Engine == nil || in.Store == nil {
		d.History = History{Unit: d.historyUnit(), NoStore: true}
		return d, nil
	}
	st, err := in.Engine.SLO(ctx, o.Name, at)
	if err != nil {
		return nil, err
	}
	d.Status = st
	d.InForce = review.PolicyFor(cfg.Policy, st.BudgetRemaining, st.NoData)
	if d.History, err = d.history(ctx, in); err != nil {
		return nil, err
	}
	if d.Suggest, err = d.suggest(ctx, in); err != nil {
		return nil, err
	}
	return d, nil
}

// CheckSLO returns nil when name is a configured SLO, else an error that
// lists the configured ones (and the one meant, when name looks like a
// typo of it).
func CheckSLO(cfg *config.Config, name string) error {
	var names []string
	for _, o := range cfg.SLOs {
		if o.Name == name {
			return nil
		}
		names = append(names, o.Name)
	}
	if len(names) == 0 {
		return fmt.Errorf("unknown SLO %q (no SLOs are configured)", name)
	}
	if s, ok := config.Closest(name, names); ok {
		return fmt.Errorf("unknown SLO %q (did you mean %q? configured: %s)", name, s, strings.Join(names, ", "))
	}
	return fmt.Errorf("unknown SLO %q (configured: %s)", name, strings.Join(names, ", "))
}

// alerting fills in the tiers in force for the SLO and where they go.
func (d *Document) alerting(cfg *config.Config) error {
	policies, err := alert.Policies(cfg)
	if err != nil {
		return err
	}
	for i := range policies {
		if policies[i].SLO == d.SLO.Name {
			d.Alerting = &policies[i]
		}
	}
	d.NoDataAfter, d.NoDataSeverity = alert.NoDataConfig(cfg)
	if d.Alerting == nil {
		return nil
	}
	var sevs []string
	for _, t := range d.Alerting.Tiers {
		if !slices.Contains(sevs, t.Severity) {
			sevs = append(sevs, t.Severity)
		}
	}
	if e := d.Alerting.Exhausted; e != "" && !slices.Contains(sevs, e) {
		sevs = append(sevs, e)
	}
	for _, n := range cfg.Notify {
		if len(n.Services) > 0 && !slices.Contains(n.Services, d.SLO.Service) {
			continue
		}
		t := Target{Name: n.Name, Type: n.Type}
		for _, s := range sevs {
			if len(n.Severities) == 0 || slices.Contains(n.Severities, s) {
				t.Severities = append(t.Severities, s)
			}
		}
		if len(t.Severities) > 0 {
			d.Notify = append(d.Notify, t)
		}
	}
	return nil
}

// history computes what the SLO achieved in the complete periods of the
// stored history.
func (d *Document) history(ctx context.Context, in Inputs) (History, error) {
	h := History{Unit: d.historyUnit()}
	first, ok, err := d.firstStored(ctx, in.Store)
	if err != nil || !ok {
		return h, err
	}
	floors, err := sli.ReadFloors(ctx, in.Store)
	if err != nil {
		return h, err
	}
	var sp *review.Sprints
	if d.Sprints != nil {
		sp = review.NewSprints(in.Config)
	}
	periods := Periods(d.SLO.Window.Window(), sp, first, d.At, MaxPeriods)
	count := func(from, to time.Time) (slo.Counts, error) { return in.Engine.Counts(ctx, d.SLO.Name, from, to) }
	h, err = Achieved(periods, d.SLO.ObjectiveRatio(), count)
	if err != nil {
		return h, err
	}
	h.Unit, h.First = d.historyUnit(), first
	for _, p := range h.Periods {
		if why := floors.Why(sli.Range{From: p.From, To: p.To}); why != "" {
			h.Inexact = why
			break
		}
	}
	return h, nil
}

// firstStored is the start of the oldest cell of the SLO's services (a
// composite's components').
func (d *Document) firstStored(ctx context.Context, st Store) (time.Time, bool, error) {
	services := []string{d.SLO.Service}
	for _, c := range d.Components {
		services = append(services, c.SLO.Service)
	}
	var first time.Time
	found := false
	for _, s := range services {
		id, err := st.ServiceID(ctx, s, false)
		if err != nil {
			return first, false, err
		}
		if id == 0 {
			continue
		}
		start, ok, err := st.FirstStart(ctx, id)
		if err != nil {
			return first, false, err
		}
		if t := time.Unix(start, 0).UTC(); ok && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found, nil
}

func (d *Document) historyUnit() Unit {
	if d.Sprints != nil {
		return UnitSprint
	}
	return UnitWindow
}

// errNoLanguage is the error for a language the document is not written in.
var errNoLanguage = errors.New("want en or ja")
