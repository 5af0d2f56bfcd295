#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each (FUZZTIME,
# default 10s) and prints the executions per target. A failing input is
# written by Go into the package's testdata/fuzz/<Target>/ directory, where
# it stays as a regression seed that every `go test` runs: commit it with
# the fix. Used by `make fuzz`.
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" when -fuzztime runs out while a worker is busy (a race in
# internal/fuzz, go.dev/issue/75804, fixed in Go 1.27), which a loaded machine
# makes likely. Such a run wrote no failing input; the target then runs again
# for the number of executions the first run reached (`-fuzztime Nx`, which
# has no deadline to race), and only that run's result counts.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
# FUZZ_PARALLEL limits the fuzzing workers per target (default: one per CPU); `make test-all` uses 1 while
# the acceptance suite runs beside it.
par=()
[ -n "${FUZZ_PARALLEL:-}" ] && par=(-parallel "$FUZZ_PARALLEL")
status=0
summary=()
# seeds counts the failing inputs kept for a target (none when the directory is missing).
seeds() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
for pkg in $(go list ./...); do
	targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
	for t in $targets; do
		log=$(mktemp)
		rc=0
		corpus="$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$t"
		before=$(seeds "$corpus")
		go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" "${par[@]}" "$pkg" >"$log" 2>&1 || rc=$?
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
		note=""
		if [ "$rc" -ne 0 ] && [ "$(seeds "$corpus")" -eq "$before" ] &&
			grep -q '^    context deadline exceeded$' "$log" && [ "${execs:-0}" -gt 0 ]; then
			note=" (the timed run hit go.dev/issue/75804 without a failing input; ran again for ${execs}x)"
			rc=0
			go test -run '^$' -fuzz "^$t\$" -fuzztime "${execs}x" "${par[@]}" "$pkg" >"$log" 2>&1 || rc=$?
		fi
		# A loaded machine can spend the whole fuzz time on the baseline of the seed corpus, which is no
		# fuzzing at all: such a target runs again for a fixed count of new inputs.
		if [ "$rc" -eq 0 ] && [ "${execs:-0}" -eq 0 ]; then
			note=" (the timed run reached no new input; ran again for 500x)"
			go test -run '^$' -fuzz "^$t\$" -fuzztime 500x "${par[@]}" "$pkg" >"$log" 2>&1 || rc=$?
			execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
			if [ "$rc" -eq 0 ] && [ "${execs:-0}" -eq 0 ]; then
				note="$note; it ran no input"
				rc=1
			fi
		fi
		line="fuzz: $t ($pkg) execs=${execs:-0} exit=$rc$note"
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
