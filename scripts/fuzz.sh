#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each (FUZZTIME,
# default 20s) and prints the executions per target. A failing input is
# written by Go into the package's testdata/fuzz/<Target>/ directory, where
# it stays as a regression seed that every `go test` runs: commit it with
# the fix. Used by `make fuzz`.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-20s}"
status=0
summary=()
for pkg in $(go list ./...); do
	targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
	for t in $targets; do
		log=$(mktemp)
		rc=0
		go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1 || rc=$?
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
		line="fuzz: $t ($pkg) execs=${execs:-0} exit=$rc"
		echo "$line"
		summary+=("$line")
		if [ "$rc" -ne 0 ]; then
			status=1
			tail -30 "$log" >&2
		fi
		rm -f "$log"
	done
done
printf '%s\n' "${summary[@]}" >build/fuzz-summary.txt 2>/dev/null || true
exit "$status"
