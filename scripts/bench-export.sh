#!/usr/bin/env bash
# bench-export.sh: what the exporters cost serve and `headroom agent`. Two
# processes of a kind run side by side in the same run, each tailing its own
# log that `genlog -live` grows at RATE lines a second (default 2,000): one
# plain, one exporting every minute by remote write and Datadog's series API
# to a local VictoriaMetrics. After WARMUP seconds, each one's CPU is read
# from /proc/PID/stat over DURATION seconds (whole minutes: the exporter
# works once a minute), and printed as % of a core, the difference, and the
# ratio. Issue 14's bar: the export adds at most 2% of a core.
# serve first (BENCH_EXPORT_SERVE=0 skips it), then the agents
# (BENCH_EXPORT_AGENT=0 skips them): both push to one `headroom serve`
# taking pushes (its CPU not counted), the second also exports.
# The pairs share the machine with the generators and VictoriaMetrics; run
# it a few times and read the spread.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-2000}
WARMUP=${WARMUP:-20}
DURATION=${DURATION:-180}
OUT=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT

command -v victoria-metrics >/dev/null || { echo "bench-export: needs victoria-metrics (scripts/test-deps.sh apt)" >&2; exit 1; }
go build -o "$OUT/headroom" ./cmd/headroom
go build -o "$OUT/genlog" ./cmd/genlog
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

vm_port=$(free_port)
victoria-metrics -httpListenAddr "127.0.0.1:$vm_port" -storageDataPath "$OUT/vm" -loggerLevel ERROR >"$OUT/vm.log" 2>&1 &
pids+=($!)
LF=$("$OUT/genlog" -print-format custom)
LF=${LF//\'/\'\'}
export BENCH_DD_KEY=bench
report() { # name, plain ticks, export ticks
	awk -v name="$1" -v p="$2" -v e="$3" -v hz="$(getconf CLK_TCK)" -v d="$DURATION" -v r="$RATE" 'BEGIN {
		pc = 100 * p / hz / d; ec = 100 * e / hz / d
		printf "%s at %d lines/s over %d s: plain %.2f s CPU (%.2f%% of a core), exporting %.2f s CPU (%.2f%%): +%.2f%% of a core, ratio %.3f (bar: +2%% of a core)\n",
			name, r, d, p / hz, pc, e / hz, ec, ec - pc, (p > 0 ? e / p : 0)
	}'
}
export_yaml() {
	echo "export:"
	echo "  remote_write: [{url: http://127.0.0.1:$vm_port/api/v1/write}]"
	echo "  datadog: {url: http://127.0.0.1:$vm_port/datadog, api_key_env: BENCH_DD_KEY}"
}

if [[ ${BENCH_EXPORT_SERVE:-1} != 0 ]]; then
for kind in plain export; do
	mkdir -p "$OUT/$kind"
	: >"$OUT/$kind/access.log"
	{
		echo "storage: {dir: $OUT/$kind/data}"
		echo "services: [{name: shop, logs: [{path: $OUT/$kind/access.log, log_format: '$LF'}]}]"
		echo "slos:"
		echo "  - {name: shop-availability, service: shop, objective: 99, window: 28d, sli: {type: availability}}"
		echo "  - {name: shop-latency, service: shop, objective: 99, window: 28d, sli: {type: latency, threshold: 300ms}}"
		if [[ $kind == export ]]; then export_yaml; fi
	} >"$OUT/$kind/headroom.yaml"
	"$OUT/headroom" serve --config "$OUT/$kind/headroom.yaml" --listen "127.0.0.1:$(free_port)" >"$OUT/$kind/serve.log" 2>&1 &
	pids+=($!)
	eval "${kind}_pid=$!"
	"$OUT/genlog" -live "$((WARMUP + DURATION))s" -rate "$RATE" -every 50ms -o "$OUT/$kind/access.log" 2>"$OUT/$kind/genlog.err" &
	pids+=($!)
	eval "${kind}_gen=$!"
done
sleep "$WARMUP"
p0=$(cpu_ticks "$plain_pid") e0=$(cpu_ticks "$export_pid")
wait "$plain_gen" "$export_gen"
p1=$(cpu_ticks "$plain_pid") e1=$(cpu_ticks "$export_pid")
report serve $((p1 - p0)) $((e1 - e0))
grep -h "export" "$OUT/export/serve.log" | grep -iv "level=info" | head -5 || true
kill "$plain_pid" "$export_pid" # out of the agents' way
fi

if [[ ${BENCH_EXPORT_AGENT:-1} != 0 ]]; then
export BENCH_PUSH_TOKEN=bench
R=$OUT/receiver
mkdir -p "$R"
recv_port=$(free_port)
{
	echo "storage: {dir: $R/data}"
	echo "server: {push: {token_env: BENCH_PUSH_TOKEN}}"
	echo "services: [{name: shop}]"
} >"$R/headroom.yaml"
"$OUT/headroom" serve --config "$R/headroom.yaml" --listen "127.0.0.1:$recv_port" >"$R/serve.log" 2>&1 &
pids+=($!)
for kind in plain export; do
	A=$OUT/agent-$kind
	mkdir -p "$A"
	: >"$A/access.log"
	{
		echo "storage: {dir: $A/data}"
		echo "agent: {name: $kind, push: [{url: http://127.0.0.1:$recv_port, token_env: BENCH_PUSH_TOKEN}]}"
		echo "services: [{name: shop, logs: [{path: $A/access.log, log_format: '$LF'}]}]"
		echo "slos:"
		echo "  - {name: shop-availability, service: shop, objective: 99, window: 28d, sli: {type: availability}}"
		echo "  - {name: shop-latency, service: shop, objective: 99, window: 28d, sli: {type: latency, threshold: 300ms}}"
		if [[ $kind == export ]]; then export_yaml; fi
	} >"$A/agent.yaml"
	"$OUT/headroom" agent --config "$A/agent.yaml" >"$A/agent.log" 2>&1 &
	pids+=($!)
	eval "agent_${kind}_pid=$!"
	"$OUT/genlog" -live "$((WARMUP + DURATION))s" -rate "$RATE" -every 50ms -o "$A/access.log" 2>"$A/genlog.err" &
	pids+=($!)
	eval "agent_${kind}_gen=$!"
done
sleep "$WARMUP"
p0=$(cpu_ticks "$agent_plain_pid") e0=$(cpu_ticks "$agent_export_pid")
wait "$agent_plain_gen" "$agent_export_gen"
p1=$(cpu_ticks "$agent_plain_pid") e1=$(cpu_ticks "$agent_export_pid")
report agent $((p1 - p0)) $((e1 - e0))
grep -h "export" "$OUT/agent-export/agent.log" | grep -iv "level=info" | head -5 || true
fi
