package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
)

// helpWidth is where help text wraps.
const helpWidth = 80

// printHelp writes the help of the command at path, or headroom's own when
// c is nil: a usage line, a paragraph, the subcommands, the flags and
// examples.
func printHelp(w io.Writer, prog string, path []string, c *command) {
	if c == nil {
		fmt.Fprintln(w, "headroom turns Nginx access logs into SLIs, SLOs and error budgets.")
		fmt.Fprintf(w, "\nUsage: %s COMMAND [flags] [arguments]\n\nCommands:\n", prog)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, cc := range commands() {
			if cc.new != nil {
				fmt.Fprintf(tw, "  %s\t%s\n", cc.name, cc.summary)
			}
			for _, sub := range cc.subs {
				fmt.Fprintf(tw, "  %s %s\t%s\n", cc.name, sub.name, sub.summary)
			}
		}
		tw.Flush()
		fmt.Fprintf(w, "\nRun `%s COMMAND -h` for a command's arguments, flags and examples.\n", prog)
		wrap(w, "The config is ./"+DefaultConfig+" unless --config names one. Exit status: 0 done, 1 failed (or validate found problems), 2 bad usage.", "", helpWidth)
		return
	}
	fmt.Fprintf(w, "Usage: %s\n", usageLine(prog, path, c))
	for _, sub := range c.subs {
		if c.new == nil && sub.name == c.subs[0].name {
			continue // the usage line is the first subcommand's
		}
		fmt.Fprintf(w, "       %s\n", usageLine(prog, append(path[:len(path):len(path)], sub.name), &sub))
	}
	fmt.Fprintln(w)
	wrap(w, c.about, "", helpWidth)
	if len(c.subs) > 0 {
		fmt.Fprintln(w, "\nCommands:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, sub := range c.subs {
			fmt.Fprintf(tw, "  %s\t%s\n", sub.name, sub.summary)
		}
		tw.Flush()
	}
	if c.new != nil {
		if fl := flagsOf(c); len(fl) > 0 {
			fmt.Fprintln(w, "\nFlags:")
			printFlags(w, fl)
		}
	}
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", withProg(e, prog))
		}
	}
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "\nRun `%s %s COMMAND -h` for a subcommand's help.\n", prog, strings.Join(path, " "))
	}
}

// usageLine is "PROG PATH [flags] ARGS" (a group's shows its first
// subcommand's).
func usageLine(prog string, path []string, c *command) string {
	if c.new == nil && len(c.subs) > 0 {
		return usageLine(prog, append(path[:len(path):len(path)], c.subs[0].name), &c.subs[0])
	}
	parts := append([]string{prog}, path...)
	if len(flagsOf(c)) > 0 {
		parts = append(parts, "[flags]")
	}
	if c.args != "" {
		parts = append(parts, c.args)
	}
	return strings.Join(parts, " ")
}

// cmdFlag is a flag of a command, as help and completion show it.
type cmdFlag struct {
	name        string
	placeholder string // what the value is (FILE, TIME); "" for a switch
	usage       string
	def         string   // the default, "" when it goes without saying
	choices     []string // the words it takes, when it takes one of a few
}

// flagsOf declares c's flags on a fresh set and lists them, in the
// flag package's (alphabetical) order.
func flagsOf(c *command) []cmdFlag {
	if c.new == nil {
		return nil
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.new().flags(fs)
	var out []cmdFlag
	fs.VisitAll(func(f *flag.Flag) {
		placeholder, usage := flag.UnquoteUsage(f)
		cf := cmdFlag{name: f.Name, placeholder: placeholder, usage: usage}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			cf.placeholder = ""
		}
		switch f.DefValue {
		case "", "0", "0s", "false":
		default:
			cf.def = f.DefValue
		}
		if ch, ok := f.Value.(interface{ choices() []string }); ok {
			cf.choices = ch.choices()
		}
		out = append(out, cf)
	})
	return out
}

// dashes is the flag as typed: -v, --config.
func (f cmdFlag) dashes() string {
	if len(f.name) == 1 {
		return "-" + f.name
	}
	return "--" + f.name
}

func printFlags(w io.Writer, fl []cmdFlag) {
	const maxCol = 24
	col := 0
	heads := make([]string, len(fl))
	for i, f := range fl {
		heads[i] = "  " + f.dashes()
		if f.placeholder != "" {
			heads[i] += " " + f.placeholder
		}
		if n := len(heads[i]) + 3; n <= maxCol {
			col = max(col, n)
		}
	}
	if col == 0 {
		col = maxCol
	}
	indent := strings.Repeat(" ", col)
	for i, f := range fl {
		text := f.usage
		if f.def != "" {
			text += " (default" + nbsp + f.def + ")" // kept on one line
		}
		if len(heads[i])+2 > col {
			fmt.Fprintln(w, heads[i])
			wrap(w, text, indent, helpWidth)
			continue
		}
		var b strings.Builder
		wrap(&b, text, indent, helpWidth)
		fmt.Fprint(w, heads[i]+b.String()[len(heads[i]):])
	}
}

// nbsp joins two words that wrap keeps on one line.
const nbsp = "\x00"

// wrap writes text as lines of at most width, each starting with indent.
func wrap(w io.Writer, text, indent string, width int) {
	line := indent
	for _, word := range strings.Fields(text) {
		word = strings.ReplaceAll(word, nbsp, " ")
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}

// progName is how headroom was run, for the commands help and hints print:
// `go run ./cmd/headroom` when arg0 is a binary go run built (it lives in
// go's go-build temporary directory), else arg0 as typed.
func progName(arg0 string) string {
	switch {
	case arg0 == "":
		return "headroom"
	case strings.Contains(strings.ReplaceAll(arg0, `\`, "/"), "/go-build"):
		return "go run ./cmd/headroom"
	}
	return arg0
}

var headroomWord = regexp.MustCompile(`(^|[\s(|])headroom `)

// withProg spells the headroom commands in an example line as prog.
func withProg(line, prog string) string {
	if prog == "headroom" {
		return line
	}
	return headroomWord.ReplaceAllString(line, "${1}"+strings.ReplaceAll(prog, "$", "$$")+" ")
}

// cmdline is a command line for hints: prog and args, each quoted for a
// POSIX shell when it needs it.
func cmdline(prog string, args ...string) string {
	parts := []string{prog}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// hints is what the commands a command suggests need: how headroom was
// run and the config named (if one was).
type hints struct{ prog, config string }

// command is the command line that runs cmd ("alerts backtest") on the
// config named, with args.
func (h hints) command(cmd string, args ...string) string {
	words := strings.Fields(cmd)
	if h.config != "" {
		words = append(words, "--config", h.config)
	}
	return cmdline(h.prog, append(words, args...)...)
}

// helpCmd is `headroom help [COMMAND [SUBCOMMAND]]`.
type helpCmd struct{}

func (*helpCmd) flags(*flag.FlagSet) {}

func (*helpCmd) run(_ context.Context, args []string, stdio Stdio) error {
	prog := progName(stdio.Prog)
	if len(args) == 0 {
		printHelp(stdio.Out, prog, nil, nil)
		return nil
	}
	path, c, _, err := lookup(append(args, "-h"))
	if err != nil {
		return usageError{err}
	}
	if len(path) < len(args) {
		return usagef("%s has no subcommand %q", strings.Join(path, " "), args[len(path)])
	}
	printHelp(stdio.Out, prog, path, c)
	return nil
}
