// Command headroom turns Nginx access logs into SLIs, SLOs and error budgets.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/headroom-slo/headroom/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Prog: os.Args[0]})
	stop()
	os.Exit(code)
}
