#!/usr/bin/env bash
# The Xen acceptance suite (TestAccXen* in internal/provider) against the Xen
# test host, a Xen dom0 under QEMU reached over xen+ssh:// inside the harness
# namespace. Run by `make testacc-xen`, which starts the host first.
#
#   scripts/testacc-xen.sh TERRAFORM_CLI [go test arguments...]
#
# When a test fails, dom0's own account is printed (scripts/xen-host.sh diag).
# The host runs under QEMU's TCG, where processes in dom0 have been seen to
# crash at random (segfaults and general protection faults in libc, libcrypto
# and libpcre2 of libvirtd, sshd, dnsmasq's lease helper and plain shell
# tools), the init of a PV guest likewise, PVH guests' kernels have
# triple-faulted, and libvirtd has left calls unanswered for good (see
# scripts/xen-host.sh). When a failed run shows such a failure of the host (a
# crashed process in dom0, a guest whose init was killed, a guest that Xen saw
# triple-fault, or a libvirt call that the provider gave up waiting for), the
# host is restarted from its pristine image and only the failed tests run once
# more, at most twice; the run fails when they fail a third time. Any failure
# without such a failure of the host fails the run at once.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
[ $# -ge 1 ] || { echo "usage: scripts/testacc-xen.sh TERRAFORM_CLI [go test arguments...]" >&2; exit 2; }
cli="$1"
shift
timeout="${TESTTIMEOUT:-30m}"
mkdir -p build

# run PATTERN LOG [ARGS...]: the tests matching PATTERN, their output also in LOG.
run() {
	local pattern="$1" log="$2"
	shift 2
	scripts/harness.sh exec env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$cli" UNIKERNEL_XEN_URI="$(scripts/xen-host.sh uri)" \
		CHECKPOINT_DISABLE=1 go test -count=1 -p 1 -timeout "$timeout" -v -run "$pattern" "$@" ./internal/provider/ 2>&1 |
		tee "$log"
	return "${PIPESTATUS[0]}"
}

# Up to three attempts: the whole suite, then twice at most the tests that
# failed beside a failure of the host.
pattern='^TestAccXen'
for attempt in 1 2 3; do
	log=build/testacc-xen.log
	[ "$attempt" -eq 1 ] || log="build/testacc-xen-$attempt.log"
	if run "$pattern" "$log" "$@"; then
		[ "$attempt" -eq 1 ] || echo "testacc-xen: ${failed//|/, } passed on a restarted Xen host (attempt $attempt)"
		exit 0
	fi
	diag="$(scripts/xen-host.sh diag 2>&1)"
	echo "$diag"
	crashes="$(sed -n '/^--- dom0: crashed processes/,/^--- guests that Xen saw crash/p' <<<"$diag" | grep -cE 'traps:|segfault')"
	faults="$(sed -n '/^--- guests that Xen saw crash/,/^--- xl dmesg/p' <<<"$diag" | grep -c 'Triple fault')"
	stalls="$(grep -c 'a libvirt call got no answer' "$log")"
	killed="$(grep -c 'Kernel panic - not syncing: Attempted to kill init' "$log")"
	failed="$(grep -oE '^--- FAIL: TestAccXen[A-Za-z0-9_]*' "$log" | awk '{print $3}' | sort -u | paste -sd'|')"
	if [ -z "$failed" ] || [ "$((crashes + stalls + killed + faults))" -eq 0 ]; then
		echo "testacc-xen: failed (attempt $attempt); the Xen host shows no failure of its own (no crashed process" \
			"in dom0, no guest init killed, no guest triple fault, no unanswered libvirt call)"
		exit 1
	fi
	echo "testacc-xen: ${failed//|/, } failed (attempt $attempt) while the Xen host failed on its own: $crashes" \
		"crashed process(es) in dom0, $killed guest init(s) killed, $faults guest triple fault(s), $stalls libvirt" \
		"call(s) without an answer (see above)."
	if [ "$attempt" -eq 3 ]; then
		echo "testacc-xen: ${failed//|/, } failed three times"
		exit 1
	fi
	echo "testacc-xen: restarting the Xen host and running ${failed//|/, } once more"
	scripts/xen-host.sh down
	scripts/xen-host.sh up || exit 1
	pattern="^($failed)\$"
done
