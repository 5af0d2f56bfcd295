#!/usr/bin/env bash
# Fault: `terraform apply` of N instances interrupted by SIGINT while they all
# wait for readiness (their gate cannot match). Terraform stops gracefully;
# then an apply with a gate that holds must converge, the plan after it must
# be empty, and after destroy nothing named by the run may be left (leak
# check). Used by `make testacc-faults`.
#   scripts/fault-sigint.sh [N]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=fleet.sh
. "$(dirname "$0")/fleet.sh"
fleet_init sigint
n="${1:-10}"
config() { fleet_config "$n" sigint "$1"; } # readiness pattern
tf() { "$root/scripts/tf-dev.sh" "$work" "$@"; }
fail() {
	echo "fault-sigint: $*" >&2
	tail -40 "$work/out.log" >&2 || true
	tf destroy -auto-approve -input=false >/dev/null 2>&1 || true
	(cd "$root" && go run ./internal/acctest/leakcheck "$name") >&2 || true
	exit 1
}
running() { virsh -c "${UNIKERNEL_URI:-${LIBVIRT_DEFAULT_URI:-qemu:///system}}" list --name | grep -c "^$name-" || true; }

config "NEVER-PRINTED"
# tf-dev.sh execs the CLI, so $pid is terraform itself. (A background job of
# a script starts with SIGINT ignored; the CLI installs its own handler.)
"$root/scripts/tf-dev.sh" "$work" apply -auto-approve -input=false >"$work/out.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	[ "$(running)" -ge "$n" ] && break
	kill -0 "$pid" 2>/dev/null || fail "apply ended before all $n instances ran"
	sleep 0.5
done
[ "$(running)" -ge "$n" ] || fail "the $n instances did not start within 5 minutes"
sleep 2 # all of them are inside the readiness wait now
kill -INT "$pid"
s=$(date +%s.%N)
rc=0
wait "$pid" || rc=$?
stop=$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
[ "$rc" -ne 0 ] || fail "the interrupted apply exited 0"
grep -q "Interrupt received" "$work/out.log" || fail "terraform did not see the interrupt"
echo "fault-sigint: interrupted apply of $n instances stopped in ${stop}s (exit $rc), $(running) of them running"

config 'UNIKERNEL-READY cmdline=sigint [0-9]+$'
tf apply -auto-approve -input=false >"$work/out.log" 2>&1 || fail "the apply after the interrupt did not converge"
rc=0
tf plan -input=false -detailed-exitcode >"$work/out.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "the plan after the repairing apply is not empty (exit $rc)"
[ "$(running)" -eq "$n" ] || fail "$(running) of $n instances run after the repair"
tf destroy -auto-approve -input=false >"$work/out.log" 2>&1 || fail "destroy failed"
(cd "$root" && go run ./internal/acctest/leakcheck "$name") || fail "leaks after destroy"
echo "fault-sigint: converged after the interrupt, nothing left"
