package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
	"github.com/headroom-slo/headroom/internal/suggest"
)

// suggestCmd is `headroom suggest`.
type suggestCmd struct {
	config, service string
	from, to        instant
	window          duration
	json            bool
}

func (c *suggestCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "suggest SLOs for service `NAME`, required")
	fs.Var(&c.from, "from", "read history from `TIME` (RFC 3339); default the first stored minute")
	fs.Var(&c.to, "to", "read history up to `TIME` (RFC 3339); default the end of the last stored minute")
	c.window = duration{d: 28 * 24 * time.Hour, min: 24 * time.Hour}
	fs.Var(&c.window, "window", "try SLO windows `DURATION` long (whole days), each ending at a UTC midnight, a day apart")
	jsonFlag(fs, &c.json)
}

func (c *suggestCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	if c.service == "" {
		return usagef("--service is required")
	}
	if c.window.d%(24*time.Hour) != 0 {
		return usagef("--window %s: want whole days, like 28d", slo.FormatDuration(c.window.d))
	}
	if !c.from.t.IsZero() && !c.to.t.IsZero() && !c.to.t.After(c.from.t) {
		return usagef("--to %s: want a time after --from %s", c.to.String(), c.from.String())
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	if err := cfg.CheckService(c.service); err != nil {
		return usagef("--service: %v", err)
	}
	st, err := store.Open(cfg.Storage.Dir, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := suggest.Run(ctx, st, suggest.Options{Config: cfg, Service: c.service, From: c.from.t, To: c.to.t, Window: c.window.d})
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(stdio.Out, res)
	}
	printSuggest(stdio.Out, res)
	return nil
}

// printSuggest writes the analysis for people: the history, the route
// groups and their noise, the worst windows and days, the candidates, the
// recommendation and its YAML.
func printSuggest(w io.Writer, r *suggest.Result) {
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	// Without latencies (the combined format logs none) there are no
	// percentiles to show.
	msv := msv
	if len(r.Thresholds) == 0 {
		msv = func(float64) string { return "-" }
	}
	fmt.Fprintf(w, "SLO suggestions for %s from its history, %s to %s\n", r.Service, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	fmt.Fprintf(w, "%d complete %s windows, each ending at a UTC midnight, a day apart: the first ends %s, the last %s.\n",
		len(r.Windows), r.Window, day(r.Windows[0].End), day(r.Windows[len(r.Windows)-1].End))

	minW, maxP99 := 0, 0
	for i, win := range r.Windows {
		if win.Availability < r.Windows[minW].Availability {
			minW = i
		}
		if win.P99 > r.Windows[maxP99].P99 {
			maxP99 = i
		}
	}
	o := r.Overall
	fmt.Fprintf(w, "\nThe service, %s to %s: %s requests, availability %s; p90 %s, p95 %s, p99 %s.\n", day(o.Start), day(o.End),
		count(o.Requests), pct(o.Availability), msv(o.P90), msv(o.P95), msv(o.P99))
	fmt.Fprintf(w, "Per window: availability %s at worst (ending %s); p99 %s at worst (ending %s).\n",
		pct(r.Windows[minW].Availability), day(r.Windows[minW].End), msv(r.Windows[maxP99].P99), day(r.Windows[maxP99].End))

	// The windows a week apart, ending with the last, and the worst.
	fmt.Fprintf(w, "\nWindows (a week apart and the worst; every one in --json)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WINDOW\tREQUESTS\t5XX\tAVAILABILITY\tP90\tP95\tP99\t")
	for i, win := range r.Windows {
		if (len(r.Windows)-1-i)%7 != 0 && i != minW && i != maxP99 {
			continue
		}
		note := ""
		switch {
		case i == minW && i == maxP99:
			note = "lowest availability, highest p99"
		case i == minW:
			note = "lowest availability"
		case i == maxP99:
			note = "highest p99"
		}
		fmt.Fprintf(tw, "%s → %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", day(win.Start), day(win.End), count(win.Requests), count(win.Bad),
			pct(win.Availability), msv(win.P90), msv(win.P95), msv(win.P99), note)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nRoute groups (auto: by method and route template, see docs/suggest.md; filter: a configured SLO's filter)\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tKIND\tREQUESTS\tSHARE\tAVAILABILITY\tWORST WINDOW\tP99\tWORST P99\t4XX\tW/O 4XX\tHEALTH+BOTS\tW/O THEM\tBUSIEST ROUTES")
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Name, g.Kind, count(g.Requests), share(g.Share),
			pct(g.Availability), pct(g.MinAvailability), msv(g.P99), msv(g.MaxP99), share(g.ClientErrors), pct(g.AvailabilityWithout4xx),
			share(g.Health+g.Bots), pct(g.AvailabilityWithoutHealthBots), strings.Join(g.Routes[:min(2, len(g.Routes))], ", "))
	}
	tw.Flush()

	n := r.Noise
	fmt.Fprintf(w, "\nNoise, before deciding: health checks are %s of the requests, bots %s, 4xx %s.\n", share(n.Health), share(n.Bots), share(n.ClientErrors))
	fmt.Fprintf(w, "  availability %s → %s without health checks and bots, %s without 4xx\n",
		pct(n.Availability), pct(n.AvailabilityWithoutHealthBots), pct(n.AvailabilityWithout4xx))
	fmt.Fprintf(w, "  p99 %s → %s without health checks and bots\n", msv(n.P99), msv(n.P99WithoutHealthBots))
	if ex := noiseExclude(r); ex != "" {
		fmt.Fprintf(w, "  To stop counting them from now on (history keeps them), under the service in the config:\n%s", ex)
	}

	printWorst(w, "Worst windows (lowest availability, not overlapping)", r.WorstWindows, true)
	printWorst(w, "Worst days (most 5xx)", r.WorstDays, false)
	if len(r.SlowDays) > 0 && len(r.Thresholds) > 0 {
		fmt.Fprintf(w, "\nSlowest days (most requests above %d ms)\n", r.Thresholds[len(r.Thresholds)-1].Ms)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DAY\tREQUESTS\tSLOW\tSLOW ROUTES")
		for _, d := range r.SlowDays {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", day(d.Start), count(d.Requests), count(d.Slow), causeList(d.SlowRoutes))
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "\nLatency thresholds tried: ")
	if len(r.Thresholds) == 0 {
		fmt.Fprint(w, "none (no request was logged with its latency)")
	}
	for i, t := range r.Thresholds {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%d ms (p%g %s)", t.Ms, t.Percentile, msv(t.ValueMs))
	}
	fmt.Fprintf(w, "\n\nCandidates, over all of the service's requests (alerts replayed every %s from %s to %s, default tiers)\n",
		r.Backtest.Step, r.Backtest.From.Format(time.RFC3339), r.Backtest.To.Format(time.RFC3339))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tOBJECTIVE\tTHRESHOLD\tMET\tBUDGET SPENT (MEDIAN, WORST)\tPAGES\tTICKETS\tRULE")
	for _, c := range r.Candidates {
		th := "-"
		if c.ThresholdMs > 0 {
			th = fmt.Sprintf("%d ms", c.ThresholdMs)
		}
		rule := "fails"
		if c.Qualifies {
			rule = "passes"
		}
		spent := slices.Clone(c.BudgetSpent)
		sort.Float64s(spent)
		fmt.Fprintf(tw, "%s\t%s%%\t%s\t%d of %d\t%s, %s\t%d\t%d\t%s\n", c.Type, fmtFloat(c.Objective), th, c.Met, c.Windows,
			share(spent[len(spent)/2]), share(spent[len(spent)-1]), c.Pages, c.Tickets, rule)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nThe rule: %s.\n\n", r.Rule)
	for _, s := range r.Reasons {
		fmt.Fprintln(w, s)
	}
	if r.YAML == "" {
		fmt.Fprintln(w, "\nNo SLO to suggest.")
		return
	}
	fmt.Fprintf(w, "\nReady to paste into the config (its entries go under an existing slos: key):\n\n%s", r.YAML)
}

// printWorst writes worst windows or days with their causes.
func printWorst(w io.Writer, title string, ws []suggest.Worst, windows bool) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "DAY"
	if windows {
		head = "WINDOW"
	}
	fmt.Fprintf(tw, "%s\tREQUESTS\t5XX\tAVAILABILITY\tTOP ROUTES\tSTATUSES\n", head)
	for _, x := range ws {
		when := x.Start.Format(time.DateOnly)
		if windows {
			when += " → " + x.End.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", when, count(x.Requests), count(x.Bad), pct(x.Availability), causeList(x.TopRoutes), causeList(x.TopStatuses))
	}
	tw.Flush()
}

func causeList(cs []suggest.Cause) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %s", c.Key, share(c.Share)))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// noiseExclude writes the services[].exclude rules that would drop the
// health checks and bots found, or "".
func noiseExclude(r *suggest.Result) string {
	var b strings.Builder
	for _, g := range r.Groups {
		if g.Kind != "auto" || (g.Name != suggest.GroupHealth && g.Name != suggest.GroupBot) || len(g.Routes) == 0 {
			continue
		}
		var paths []string
		for _, rt := range g.Routes {
			_, p, _ := strings.Cut(rt, " ")
			if !strings.Contains(p, ":id") {
				paths = append(paths, regexp.QuoteMeta(p))
			}
		}
		slices.Sort(paths)
		paths = slices.Compact(paths)
		if len(paths) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("    exclude:\n")
		}
		fmt.Fprintf(&b, "      - {route: '^(%s)$'}   # %s\n", strings.Join(paths, "|"), g.Name)
	}
	return b.String()
}

func count(n float64) string { return thousands(int64(math.Round(n))) }

func share(f float64) string {
	switch {
	case f == 0:
		return "0%"
	case f < 0.001:
		return fmt.Sprintf("%.3f%%", f*100)
	}
	return fmt.Sprintf("%.1f%%", f*100)
}

// pct writes an SLI as a percentage with enough digits to compare with
// objectives like 99.95%.
func pct(f float64) string { return fmt.Sprintf("%.3f%%", f*100) }

func msv(v float64) string { return fmtFloat(v) + " ms" }

func fmtFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}
