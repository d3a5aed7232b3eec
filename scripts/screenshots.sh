#!/usr/bin/env bash
# screenshots.sh regenerates the dashboard screenshots the README and docs
# show: it runs the browser tests (internal/browser), which serve the
# quickstart sample and a frontend app fed by real browsers and save a
# full-page PNG of each page they check (overview.png, overview-phone.png,
# slo.png, slo-latency.png, service.png, alerts.png, review.png,
# service-browser.png, slo-browser.png) into HEADROOM_SCREENSHOTS (default
# docs/img/), then lists the PNGs it wrote. It exits with the tests' status: a
# page that failed a check still gets its screenshot, for a look at what went
# wrong.
set -euo pipefail

cd "$(dirname "$0")/.."

GO=${GO:-go}
out=${HEADROOM_SCREENSHOTS:-$PWD/docs/img}
mkdir -p "$out"
out=$(cd "$out" && pwd)

scripts/test-deps.sh apt # chromium

stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT

status=0
HEADROOM_INTEGRATION=1 HEADROOM_SCREENSHOTS="$out" \
	"$GO" test -count=1 -run '^(TestDashboard|TestRUM)$' -v ./internal/browser/ || status=$?

written=()
while IFS= read -r -d '' f; do
	written+=("$f")
done < <(find "$out" -maxdepth 1 -name '*.png' -newer "$stamp" -print0 | sort -z)
if ((${#written[@]} == 0)); then
	echo "screenshots: no PNG written to $out" >&2
	exit $((status ? status : 1))
fi
echo "screenshots: wrote ${#written[@]} PNGs to $out:"
for f in "${written[@]}"; do
	printf '  %-20s %6d KiB\n' "$(basename "$f")" $(($(stat -c %s "$f") / 1024))
done
exit "$status"
