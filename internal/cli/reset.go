package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/store"
)

// resetCmd is `headroom reset`: it forgets what was imported for a service,
// so that the next import reads its logs again: the way back from a wrong
// log format.
type resetCmd struct {
	config, service string
	yes             bool
}

func (c *resetCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "forget the imported data of service `NAME` (required; NAME,NAME… for services sharing a log)")
	fs.BoolVar(&c.yes, "yes", false, "do not ask (required when stdin is not a terminal)")
}

func (c *resetCmd) run(ctx context.Context, rest []string, stdio Stdio) error {
	yes := &c.yes
	switch {
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	case c.service == "":
		return usagef("--service is required: the service whose imported data to forget")
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	services := strings.Split(c.service, ",")
	name := strings.Join(services, ", ")
	logs, err := resetLogs(cfg, services)
	if err != nil {
		return err
	}
	db := filepath.Join(cfg.Storage.Dir, store.DBFile)
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("nothing to reset: %w", err)
	}
	st, err := store.Open(cfg.Storage.Dir, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	scope := store.Scope{Services: services, Logs: logs}
	for _, svc := range services {
		if cfg.Service(svc) != nil {
			continue
		}
		if f, err := st.Footprint(ctx, store.Scope{Services: []string{svc}}); err != nil {
			return err
		} else if f.Empty() {
			return usagef("unknown service %q: neither in %s (services: %s) nor in the store", svc, cfg.Path, strings.Join(cfg.ServiceNames(), ", "))
		}
	}
	f, err := st.Footprint(ctx, scope)
	if err != nil {
		return err
	}
	if f.Empty() {
		fmt.Fprintf(stdio.Out, "nothing to reset: nothing was imported for service %s\n", name)
		return nil
	}
	if !*yes {
		if !isTerminal(stdio.In) {
			return usagef("refusing to reset service %s without --yes: stdin is not a terminal to confirm on, and a reset deletes %s", name, describe(f))
		}
		fmt.Fprintf(stdio.Err, "This forgets what was imported for service %s from %s:\n  %s.\n", name, db, describe(f))
		fmt.Fprintf(stdio.Err, "Alert history, change events and toil are kept; `headroom import` then reads the logs again.\n")
		fmt.Fprintf(stdio.Err, "Stop `headroom serve` first if it is running.\n")
		if !confirm(stdio.In, stdio.Err, fmt.Sprintf("Reset service %s?", name)) {
			fmt.Fprintln(stdio.Err, "not confirmed: nothing reset")
			return errReported
		}
	}
	got, err := st.Reset(ctx, scope)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "reset service %s: forgot %s\nrun `headroom import` to read its logs again\n", name, describe(got))
	return nil
}

// resetLogs returns the configured logs of services, whose read positions
// a reset forgets. A log read for other services too (services[].match)
// cannot be forgotten for some of them only: the next import would count
// the others' lines again; such a reset is refused, naming the services
// to reset together.
func resetLogs(cfg *config.Config, services []string) ([]string, error) {
	var logs []string
	for _, l := range cfg.Logs() {
		var readers, reset []string
		for _, r := range l.Refs {
			n := cfg.Services[r.Svc].Name
			readers = append(readers, n)
			if slices.Contains(services, n) {
				reset = append(reset, n)
			}
		}
		if len(reset) == 0 {
			continue
		}
		if len(reset) < len(readers) {
			all := slices.Clone(services)
			for _, n := range readers {
				if !slices.Contains(all, n) {
					all = append(all, n)
				}
			}
			return nil, usagef("service %s reads %s together with %s: a reset forgets the log's read positions, and the next import would count the other services' lines twice; reset them together: --service %s",
				strings.Join(reset, ", "), l.Path, strings.Join(slices.DeleteFunc(readers, func(n string) bool { return slices.Contains(reset, n) }), ", "), strings.Join(all, ","))
		}
		logs = append(logs, l.Path)
	}
	return logs, nil
}

// describe says what a footprint holds, in words.
func describe(f store.Footprint) string {
	n := func(v int64, what string) string {
		if v == 1 {
			return "1 " + what
		}
		return thousands(v) + " " + what + "s"
	}
	return fmt.Sprintf("%s (minute, hour, day), %s, the read positions of %s and %s",
		n(f.Cells, "cell"), n(f.Dims, "dimension"), n(f.Files, "file"), n(f.Samples, "malformed-line sample"))
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks question on w and reads the answer from r: yes only for "y"
// or "yes".
func confirm(r io.Reader, w io.Writer, question string) bool {
	fmt.Fprintf(w, "%s [y/N] ", question)
	line, _ := bufio.NewReader(r).ReadString('\n')
	return slices.Contains([]string{"y", "yes"}, strings.ToLower(strings.TrimSpace(line)))
}
