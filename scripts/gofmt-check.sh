#!/usr/bin/env bash
# gofmt-check.sh fails, listing the files, when gofmt would change any Go file
# that git tracks or would track (untracked files not ignored by .gitignore).
set -euo pipefail

cd "$(dirname "$0")/.."

files=()
if git rev-parse --git-dir >/dev/null 2>&1; then
	while IFS= read -r -d '' f; do
		[[ -f $f ]] && files+=("$f") # skip tracked files deleted in the worktree
	done < <(git ls-files -z --cached --others --exclude-standard -- '*.go')
else
	while IFS= read -r -d '' f; do
		files+=("$f")
	done < <(find . -name '*.go' -not -path './.git/*' -not -path './bench-out/*' -print0)
fi
((${#files[@]} == 0)) && exit 0

unformatted=$(gofmt -l "${files[@]}")
if [[ -n $unformatted ]]; then
	echo "gofmt: these files need formatting (run gofmt -w):" >&2
	echo "$unformatted" | sed 's/^/  /' >&2
	exit 1
fi
