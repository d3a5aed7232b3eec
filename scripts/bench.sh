#!/usr/bin/env bash
# bench.sh: the end-to-end import benchmark (make bench).
#
# Generates BENCH_LINES lines of nginx access log in the custom format and in
# escape=json with cmd/genlog, then times `wc -l FILE` (the baseline: reading
# the file and finding its newlines) and `headroom import --config ... FILE`
# (fresh storage each run), best of BENCH_RUNS, on a warm page cache. Prints
# lines/s, MB/s, the import/wc ratio and peak RSS against the targets, then
# runs scripts/bench-rum.sh (browser beacons into `headroom serve` under wrk:
# beacons/s, p99 latency, RSS; its targets join the list) and
# scripts/bench-fleet.sh (`headroom agent` tailing a growing log next to
# serve doing the same: CPU and RSS; one serve taking pushes from 200
# simulated agents: CPU, p50/p99 latency, bytes per agent-day; its targets
# join the list too), then the Go benchmarks of ./internal/....
#
# Environment: BENCH_LINES (2000000), BENCH_RUNS (3), BENCH_SEED (1),
# BENCH_STRICT=1 to exit 1 when a target is missed (an import that fails
# always exits 1), BENCH_GO=0 to skip the Go benchmarks, BENCH_HEADROOM=PATH
# to time an existing binary (an older release, say) instead of building one,
# BENCH_RUM=0 to skip the beacon load test (RUM_* variables: see
# scripts/bench-rum.sh), BENCH_FLEET=0 to skip the agent and fleet
# benchmarks (about 7 minutes; BENCH_QUICK=1 makes them about 3; AGENT_* and
# FLEET_* variables: see scripts/bench-fleet.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
export LC_ALL=C

ROOT=$PWD
OUT=$ROOT/bench-out
BENCH_LINES=${BENCH_LINES:-2000000}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_STRICT=${BENCH_STRICT:-0}
BENCH_GO=${BENCH_GO:-1}
BENCH_RUM=${BENCH_RUM:-1}
BENCH_FLEET=${BENCH_FLEET:-1}
HEADROOM=${BENCH_HEADROOM:-bin/headroom}

# Targets: import time as a multiple of wc -l on the same file, and peak RSS.
declare -A TARGET_RATIO=([custom]=10 [json]=15)
TARGET_RSS_MIB=100

FORMATS=(custom json)

[[ -x /usr/bin/time ]] || scripts/apt-ensure.sh time
mkdir -p "$OUT"

status=0

echo "== headroom end-to-end import benchmark"
echo "   $(date -u +%FT%TZ)  $(git rev-parse --short HEAD 2>/dev/null || echo no-git)  $(go version | cut -d' ' -f3-)"
echo "   $(nproc) CPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   BENCH_LINES=$BENCH_LINES BENCH_RUNS=$BENCH_RUNS BENCH_SEED=$BENCH_SEED"

echo "== build"
go build -o bin/genlog ./cmd/genlog
headroom_built=1
if [[ -n ${BENCH_HEADROOM:-} ]]; then
	echo "   timing $HEADROOM (BENCH_HEADROOM), not building ./cmd/headroom"
elif ! CGO_ENABLED=0 go build -o bin/headroom ./cmd/headroom 2>"$OUT/build.err"; then
	headroom_built=0
	status=1
	echo "bench: FAIL: go build ./cmd/headroom:" >&2
	sed 's/^/  /' "$OUT/build.err" >&2
fi

# yaml_quote prints s as a single-quoted YAML scalar.
yaml_quote() {
	local s=${1//\'/\'\'}
	printf "'%s'" "$s"
}

# write_config FORMAT CONFIG: the config importing OUT/FORMAT.log into
# OUT/data-FORMAT. Paths are absolute so they mean the same whatever
# headroom resolves relative paths against.
write_config() {
	local format=$1 config=$2 escape_line=""
	if [[ $format == json ]]; then
		escape_line="        escape: json"
	fi
	{
		cat <<EOF
storage:
  dir: $OUT/data-$format
services:
  - name: web
    logs:
      - path: $OUT/$format.log
        log_format: $(yaml_quote "$(bin/genlog -print-format "$format")")
EOF
		[[ -n $escape_line ]] && echo "$escape_line"
		cat <<'EOF'
slos:
  - name: web-availability
    service: web
    objective: 99.9
    window: 28d
    sli: {type: availability}
  - name: api-latency
    service: web
    objective: 99
    window: 28d
    filter: {route: ^/api/, method: [GET]}
    sli: {type: latency, threshold: 300ms}
EOF
	} >"$config"
}

config_for() {
	if [[ $1 == custom ]]; then
		echo "$OUT/bench.yaml"
	else
		echo "$OUT/bench-$1.yaml"
	fi
}

echo "== generate"
for f in "${FORMATS[@]}"; do
	bin/genlog -lines "$BENCH_LINES" -format "$f" -seed "$BENCH_SEED" -o "$OUT/$f.log"
	write_config "$f" "$(config_for "$f")"
	echo "   $OUT/$f.log  $(stat -c %s "$OUT/$f.log") bytes;  config $(config_for "$f")"
done

# timed LABEL CMD...: runs CMD BENCH_RUNS times (after $before_each, if set),
# sets best (seconds, the fastest run) and rss (KiB, the largest of the runs).
# Wall time comes from EPOCHREALTIME (microseconds; /usr/bin/time's %e has
# only hundredths), peak RSS from /usr/bin/time. Returns CMD's failure and
# leaves its output in OUT/LABEL.out and OUT/LABEL.err.
before_each=""
timed() {
	local label=$1
	shift
	best="" rss=0
	local i t0 t1 dt m
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		[[ -n $before_each ]] && eval "$before_each"
		t0=$EPOCHREALTIME
		if ! /usr/bin/time -f '%M' -o "$OUT/$label.time" "$@" >"$OUT/$label.out" 2>"$OUT/$label.err"; then
			echo "bench: $* failed ($(head -1 "$OUT/$label.time"))" >&2
			return 1
		fi
		t1=$EPOCHREALTIME
		dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
		m=$(tail -1 "$OUT/$label.time")
		if [[ -z $best ]] || awk -v a="$dt" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$dt
		fi
		((m > rss)) && rss=$m
	done
	return 0
}

declare -A WC_S IMPORT_S RSS_KIB LINES BYTES IMPORT_OK
for f in "${FORMATS[@]}"; do
	file=$OUT/$f.log
	echo "== $f: warm the page cache, time wc -l and headroom import"
	cat "$file" >/dev/null
	BYTES[$f]=$(stat -c %s "$file")

	before_each=""
	timed "wc-$f" wc -l "$file"
	WC_S[$f]=$best
	LINES[$f]=$(awk '{ print $1 }' "$OUT/wc-$f.out")
	if [[ ${LINES[$f]} != "$BENCH_LINES" ]]; then
		echo "bench: FAIL: $file has ${LINES[$f]} lines, want $BENCH_LINES" >&2
		status=1
	fi

	IMPORT_OK[$f]=0
	if ((headroom_built)); then
		before_each="rm -rf '$OUT/data-$f'"
		if timed "import-$f" "$HEADROOM" import --config "$(config_for "$f")" "$file"; then
			IMPORT_OK[$f]=1
			IMPORT_S[$f]=$best
			RSS_KIB[$f]=$rss
		else
			status=1
			echo "bench: FAIL: $HEADROOM import --config $(config_for "$f") $file failed; its last output:" >&2
			tail -n 20 "$OUT/import-$f.err" "$OUT/import-$f.out" 2>/dev/null | sed 's/^/  /' >&2
		fi
		before_each=""
	fi
done

# The beacon load test, last of the end-to-end part: its own section here,
# its PASS/MISS lines in the targets below. It fails by itself only on a
# failure (a non-204 answer, stored counts that do not match); this script
# applies BENCH_STRICT to its misses.
rum_targets=$OUT/rum/targets.txt
if ((BENCH_RUM)); then
	echo
	rm -f "$rum_targets"
	if ((!headroom_built)); then
		echo "== rum: skipped (no headroom binary)"
	elif ! BENCH_STRICT=0 BENCH_HEADROOM=$HEADROOM BENCH_OUT=$OUT RUM_FROM_BENCH=1 scripts/bench-rum.sh; then
		status=1
		echo "bench: FAIL: scripts/bench-rum.sh (its files: $OUT/rum/)" >&2
	fi
fi

# The agent and fleet benchmarks, likewise.
fleet_targets=$OUT/fleet/targets.txt
if ((BENCH_FLEET)); then
	echo
	rm -f "$fleet_targets"
	if ((!headroom_built)); then
		echo "== fleet: skipped (no headroom binary)"
	elif ! BENCH_STRICT=0 BENCH_HEADROOM=$HEADROOM BENCH_OUT=$OUT FLEET_FROM_BENCH=1 scripts/bench-fleet.sh; then
		status=1
		echo "bench: FAIL: scripts/bench-fleet.sh (its files: $OUT/fleet/)" >&2
	fi
fi

missed=0
echo
echo "== results (best of $BENCH_RUNS, warm page cache)"
printf '%-7s %9s %7s %9s %9s %11s %8s %10s %9s\n' \
	file lines MB "wc -l s" "import s" "lines/s" "MB/s" import/wc "RSS MiB"
for f in "${FORMATS[@]}"; do
	mb=$(awk -v b="${BYTES[$f]}" 'BEGIN { printf "%.1f", b / 1e6 }')
	if ((IMPORT_OK[$f])); then
		awk -v f="$f" -v n="${LINES[$f]}" -v mb="$mb" -v wc="${WC_S[$f]}" -v im="${IMPORT_S[$f]}" -v rss="${RSS_KIB[$f]}" 'BEGIN {
			printf "%-7s %9d %7.1f %9.3f %9.3f %11.0f %8.1f %10.1f %9.1f\n", f, n, mb, wc, im, n / im, mb / im, im / wc, rss / 1024
		}'
	else
		awk -v f="$f" -v n="${LINES[$f]}" -v mb="$mb" -v wc="${WC_S[$f]}" 'BEGIN {
			printf "%-7s %9d %7.1f %9.3f %9s %11s %8s %10s %9s\n", f, n, mb, wc, "FAILED", "-", "-", "-", "-"
		}'
	fi
done

echo
echo "== targets"
for f in "${FORMATS[@]}"; do
	if ((IMPORT_OK[$f])); then
		r=$(awk -v a="${IMPORT_S[$f]}" -v b="${WC_S[$f]}" 'BEGIN { printf "%.1f", a / b }')
		m=$(awk -v k="${RSS_KIB[$f]}" 'BEGIN { printf "%.1f", k / 1024 }')
		v=PASS
		awk -v a="$r" -v b="${TARGET_RATIO[$f]}" 'BEGIN { exit !(a <= b) }' || { v=MISS; missed=1; }
		printf '%-7s import/wc %6s <= %-4s %s\n' "$f" "$r" "${TARGET_RATIO[$f]}" "$v"
		v=PASS
		awk -v a="$m" -v b="$TARGET_RSS_MIB" 'BEGIN { exit !(a <= b) }' || { v=MISS; missed=1; }
		printf '%-7s RSS MiB   %6s <= %-4s %s\n' "$f" "$m" "$TARGET_RSS_MIB" "$v"
	else
		printf '%-7s import/wc %6s <= %-4s %s\n' "$f" - "${TARGET_RATIO[$f]}" "FAIL (import failed)"
		printf '%-7s RSS MiB   %6s <= %-4s %s\n' "$f" - "$TARGET_RSS_MIB" "FAIL (import failed)"
	fi
done
if ((BENCH_RUM)); then
	if [[ -s $rum_targets ]]; then
		cat "$rum_targets"
		if grep -q ' MISS$' "$rum_targets"; then
			missed=1
		fi
	else
		printf '%-7s %s\n' rum "FAIL (no results: see the rum section)"
	fi
fi

if ((BENCH_FLEET)); then
	if [[ -s $fleet_targets ]]; then
		cat "$fleet_targets"
		if grep -q ' MISS$' "$fleet_targets"; then
			missed=1
		fi
	else
		printf '%-7s %s\n' fleet "FAIL (no results: see the fleet section)"
	fi
fi

if ((BENCH_GO)); then
	echo
	echo "== go test -run=^\$ -bench=. -benchmem ./internal/..."
	set +e
	go test -run='^$' -bench=. -benchmem ./internal/... >"$OUT/go-bench.out" 2>&1
	go_status=$?
	set -e
	grep -E '^(pkg:|Benchmark|--- FAIL|FAIL|panic:)' "$OUT/go-bench.out" || true
	if ((go_status != 0)); then
		echo "bench: FAIL: go test -bench exited $go_status; full output in $OUT/go-bench.out" >&2
		status=1
	fi
fi

if ((missed && BENCH_STRICT && status == 0)); then
	echo "bench: targets missed (BENCH_STRICT=1)" >&2
	status=1
fi
exit "$status"
