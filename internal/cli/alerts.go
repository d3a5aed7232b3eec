package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// AlertsReport is the `alerts --json` document: the alerts' states as of the
// last evaluation of `serve`, and their recent history.
type AlertsReport struct {
	States []alert.State      `json:"states"`
	Events []alert.Transition `json:"events"`
}

func runAlerts(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) > 0 && args[0] == "backtest" {
		return runBacktest(ctx, args[1:], stdio)
	}
	fs := newFlags("alerts", stdio)
	cfgPath := fs.String("config", "", "config file (default "+DefaultConfig+")")
	since := fs.String("since", "7d", "history to show, before now")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := slo.ParseDuration(*since)
	if err != nil || d <= 0 {
		return usagef("--since %q: want a duration like 7d", *since)
	}
	_, st, err := openStore(*cfgPath, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := loadAlerts(ctx, st, time.Now().Add(-d), time.Now().Add(time.Minute), 0)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdio.Out, rep)
	}
	printAlerts(stdio.Out, rep)
	return nil
}

// loadAlerts reads the states as of the last evaluation and the events in
// [from, to).
func loadAlerts(ctx context.Context, st *store.Store, from, to time.Time, limit int) (*AlertsReport, error) {
	h := alert.NewHistory(st, alert.HistoryOptions{})
	states, err := h.Current(ctx)
	if err != nil {
		return nil, err
	}
	events, err := h.Events(ctx, from, to, limit)
	if err != nil {
		return nil, err
	}
	return &AlertsReport{States: states, Events: events}, nil
}

func printAlerts(w io.Writer, rep *AlertsReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERT\tSEVERITY\tSTATE\tSINCE\tDETAILS")
	active := 0
	for _, s := range rep.States {
		if !s.Phase.Active() {
			continue
		}
		active++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Key, s.Severity, s.Phase, s.Since.Format(time.RFC3339), alert.Summary(s))
	}
	if active == 0 {
		fmt.Fprintln(tw, "(none firing or pending)\t\t\t\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tALERT\tSEVERITY\tCHANGE")
	for _, e := range rep.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\n", e.At.Format(time.RFC3339), e.State.Key, e.State.Severity, e.From, e.To)
	}
	if len(rep.Events) == 0 {
		fmt.Fprintln(tw, "(no changes)\t\t\t")
	}
	tw.Flush()
}

// BacktestReport is the `alerts backtest --json` document.
type BacktestReport struct {
	From        time.Time          `json:"from"`
	To          time.Time          `json:"to"`
	Step        string             `json:"step"`
	Transitions []alert.Transition `json:"transitions"`
	Episodes    []alert.Episode    `json:"episodes"`
}

func runBacktest(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("alerts backtest", stdio)
	cfgPath := fs.String("config", "", "config file (default "+DefaultConfig+")")
	name := fs.String("slo", "", "only this SLO")
	fromS := fs.String("from", "", "start (RFC 3339), required")
	toS := fs.String("to", "", "end (RFC 3339), required")
	stepS := fs.String("step", "1m", "evaluate every this long (serve: alerting.interval)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	from, err := time.Parse(time.RFC3339, *fromS)
	if err != nil {
		return usagef("--from %q: want RFC 3339, like 2026-11-01T00:00:00Z", *fromS)
	}
	to, err := time.Parse(time.RFC3339, *toS)
	if err != nil || !to.After(from) {
		return usagef("--to %q: want RFC 3339, after --from", *toS)
	}
	step, err := slo.ParseDuration(*stepS)
	if err != nil || step < time.Second {
		return usagef("--step %q: want a duration of at least 1s", *stepS)
	}
	if n := to.Sub(from) / step; n > 2_000_000 {
		return usagef("%d evaluations: use a longer --step or a shorter range", n)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	policies, err := alert.Policies(cfg)
	if err != nil {
		return err
	}
	if *name != "" {
		var keep []alert.Policy
		for _, p := range policies {
			if p.SLO == *name {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			return usagef("--slo %q: no such SLO with alerting", *name)
		}
		policies = keep
	}
	st, eng, err := openEngine(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	trs, eps, err := alert.Backtest(ctx, eng, policies, from.UTC(), to.UTC(), step)
	if err != nil {
		return err
	}
	rep := BacktestReport{From: from.UTC(), To: to.UTC(), Step: slo.FormatDuration(step), Transitions: trs, Episodes: eps}
	if rep.Transitions == nil {
		rep.Transitions = []alert.Transition{}
	}
	if rep.Episodes == nil {
		rep.Episodes = []alert.Episode{}
	}
	if *asJSON {
		return printJSON(stdio.Out, rep)
	}
	fmt.Fprintf(stdio.Out, "Backtest %s → %s, every %s: %d firing%s\n\n", rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339),
		rep.Step, len(eps), plural(len(eps)))
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERT\tSEVERITY\tFIRED\tRESOLVED\tDETECTION\tRESET\tFIRING FOR")
	for _, e := range eps {
		resolved, dur, reset := "still firing", "-", "-"
		if !e.Resolved.IsZero() {
			resolved, dur = e.Resolved.Format(time.RFC3339), slo.FormatDuration(e.Resolved.Sub(e.Fired))
			if !e.RecoveredAt.IsZero() {
				reset = slo.FormatDuration(e.Reset)
			}
		}
		det := "-"
		if !e.BurningSince.IsZero() {
			det = slo.FormatDuration(e.Detection)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Key, e.Severity, e.Fired.Format(time.RFC3339), resolved, det, reset, dur)
	}
	tw.Flush()
	if len(eps) == 0 {
		fmt.Fprintln(stdio.Out, "(nothing would have fired)")
	}
	fmt.Fprintln(stdio.Out, "\n"+strings.TrimSpace(`
Detection: from when the SLO began spending faster than its budget allows (1-minute burn rate above 1) to the firing.
Reset: from when that burn fell back to 1 or less to the resolution.`))
	return nil
}
