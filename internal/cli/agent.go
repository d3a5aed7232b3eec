package cli

import (
	"context"
	"flag"

	"github.com/headroom-slo/headroom/internal/agent"
)

// agentCmd is `headroom agent`.
type agentCmd struct {
	config  string
	verbose bool
}

func (c *agentCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.BoolVar(&c.verbose, "v", false, "log debug messages")
}

func (c *agentCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	return agent.Run(ctx, cfg, agent.Options{Log: logger(stdio.Err, c.verbose)})
}
