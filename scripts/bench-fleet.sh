#!/usr/bin/env bash
# bench-fleet.sh: the agent and fleet benchmarks of issue 13 (make bench runs
# it from scripts/bench.sh; it also runs alone).
#
# agent: `genlog -live` appends realistic lines to a log at AGENT_RATE a
# second (one write every 50 ms, as nginx does), timed now. `headroom agent`
# tails it (polling and pushing every 10 s, its defaults) and pushes to a
# receiving `headroom serve`; in the same run, as the baseline, another
# `headroom serve` tails the same log (every 250 ms) and stores it itself.
# After AGENT_WARMUP seconds (start-up left out), each process's CPU is read
# from /proc/PID/stat (utime + stime) over AGENT_DURATION seconds; its peak
# RSS is VmHWM from /proc/PID/status at the end. Then both stores must hold
# exactly the same events: the receiver's (through the agent's pushes) and
# the baseline's.
#
# fleet: one `headroom serve` (two SLOs, as a server has) takes pushes from
# FLEET_AGENTS simulated agents (bin/pushload: the real wire format, package
# push), each pushing every FLEET_INTERVAL seconds a commit per FLEET_POLL
# seconds (the agent's defaults: one), the agents' pushes spread over the
# interval, each minute carrying FLEET_DIMS dimensions with latency
# histograms. Each agent's first push carries FLEET_BACKLOG minutes (as
# after an outage; before schema 6 a push also merged into its agent's hour
# and day cells, which the backlog filled as late in an hour: an agent's
# hours and days are now rolled up a minute after they end, store.Roll, so
# a run that sees no hour end has none); the measured period (FLEET_DURATION seconds)
# starts after FLEET_WARMUP seconds, and 20 s after the server took every
# backlog. Reports the server's CPU, push latency percentiles and
# headroom.db's growth per agent-day (pages in use gained over the period,
# per agent, times 86400 / period); checks the stored events against what
# pushload sent.
#
# Both parts share the machine with the load generator (genlog, pushload)
# and whatever else runs: the CPU pressure (PSI, /proc/pressure/cpu, share
# of the time some task waited for a CPU) is printed with the results.
#
# Environment: AGENT_RATE (2000), AGENT_DURATION (60, seconds),
# AGENT_WARMUP (12), FLEET_AGENTS (200), FLEET_DIMS (300), FLEET_INTERVAL
# (10), FLEET_POLL (10), FLEET_BACKLOG (10, minutes), FLEET_DURATION (180),
# FLEET_WARMUP (60), BENCH_QUICK=1 for a short run (AGENT_DURATION=30,
# FLEET_DURATION=60, FLEET_BACKLOG=2, FLEET_WARMUP=20), BENCH_FLEET_AGENT=0
# or BENCH_FLEET_SERVER=0 to skip one part, BENCH_STRICT=1 to exit 1 when a
# target is missed (a process that fails, a failed push in the measured
# period or counts that do not match always exit 1), BENCH_HEADROOM=PATH to
# run an existing binary instead of building bin/headroom, BENCH_OUT
# (bench-out) for the files it writes (BENCH_OUT/fleet/: configs, logs, CPU
# samples, every push's latency, targets.txt).
set -euo pipefail

cd "$(dirname "$0")/.."
export LC_ALL=C

ROOT=$PWD
OUT=${BENCH_OUT:-$ROOT/bench-out}/fleet
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	: "${AGENT_DURATION:=30}" "${FLEET_DURATION:=60}" "${FLEET_BACKLOG:=2}" "${FLEET_WARMUP:=20}"
fi
AGENT_RATE=${AGENT_RATE:-2000}
AGENT_DURATION=${AGENT_DURATION:-60}
AGENT_WARMUP=${AGENT_WARMUP:-12}
FLEET_AGENTS=${FLEET_AGENTS:-200}
FLEET_DIMS=${FLEET_DIMS:-300}
FLEET_INTERVAL=${FLEET_INTERVAL:-10}
FLEET_POLL=${FLEET_POLL:-10}
FLEET_BACKLOG=${FLEET_BACKLOG:-10}
FLEET_DURATION=${FLEET_DURATION:-180}
FLEET_WARMUP=${FLEET_WARMUP:-60}
BENCH_STRICT=${BENCH_STRICT:-0}
RUN_AGENT=${BENCH_FLEET_AGENT:-1}
RUN_SERVER=${BENCH_FLEET_SERVER:-1}
HEADROOM=${BENCH_HEADROOM:-bin/headroom}

# Targets (issue 13).
TARGET_AGENT_CPU=3       # % of one core
TARGET_AGENT_RSS_MIB=40  # peak RSS
TARGET_SERVER_CPU=20     # % of one core, FLEET_AGENTS agents
TARGET_SERVER_P99_MS=100 # push latency

command -v curl >/dev/null || scripts/apt-ensure.sh curl
command -v jq >/dev/null || scripts/apt-ensure.sh jq

rm -rf "$OUT"
mkdir -p "$OUT"
TARGETS=$OUT/targets.txt
: >"$TARGETS"

status=0
fail() {
	echo "bench-fleet: FAIL: $*" >&2
	status=1
}

echo "== fleet: build"
if [[ -n ${BENCH_HEADROOM:-} ]]; then
	echo "   running $HEADROOM (BENCH_HEADROOM)"
elif ! CGO_ENABLED=0 go build -o bin/headroom ./cmd/headroom 2>"$OUT/build.err"; then
	sed 's/^/  /' "$OUT/build.err" >&2
	fail "go build ./cmd/headroom"
	exit 1
fi
if ! go build -o bin/genlog ./cmd/genlog 2>"$OUT/build.err" ||
	{ ((RUN_SERVER)) && ! go build -o bin/pushload ./internal/cmd/pushload 2>"$OUT/build.err"; }; then
	sed 's/^/  /' "$OUT/build.err" >&2
	fail "go build ./cmd/genlog ./internal/cmd/pushload"
	exit 1
fi

export HEADROOM_PUSH_TOKEN=bench-fleet-token
TCK=$(getconf CLK_TCK)

# Processes started here, stopped on exit.
pids=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

# start_serve NAME CONFIG: starts `headroom serve` on a free port of
# 127.0.0.1 and sets pid and base (http://127.0.0.1:PORT) once it answers
# /healthz.
start_serve() {
	local name=$1 config=$2 i
	"$HEADROOM" serve --config "$config" --listen 127.0.0.1:0 >"$OUT/$name.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	base=""
	for ((i = 0; i < 200; i++)); do
		base=$(sed -n 's|^Dashboard: \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$OUT/$name.log" | head -1)
		[[ -n $base ]] && curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/  /' "$OUT/$name.log" >&2
	fail "$name: headroom serve did not start"
	exit 1
}

# stop PID: SIGTERM, then waits for it.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# pct TICKS SECONDS: CPU ticks over a period as % of one core.
pct() { awk -v c="$1" -v s="$2" -v t="$TCK" 'BEGIN { printf "%.2f", 100 * c / t / s }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# target PART LABEL VALUE OP LIMIT: a PASS/MISS line, kept in TARGETS.
missed=0
target() {
	local v=PASS
	awk -v a="$3" -v b="$5" -v op="$4" 'BEGIN { exit !(op == ">=" ? a >= b : a <= b) }' || {
		v=MISS
		missed=1
	}
	printf '%-7s %-22s %8s %-2s %-5s %s\n' "$1" "$2" "$3" "$4" "$5" "$v" >>"$TARGETS"
}

# psi: the share of the last minute some task waited for a CPU (%).
psi() { sed -n 's/^some avg10=[0-9.]* avg60=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || true; }

# slo_total BASE NAME: the events of an SLO (its total) as of now + 1 h.
slo_total() {
	local at=$(($(date +%s) + 3600))
	curl -fsS "$1/api/v1/slos?at=$at" | jq -r --arg n "$2" '.slos[] | select(.name == $n) | .total'
}

if ((RUN_AGENT)); then
	echo
	echo "== agent: a log growing at $AGENT_RATE lines/s for $((AGENT_WARMUP + AGENT_DURATION))s; agent and serve tail it"
	echo "   $(date -u +%FT%TZ)  $(nproc) CPU, load average $(cut -d' ' -f1-3 /proc/loadavg), CPU pressure $(psi)%"
	A=$OUT/agent
	mkdir -p "$A"
	LOG=$A/access.log
	: >"$LOG"
	LF=$(bin/genlog -print-format custom)
	LF=${LF//\'/\'\'}
	slo='slos: [{name: shop-availability, service: shop, objective: 99, window: 28d, sli: {type: availability}}]'
	cat >"$A/receiver.yaml" <<EOF
storage: {dir: $A/receiver}
server: {push: {token_env: HEADROOM_PUSH_TOKEN}}
services: [{name: shop}]
$slo
EOF
	cat >"$A/serve.yaml" <<EOF
storage: {dir: $A/serve}
services:
  - name: shop
    logs: [{path: $LOG, log_format: '$LF'}]
$slo
EOF
	start_serve receiver "$A/receiver.yaml"
	receiver_pid=$pid receiver=$base
	cat >"$A/agent.yaml" <<EOF
storage: {dir: $A/agent}
agent:
  name: node-a
  push: [{url: "$receiver", token_env: HEADROOM_PUSH_TOKEN}]
services:
  - name: shop
    logs: [{path: $LOG, log_format: '$LF'}]
EOF
	start_serve serve "$A/serve.yaml"
	serve_pid=$pid serve=$base
	"$HEADROOM" agent --config "$A/agent.yaml" >"$A/agent.log" 2>&1 &
	agent_pid=$!
	pids+=("$agent_pid")
	sleep 1
	kill -0 "$agent_pid" 2>/dev/null || {
		sed 's/^/  /' "$A/agent.log" >&2
		fail "headroom agent did not start"
		exit 1
	}
	echo "   agent pid $agent_pid -> receiver $receiver (pid $receiver_pid); serve pid $serve_pid at $serve"

	bin/genlog -live "$((AGENT_WARMUP + AGENT_DURATION))s" -rate "$AGENT_RATE" -every 50ms -o "$LOG" 2>"$A/genlog.err" &
	genlog_pid=$!
	pids+=("$genlog_pid")
	sleep "$AGENT_WARMUP"
	t0=$EPOCHREALTIME
	a0=$(cpu_ticks "$agent_pid") s0=$(cpu_ticks "$serve_pid") r0=$(cpu_ticks "$receiver_pid") l0=$(wc -l <"$LOG")
	wait "$genlog_pid" || fail "genlog -live exited $?"
	t1=$EPOCHREALTIME
	a1=$(cpu_ticks "$agent_pid") s1=$(cpu_ticks "$serve_pid") r1=$(cpu_ticks "$receiver_pid") l1=$(wc -l <"$LOG")
	period=$(secs "$t0" "$t1")
	agent_hwm=$(hwm_kib "$agent_pid") serve_hwm=$(hwm_kib "$serve_pid") receiver_hwm=$(hwm_kib "$receiver_pid")
	lines=$(wc -l <"$LOG")

	# Every line counted once by both: the agent's last commits reach
	# the receiver within a poll and a push (10 s each).
	want=$(slo_total "$serve" shop-availability)
	got=""
	for ((i = 0; i < 150; i++)); do
		want=$(slo_total "$serve" shop-availability)
		got=$(slo_total "$receiver" shop-availability)
		[[ -n $got && $got == "$want" && $want -gt 0 ]] && break
		sleep 0.2
	done
	stop "$agent_pid"
	stop "$serve_pid"
	stop "$receiver_pid"

	agent_cpu=$(pct $((a1 - a0)) "$period")
	serve_cpu=$(pct $((s1 - s0)) "$period")
	receiver_cpu=$(pct $((r1 - r0)) "$period")
	rate=$(awk -v n=$((l1 - l0)) -v s="$period" 'BEGIN { printf "%.0f", n / s }')
	echo
	echo "== agent results (${period}s after a ${AGENT_WARMUP}s warm-up; $lines lines written, $rate lines/s in the period; CPU pressure $(psi)%)"
	printf '   %-28s %10s %12s\n' "" "CPU %" "peak RSS MiB"
	printf '   %-28s %10s %12s\n' \
		"headroom agent" "$agent_cpu" "$(mib "$agent_hwm")" \
		"headroom serve (baseline)" "$serve_cpu" "$(mib "$serve_hwm")" \
		"agent / serve" "$(awk -v a="$agent_cpu" -v b="$serve_cpu" 'BEGIN { printf "%.2f", a / b }')" \
		"$(awk -v a="$agent_hwm" -v b="$serve_hwm" 'BEGIN { printf "%.2f", a / b }')" \
		"receiving serve (pushes)" "$receiver_cpu" "$(mib "$receiver_hwm")"
	echo "   events stored: serve $want, receiver (through the agent) $got"
	[[ -n $got && $got == "$want" && $want -gt 0 ]] || fail "the receiver holds $got events, serve $want: want the same"
	target agent "CPU % of a core" "$agent_cpu" "<=" "$TARGET_AGENT_CPU"
	target agent "peak RSS MiB" "$(mib "$agent_hwm")" "<=" "$TARGET_AGENT_RSS_MIB"
	printf '%-7s %-22s %8s    (baseline, agent/serve %s)\n' serve "CPU % of a core" "$serve_cpu" \
		"$(awk -v a="$agent_cpu" -v b="$serve_cpu" 'BEGIN { printf "%.2f", a / b }')" >>"$TARGETS"
	printf '%-7s %-22s %8s    (baseline, agent/serve %s)\n' serve "peak RSS MiB" "$(mib "$serve_hwm")" \
		"$(awk -v a="$agent_hwm" -v b="$serve_hwm" 'BEGIN { printf "%.2f", a / b }')" >>"$TARGETS"
fi

if ((RUN_SERVER)); then
	echo
	echo "== fleet: $FLEET_AGENTS agents push to one serve, each every ${FLEET_INTERVAL}s ($FLEET_DIMS dimensions a minute), ${FLEET_DURATION}s after a ${FLEET_BACKLOG}-minute backlog each and at least ${FLEET_WARMUP}s"
	echo "   $(date -u +%FT%TZ)  $(nproc) CPU, load average $(cut -d' ' -f1-3 /proc/loadavg), CPU pressure $(psi)%; pushload and serve share the machine"
	F=$OUT/server
	mkdir -p "$F"
	cat >"$F/serve.yaml" <<EOF
storage: {dir: $F/data}
server: {push: {token_env: HEADROOM_PUSH_TOKEN}}
services: [{name: shop}]
slos:
  - {name: shop-availability, service: shop, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: shop-latency, service: shop, objective: 99, window: 28d, filter: {route: ^/api/}, sli: {type: latency, threshold: 500ms}}
EOF
	start_serve fleet "$F/serve.yaml"
	fleet_pid=$pid fleet=$base
	echo "   serve pid $fleet_pid at $fleet, storage $F/data"
	# serve's CPU ticks and RSS every second, for a look at how steady it is.
	(
		while kill -0 "$fleet_pid" 2>/dev/null; do
			printf '%s %s %s\n' "$EPOCHREALTIME" "$(cpu_ticks "$fleet_pid")" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$fleet_pid/status")"
			sleep 1
		done
	) >"$F/cpu.txt" 2>/dev/null &
	pids+=($!)
	if ! bin/pushload -url "$fleet" -service shop -agents "$FLEET_AGENTS" -dims "$FLEET_DIMS" \
		-interval "${FLEET_INTERVAL}s" -poll "${FLEET_POLL}s" -backlog "${FLEET_BACKLOG}m" -warmup "${FLEET_WARMUP}s" -duration "${FLEET_DURATION}s" \
		-pid "$fleet_pid" -clk-tck "$TCK" -db "$F/data/headroom.db" -pushes "$F/pushes.txt" >"$F/pushload.out" 2>"$F/pushload.err"; then
		sed 's/^/  /' "$F/pushload.err" >&2
		fail "pushload exited with an error"
	fi
	fleet_hwm=$(hwm_kib "$fleet_pid")
	# pl KEY: a value of pushload's PUSHLOAD line.
	pl() { sed -n 's/^PUSHLOAD //p' "$F/pushload.out" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
	got_total="" got_bad=""
	if [[ -z $(pl pushes) ]]; then
		fail "pushload printed no results"
	else
		# What the agents sent, as the server's SLOs count it.
		for ((i = 0; i < 50; i++)); do
			at=$(($(date +%s) + 3600))
			curl -fsS "$fleet/api/v1/slos?at=$at" >"$F/slos.json" || true
			got_total=$(jq -r '.slos[] | select(.name == "shop-availability") | .total' "$F/slos.json" 2>/dev/null || true)
			got_bad=$(jq -r '.slos[] | select(.name == "shop-availability") | .bad' "$F/slos.json" 2>/dev/null || true)
			[[ $got_total == "$(pl requests)" && $got_bad == "$(pl errors5)" ]] && break
			sleep 0.2
		done
	fi
	stop "$fleet_pid"
	db_closed=$(stat -c %s "$F/data/headroom.db" 2>/dev/null || echo 0)
	if [[ -n $(pl pushes) ]]; then
		period=$(pl period_s)
		growth=$(awk -v a="$(pl db_used0)" -v b="$(pl db_used1)" -v n="$FLEET_AGENTS" -v s="$period" \
			'BEGIN { printf "%.0f", (b - a) / n / s * 86400 }')
		# Steady state per agent-day, from the cells' mean sizes: 1,440
		# minute cells (kept storage.retention.minutes, 100 d by default),
		# 24 hour cells (2 y) and a day cell (forever) per agent and day.
		# An agent's hours and days are rolled up a minute after they end
		# (store.Roll): a run that saw no hour end has none ("-", left
		# out of the year's total, a few % of it).
		tiers=$(awk -v mc="$(pl minute_cells)" -v mb="$(pl minute_bytes)" -v hc="$(pl hour_cells)" -v hb="$(pl hour_bytes)" \
			-v dc="$(pl day_cells)" -v db="$(pl day_bytes)" 'BEGIN {
				m = 0; h = 0; d = 0; hs = "-"; ds = "-"
				if (mc > 0) m = mb / mc * 1440
				if (hc > 0) { h = hb / hc * 24; hs = sprintf("%.2f", h / 1048576) }
				if (dc > 0) { d = db / dc; ds = sprintf("%.3f", d / 1048576) }
				printf "%.1f %s %s %.1f", m / 1048576, hs, ds, (m * 100 + h * 366 + d * 366) / 1073741824 }')
		read -r tier_min tier_hour tier_day tier_year <<<"$tiers"
		echo
		echo "== fleet results (${period}s measured; $(pl pushes) pushes, $(pl pushes_s)/s, $(pl failed) failed; warm-up: $(pl warmup_pushes) pushes, $(pl failed_warmup) failed; CPU pressure $(psi)%)"
		printf '   %-38s %s\n' \
			"serve CPU % of a core" "$(pl server_cpu_pct)" \
			"push latency p50 / p90 / p99 / max ms" "$(pl p50_ms) / $(pl p90_ms) / $(pl p99_ms) / $(pl max_ms)" \
			"push size (gzipped JSON)" "$(pl push_bytes) bytes, $(awk -v c="$(pl commits)" -v p="$(pl pushes)" 'BEGIN { printf "%.1f", c / p }') commits" \
			"serve peak RSS MiB" "$(mib "$fleet_hwm")" \
			"pushload CPU % (the load generator)" "$(pl self_cpu_pct)" \
			"dimensions stored" "$(pl dims_stored)" \
			"cells: minute / hour / day (bytes)" "$(pl minute_cells) ($(pl minute_bytes)) / $(pl hour_cells) ($(pl hour_bytes)) / $(pl day_cells) ($(pl day_bytes))" \
			"db pages in use, start -> end" "$(pl db_used0) -> $(pl db_used1) bytes (file after close: $db_closed)" \
			"growth per agent-day, measured" "$growth bytes ($(awk -v g="$growth" 'BEGIN { printf "%.2f", g / 1048576 }') MiB): pages gained / agents x 86400 / period" \
			"per agent-day, steady state" "minutes $tier_min MiB (kept 100 d), hours $tier_hour MiB (2 y), days $tier_day MiB (forever)" \
			"per agent after a year, defaults" "$tier_year GiB (storage.retention.minutes sets most of it)"
		echo "   events stored: $got_total ($got_bad 5xx); pushed: $(pl requests) ($(pl errors5) 5xx)"
		[[ $got_total == "$(pl requests)" && $got_bad == "$(pl errors5)" ]] ||
			fail "the server holds $got_total events ($got_bad bad), the agents pushed $(pl requests) ($(pl errors5) 5xx)"
		(($(pl failed) == 0)) || fail "$(pl failed) pushes of the measured period failed: $(head -3 "$F/pushload.err")"
		target fleet "serve CPU % of a core" "$(pl server_cpu_pct)" "<=" "$TARGET_SERVER_CPU"
		target fleet "push p99 ms" "$(pl p99_ms)" "<=" "$TARGET_SERVER_P99_MS"
		printf '%-7s %-22s %8s    (p50 %s ms; %s agents, %s pushes/s)\n' fleet "MiB per agent-day" "$tier_min" \
			"$(pl p50_ms)" "$FLEET_AGENTS" "$(pl pushes_s)" >>"$TARGETS"
		printf '%-7s %-22s %8s    (minutes 100 d, hours 2 y, days forever)\n' fleet "GiB per agent-year" "$tier_year" >>"$TARGETS"
	fi
fi

if ((status)); then
	printf '%-7s %s\n' fleet "FAIL (see above)" >>"$TARGETS"
fi
if [[ ${FLEET_FROM_BENCH:-0} != 1 ]]; then
	echo
	echo "== fleet targets"
	cat "$TARGETS"
fi
if ((missed && BENCH_STRICT && status == 0)); then
	echo "bench-fleet: targets missed (BENCH_STRICT=1)" >&2
	status=1
fi
exit "$status"
