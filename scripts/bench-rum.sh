#!/usr/bin/env bash
# bench-rum.sh: the browser-beacon load test (make bench runs it from
# scripts/bench.sh; it also runs alone).
#
# Starts `headroom serve` on 127.0.0.1 (a free port, fresh storage) with one
# frontend app, warms it up, then drives POST /api/v1/rum with wrk and
# scripts/rum-bench.lua: every request a new, realistic beacon with unique
# event ids. Reports beacons/s, latency percentiles and the serve process's
# RSS (sampled every second from /proc/PID/status, and its high-water mark)
# against the targets, then checks that the store holds exactly what was
# answered 204: page views (a js_errors SLO's total), errored page views (its
# bad), API calls (a browser_api SLO) and LCP values (a web_vital SLO).
#
# wrk sends from one address and the limiter counts per client address, so
# the app's rate_limit is set out of the way (1e9 beacons/s); the bench
# measures the rest of the path, the limiter's lookup included.
#
# Environment: RUM_DURATION (15, seconds), RUM_WARMUP (2, seconds),
# RUM_THREADS (2), RUM_CONNECTIONS (64), BENCH_STRICT=1 to exit 1 when a target
# is missed (a non-204 answer, a wrk socket error or a count that does not
# match always exits 1), BENCH_HEADROOM=PATH to run an existing binary instead
# of building bin/headroom, BENCH_OUT (bench-out) for the files it writes
# (BENCH_OUT/rum/: config, logs, wrk output, RSS samples, targets.txt).
set -euo pipefail

cd "$(dirname "$0")/.."
export LC_ALL=C

ROOT=$PWD
OUT=${BENCH_OUT:-$ROOT/bench-out}/rum
RUM_DURATION=${RUM_DURATION:-15}
RUM_WARMUP=${RUM_WARMUP:-2}
RUM_THREADS=${RUM_THREADS:-2}
RUM_CONNECTIONS=${RUM_CONNECTIONS:-64}
BENCH_STRICT=${BENCH_STRICT:-0}
HEADROOM=${BENCH_HEADROOM:-bin/headroom}

# Targets.
TARGET_RATE=15000         # beacons/s
TARGET_P99_MS=20          # wrk's 99th percentile latency
TARGET_RSS_MIB=150        # peak RSS of serve
TARGET_RSS_GROWTH_MIB=64  # peak RSS - RSS after the warm-up

APP=web-frontend
ORIGIN=https://shop.example.com
# Each wrk thread stops starting beacons this long before wrk's -d ends, so
# that none is in flight when wrk stops and every beacon the server got was
# answered and counted.
TAIL_MS=300

command -v wrk >/dev/null || scripts/apt-ensure.sh wrk
command -v curl >/dev/null || scripts/apt-ensure.sh curl
command -v jq >/dev/null || scripts/apt-ensure.sh jq
[[ -x /usr/bin/time ]] || scripts/apt-ensure.sh time

rm -rf "$OUT"
mkdir -p "$OUT"
CONFIG=$OUT/bench-rum.yaml
TARGETS=$OUT/targets.txt
: >"$TARGETS"

status=0
fail() {
	echo "bench-rum: FAIL: $*" >&2
	status=1
}

echo "== rum: POST /api/v1/rum under wrk"
echo "   $(date -u +%FT%TZ)  $(nproc) CPU, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   wrk -t$RUM_THREADS -c$RUM_CONNECTIONS -d${RUM_DURATION}s after a ${RUM_WARMUP}s warm-up; wrk and serve share the machine"
echo "   rate_limit: 1000000000 (wrk sends from one address, 127.0.0.1; the limiter is per client address)"

if [[ -n ${BENCH_HEADROOM:-} ]]; then
	echo "   running $HEADROOM (BENCH_HEADROOM)"
elif ! CGO_ENABLED=0 go build -o bin/headroom ./cmd/headroom 2>"$OUT/build.err"; then
	sed 's/^/  /' "$OUT/build.err" >&2
	fail "go build ./cmd/headroom"
	exit 1
fi

cat >"$CONFIG" <<EOF
storage:
  dir: $OUT/data
services:
  - name: $APP
    rum:
      origins: ["$ORIGIN"]
      rate_limit: 1000000000
slos:
  - name: pageviews-without-errors
    service: $APP
    objective: 99
    window: 28d
    sli: {type: js_errors}
  - name: browser-api
    service: $APP
    objective: 99
    window: 28d
    sli: {type: browser_api}
  - name: lcp
    service: $APP
    objective: 75
    window: 28d
    sli: {type: web_vital, vital: LCP, threshold: 2500ms}
EOF

serve_pid="" sampler_pid="" top_pid=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	for p in $sampler_pid $top_pid; do
		kill "$p" 2>/dev/null || true
	done
	if [[ -n $serve_pid ]] && kill -0 "$serve_pid" 2>/dev/null; then
		kill "$serve_pid" 2>/dev/null || true
		wait "$serve_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT

"$HEADROOM" serve --config "$CONFIG" --listen 127.0.0.1:0 >"$OUT/serve.log" 2>&1 &
serve_pid=$!

# The port: serve prints "Dashboard: http://127.0.0.1:PORT/".
base=""
for ((i = 0; i < 100; i++)); do
	base=$(sed -n 's|^Dashboard: \(http://127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$OUT/serve.log" | head -1)
	[[ -n $base ]] && break
	kill -0 "$serve_pid" 2>/dev/null || break
	sleep 0.1
done
if [[ -z $base ]]; then
	sed 's/^/  /' "$OUT/serve.log" >&2
	fail "headroom serve did not start"
	exit 1
fi
for ((i = 0; i < 100; i++)); do
	curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
	sleep 0.1
done
curl -fsS -o /dev/null "$base/healthz" || {
	fail "no /healthz from $base"
	exit 1
}
URL=$base/api/v1/rum
echo "   serve pid $serve_pid at $base, storage $OUT/data"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$serve_pid/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$serve_pid/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$serve_pid/stat"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# field NAME FILE: the value of NAME=... on the RUMBENCH line of FILE.
field() {
	sed -n 's/^RUMBENCH .*/&/p' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}

# run_wrk LABEL SECONDS TAG: one wrk run; its output in OUT/wrk-LABEL.out.
run_wrk() {
	local label=$1 secs=$2 tag=$3
	/usr/bin/time -f '%U %S %e' -o "$OUT/wrk-$label.time" \
		wrk -t"$RUM_THREADS" -c"$RUM_CONNECTIONS" -d"${secs}s" --latency --timeout 5s \
		-s scripts/rum-bench.lua "$URL" -- "$tag" $((secs * 1000 - TAIL_MS)) "$ORIGIN" "$APP" \
		>"$OUT/wrk-$label.out" 2>&1
}

# check_run LABEL: fails on what makes the counts unreliable.
check_run() {
	local f=$OUT/wrk-$1.out
	if ! grep -q '^RUMBENCH ' "$f"; then
		sed 's/^/  /' "$f" >&2
		fail "wrk ($1) printed no RUMBENCH line"
		return
	fi
	local non204 sock sent ok
	non204=$(field non204 "$f") sock=$(field sock_errors "$f") sent=$(field sent "$f") ok=$(field ok204 "$f")
	((non204 == 0)) || fail "$1: $non204 answers were not 204: $(field other "$f")"
	((sock == 0)) || fail "$1: wrk socket errors: $(grep -o 'connect=.*status=[0-9]*' "$f")"
	((sent == ok + non204)) || fail "$1: $sent beacons sent, $((ok + non204)) answered (in flight when wrk stopped)"
}

rss_idle=$(rss_kib)
echo "== rum: warm-up ${RUM_WARMUP}s"
run_wrk warmup "$RUM_WARMUP" w || fail "wrk (warm-up) exited $?"
check_run warmup
sleep 2 # a flush of the collector (every second)
rss_start=$(rss_kib)

echo "== rum: ${RUM_DURATION}s"
(
	while kill -0 "$serve_pid" 2>/dev/null; do
		printf '%s %s\n' "$EPOCHREALTIME" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$serve_pid/status")"
		sleep 1
	done
) >"$OUT/rss.txt" 2>/dev/null &
sampler_pid=$!
(
	sleep $((RUM_DURATION / 2))
	top -b -n1 -w 160 | head -n 15 >"$OUT/top.txt"
) &
top_pid=$!
cpu0=$(cpu_ticks)
run_wrk main "$RUM_DURATION" m || fail "wrk exited $?"
cpu1=$(cpu_ticks)
kill "$sampler_pid" 2>/dev/null || true
wait "$top_pid" 2>/dev/null || true
sampler_pid="" top_pid=""
check_run main
sed -n '/Thread Stats/,/Transfer/p' "$OUT/wrk-main.out" | sed 's/^/   /'

# The store, after the collector's last flush (it commits every second).
sleep 2
rss_end=$(rss_kib)
hwm=$(hwm_kib)
rss_peak=$(awk -v h="$hwm" '$2 > m { m = $2 } END { print (h > m ? h : m) }' "$OUT/rss.txt")
rss_peak_sampled=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$OUT/rss.txt")
curl -fsS "$base/api/v1/slos" >"$OUT/slos.json" || fail "GET /api/v1/slos"
curl -fsS "$base/metrics" >"$OUT/metrics.txt" || fail "GET /metrics"

slo() { jq -r --arg n "$1" --arg k "$2" '.slos[] | select(.name == $n) | .[$k]' "$OUT/slos.json"; }
sum() { echo $(($(field "$1" "$OUT/wrk-warmup.out") + $(field "$1" "$OUT/wrk-main.out"))); }
metric() { awk -v n="$1" '$1 == n { printf "%d", $2; f = 1 } END { if (!f) print 0 }' "$OUT/metrics.txt"; }

ok_warm=$(field ok204 "$OUT/wrk-warmup.out")
ok_main=$(field ok204 "$OUT/wrk-main.out")
want_pv=$((ok_warm + ok_main))

# check WHAT GOT WANT
checks=()
check() {
	local v=ok
	if [[ $2 != "$3" ]]; then
		v=MISMATCH
		fail "$1: stored $2, want $3"
	fi
	checks+=("$(printf '%-38s %12s %12s  %s' "$1" "$2" "$3" "$v")")
}
check "page views (js_errors total)" "$(slo pageviews-without-errors total)" "$want_pv"
check "errored page views (js_errors bad)" "$(slo pageviews-without-errors bad)" "$(sum errors)"
check "API calls (browser_api total)" "$(slo browser-api total)" "$(sum apis)"
check "failed API calls (browser_api bad)" "$(slo browser-api bad)" "$(sum api_failed)"
check "LCP values (web_vital total)" "$(slo lcp total)" "$(sum lcps)"
check "beacons accepted (/metrics)" "$(metric 'headroom_rum_beacons_total{result="accepted"}')" "$want_pv"
check "events counted (/metrics)" "$(metric headroom_rum_events_total)" \
	"$(($(sum pageviews) + $(sum vitals) + $(sum errors) + $(sum apis)))"
check "duplicate events (/metrics)" "$(metric headroom_rum_duplicate_events_total)" 0

f=$OUT/wrk-main.out
rate=$(field rate "$f")
p99=$(field p99_ms "$f")
read -r wrk_user wrk_sys wrk_wall < <(tail -n 1 "$OUT/wrk-main.time")
tck=$(getconf CLK_TCK)
serve_cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')
window=$(field window_s "$f")

echo
echo "== rum results (${RUM_DURATION}s, $RUM_THREADS threads, $RUM_CONNECTIONS connections)"
printf '   %-34s %s\n' \
	"beacons answered 204" "$ok_main (warm-up: $ok_warm)" \
	"non-204 answers, socket errors" "$(field non204 "$f"), $(field sock_errors "$f")" \
	"beacons/s" "$rate (204s over the ${window}s sending window; wrk: $(awk '/^Requests\/sec/ { print $2 }' "$f") over ${RUM_DURATION}s)" \
	"latency p50 / p90 / p99 / max ms" "$(field p50_ms "$f") / $(field p90_ms "$f") / $p99 / $(field max_ms "$f")" \
	"beacon bytes mean (min-max)" "$(awk -v b="$(field bodybytes "$f")" -v n="$(field sent "$f")" 'BEGIN { printf "%.0f", b / n }') ($(field minbody "$f")-$(field maxbody "$f"))" \
	"events per beacon" "$(awk -v p="$(field pageviews "$f")" -v v="$(field vitals "$f")" -v e="$(field errors "$f")" -v a="$(field apis "$f")" 'BEGIN { printf "%.2f (1 page view, %.2f vitals, %.3f errors, %.2f API calls)", (p + v + e + a) / p, v / p, e / p, a / p }')" \
	"RSS MiB idle / after warm-up" "$(mib "$rss_idle") / $(mib "$rss_start")" \
	"RSS MiB peak / end" "$(mib "$rss_peak") (sampled: $(mib "$rss_peak_sampled"), VmHWM: $(mib "$hwm")) / $(mib "$rss_end")" \
	"serve CPU s (per beacon)" "$serve_cpu ($(awk -v c="$serve_cpu" -v n="$ok_main" 'BEGIN { printf "%.1f µs", c * 1e6 / n }'))" \
	"wrk CPU s (user+sys)" "$(awk -v u="$wrk_user" -v s="$wrk_sys" 'BEGIN { printf "%.2f", u + s }') in ${wrk_wall}s"
echo "   RSS samples (MiB, every second):" \
	"$(awk '{ printf "%.0f ", $2 / 1024 }' "$OUT/rss.txt")"
echo
echo "== rum: store check (${want_pv} page views answered 204, all ids unique)"
printf '   %-38s %12s %12s\n' what stored want
printf '   %s\n' "${checks[@]}"
if [[ -s $OUT/top.txt ]]; then
	echo
	echo "== rum: top, mid-run"
	sed -n '/PID/,$p' "$OUT/top.txt" | head -n 6 | sed 's/^/   /'
fi

# target LABEL VALUE OP LIMIT: a PASS/MISS line, kept in TARGETS for bench.sh.
missed=0
target() {
	local v=PASS
	awk -v a="$2" -v b="$4" -v op="$3" 'BEGIN { exit !(op == ">=" ? a >= b : a < b) }' || {
		v=MISS
		missed=1
	}
	printf '%-7s %-14s %8s %-2s %-5s %s\n' rum "$1" "$2" "$3" "$4" "$v" >>"$TARGETS"
}
if [[ -n $rate && -n $p99 ]]; then
	target "beacons/s" "$rate" ">=" "$TARGET_RATE"
	target "p99 ms" "$p99" "<" "$TARGET_P99_MS"
	target "peak RSS MiB" "$(mib "$rss_peak")" "<" "$TARGET_RSS_MIB"
	target "RSS growth MiB" "$(mib $((rss_peak - rss_start)))" "<" "$TARGET_RSS_GROWTH_MIB"
else
	printf '%-7s %s\n' rum "FAIL (no wrk results)" >>"$TARGETS"
fi
if ((status)); then
	printf '%-7s %s\n' rum "FAIL (see the rum section)" >>"$TARGETS"
fi
# Run by bench.sh, the lines join its targets list; alone, they are printed here.
if [[ ${RUM_FROM_BENCH:-0} != 1 ]]; then
	echo
	echo "== rum targets"
	cat "$TARGETS"
fi

if ((missed && BENCH_STRICT && status == 0)); then
	echo "bench-rum: targets missed (BENCH_STRICT=1)" >&2
	status=1
fi
exit "$status"
