package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// StatusReport is the `status --json` document.
type StatusReport struct {
	At      time.Time      `json:"at"`
	SLOs    []SLOStatus    `json:"slos"`
	Sources []SourceStatus `json:"sources"`
}

// SLOStatus is one SLO in a StatusReport.
type SLOStatus struct {
	Name                 string                `json:"name"`
	Service              string                `json:"service"`
	Type                 string                `json:"type"`
	Objective            float64               `json:"objective"` // percent, as configured
	Window               string                `json:"window"`
	WindowStart          time.Time             `json:"window_start"`
	WindowEnd            time.Time             `json:"window_end"`
	Total                float64               `json:"total"`
	Good                 float64               `json:"good"`
	Bad                  float64               `json:"bad"`
	SLI                  float64               `json:"sli"`
	ErrorBudget          float64               `json:"error_budget"`
	ErrorBudgetRemaining float64               `json:"error_budget_remaining"`
	BurnRates            map[string]float64    `json:"burn_rates"`
	Events               map[string]slo.Counts `json:"events"`
}

// SourceStatus is one configured log in a StatusReport.
type SourceStatus struct {
	Service     string                `json:"service"`
	Log         string                `json:"log"`
	Files       int                   `json:"files"`
	FilesRead   int                   `json:"files_read"`
	Lines       int64                 `json:"lines"`
	Malformed   int64                 `json:"malformed"`
	Excluded    int64                 `json:"excluded"`
	LastEvent   *time.Time            `json:"last_event"`
	LagSeconds  *float64              `json:"lag_seconds"`
	LastIngest  *time.Time            `json:"last_ingest"`
	BytesBehind int64                 `json:"bytes_behind"`
	Samples     []store.MalformedLine `json:"malformed_samples"`
}

// statusCmd is `headroom status`.
type statusCmd struct {
	config string
	at     instant
	json   bool
}

func (c *statusCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	atFlag(fs, &c.at, "evaluate as of")
	jsonFlag(fs, &c.json)
}

func (c *statusCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	now := c.at.or(time.Now())
	cfg, st, err := openStore(c.config, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := buildStatus(ctx, cfg, st, now)
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(stdio.Out, rep)
	}
	printStatus(stdio.Out, rep, hints{prog: progName(stdio.Prog), config: c.config})
	return nil
}

func buildStatus(ctx context.Context, cfg *config.Config, st *store.Store, now time.Time) (*StatusReport, error) {
	specs := sli.CompileAll(cfg)
	floor := time.Time{}
	if r := cfg.Storage.Retention.Minutes; r != config.Forever {
		floor = time.Now().Add(-time.Duration(r))
	}
	sts, err := sli.Evaluate(ctx, st, specs, now, floor, slo.StatusWindows)
	if err != nil {
		return nil, err
	}
	if err := compositeStatus(ctx, cfg, st, now, sts); err != nil {
		return nil, err
	}
	rep := &StatusReport{At: now, SLOs: make([]SLOStatus, 0, len(sts))}
	for _, s := range sts {
		o := SLOStatus{
			Name: s.Spec.Name, Service: s.Spec.Service, Type: s.Spec.Config.SLI.Type,
			Objective: s.Spec.Config.Objective, Window: s.Spec.Window.String(),
			WindowStart: s.From, WindowEnd: s.To,
			Total: s.Counts.Total, Good: report.Round(s.Counts.Good), Bad: report.Round(s.Counts.Bad()),
			SLI: s.Counts.SLI(), ErrorBudget: slo.ErrorBudget(s.Spec.Objective),
			ErrorBudgetRemaining: s.Remaining,
			BurnRates:            map[string]float64{}, Events: map[string]slo.Counts{},
		}
		for w, b := range s.BurnRates {
			o.BurnRates[slo.FormatDuration(w)] = b
			o.Events[slo.FormatDuration(w)] = s.Burn[w]
		}
		rep.SLOs = append(rep.SLOs, o)
	}
	if rep.Sources, err = sourceStatus(ctx, cfg, st, now); err != nil {
		return nil, err
	}
	return rep, nil
}

func sourceStatus(ctx context.Context, cfg *config.Config, st *store.Store, now time.Time) ([]SourceStatus, error) {
	all, err := st.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var out []SourceStatus
	for _, svc := range cfg.Services {
		for _, l := range svc.Logs {
			s := SourceStatus{Service: svc.Name, Log: l.Path, Samples: []store.MalformedLine{}}
			paths, _ := ingest.Expand(l.Path)
			s.Files = len(paths)
			offsets := map[string]int64{}
			var last, updated int64
			for _, src := range all {
				if src.Service != svc.Name || src.Log != l.Path {
					continue
				}
				s.FilesRead++
				s.Lines += src.Lines
				s.Malformed += src.Malformed
				s.Excluded += src.Excluded
				last = max(last, src.LastTS)
				updated = max(updated, src.Updated)
				offsets[src.Fingerprint] = src.Offset
				if src.Malformed > 0 {
					samples, err := st.Samples(ctx, src.Fingerprint)
					if err != nil {
						return nil, err
					}
					s.Samples = append(s.Samples, samples...)
				}
			}
			if n := len(s.Samples); n > store.SamplesKept {
				s.Samples = s.Samples[n-store.SamplesKept:]
			}
			for _, p := range paths {
				f, err := ingest.OpenFile(p)
				if err != nil {
					continue
				}
				if !f.Gzip { // compressed files are complete
					s.BytesBehind += max(f.Size-offsets[f.Fingerprint], 0)
				}
				f.Close()
			}
			if last > 0 {
				t := time.UnixMilli(last).UTC()
				lag := now.Sub(t).Seconds()
				s.LastEvent, s.LagSeconds = &t, &lag
			}
			if updated > 0 {
				t := time.Unix(updated, 0).UTC()
				s.LastIngest = &t
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// staleAfter is how long before the instant evaluated the data may end
// before status says so.
const staleAfter = 24 * time.Hour

func printStatus(w io.Writer, rep *StatusReport, h hints) {
	fmt.Fprintf(w, "SLO status as of %s\n\n", rep.At.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"SLO", "SERVICE", "OBJECTIVE", "WINDOW", "TOTAL", "GOOD", "SLI", "BUDGET LEFT"}
	for _, d := range slo.StatusWindows {
		head = append(head, "BURN "+slo.FormatDuration(d))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, s := range rep.SLOs {
		row := []string{
			s.Name, s.Service, fmt.Sprintf("%g%%", s.Objective), s.Window,
			thousands(int64(s.Total)), thousands(int64(math.Round(s.Good))), pct(s.SLI, s.Total), fmt.Sprintf("%.1f%%", s.ErrorBudgetRemaining*100),
		}
		for _, d := range slo.StatusWindows {
			row = append(row, fmt.Sprintf("%.2f", s.BurnRates[slo.FormatDuration(d)]))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSERVICE\tFILES\tLINES\tMALFORMED\tEXCLUDED\tLAST EVENT\tLAG\tBEHIND")
	for _, s := range rep.Sources {
		last, lag := "never", "-"
		if s.LastEvent != nil {
			last = s.LastEvent.Format(time.RFC3339)
			lag = lagString(time.Duration(*s.LagSeconds * float64(time.Second)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Log, s.Service, s.FilesRead, s.Files,
			thousands(s.Lines), thousands(s.Malformed), thousands(s.Excluded), last, lag, bytesHuman(s.BytesBehind))
	}
	tw.Flush()
	for _, s := range rep.Sources {
		for i, m := range s.Samples {
			if i == 3 {
				fmt.Fprintf(w, "  … %d more malformed samples in `%s`\n", len(s.Samples)-3, h.command("status", "--json"))
				break
			}
			fmt.Fprintf(w, "  malformed %s:%d: %s: %q\n", m.Path, m.Line, m.Reason, m.Excerpt)
		}
	}
	printDataEnds(w, rep, h)
}

// printDataEnds says when the data ends long before the instant
// evaluated, and how to see it as of its end.
func printDataEnds(w io.Writer, rep *StatusReport, h hints) {
	end, ok := dataEnd(rep.Sources)
	if !ok || rep.At.Sub(end) <= staleAfter {
		return
	}
	fmt.Fprintf(w, "\nThe data ends at %s, %s before %s: the burn rates above see none of it. To see the data as of its end:\n  %s\n",
		end.Format(time.RFC3339), lagString(rep.At.Sub(end)), rep.At.Format(time.RFC3339),
		h.command("status", "--at", atArg(end)))
}

// dataEnd is the time of the last event read from any source.
func dataEnd(sources []SourceStatus) (time.Time, bool) {
	var end time.Time
	for _, s := range sources {
		if s.LastEvent != nil && s.LastEvent.After(end) {
			end = *s.LastEvent
		}
	}
	return end, !end.IsZero()
}

// atArg is the --at value that includes t: t rounded up to the second,
// in RFC 3339.
func atArg(t time.Time) string { return ceilSecond(t).Format(time.RFC3339) }

// ceilSecond is t rounded up to the second, in UTC.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); r.Before(t) {
		t = r.Add(time.Second)
	}
	return t.UTC()
}

// lagString is a lag to the second, to the minute past an hour, and to the
// hour past a day.
func lagString(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		d = d.Truncate(time.Hour)
	case d >= time.Hour:
		d = d.Truncate(time.Minute)
	default:
		d = d.Truncate(time.Second)
	}
	return slo.FormatDuration(d)
}

func pct(f, total float64) string {
	if total == 0 {
		return "no data"
	}
	return fmt.Sprintf("%.3f%%", f*100)
}

// compositeStatus fills in composite SLOs, which sli.Evaluate leaves empty:
// their counts combine their components'.
func compositeStatus(ctx context.Context, cfg *config.Config, st *store.Store, now time.Time, sts []sli.Status) error {
	var eng *report.Engine
	for i := range sts {
		s := &sts[i]
		if !s.Spec.IsComposite() {
			continue
		}
		if eng == nil {
			var err error
			if eng, err = report.New(cfg, st); err != nil {
				return err
			}
		}
		c, err := eng.Counts(ctx, s.Spec.Name, s.From, s.To)
		if err != nil {
			return err
		}
		s.Counts, s.Remaining = c, slo.BudgetRemaining(c, s.Spec.Objective)
		end := slo.EndMinute(now)
		for w := range s.Burn {
			b, err := eng.Counts(ctx, s.Spec.Name, end.Add(-w), end)
			if err != nil {
				return err
			}
			s.Burn[w], s.BurnRates[w] = b, slo.BurnRate(b, s.Spec.Objective)
		}
	}
	return nil
}
