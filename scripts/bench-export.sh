#!/usr/bin/env bash
# bench-export.sh: what the exporters cost serve. Two `headroom serve`s run
# side by side in the same run, each tailing its own log that `genlog -live`
# grows at RATE lines a second (default 2,000): one plain, one exporting
# every minute by remote write and Datadog's series API to a local
# VictoriaMetrics. After WARMUP seconds, each serve's CPU is read from
# /proc/PID/stat over DURATION seconds (whole minutes: the exporter works
# once a minute), and the ratio printed. Target: at most 1.02.
# The two share the machine with the generators and VictoriaMetrics; run it
# a few times and read the spread.
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
for kind in plain export; do
	mkdir -p "$OUT/$kind"
	: >"$OUT/$kind/access.log"
	{
		echo "storage: {dir: $OUT/$kind/data}"
		echo "services: [{name: shop, logs: [{path: $OUT/$kind/access.log, log_format: '$LF'}]}]"
		echo "slos:"
		echo "  - {name: shop-availability, service: shop, objective: 99, window: 28d, sli: {type: availability}}"
		echo "  - {name: shop-latency, service: shop, objective: 99, window: 28d, sli: {type: latency, threshold: 300ms}}"
		if [[ $kind == export ]]; then
			echo "export:"
			echo "  remote_write: [{url: http://127.0.0.1:$vm_port/api/v1/write}]"
			echo "  datadog: {url: http://127.0.0.1:$vm_port/datadog, api_key_env: BENCH_DD_KEY}"
		fi
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
hz=$(getconf CLK_TCK)
awk -v p=$((p1 - p0)) -v e=$((e1 - e0)) -v hz="$hz" -v d="$DURATION" -v r="$RATE" 'BEGIN {
	printf "serve at %d lines/s over %d s: plain %.2f s CPU (%.1f%% of a core), exporting %.2f s CPU (%.1f%%): ratio %.3f (target <= 1.02)\n",
		r, d, p / hz, 100 * p / hz / d, e / hz, 100 * e / hz / d, (p > 0 ? e / p : 0)
}'
grep -h "export" "$OUT/export/serve.log" | grep -iv "level=info" | head -5 || true
