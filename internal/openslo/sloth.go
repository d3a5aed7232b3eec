package openslo

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-slo/headroom/internal/slo"
)

// slothPeriod is the SLO period Sloth uses when none is given (its
// default): prometheus/v1 specs have no window of their own.
const slothPeriod = 30 * 24 * time.Hour

// slothSpec is the part of Sloth's prometheus/v1 spec headroom reads.
type slothSpec struct {
	Version string            `yaml:"version"`
	Service string            `yaml:"service"`
	Labels  map[string]string `yaml:"labels"`
	SLOs    []struct {
		Name        string            `yaml:"name"`
		Description string            `yaml:"description"`
		Objective   float64           `yaml:"objective"`
		Labels      map[string]string `yaml:"labels"`
		SLI         struct {
			Events *struct {
				ErrorQuery string `yaml:"error_query"`
				TotalQuery string `yaml:"total_query"`
			} `yaml:"events"`
			Raw    *yaml.Node `yaml:"raw"`
			Plugin *yaml.Node `yaml:"plugin"`
		} `yaml:"sli"`
		Alerting struct {
			Name        string            `yaml:"name"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
			PageAlert   slothAlert        `yaml:"page_alert"`
			TicketAlert slothAlert        `yaml:"ticket_alert"`
		} `yaml:"alerting"`
	} `yaml:"slos"`
}

type slothAlert struct {
	Disable     bool              `yaml:"disable"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// importSloth maps a Sloth prometheus/v1 spec's SLOs whose event queries
// count HTTP requests by status or latency.
func importSloth(n *yaml.Node, loc string) ([]SLO, error) {
	var spec slothSpec
	if err := n.Decode(&spec); err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	if spec.Service == "" {
		return nil, fmt.Errorf("%s: service: required", loc)
	}
	var out []SLO
	var errs []error
	for i, s := range spec.SLOs {
		where := fmt.Sprintf("%s (Sloth service %s, SLO %s)", loc, spec.Service, s.Name)
		field := fmt.Sprintf("slos[%d]", i)
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s.%s", where, field, fmt.Sprintf(format, args...)))
		}
		switch {
		case s.SLI.Raw != nil:
			fail("sli.raw: a precomputed error ratio has no events headroom can count")
			continue
		case s.SLI.Plugin != nil:
			fail("sli.plugin: headroom cannot run Sloth's SLI plugins")
			continue
		case s.SLI.Events == nil:
			fail("sli.events: required")
			continue
		}
		if s.Objective <= 0 || s.Objective >= 100 {
			fail("objective: %v: want a percent above 0 and below 100", s.Objective)
			continue
		}
		r := ratio{badField: field + ".sli.events.error_query", totalField: field + ".sli.events.total_query"}
		total, err := parseSelector(s.SLI.Events.TotalQuery)
		if err != nil {
			fail("sli.events.total_query: %v", err)
			continue
		}
		r.total = &total
		// A latency error query counts the slow requests: all of them less
		// the histogram's bucket of the fast ones.
		if a, b, ok := cutMinus(s.SLI.Events.ErrorQuery); ok {
			all, err1 := selectorOf(s.SLI.Events.ErrorQuery, a)
			fast, err2 := selectorOf(s.SLI.Events.ErrorQuery, b)
			if err := errors.Join(err1, err2); err != nil {
				fail("sli.events.error_query: %v", err)
				continue
			}
			if all.metric != total.metric || !sameMatchers(all.matchers, total.matchers) {
				fail("sli.events.error_query: %s is not the total query's %s: want total minus the histogram bucket of fast requests", a, total.metric)
				continue
			}
			r.good, r.goodField = &fast, r.badField
		} else {
			bad, err := parseSelector(s.SLI.Events.ErrorQuery)
			if err != nil {
				fail("sli.events.error_query: %v", err)
				continue
			}
			r.bad = &bad
		}
		sli, f, notes, err := classify(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		o := SLO{Name: s.Name, Service: spec.Service, Description: s.Description, Objective: s.Objective,
			Window: slo.FormatDuration(slothPeriod), SLI: sli, Filter: f, From: where, Runbook: s.Alerting.Annotations["runbook"]}
		o.Notes = append(o.Notes, "# window: "+o.Window+", the period Sloth uses when none is given")
		o.Notes = append(o.Notes, notes...)
		a := &Alerting{Labels: s.Alerting.Labels}
		switch {
		case s.Alerting.PageAlert.Disable && s.Alerting.TicketAlert.Disable:
			a = &Alerting{Disabled: true}
		case s.Alerting.PageAlert.Disable:
			a.Tiers = []Tier{{Name: "page-1h", Disabled: true}, {Name: "page-6h", Disabled: true}}
		case s.Alerting.TicketAlert.Disable:
			a.Tiers = []Tier{{Name: "ticket-1d", Disabled: true}, {Name: "ticket-3d", Disabled: true}}
		}
		for _, t := range []struct {
			names []string
			al    slothAlert
		}{{[]string{"page-1h", "page-6h"}, s.Alerting.PageAlert}, {[]string{"ticket-1d", "ticket-3d"}, s.Alerting.TicketAlert}} {
			if t.al.Disable || len(t.al.Labels) == 0 || a.Disabled {
				continue
			}
			labels := map[string]string{}
			for k, v := range t.al.Labels {
				if k != "severity" { // headroom's alerts carry their own
					labels[k] = v
				}
			}
			if len(labels) == 0 {
				continue
			}
			for _, name := range t.names {
				a.Tiers = append(a.Tiers, Tier{Name: name, Labels: labels})
			}
		}
		var left []string
		if s.Alerting.Name != "" {
			left = append(left, "alerting.name")
		}
		for k := range s.Alerting.Annotations {
			if k != "runbook" {
				left = append(left, "alerting.annotations."+k)
			}
		}
		if len(spec.Labels)+len(s.Labels) > 0 {
			left = append(left, "labels")
		}
		if len(left) > 0 {
			sort.Strings(left)
			o.Notes = append(o.Notes, "# left out: "+strings.Join(left, ", ")+" (headroom's alerts carry the SLO, service, tier and severity)")
		}
		o.Alerting = a
		out = append(out, o)
	}
	return out, errors.Join(errs...)
}

func sameMatchers(a, b []matcher) bool {
	if len(a) != len(b) {
		return false
	}
	for _, m := range a {
		if !hasMatcher(b, m) {
			return false
		}
	}
	return true
}
