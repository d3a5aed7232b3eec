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
	fs.StringVar(&c.service, "service", "", "forget the imported data of service `NAME` (required)")
	fs.BoolVar(&c.yes, "yes", false, "do not ask (required when stdin is not a terminal)")
}

func (c *resetCmd) run(ctx context.Context, rest []string, stdio Stdio) error {
	service, yes := &c.service, &c.yes
	switch {
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	case *service == "":
		return usagef("--service is required: the service whose imported data to forget")
	}
	cfg, err := loadConfig(c.config)
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
	f, err := st.Footprint(ctx, *service)
	if err != nil {
		return err
	}
	configured := cfg.Service(*service) != nil
	switch {
	case f.Empty() && !configured:
		var names []string
		for _, s := range cfg.Services {
			names = append(names, s.Name)
		}
		return usagef("unknown service %q: neither in %s (services: %s) nor in the store", *service, cfg.Path, strings.Join(names, ", "))
	case f.Empty():
		fmt.Fprintf(stdio.Out, "nothing to reset: nothing was imported for service %s\n", *service)
		return nil
	}
	if !*yes {
		if !isTerminal(stdio.In) {
			return usagef("refusing to reset service %s without --yes: stdin is not a terminal to confirm on, and a reset deletes %s", *service, describe(f))
		}
		fmt.Fprintf(stdio.Err, "This forgets what was imported for service %s from %s:\n  %s.\n", *service, db, describe(f))
		fmt.Fprintf(stdio.Err, "Alert history, change events and toil are kept; `headroom import` then reads the logs again.\n")
		fmt.Fprintf(stdio.Err, "Stop `headroom serve` first if it is running.\n")
		if !confirm(stdio.In, stdio.Err, fmt.Sprintf("Reset service %s?", *service)) {
			fmt.Fprintln(stdio.Err, "not confirmed: nothing reset")
			return errReported
		}
	}
	got, err := st.ResetService(ctx, *service)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "reset service %s: forgot %s\nrun `headroom import` to read its logs again\n", *service, describe(got))
	return nil
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
