package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/ingest"
)

// logRef is a configured log: logs[log] of services[svc], its first
// listing, and the services reading it (more than one when several list
// it: it is read once, for all of them).
type logRef struct {
	svc, log int
	services []string
}

// refOf is the logRef of a log listed at refs.
func refOf(cfg *config.Config, refs []config.LogRef) logRef {
	l := logRef{svc: refs[0].Svc, log: refs[0].Log}
	for _, r := range refs {
		l.services = append(l.services, cfg.Services[r.Svc].Name)
	}
	return l
}

// field names one of the log's fields where the config writes it, for
// messages: "headroom.yaml:7: services[0].logs[1].path".
func (l logRef) field(cfg *config.Config, leaf string) string {
	f := fmt.Sprintf("services[%d].logs[%d].%s", l.svc, l.log, leaf)
	return cfg.Where(f) + ": " + f
}

// format names the field that sets the log's format, and the preset.
func (l logRef) format(cfg *config.Config) string {
	src := cfg.Services[l.svc].Logs[l.log]
	if src.LogFormat != "" {
		return l.field(cfg, "log_format")
	}
	return l.field(cfg, "format") + " (" + src.Format + ")"
}

// noFile says that the log's path matches no file.
func (l logRef) noFile(cfg *config.Config) string {
	who := "service " + l.services[0]
	if len(l.services) > 1 {
		who = "services " + strings.Join(l.services, ", ")
	}
	return fmt.Sprintf("%s: no file matches %s (%s)", l.field(cfg, "path"), cfg.Services[l.svc].Logs[l.log].Path, who)
}

// refused says why a file of the log was refused, with its first
// malformed lines (file:line: reason: excerpt), one per line.
func (l logRef) refused(cfg *config.Config, fe *ingest.FormatError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of the first %d lines of %s do not fit the format", l.format(cfg), len(fe.Malformed), fe.Lines, fe.Path)
	writeSamples(&b, &fe.Probe)
	return b.String()
}

// samplesShown is how many malformed lines a refusal or a warning shows.
const samplesShown = 3

// writeSamples writes, indented, the first malformed line of a probe for
// each reason (up to samplesShown of them) and how many more there are.
func writeSamples(w io.Writer, pr *ingest.Probe) {
	shown := map[string]bool{}
	for _, m := range pr.Malformed {
		if len(shown) == samplesShown || shown[m.Reason] {
			continue
		}
		shown[m.Reason] = true
		fmt.Fprintf(w, "\n  %s:%d: %s: %q", m.Path, m.Line, m.Reason, m.Excerpt)
	}
	if more := len(pr.Malformed) - len(shown); more > 0 {
		fmt.Fprintf(w, "\n  … and %d more", more)
	}
}

// configuredLogs lists the logs of cfg that are files (not "-"), each
// once however many services list it.
func configuredLogs(cfg *config.Config) []logRef {
	var out []logRef
	for _, l := range cfg.Logs() {
		if l.Path != "-" {
			out = append(out, refOf(cfg, l.Refs))
		}
	}
	return out
}

// missingLogs says which configured logs match no file now.
func missingLogs(cfg *config.Config) ([]string, error) {
	var out []string
	for _, l := range configuredLogs(cfg) {
		files, err := ingest.GlobOf(cfg.Services[l.svc].Logs[l.log]).Expand()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.field(cfg, "path"), err)
		}
		if len(files) == 0 {
			out = append(out, l.noFile(cfg))
		}
	}
	return out, nil
}

// checkLogs tries every configured log's format on the first lines of each
// of its files, as `import` does before reading one (ingest.ProbeLines).
// A file import would refuse is a problem; malformed lines among good ones,
// and a path matching no file (yet), are warnings.
func checkLogs(ctx context.Context, cfg *config.Config) (warnings, problems []string, err error) {
	sources, err := ingest.NewSources(ctx, cfg, nil, 1)
	if err != nil {
		return nil, nil, err
	}
	for _, src := range sources {
		if src.Log == "-" {
			continue
		}
		l := refOf(cfg, src.Refs)
		files, err := src.Glob().Expand()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", l.field(cfg, "path"), err)
		}
		if len(files) == 0 {
			warnings = append(warnings, l.noFile(cfg)+": `import` fails until one does, `serve` waits for it")
		}
		for _, f := range files {
			pr, err := src.ProbeFile(f)
			switch {
			case errors.Is(err, ingest.ErrNotReady):
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s: %v", l.field(cfg, "path"), err))
			case pr.Refused():
				problems = append(problems, l.refused(cfg, &ingest.FormatError{Probe: *pr})+"\n  (`import` refuses this file)")
			case len(pr.Malformed) > 0:
				var b strings.Builder
				fmt.Fprintf(&b, "%s: %d of the first %d lines of %s do not fit the format (they count as malformed)",
					l.format(cfg), len(pr.Malformed), pr.Lines, f)
				writeSamples(&b, pr)
				warnings = append(warnings, b.String())
			}
		}
	}
	return warnings, problems, nil
}

// validateLogs prints what checkLogs finds for `validate`: warnings, then
// problems and their count (errReported: exit status 1).
func validateLogs(ctx context.Context, cfg *config.Config, w io.Writer) error {
	warnings, problems, err := checkLogs(ctx, cfg)
	if err != nil {
		return err
	}
	for _, s := range warnings {
		fmt.Fprintln(w, "warning:", s)
	}
	if len(problems) == 0 {
		return nil
	}
	for _, s := range problems {
		fmt.Fprintln(w, s)
	}
	fmt.Fprintf(w, "%d problem%s found\n", len(problems), plural(len(problems)))
	return errReported
}
