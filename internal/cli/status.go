package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// StatusReport is the `status --json` document.
type StatusReport struct {
	At      time.Time      `json:"at"`
	SLOs    []SLOStatus    `json:"slos"`
	Sources []SourceStatus `json:"sources"`
	// Agents are the agents that push to this store (server.push).
	Agents []report.Agent `json:"agents"`
}

// SLOStatus is one SLO in a StatusReport.
type SLOStatus struct {
	Name                 string    `json:"name"`
	Service              string    `json:"service"`
	Type                 string    `json:"type"`
	Objective            float64   `json:"objective"` // percent, as configured
	Window               string    `json:"window"`
	WindowStart          time.Time `json:"window_start"`
	WindowEnd            time.Time `json:"window_end"`
	Total                float64   `json:"total"`
	Good                 float64   `json:"good"`
	Bad                  float64   `json:"bad"`
	SLI                  float64   `json:"sli"`
	ErrorBudget          float64   `json:"error_budget"`
	ErrorBudgetRemaining float64   `json:"error_budget_remaining"`
	// BurnRates and Events are by window; null for a window the store
	// cannot answer exactly any more, with the reason in Unavailable.
	BurnRates   map[string]*float64    `json:"burn_rates"`
	Events      map[string]*slo.Counts `json:"events"`
	Unavailable map[string]string      `json:"unavailable,omitempty"`
}

// SourceStatus is one configured log in a StatusReport: a log listed under
// several services is one, read once for all of them.
type SourceStatus struct {
	// Service names the services reading the log, sorted and joined by
	// commas ("shop-api,shop-web"); Services lists them in the config's
	// order.
	Service   string   `json:"service"`
	Services  []string `json:"services"`
	Log       string   `json:"log"`
	Files     int      `json:"files"`
	FilesRead int      `json:"files_read"`
	// Lines = parsed + Malformed + Excluded + Unmatched: a line counts
	// once, as parsed when a service counted it, excluded when the
	// services that took it excluded it, unmatched when no service's match
	// took it.
	Lines       int64                 `json:"lines"`
	Malformed   int64                 `json:"malformed"`
	Excluded    int64                 `json:"excluded"`
	Unmatched   int64                 `json:"unmatched"`
	LastEvent   *time.Time            `json:"last_event"`
	LagSeconds  *float64              `json:"lag_seconds"`
	LastIngest  *time.Time            `json:"last_ingest"`
	BytesBehind int64                 `json:"bytes_behind"`
	Samples     []store.MalformedLine `json:"malformed_samples"`
	// UnmatchedSamples are lines no service took, with their upstream and
	// host: a service missing from the config, or a match too narrow.
	UnmatchedSamples []store.MalformedLine `json:"unmatched_samples"`
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

// buildStatus evaluates every SLO as of now with the report engine, the
// one source of the numbers the dashboard, the API and the review show.
func buildStatus(ctx context.Context, cfg *config.Config, st *store.Store, now time.Time) (*StatusReport, error) {
	eng, err := report.New(cfg, st)
	if err != nil {
		return nil, err
	}
	slos, err := eng.SLOs(ctx, now, "")
	if err != nil {
		return nil, err
	}
	byName := map[string]report.SLO{}
	for _, o := range slos {
		byName[o.Name] = o
	}
	rep := &StatusReport{At: now, SLOs: make([]SLOStatus, 0, len(slos))}
	for _, c := range cfg.SLOs { // in the config's order
		o := byName[c.Name]
		s := SLOStatus{
			Name: o.Name, Service: o.Service, Type: o.Type, Objective: o.Objective, Window: o.Window,
			WindowStart: o.WindowStart, WindowEnd: o.WindowEnd,
			Total: o.Total, Good: o.Good, Bad: o.Bad, SLI: o.SLI,
			ErrorBudget: o.ErrorBudget, ErrorBudgetRemaining: o.BudgetRemaining,
			BurnRates: map[string]*float64{}, Events: map[string]*slo.Counts{},
		}
		for _, d := range slo.StatusWindows {
			w := slo.FormatDuration(d)
			s.BurnRates[w], s.Events[w] = o.BurnRates[w], o.Events[w]
			if why, ok := o.Unavailable[w]; ok {
				if s.Unavailable == nil {
					s.Unavailable = map[string]string{}
				}
				s.Unavailable[w] = why
			}
		}
		rep.SLOs = append(rep.SLOs, s)
	}
	if rep.Sources, err = sourceStatus(ctx, cfg, st, now); err != nil {
		return nil, err
	}
	if rep.Agents, err = eng.Agents(ctx, now); err != nil {
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
	for _, l := range cfg.Logs() {
		s := SourceStatus{Log: l.Path, Samples: []store.MalformedLine{}, UnmatchedSamples: []store.MalformedLine{}}
		for _, r := range l.Refs {
			s.Services = append(s.Services, cfg.Services[r.Svc].Name)
		}
		s.Service = ingest.ServiceLabel(s.Services)
		glob := ingest.GlobOf(l.LogSource)
		paths, _ := glob.Expand()
		s.Files = len(paths)
		var last, updated int64
		for _, src := range all {
			// A row is its log's, whichever services read it then: positions
			// are keyed by the log, so a service added to a log reads on
			// from them.
			if src.Log != l.Path {
				continue
			}
			s.FilesRead++
			s.Lines += src.Lines
			s.Malformed += src.Malformed
			s.Excluded += src.Excluded
			s.Unmatched += src.Unmatched
			last = max(last, src.LastTS)
			updated = max(updated, src.Updated)
			if src.Malformed > 0 {
				samples, err := st.Samples(ctx, src.Fingerprint)
				if err != nil {
					return nil, err
				}
				s.Samples = append(s.Samples, samples...)
			}
			if src.Unmatched > 0 {
				samples, err := st.UnmatchedSamples(ctx, src.Fingerprint)
				if err != nil {
					return nil, err
				}
				s.UnmatchedSamples = append(s.UnmatchedSamples, samples...)
			}
		}
		if n := len(s.Samples); n > store.SamplesKept {
			s.Samples = s.Samples[n-store.SamplesKept:]
		}
		if n := len(s.UnmatchedSamples); n > store.SamplesKept {
			s.UnmatchedSamples = s.UnmatchedSamples[n-store.SamplesKept:]
		}
		if s.BytesBehind, err = unreadBytes(ctx, st, glob, paths); err != nil {
			return nil, err
		}
		if last > 0 {
			t := time.UnixMilli(last).UTC()
			lag := float64(now.UnixMilli()-last) / 1000 // not now.Sub: a time.Duration spans only ±292 years
			s.LastEvent, s.LagSeconds = &t, &lag
		}
		if updated > 0 {
			t := time.Unix(updated, 0).UTC()
			s.LastIngest = &t
		}
		out = append(out, s)
	}
	return out, nil
}

// unreadBytes is how many bytes of the files at paths, of the log of g, lie
// past the offsets committed for them (see ingest.Unread).
func unreadBytes(ctx context.Context, st ingest.SourceReader, g ingest.Glob, paths []string) (int64, error) {
	var n int64
	for _, p := range paths {
		b, err := ingest.Unread(ctx, st, g, p)
		if err != nil {
			return n, err
		}
		n += b
	}
	return n, nil
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
			thousands(int64(s.Total)), thousands(int64(math.Round(s.Good))), sliText(s.SLI, s.Objective, s.Total), fmt.Sprintf("%.1f%%", s.ErrorBudgetRemaining*100),
		}
		for _, d := range slo.StatusWindows {
			if b := s.BurnRates[slo.FormatDuration(d)]; b != nil {
				row = append(row, fmt.Sprintf("%.2f", *b))
			} else {
				row = append(row, "-") // pruned: see the JSON's unavailable
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	// Why a window shows "-": said once per reason.
	var whys []string
	for _, o := range rep.SLOs {
		for _, why := range o.Unavailable {
			if !slices.Contains(whys, why) {
				whys = append(whys, why)
			}
		}
	}
	slices.Sort(whys)
	for _, why := range whys {
		fmt.Fprintf(w, "  -: not answerable exactly any more: %s\n", why)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(rep.Sources) > 0 { // a server fed by agents only reads no log itself
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "SOURCE\tSERVICE\tFILES\tLINES\tMALFORMED\tEXCLUDED\tUNMATCHED\tLAST EVENT\tLAG\tBEHIND")
	}
	for _, s := range rep.Sources {
		last, lag := "never", "-"
		if s.LastEvent != nil {
			last = s.LastEvent.Format(time.RFC3339)
			lag = lagString(secondsDuration(*s.LagSeconds))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Log, s.Service, s.FilesRead, s.Files,
			thousands(s.Lines), thousands(s.Malformed), thousands(s.Excluded), thousands(s.Unmatched), last, lag, bytesHuman(s.BytesBehind))
	}
	tw.Flush()
	for _, s := range rep.Sources {
		for _, kind := range []struct {
			name    string
			samples []store.MalformedLine
		}{{"malformed", s.Samples}, {"unmatched", s.UnmatchedSamples}} {
			for i, m := range kind.samples {
				if i == 3 {
					fmt.Fprintf(w, "  … %d more %s samples in `%s`\n", len(kind.samples)-3, kind.name, h.command("status", "--json"))
					break
				}
				fmt.Fprintf(w, "  %s %s:%d: %s: %q\n", kind.name, m.Path, m.Line, m.Reason, m.Excerpt)
			}
		}
	}
	if len(rep.Agents) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "AGENT\tLAST PUSH\tLINES\tMALFORMED\tEXCLUDED\tUNMATCHED\tLAST EVENT\tLAG\tSPOOL\tDROPPED\t")
		for _, a := range rep.Agents {
			push, last, lag := a.LastPush.Format(time.RFC3339), "never", "-"
			if a.Silent {
				push += " (silent)"
			}
			if a.LastEvent != nil {
				last = a.LastEvent.Format(time.RFC3339)
				lag = lagString(secondsDuration(*a.LagSeconds))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", a.Name, push, thousands(a.Lines), thousands(a.Malformed),
				thousands(a.Excluded), thousands(a.Unmatched), last, lag, fmt.Sprintf("%d commits, %s", a.SpoolCommits, bytesHuman(a.SpoolBytes)), thousands(a.Dropped))
		}
		tw.Flush()
		for _, a := range rep.Agents {
			for _, b := range a.Broken {
				fmt.Fprintf(w, "  %s: %s\n", a.Name, b)
			}
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

// secondsDuration converts seconds to a Duration, saturating beyond its
// ±292 years rather than wrapping.
func secondsDuration(sec float64) time.Duration {
	switch {
	case sec >= float64(math.MaxInt64)/float64(time.Second):
		return math.MaxInt64
	case sec <= float64(math.MinInt64)/float64(time.Second):
		return math.MinInt64
	}
	return time.Duration(sec * float64(time.Second))
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

// sliText is an SLI as every view shows it (report.FormatSLI).
func sliText(sli, objective, total float64) string {
	if total == 0 {
		return "no data"
	}
	return report.FormatSLI(sli, objective)
}
