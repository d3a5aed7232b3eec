// Command pushload simulates a fleet of agents pushing to one `headroom
// serve` (package pushload) and prints one PUSHLOAD line of key=value
// results for scripts/bench-fleet.sh: pushes, latency percentiles, what was
// sent, and, given the server's pid and database, its CPU and the
// database's growth over the measured period.
//
//	pushload -url http://127.0.0.1:8080 -token-env HEADROOM_PUSH_TOKEN -service shop \
//	    -agents 200 -dims 300 -interval 10s -poll 10s -warmup 20s -duration 180s -pid 1234 -db data/headroom.db
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/headroom-slo/headroom/internal/pushload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pushload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o pushload.Options
	fs.StringVar(&o.URL, "url", "", "the server's base URL")
	tokenEnv := fs.String("token-env", "HEADROOM_PUSH_TOKEN", "environment variable holding the server's push token")
	fs.StringVar(&o.Service, "service", "", "the service of every cell (configured on the server)")
	fs.IntVar(&o.Agents, "agents", 200, "simulated agents")
	fs.IntVar(&o.Dims, "dims", 300, "dimensions of each agent's traffic")
	fs.Float64Var(&o.Rate, "rate", 2000, "requests a second of each agent's traffic")
	fs.DurationVar(&o.Interval, "interval", 10*time.Second, "time between two pushes of an agent")
	fs.DurationVar(&o.PollEvery, "poll", 10*time.Second, "time one commit covers: the agent's poll interval (agent.DefaultPollInterval)")
	fs.DurationVar(&o.Warmup, "warmup", 20*time.Second, "pushing before the measured period")
	fs.DurationVar(&o.Duration, "duration", 3*time.Minute, "the measured period")
	fs.DurationVar(&o.Backlog, "backlog", 0, "traffic each agent's first push carries (as after an outage): the server's hour and day cells start full")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed of the traffic")
	pid := fs.Int("pid", 0, "the server's pid: report its CPU over the measured period (Linux)")
	tck := fs.Int64("clk-tck", 100, "clock ticks a second of /proc/PID/stat (getconf CLK_TCK)")
	dbPath := fs.String("db", "", "the server's headroom.db: report its growth over the measured period")
	pushesPath := fs.String("pushes", "", "write every push to this file: Unix ms sent, agent, latency ms, ok or failed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.Token = os.Getenv(*tokenEnv)
	if o.Token == "" {
		fmt.Fprintf(stderr, "pushload: -token-env: %s is unset or empty\n", *tokenEnv)
		return 2
	}

	type mark struct {
		cpu, self time.Duration
		db        pushload.DBStats
		err       error
	}
	var marks []mark
	take := func() mark {
		var m mark
		m.self = selfCPU()
		if *pid > 0 {
			t, err := pushload.ProcCPU(*pid)
			m.cpu, m.err = time.Duration(t)*time.Second/time.Duration(*tck), err
		}
		if *dbPath != "" && m.err == nil {
			m.db, m.err = pushload.ReadDBStats(ctx, *dbPath)
		}
		return m
	}
	o.Measured = func(bool) { marks = append(marks, take()) }
	res, err := pushload.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "pushload: %v\n", err)
		return 1
	}
	if *pushesPath != "" {
		var b strings.Builder
		for _, r := range res.Pushes {
			ok := "ok"
			if r.Failed {
				ok = "failed"
			}
			fmt.Fprintf(&b, "%d %d %.1f %s\n", r.At.UnixMilli(), r.Agent, float64(r.Latency)/float64(time.Millisecond), ok)
		}
		if err := os.WriteFile(*pushesPath, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(stderr, "pushload: %v\n", err)
			return 1
		}
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "pushload: push failed: %s\n", e)
	}
	if len(marks) != 2 {
		fmt.Fprintln(stderr, "pushload: the measured period did not end")
		return 1
	}
	for _, m := range marks {
		if m.err != nil {
			fmt.Fprintf(stderr, "pushload: %v\n", m.err)
			return 1
		}
	}
	secs := res.Period.Seconds()
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
	kv := map[string]string{
		"agents":        fmt.Sprint(o.Agents),
		"dims":          fmt.Sprint(o.Dims),
		"interval_s":    fmt.Sprint(o.Interval.Seconds()),
		"period_s":      fmt.Sprintf("%.1f", secs),
		"pushes":        fmt.Sprint(res.Measured.Pushes),
		"failed":        fmt.Sprint(res.Measured.Failed),
		"failed_warmup": fmt.Sprint(res.Warmup.Failed),
		"warmup_pushes": fmt.Sprint(res.Warmup.Pushes),
		"commits":       fmt.Sprint(res.Measured.Commits),
		"push_bytes":    fmt.Sprint(res.Measured.Bytes / max(int64(res.Measured.Pushes), 1)),
		"pushes_s":      fmt.Sprintf("%.1f", float64(res.Measured.Pushes)/secs),
		"p50_ms":        ms(res.Quantile(0.5)),
		"p90_ms":        ms(res.Quantile(0.9)),
		"p99_ms":        ms(res.Quantile(0.99)),
		"max_ms":        ms(res.Quantile(1)),
		"requests":      fmt.Sprint(res.Warmup.Requests + res.Measured.Requests),
		"errors5":       fmt.Sprint(res.Warmup.Errors5 + res.Measured.Errors5),
		"self_cpu_pct": fmt.Sprintf("%.2f",
			100*(marks[1].self-marks[0].self).Seconds()/secs),
	}
	if *pid > 0 {
		kv["server_cpu_pct"] = fmt.Sprintf("%.2f", 100*(marks[1].cpu-marks[0].cpu).Seconds()/secs)
	}
	if *dbPath != "" {
		a, b := marks[0].db, marks[1].db
		kv["db_used0"] = fmt.Sprint(a.Used())
		kv["db_used1"] = fmt.Sprint(b.Used())
		kv["db_file1"] = fmt.Sprint(b.Pages * b.PageSize)
		kv["dims_stored"] = fmt.Sprint(b.Dims)
		for res, name := range map[int64]string{60: "minute", 3600: "hour", 86400: "day"} {
			kv[name+"_cells"] = fmt.Sprint(b.Cells[res])
			kv[name+"_bytes"] = fmt.Sprint(b.CellBytes[res])
		}
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var line strings.Builder
	line.WriteString("PUSHLOAD")
	for _, k := range keys {
		fmt.Fprintf(&line, " %s=%s", k, kv[k])
	}
	fmt.Fprintln(stdout, line.String())
	return 0
}
