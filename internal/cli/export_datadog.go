package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/headroom-slo/headroom/internal/datadog"
)

// exportDatadogCmd is `headroom export datadog`.
func exportDatadogCmd() command {
	return command{
		name: "datadog", summary: "print Datadog SLOs, burn-rate monitors and a dashboard (JSON or Terraform)",
		about: "Print the configured SLOs as Datadog definitions, to standard output: per SLO a metric SLO over the " +
			"headroom.slo.events counts headroom pushes (export.datadog) and one over a logs-to-metrics rule on the Nginx " +
			"logs already in Datadog (--source picks), burn-rate monitors from the SLO's alert tiers, an error-budget " +
			"monitor, a dashboard, and an SLO correction (Scheduled Maintenance) per maintenance window of the config and the " +
			"store and SLO of its service. --format json prints the request bodies of Datadog's create APIs, monitors and " +
			"dashboard naming each SLO by the placeholder <slo-id:NAME> until it is created; --format terraform prints " +
			"Terraform JSON (a .tf.json file) for the Datadog provider, with the ids as references. Where Datadog cannot " +
			"do as headroom does (a timeframe other than 7d, 30d or 90d, a long window past 48h), a warning on standard " +
			"error says so. See docs/datadog.md.",
		examples: []string{
			"headroom export datadog --source push > dd.json",
			"headroom export datadog --format terraform > headroom-datadog.tf.json && terraform apply",
		},
		new: func() runner { return &exportDatadogRunner{} },
	}
}

type exportDatadogRunner struct {
	config         string
	format, source choice
}

func (c *exportDatadogRunner) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	c.format = choice{value: "json", options: []string{"json", "terraform"}}
	fs.Var(&c.format, "format", "print `FORMAT`: json (Datadog API request bodies) or terraform (.tf.json)")
	c.source = choice{value: "both", options: []string{"push", "logs", "both"}}
	fs.Var(&c.source, "source", "define SLOs over `SOURCE`: push (headroom.slo.events), logs (Nginx logs in Datadog) or both")
}

func (c *exportDatadogRunner) run(ctx context.Context, _ []string, stdio Stdio) error {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	recorded, err := recordedMaintenance(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stdio.Err, "warning: maintenance windows recorded in the store left out:", err)
	}
	defs, err := datadog.Build(cfg, datadog.Options{Source: datadog.Source(c.source.value), Maintenance: recorded})
	if err != nil {
		return err
	}
	for _, w := range defs.Warnings {
		fmt.Fprintln(stdio.Err, "warning:", w)
	}
	if c.format.value == "terraform" {
		return defs.WriteTerraform(stdio.Out)
	}
	return defs.WriteJSON(stdio.Out)
}
