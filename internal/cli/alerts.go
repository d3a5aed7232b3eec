package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/slo"
)

// AlertsReport is the `alerts --json` document: the alerts' states as of
// At, and the changes in the --since before it, newest first.
type AlertsReport struct {
	At     time.Time          `json:"at"`
	States []alert.State      `json:"states"`
	Events []alert.Transition `json:"events"`
}

// alertsCmd is `headroom alerts`.
type alertsCmd struct {
	config string
	at     instant
	since  duration
	json   bool
}

func (c *alertsCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	atFlag(fs, &c.at, "show the states as of")
	c.since = duration{d: 7 * 24 * time.Hour, min: time.Minute}
	fs.Var(&c.since, "since", "show the changes in the `DURATION` before --at")
	jsonFlag(fs, &c.json)
}

func (c *alertsCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	at := c.at.or(time.Now())
	_, st, err := openStore(c.config, true)
	if err != nil {
		return err
	}
	defer st.Close()
	h := alert.NewHistory(st, alert.HistoryOptions{})
	to := at.Add(time.Millisecond) // the changes at at count
	if c.at.t.IsZero() {
		to = at.Add(time.Minute) // and a serve a little ahead of this clock
	}
	states, err := h.StatesAt(ctx, at)
	if err != nil {
		return err
	}
	events, err := h.Events(ctx, at.Add(-c.since.d), to, 0)
	if err != nil {
		return err
	}
	rep := &AlertsReport{At: at, States: states, Events: events}
	if c.json {
		return printJSON(stdio.Out, rep)
	}
	printAlerts(stdio.Out, rep)
	if len(events) > 0 {
		return nil
	}
	// Nothing changed in the range shown: say when something last did.
	last, err := h.Events(ctx, time.Time{}, to, 1)
	if err != nil {
		return err
	}
	hint := hints{prog: progName(stdio.Prog), config: c.config}
	switch {
	case len(last) == 0:
		fmt.Fprintf(stdio.Out, "\nNo alert has changed state yet: serve evaluates the alerts as it runs, and `%s` replays them over history.\n",
			hint.command("alerts backtest", "--from", "TIME", "--to", "TIME"))
	default:
		fmt.Fprintf(stdio.Out, "\nThe last change was at %s, before the %s shown. To see it:\n  %s\n",
			last[0].At.UTC().Format(time.RFC3339), slo.FormatDuration(c.since.d),
			hint.command("alerts", "--at", atArg(last[0].At)))
	}
	return nil
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

// backtestCmd is `headroom alerts backtest`.
type backtestCmd struct {
	config, slo string
	from, to    instant
	step        duration
	json        bool
}

func (c *backtestCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.slo, "slo", "", "replay only SLO `NAME`'s alerts")
	fs.Var(&c.from, "from", "start at `TIME` (RFC 3339), required")
	fs.Var(&c.to, "to", "end at `TIME` (RFC 3339), required")
	c.step = duration{d: time.Minute, min: time.Second}
	fs.Var(&c.step, "step", "evaluate every `DURATION`, as serve does every alerting.interval")
	jsonFlag(fs, &c.json)
}

func (c *backtestCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	from, to, step := c.from.t, c.to.t, c.step.d
	switch {
	case from.IsZero():
		return usagef("--from is required")
	case to.IsZero():
		return usagef("--to is required")
	case !to.After(from):
		return usagef("--to %s: want a time after --from %s", c.to.String(), c.from.String())
	}
	if n := to.Sub(from) / step; n > 2_000_000 {
		return usagef("%d evaluations: use a longer --step or a shorter range", n)
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	policies, err := alert.Policies(cfg)
	if err != nil {
		return err
	}
	if c.slo != "" {
		var kept []alert.Policy
		var alerting []string // the SLOs with alerting
		for _, p := range policies {
			if p.SLO == c.slo {
				kept = append(kept, p)
			}
			if !slices.Contains(alerting, p.SLO) {
				alerting = append(alerting, p.SLO)
			}
		}
		if len(kept) == 0 {
			return usagef("--slo %q: no such SLO with alerting%s (those with alerting: %s)", c.slo, didYouMean(c.slo, alerting), strings.Join(alerting, ", "))
		}
		policies = kept
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
	if c.json {
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
