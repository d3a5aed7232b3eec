package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/headroom-slo/headroom/internal/openslo"
)

func opensloExportCmd() command {
	return command{
		name:    "export",
		summary: "write the configured SLOs as OpenSLO v1 documents",
		about: "Write the configured SLOs to stdout as OpenSLO v1 YAML documents: a Service per service, an SLI and an SLO " +
			"per SLO (Occurrences over its window, the SLI a good/total ratio of headroom_slo_events_total), and an " +
			"AlertPolicy and AlertCondition per burn-rate tier. The documents pass the OpenSLO SDK's validation; what " +
			"OpenSLO has no field for travels in headroom/ annotations, so that import gives the same SLOs back " +
			"(docs/openslo.md).",
		examples: []string{
			"headroom openslo export > openslo.yaml",
			"headroom openslo export --config /etc/headroom.yaml",
		},
		new: func() runner { return &opensloExport{} },
	}
}

type opensloExport struct{ config string }

func (c *opensloExport) flags(fs *flag.FlagSet) { configFlag(fs, &c.config) }

func (c *opensloExport) run(_ context.Context, args []string, stdio Stdio) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	objs, err := openslo.Export(cfg)
	if err != nil {
		return err
	}
	return openslo.Write(stdio.Out, objs)
}

func opensloImportCmd() command {
	return command{
		name: "import", args: "FILE...", argFiles: true,
		summary: "print the slos: block for OpenSLO v1 or Sloth specs",
		about: "Read OpenSLO v1 documents and Sloth prometheus/v1 specs and print the slos: block of headroom's config for " +
			"the SLOs headroom can express: ratios of HTTP request counters told apart by status (availability) or by " +
			"a histogram bucket (latency), and what headroom openslo export wrote. Every SLO it cannot express is listed " +
			"on stderr with its file, document and field, and the command exits 1; the others are still printed.",
		examples: []string{
			"headroom openslo import openslo.yaml >> headroom.yaml",
			"headroom openslo import sloth/*.yml",
		},
		new: func() runner { return &opensloImport{} },
	}
}

type opensloImport struct{}

func (c *opensloImport) flags(*flag.FlagSet) {}

func (c *opensloImport) run(_ context.Context, args []string, stdio Stdio) error {
	if len(args) == 0 {
		return usagef("name at least one FILE")
	}
	var files []openslo.File
	for _, a := range args {
		b, err := os.ReadFile(a)
		if err != nil {
			return err
		}
		files = append(files, openslo.File{Name: a, Data: b})
	}
	slos, err := openslo.Import(files)
	if len(slos) > 0 {
		if rerr := openslo.Render(stdio.Out, slos); rerr != nil {
			return rerr
		}
	}
	if err == nil {
		return nil
	}
	n := 1
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		n = len(j.Unwrap())
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(stdio.Err, "headroom openslo import:", line)
	}
	fmt.Fprintf(stdio.Err, "headroom openslo import: %d not imported\n", n)
	return errReported
}
