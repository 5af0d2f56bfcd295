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
# scripts/xen-host.sh); once, sshd and init in dom0 crashed together, and dom0
# answered nothing more. While the tests run, dom0 is probed over SSH every
# 30 s, and the tests are stopped when it misses three probes in a row. When a
# failed run shows such a failure of the host (a crashed process in dom0, a
# guest whose init was killed, a guest that Xen saw triple-fault, a libvirt
# call that the provider gave up waiting for, or dom0 no longer answering
# SSH), the host is restarted from its pristine image and only the tests that
# did not pass run once more, at most twice; the run fails when they fail a
# third time. Any failure without such a failure of the host fails the run at
# once.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
[ $# -ge 1 ] || { echo "usage: scripts/testacc-xen.sh TERRAFORM_CLI [go test arguments...]" >&2; exit 2; }
cli="$1"
shift
timeout="${TESTTIMEOUT:-30m}"
mkdir -p build

# run PATTERN LOG [ARGS...]: the tests matching PATTERN, their output also in
# LOG, in a process group of their own that watch_host can stop.
run() {
	local pattern="$1" log="$2" pid watcher rc
	shift 2
	rm -f build/testacc-xen.unreachable
	setsid bash -c 'log="$1"; shift; "$@" 2>&1 | tee "$log"; exit "${PIPESTATUS[0]}"' run "$log" \
		scripts/harness.sh exec env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$cli" UNIKERNEL_XEN_URI="$(scripts/xen-host.sh uri)" \
		CHECKPOINT_DISABLE=1 go test -count=1 -p 1 -timeout "$timeout" -v -run "$pattern" "$@" ./internal/provider/ &
	pid=$!
	watch_host "$pid" &
	watcher=$!
	wait "$pid"
	rc=$?
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	return "$rc"
}

# watch_host PID: while the tests run, dom0 must answer SSH. When it has not
# answered three probes in a row, 30 s apart (its sshd or its init crashed),
# the tests are stopped: they would otherwise wait out their readiness
# timeouts, and then the provider's reconnect wait at every call, on a host
# that is gone.
watch_host() {
	local pid="$1" misses=0
	while sleep 30 && kill -0 "$pid" 2>/dev/null; do
		if timeout 90 scripts/xen-host.sh exec true >/dev/null 2>&1; then
			misses=0
			continue
		fi
		misses=$((misses + 1))
		[ "$misses" -ge 3 ] || continue
		echo "testacc-xen: dom0 did not answer SSH at three probes in a row; stopping the tests"
		touch build/testacc-xen.unreachable
		kill -TERM -- "-$pid" 2>/dev/null
		sleep 10
		kill -KILL -- "-$pid" 2>/dev/null
		return 0
	done
}

# The suite's tests, to tell those that did not pass (failed, or never ran
# because the run was stopped) from those that did.
all="$(go test -list '^TestAccXen' ./internal/provider/ | grep '^TestAccXen')" || {
	echo "testacc-xen: cannot list the Xen tests" >&2
	exit 2
}

# Up to three attempts: the whole suite, then twice at most the tests that
# did not pass beside a failure of the host.
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
	gone=0
	[ -f build/testacc-xen.unreachable ] && gone=1
	passed="$(grep -oE '^--- PASS: TestAccXen[A-Za-z0-9_]*' "$log" | awk '{print $3}')"
	failed="$(grep -vxF -f <(printf '%s\n' "$passed") <<<"$(grep -E "$pattern" <<<"$all")" | sort -u | paste -sd'|')"
	if [ -z "$failed" ] || [ "$((crashes + stalls + killed + faults + gone))" -eq 0 ]; then
		echo "testacc-xen: failed (attempt $attempt); the Xen host shows no failure of its own (no crashed process" \
			"in dom0, no guest init killed, no guest triple fault, no unanswered libvirt call, dom0 answered SSH)"
		exit 1
	fi
	echo "testacc-xen: ${failed//|/, } did not pass (attempt $attempt) while the Xen host failed on its own: $crashes" \
		"crashed process(es) in dom0, $killed guest init(s) killed, $faults guest triple fault(s), $stalls libvirt" \
		"call(s) without an answer$([ "$gone" -eq 1 ] && echo ", dom0 stopped answering SSH") (see above)."
	if [ "$attempt" -eq 3 ]; then
		echo "testacc-xen: ${failed//|/, } failed three times"
		exit 1
	fi
	echo "testacc-xen: restarting the Xen host and running ${failed//|/, } once more"
	scripts/xen-host.sh down
	scripts/xen-host.sh up || exit 1
	pattern="^($failed)\$"
done
