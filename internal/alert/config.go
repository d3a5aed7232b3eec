package alert

import (
	"errors"
	"fmt"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
)

// DefaultMinEvents is how many events a tier's long window needs by default.
const DefaultMinEvents = 10

// DefaultInterval is how often `serve` evaluates.
const DefaultInterval = 30 * time.Second

// Policies turns the config's SLOs into policies: the default tiers changed
// by each SLO's alerting.tiers (by name), the min-events guard and the
// budget-exhausted severity. SLOs with alerting disabled have none.
func Policies(cfg *config.Config) ([]Policy, error) {
	minEvents := float64(DefaultMinEvents)
	if m := cfg.Alerting.MinEvents; m != nil {
		minEvents = *m
	}
	var out []Policy
	var errs []error
	for _, o := range cfg.SLOs {
		a := o.Alerting
		if a.Disabled {
			continue
		}
		p := Policy{SLO: o.Name, Service: o.Service, Objective: o.Objective, Window: o.Window.String(),
			MinEvents: minEvents, Exhausted: "ticket", Labels: a.Labels, Runbook: o.Runbook}
		if a.MinEvents != nil {
			p.MinEvents = *a.MinEvents
		}
		switch a.Exhausted {
		case "":
		case "none":
			p.Exhausted = ""
		default:
			p.Exhausted = a.Exhausted
		}
		tiers := map[string]*Tier{}
		var order []string
		for _, t := range slo.DefaultTiers() {
			tiers[t.Name] = &Tier{Tier: t}
			order = append(order, t.Name)
		}
		for _, c := range a.Tiers {
			t := tiers[c.Name]
			if t == nil {
				t = &Tier{Tier: slo.Tier{Name: c.Name}}
				tiers[c.Name] = t
				order = append(order, c.Name)
			}
			if c.Disabled {
				delete(tiers, c.Name)
				continue
			}
			if c.Severity != "" {
				t.Severity = c.Severity
			}
			if c.BudgetShare != nil {
				t.BudgetShare = *c.BudgetShare / 100
			}
			if c.Long != 0 {
				t.Long = time.Duration(c.Long)
			}
			if c.Short != 0 {
				t.Short = time.Duration(c.Short)
			}
			t.For = time.Duration(c.For)
			t.Labels = c.Labels
		}
		for _, name := range order {
			t := tiers[name]
			if t == nil {
				continue
			}
			if t.Short >= t.Long {
				errs = append(errs, fmt.Errorf("slo %s: tier %s: the short window (%v) must be shorter than the long one (%v)", o.Name, name, t.Short, t.Long))
				continue
			}
			p.Tiers = append(p.Tiers, *t)
			delete(tiers, name) // a name listed twice in order
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// Interval returns the configured evaluation interval.
func Interval(cfg *config.Config) time.Duration {
	if d := time.Duration(cfg.Alerting.Interval); d > 0 {
		return d
	}
	return DefaultInterval
}

// NoDataConfig returns the no-data alert's wait and severity ("": none).
func NoDataConfig(cfg *config.Config) (time.Duration, string) {
	after, sev := time.Duration(cfg.Alerting.NoData.After), cfg.Alerting.NoData.Severity
	if after <= 0 {
		after = NoDataAfter
	}
	switch sev {
	case "":
		sev = "ticket"
	case "none":
		sev = ""
	}
	return after, sev
}
