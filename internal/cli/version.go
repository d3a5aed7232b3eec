package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"text/tabwriter"
)

// BuildInfo is what `headroom version` prints: what the binary recorded
// when it was built.
type BuildInfo struct {
	Module  string `json:"module"`
	Version string `json:"version"` // the module version; (devel) for a build from a checkout
	// Commit, CommitTime and Modified describe the VCS checkout built; empty
	// (and Modified null) when none was recorded.
	Commit     string `json:"commit"`
	CommitTime string `json:"commit_time"`
	Modified   *bool  `json:"modified"`
	Go         string `json:"go"`
	Platform   string `json:"platform"` // GOOS/GOARCH
}

// readBuildInfo reads bi (nil: nothing recorded).
func readBuildInfo(bi *debug.BuildInfo) BuildInfo {
	out := BuildInfo{Module: "github.com/headroom-slo/headroom", Version: "(devel)"}
	if bi == nil {
		return out
	}
	if bi.Main.Path != "" {
		out.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		out.Version = bi.Main.Version
	}
	out.Go = bi.GoVersion
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.Commit = s.Value
		case "vcs.time":
			out.CommitTime = s.Value
		case "vcs.modified":
			m := s.Value == "true"
			out.Modified = &m
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		out.Platform = goos + "/" + goarch
	}
	return out
}

func (b BuildInfo) print(w io.Writer) {
	fmt.Fprintln(w, "headroom", b.Version)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "  module:\t%s\n", b.Module)
	if b.Commit == "" {
		fmt.Fprintf(tw, "  commit:\tnot recorded (built outside a git checkout, or with -buildvcs=false)\n")
	} else {
		fmt.Fprintf(tw, "  commit:\t%s\n", b.Commit)
		fmt.Fprintf(tw, "  commit time:\t%s\n", b.CommitTime)
	}
	if b.Modified != nil {
		fmt.Fprintf(tw, "  modified:\t%v\n", *b.Modified)
	}
	fmt.Fprintf(tw, "  go:\t%s %s\n", b.Go, b.Platform)
	tw.Flush()
}

// versionCmd is `headroom version`.
type versionCmd struct{ json bool }

func (c *versionCmd) flags(fs *flag.FlagSet) { jsonFlag(fs, &c.json) }

func (c *versionCmd) run(_ context.Context, _ []string, stdio Stdio) error {
	bi, _ := debug.ReadBuildInfo()
	b := readBuildInfo(bi)
	if c.json {
		return printJSON(stdio.Out, b)
	}
	b.print(stdio.Out)
	return nil
}
