package review

import (
	"context"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
)

// PolicyReport is the error budget policy of a service as of an instant:
// the rule in force for each SLO, and whether deploys are frozen.
type PolicyReport struct {
	Service string      `json:"service"`
	At      time.Time   `json:"at"`
	Status  string      `json:"status"` // ok or freeze
	Freeze  bool        `json:"freeze"`
	SLOs    []PolicySLO `json:"slos"`
}

// PolicySLO is one SLO's budget and the rule in force.
type PolicySLO struct {
	SLO             string  `json:"slo"`
	BudgetRemaining float64 `json:"error_budget_remaining"`
	NoData          bool    `json:"no_data"`
	Below           float64 `json:"below"` // the rule's threshold, percent (with an action)
	Action          string  `json:"action,omitempty"`
	Freeze          bool    `json:"freeze"`
}

// Policy evaluates the error budget policy for a service's SLOs (all with
// ""); deploys are frozen when a rule with freeze applies to any of them.
func Policy(ctx context.Context, cfg *config.Config, eng *report.Engine, service string, at time.Time) (*PolicyReport, error) {
	slos, err := eng.SLOs(ctx, at, service)
	if err != nil {
		return nil, err
	}
	p := &PolicyReport{Service: service, At: at, Status: "ok", SLOs: []PolicySLO{}}
	for _, o := range slos {
		ps := PolicySLO{SLO: o.Name, BudgetRemaining: o.BudgetRemaining, NoData: o.NoData}
		if r := PolicyFor(cfg.Policy, o.BudgetRemaining, o.NoData); r != nil {
			ps.Below, ps.Action, ps.Freeze = r.Below, r.Action, r.Freeze
			if r.Freeze {
				p.Freeze, p.Status = true, "freeze"
			}
		}
		p.SLOs = append(p.SLOs, ps)
	}
	return p, nil
}
