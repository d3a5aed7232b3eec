// Command genlog writes a realistic, deterministic nginx access log to
// standard output (or -o FILE), for benchmarks and tests.
//
//	genlog -lines 2000000 -format custom -start 2026-11-01T00:00:00Z -rate 20 -seed 1 > access.log
//	genlog -print-format json   # the nginx log_format that produces -format json (escape=json)
//	genlog -live 60s -rate 2000 -every 50ms -o access.log   # a live log: appends each 50 ms's lines, timed now
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/headroom-slo/headroom/internal/genlog"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("genlog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lines := fs.Int("lines", 100000, "number of lines to write")
	format := fs.String("format", genlog.DefaultFormat, "log format: combined, custom (combined + $request_time $upstream_response_time) or json (escape=json, with $host)")
	start := fs.String("start", genlog.DefaultStart().Format(time.RFC3339), "time of the first line, RFC 3339; its offset is the one $time_local shows")
	rate := fs.Float64("rate", genlog.DefaultRate, "average lines per second of log time")
	seed := fs.Uint64("seed", 1, "random seed; the same flags give the same bytes")
	out := fs.String("o", "", "write to this file instead of standard output")
	live := fs.Duration("live", 0, "write a live log for this long instead of -lines: every -every, append the lines whose time has come, timed from now at a steady -rate a second (no daily cycle; -o is appended to)")
	every := fs.Duration("every", 50*time.Millisecond, "with -live, how often lines are appended")
	printFormat := fs.String("print-format", "", "print the nginx log_format string (what goes between the quotes) that produces the named format, and exit; json needs escape=json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "genlog: unexpected arguments: %q\n", fs.Args())
		return 2
	}
	if *printFormat != "" {
		lf, _, err := genlog.LogFormat(*printFormat)
		if err != nil {
			fmt.Fprintf(stderr, "genlog: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout, lf)
		return 0
	}
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fmt.Fprintf(stderr, "genlog: -start: %v\n", err)
		return 2
	}
	if *live != 0 {
		if *live < 0 || *every <= 0 {
			fmt.Fprintf(stderr, "genlog: -live %v, -every %v: want positive durations\n", *live, *every)
			return 2
		}
		return runLive(stdout, stderr, *out, *live, *every, genlog.Options{Format: *format, Rate: *rate, Seed: *seed, Steady: true})
	}

	w := stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintf(stderr, "genlog: %v\n", err)
			return 1
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	err = genlog.Generate(bw, genlog.Options{Lines: *lines, Format: *format, Start: t, Rate: *rate, Seed: *seed})
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "genlog: %v\n", err)
		return 1
	}
	return 0
}

// runLive appends, every every for d, the lines whose time has come to
// path (stdout when empty), each append one write(2) as nginx's are, and
// says how many lines it wrote.
func runLive(stdout, stderr io.Writer, path string, d, every time.Duration, opts genlog.Options) int {
	w := stdout
	if path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "genlog: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	opts.Start = time.Now()
	s, err := genlog.NewStream(opts)
	if err != nil {
		fmt.Fprintf(stderr, "genlog: %v\n", err)
		return 2
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	end := opts.Start.Add(d)
	var buf []byte
	total := 0
	for now := opts.Start; ; now = <-tick.C {
		if now.After(end) {
			now = end
		}
		var n int
		buf, n = s.AppendUntil(buf[:0], now)
		if n > 0 {
			if _, err := w.Write(buf); err != nil {
				fmt.Fprintf(stderr, "genlog: %v\n", err)
				return 1
			}
			total += n
		}
		if !now.Before(end) {
			break
		}
	}
	fmt.Fprintf(stderr, "genlog: %d lines in %v (%.0f a second)\n", total, d, float64(total)/d.Seconds())
	return 0
}
