#!/usr/bin/env bash
# Stress: N multiboot instances (16 MiB) at Terraform parallelism P through
# the provider built from this checkout, for C cycles of apply, a plan that
# must be empty, and destroy. Any error, a non-empty plan, or anything left
# on the host afterwards (leak check by the run's random name) fails it.
# Prints the time of each step. Used by `make testacc-faults`.
#   scripts/stress.sh [N] [P] [C]
set -euo pipefail
n="${1:-100}"
p="${2:-50}"
cycles="${3:-3}"
# shellcheck source-path=SCRIPTDIR source=fleet.sh
. "$(dirname "$0")/fleet.sh"
fleet_init stress
# shellcheck disable=SC2016 # ${count.index} is Terraform's
fleet_config "$n" stress 'UNIKERNEL-READY cmdline=stress ${count.index}$'
tf() { "$root/scripts/tf-dev.sh" "$work" "$@" >"$work/out.log" 2>&1; }
secs() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }
fail() {
	echo "stress: $*" >&2
	tail -50 "$work/out.log" >&2 || true
	"$root/scripts/tf-dev.sh" "$work" destroy -auto-approve -input=false -parallelism="$p" >/dev/null 2>&1 || true
	exit 1
}
for c in $(seq 1 "$cycles"); do
	s=$(date +%s.%N)
	tf apply -auto-approve -input=false -parallelism="$p" || fail "cycle $c: apply failed"
	apply=$(secs "$s")
	s=$(date +%s.%N)
	rc=0
	tf plan -input=false -parallelism="$p" -detailed-exitcode || rc=$?
	plan=$(secs "$s")
	[ "$rc" -eq 0 ] || fail "cycle $c: the plan after apply is not empty (exit $rc)"
	s=$(date +%s.%N)
	tf destroy -auto-approve -input=false -parallelism="$p" || fail "cycle $c: destroy failed"
	destroy=$(secs "$s")
	(cd "$root" && go run ./internal/acctest/leakcheck "$name" >"$work/leak.log" 2>&1) || { cat "$work/leak.log" >&2; fail "cycle $c: leaks"; }
	printf 'stress: cycle=%s instances=%s parallelism=%s apply_s=%s plan_s=%s destroy_s=%s errors=0 leaks=0\n' \
		"$c" "$n" "$p" "$apply" "$plan" "$destroy"
done
