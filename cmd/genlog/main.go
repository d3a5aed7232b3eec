// Command genlog writes a realistic, deterministic nginx access log to
// standard output (or -o FILE), for benchmarks and tests.
//
//	genlog -lines 2000000 -format custom -start 2026-11-01T00:00:00Z -rate 20 -seed 1 > access.log
//	genlog -print-format json   # the nginx log_format that produces -format json (escape=json)
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
