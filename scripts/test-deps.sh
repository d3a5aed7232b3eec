#!/usr/bin/env bash
# test-deps.sh [apt] [tools] installs what `make test` needs, only when it is
# missing: the Debian packages the integration tests start (apt) and the Go
# tools the lint step runs (tools). With no argument it does both. Idempotent
# and silent when everything is present; safe as root without a TTY.
set -euo pipefail

cd "$(dirname "$0")/.."

# Debian packages the tests need. Integration tests fail (not skip) under
# HEADROOM_INTEGRATION=1 when one of their binaries is missing, so every real
# part a test starts belongs here. gcc and libc6-dev: `go test -race` needs cgo.
# chromium: the headless browser internal/browser drives (chromedp) to check
# the dashboard and take the README's screenshots. fonts-liberation, which
# chromium only recommends, gives those screenshots Arial-metric text.
# prometheus-alertmanager: the real Alertmanager (/usr/bin/prometheus-alertmanager)
# that internal/itest starts to check alert delivery over its v2 API.
# prometheus: promtool, with which internal/promrules checks the rules
# `headroom export prometheus-rules` writes and runs their test scenarios.
# wrk: the HTTP load generator scripts/bench-rum.sh (make bench) drives
# POST /api/v1/rum with, through scripts/rum-bench.lua.
# zsh, fish: the completion tests check `headroom completion zsh|fish` with
# the shells' own syntax check (bash is always there).
# systemd: systemd-analyze, with which deploy/ verifies the units in
# deploy/systemd (verify, and security --offline); systemd need not run.
# victoria-metrics, prometheus: the remote write receivers (and, for
# VictoriaMetrics, Datadog's series API) internal/e2e exports to
# (TestRemoteWriteAndDatadog).
# buildah: builds the Dockerfile's final stage FROM scratch in deploy/, as
# root, with no registry and no container engine running.
APT_PACKAGES=(
	nginx
	gcc
	libc6-dev
	chromium
	fonts-liberation
	prometheus-alertmanager
	prometheus
	wrk
	zsh
	fish
	systemd
	buildah
	victoria-metrics
	prometheus
)

STATICCHECK_VERSION=v0.8.2

want_apt=0 want_tools=0
if (($# == 0)); then
	want_apt=1 want_tools=1
fi
for arg in "$@"; do
	case $arg in
	apt) want_apt=1 ;;
	tools) want_tools=1 ;;
	*)
		echo "usage: $0 [apt] [tools]" >&2
		exit 2
		;;
	esac
done

if ((want_apt)); then
	scripts/apt-ensure.sh "${APT_PACKAGES[@]}"
fi

if ((want_tools)); then
	gobin="$(go env GOPATH | cut -d: -f1)/bin"
	if ! "$gobin/staticcheck" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
		echo "test-deps: installing staticcheck $STATICCHECK_VERSION into $gobin" >&2
		GOBIN="$gobin" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
	fi
fi
