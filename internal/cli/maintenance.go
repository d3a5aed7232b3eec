package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// maintenanceCmds are `headroom maintenance add|list|remove`.
func maintenanceCmds() command {
	return command{
		name: "maintenance", summary: "plan maintenance windows: their events count toward no SLO, alerts hold",
		about: "Maintenance windows: the events of their minutes are left out of every SLI, error budget and burn rate, " +
			"and alerts of the service do not start firing while one is open. The config's maintenance: block holds " +
			"planned and weekly windows; add records a one-off window in the store, which a running serve honours at " +
			"its next evaluation, without a restart.",
		subs: []command{
			{
				name: "add", args: "[NOTE...]", summary: "record a maintenance window of a service",
				about: "Record a window of --service from --start to --end (or for --duration), in whole minutes; --note " +
					"or the rest of the command line says what it is for. A window may be in the past: the events already " +
					"stored in it are left out from then on, as a Datadog SLO correction would.",
				examples: []string{
					"headroom maintenance add --service web --start 2026-11-28T02:00:00+01:00 --duration 2h database upgrade",
					"headroom maintenance add --service api --start 2026-11-20T10:00:00Z --end 2026-11-20T10:30:00Z --note 'failover drill'",
				},
				new: func() runner { return &maintenanceAddCmd{} },
			},
			{
				name: "list", summary: "list the maintenance windows",
				about: "List the config's windows (with their weekly schedule) and the recorded ones, with the occurrences " +
					"of each between --from and --to (default: from 7 days ago to 28 days ahead).",
				examples: []string{
					"headroom maintenance list",
					"headroom maintenance list --service web --json",
				},
				new: func() runner { return &maintenanceListCmd{} },
			},
			{
				name: "remove", args: "ID", summary: "remove a recorded maintenance window",
				about: "Remove the window recorded as ID (maintenance list shows it): its events count again. Windows of " +
					"the config are removed by editing the config.",
				examples: []string{"headroom maintenance remove 3"},
				new:      func() runner { return &maintenanceRemoveCmd{} },
			},
		},
	}
}

// maintenanceAddCmd is `headroom maintenance add`.
type maintenanceAddCmd struct {
	config, service, note string
	start, end            instant
	duration              duration
}

func (c *maintenanceAddCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "the service `NAME` under maintenance (required)")
	fs.Var(&c.start, "start", "when the window opens, a `TIME` (RFC 3339, whole minutes; required)")
	fs.Var(&c.end, "end", "when it closes, a `TIME` (RFC 3339)")
	c.duration.min = time.Minute
	fs.Var(&c.duration, "duration", "how long it lasts, a `DURATION` (like 90m), instead of --end")
	fs.StringVar(&c.note, "note", "", "what the window is for, a `TEXT` (or the rest of the command line)")
}

func (c *maintenanceAddCmd) run(ctx context.Context, words []string, stdio Stdio) error {
	if c.service == "" {
		return usagef("--service is required")
	}
	note := c.note
	if len(words) > 0 {
		if note != "" {
			return usagef("give the note with --note or as words, not both")
		}
		note = strings.Join(words, " ")
	}
	cfg, st, err := openStore(c.config, false)
	if err != nil {
		return err
	}
	defer st.Close()
	m := config.Maintenance{Service: c.service, Duration: config.Duration(c.duration.d), Note: note}
	if !c.start.t.IsZero() {
		m.Start = config.NewTimestamp(c.start.t)
	}
	if !c.end.t.IsZero() {
		m.End = config.NewTimestamp(c.end.t)
	}
	if problems := cfg.CheckMaintenance(m); len(problems) > 0 {
		var msgs []string
		for _, p := range problems {
			flag := p[0]
			if flag == "end" && m.End.IsZero() {
				flag = "end or --duration" // "required: set end or duration"
			}
			msgs = append(msgs, "--"+flag+": "+p[1])
		}
		return usagef("%s", strings.Join(msgs, "\n"))
	}
	w := store.MaintenanceWindow{Service: c.service, Start: m.Start.Time().UTC(), End: m.Start.Time().Add(m.Length()).UTC(), Note: note, Added: time.Now().UTC()}
	id, err := st.AddMaintenance(ctx, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "maintenance #%d: %s from %s to %s (%s) recorded\n", id, w.Service,
		w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), slo.FormatDuration(w.End.Sub(w.Start)))
	if w.Start.Before(w.Added) {
		fmt.Fprintf(stdio.Out, "it began in the past: the events stored in it no longer count toward %s's SLOs\n", w.Service)
	}
	return nil
}

// maintenanceListCmd is `headroom maintenance list`.
type maintenanceListCmd struct {
	config, service string
	from, to        instant
	json            bool
}

func (c *maintenanceListCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "only the windows of service `NAME` (and those of every service)")
	fs.Var(&c.from, "from", "list occurrences from `TIME` (RFC 3339); default 7 days ago")
	fs.Var(&c.to, "to", "list occurrences up to `TIME` (RFC 3339); default 28 days ahead")
	jsonFlag(fs, &c.json)
}

// MaintenanceList is what `maintenance list --json` prints.
type MaintenanceList struct {
	From    time.Time           `json:"from"`
	To      time.Time           `json:"to"`
	Windows []MaintenanceConfig `json:"windows"`
	// Occurrences are the windows' occurrences overlapping [from, to).
	Occurrences []report.Window `json:"occurrences"`
}

// MaintenanceConfig is a window as defined: in the config or recorded.
type MaintenanceConfig struct {
	ID       int64     `json:"id,omitempty"` // recorded windows
	Source   string    `json:"source"`       // "config" (with its file:line) or "recorded"
	Service  string    `json:"service,omitempty"`
	Start    time.Time `json:"start"`
	Duration string    `json:"duration"`
	Every    []string  `json:"every,omitempty"`
	Timezone string    `json:"timezone,omitempty"`
	Until    time.Time `json:"until,omitzero"`
	Note     string    `json:"note,omitempty"`
}

func (c *maintenanceListCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	now := time.Now().UTC()
	from, to := c.from.or(now.Add(-7*24*time.Hour)), c.to.or(now.Add(28*24*time.Hour))
	if !to.After(from) {
		return usagef("--to must be after --from")
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	if c.service != "" {
		if err := cfg.CheckService(c.service); err != nil {
			return usagef("--service: %v", err)
		}
	}
	// The config's windows, then the store's (none without a store yet).
	recorded, err := recordedMaintenance(ctx, cfg)
	if err != nil {
		return err
	}
	var ms []config.Maintenance
	for _, m := range append(slices.Clone(cfg.Maintenance), recorded...) {
		if c.service == "" || m.AppliesTo(c.service) {
			ms = append(ms, m)
		}
	}
	out := MaintenanceList{From: from, To: to, Windows: []MaintenanceConfig{}, Occurrences: report.Occurrences(ms, from, to)}
	if out.Occurrences == nil {
		out.Occurrences = []report.Window{}
	}
	i := 0
	for _, m := range ms {
		mc := MaintenanceConfig{ID: m.ID, Service: m.Service, Start: m.Start.Time().UTC(), Duration: slo.FormatDuration(m.Length()),
			Until: m.Until.Time().UTC(), Note: m.Note, Source: "recorded"}
		if m.ID == 0 {
			// the config's windows come first, in its order
			for i < len(cfg.Maintenance) && !sameWindow(cfg.Maintenance[i], m) {
				i++
			}
			mc.Source = cfg.Where(fmt.Sprintf("maintenance[%d]", i))
			i++
		}
		for _, d := range m.Days() {
			mc.Every = append(mc.Every, strings.ToLower(d.String()[:3]))
		}
		if len(m.Every) > 0 {
			mc.Timezone = m.Timezone.Location().String()
		}
		out.Windows = append(out.Windows, mc)
	}
	if c.json {
		return printJSON(stdio.Out, out)
	}
	if len(out.Windows) == 0 {
		fmt.Fprintln(stdio.Out, "no maintenance windows (add one with headroom maintenance add, or in the config's maintenance: block)")
		return nil
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVICE\tSTART\tDURATION\tREPEATS\tNOTE\tFROM")
	for _, w := range out.Windows {
		id, svc, rep := "-", w.Service, "-"
		if w.ID > 0 {
			id = strconv.FormatInt(w.ID, 10)
		}
		if svc == "" {
			svc = "(all)"
		}
		if len(w.Every) > 0 {
			rep = "every " + strings.Join(w.Every, ",") + " " + w.Timezone
			if !w.Until.IsZero() {
				rep += " until " + w.Until.Format(time.RFC3339)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, svc, w.Start.Format(time.RFC3339), w.Duration, rep, w.Note, w.Source)
	}
	tw.Flush()
	fmt.Fprintf(stdio.Out, "\n%d occurrence%s from %s to %s:\n", len(out.Occurrences), plural(len(out.Occurrences)),
		from.Format(time.RFC3339), to.Format(time.RFC3339))
	for _, o := range out.Occurrences {
		svc := o.Service
		if svc == "" {
			svc = "every service"
		}
		fmt.Fprintf(stdio.Out, "  %s – %s  %s  %s\n", o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), svc, o.Note)
	}
	return nil
}

func sameWindow(a, b config.Maintenance) bool {
	return a.Service == b.Service && a.Start == b.Start && a.Note == b.Note && a.Length() == b.Length()
}

// maintenanceRemoveCmd is `headroom maintenance remove`.
type maintenanceRemoveCmd struct{ config string }

func (c *maintenanceRemoveCmd) flags(fs *flag.FlagSet) { configFlag(fs, &c.config) }

func (c *maintenanceRemoveCmd) run(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) != 1 {
		return usagef("want one ID, got %d arguments", len(args))
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("%q: want the ID maintenance list shows", args[0])
	}
	_, st, err := openStore(c.config, false)
	if err != nil {
		return err
	}
	defer st.Close()
	ok, err := st.RemoveMaintenance(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return usagef("no recorded maintenance window #%d (maintenance list shows them)", id)
	}
	fmt.Fprintf(stdio.Out, "maintenance #%d removed: its events count again\n", id)
	return nil
}

// recordedMaintenance returns the windows recorded in cfg's store, or none
// when there is no store yet.
func recordedMaintenance(ctx context.Context, cfg *config.Config) ([]config.Maintenance, error) {
	if _, err := os.Stat(cfg.Storage.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	st, err := store.Open(cfg.Storage.Dir, store.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ws, err := st.MaintenanceWindows(ctx)
	if err != nil {
		return nil, err
	}
	var out []config.Maintenance
	for _, w := range ws {
		out = append(out, report.FromStore(w))
	}
	return out, nil
}
