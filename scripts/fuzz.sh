#!/usr/bin/env bash
# fuzz.sh runs every fuzz target in the repository (func FuzzXxx in a
# *_test.go file) for FUZZTIME each (default 1m), one after the other.
set -euo pipefail

cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-1m}

targets=()
while IFS= read -r line; do
	targets+=("$line")
done < <(
	git ls-files --cached --others --exclude-standard -- '*_test.go' 2>/dev/null |
		while IFS= read -r f; do
			[[ -f $f ]] || continue
			sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f" | while IFS= read -r name; do
				echo "./$(dirname "$f") $name"
			done
		done | sort -u
)

if ((${#targets[@]} == 0)); then
	echo "fuzz: no fuzz targets found"
	exit 0
fi

echo "fuzz: ${#targets[@]} target(s), $FUZZTIME each"
failed=()
for t in "${targets[@]}"; do
	pkg=${t% *} name=${t#* }
	echo "=== $pkg $name"
	if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg"; then
		failed+=("$pkg $name")
	fi
done

if ((${#failed[@]} > 0)); then
	echo "fuzz: FAIL: ${failed[*]}" >&2
	echo "fuzz: the failing inputs are in each package's testdata/fuzz/; commit them as regression cases" >&2
	exit 1
fi
echo "fuzz: ok"
