package cli

import (
	"context"
	"flag"

	"github.com/headroom-slo/headroom/internal/grafana"
	"github.com/headroom-slo/headroom/internal/promrules"
)

func exportPrometheusRulesCmd() command {
	return command{
		name: "prometheus-rules", summary: "print Prometheus recording and burn-rate alert rules for the SLOs",
		about: "Print a Prometheus rule file, one group per SLO, over the exported headroom_slo_events_total counters: " +
			"events, bad events and burn rates over every alert window, the period's event-weighted SLI and error budget, " +
			"and a HeadroomBurnRate alert per burn-rate tier with the tiers, thresholds, for and min_events serve uses " +
			"(labels slo, service, severity, tier; annotations dashboard and runbook when configured), plus " +
			"HeadroomErrorBudgetExhausted. An SLO without traffic never fires. Load it into Prometheus, vmalert or a Mimir " +
			"ruler; check it with promtool check rules.",
		examples: []string{
			"headroom export prometheus-rules --config /etc/headroom.yaml > /etc/prometheus/rules/headroom.yaml",
			"headroom export prometheus-rules | promtool check rules /dev/stdin",
		},
		new: func() runner { return &exportRulesCmd{} },
	}
}

func exportGrafanaCmd() command {
	return command{
		name: "grafana", summary: "print a Grafana dashboard of the SLOs over the exported series",
		about: "Print a Grafana dashboard (JSON, for Dashboards > New > Import) with one row per SLO: SLI against its " +
			"objective, error budget left, burn rates against the alert tiers' thresholds, and bad events by route. It " +
			"reads the series the prometheus-rules rules record and the exported request counters, from the Prometheus " +
			"data source picked in its datasource variable.",
		examples: []string{
			"headroom export grafana --config /etc/headroom.yaml > headroom-dashboard.json",
		},
		new: func() runner { return &exportGrafanaRun{} },
	}
}

// exportRulesCmd is `headroom export prometheus-rules`.
type exportRulesCmd struct{ config string }

func (c *exportRulesCmd) flags(fs *flag.FlagSet) { configFlag(fs, &c.config) }

func (c *exportRulesCmd) run(_ context.Context, _ []string, stdio Stdio) error {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	f, err := promrules.Build(cfg)
	if err != nil {
		return err
	}
	b, err := f.Marshal(cfg.Path)
	if err != nil {
		return err
	}
	_, err = stdio.Out.Write(b)
	return err
}

// exportGrafanaRun is `headroom export grafana`.
type exportGrafanaRun struct{ config string }

func (c *exportGrafanaRun) flags(fs *flag.FlagSet) { configFlag(fs, &c.config) }

func (c *exportGrafanaRun) run(_ context.Context, _ []string, stdio Stdio) error {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	b, err := grafana.Dashboard(cfg)
	if err != nil {
		return err
	}
	_, err = stdio.Out.Write(b)
	return err
}
