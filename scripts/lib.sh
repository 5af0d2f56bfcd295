# shellcheck shell=bash
# Helpers shared by the scripts under scripts/, sourced relative to the script:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# LOG_PREFIX (set by the sourcing script, e.g. LOG_PREFIX=harness) starts every
# line that log and die print on stderr. Nothing here runs at source time.

# log MESSAGE...: "PREFIX: MESSAGE" on stderr.
log() { printf '%s: %s\n' "${LOG_PREFIX:-${0##*/}}" "$*" >&2; }

# die MESSAGE...: "PREFIX: error: MESSAGE" on stderr, then exit 1.
die() { log "error: $*"; exit 1; }

# need_root: die unless running as root; ROOT_REASON, when the script sets it,
# is said in parentheses.
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root${ROOT_REASON:+ ($ROOT_REASON)}"; }

# install_missing PACKAGE...: install, quietly and without recommends, the
# Debian packages of the list that are not installed yet.
install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing: ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# pid_alive PIDFILE: the file exists and its process runs.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid PIDFILE TENTHS [CMDLINE]: SIGTERM to the process of PIDFILE, SIGKILL
# when it still runs after TENTHS tenths of a second; then the file goes. With
# CMDLINE, the process is only signalled when its command line contains CMDLINE
# (a stale pid file may name a pid that now belongs to something else).
stop_pid() {
	local f="$1" tenths="$2" match="${3:-}" pid
	[ -f "$f" ] || return 0
	pid="$(cat "$f")"
	if kill -0 "$pid" 2>/dev/null && { [ -z "$match" ] || grep -q "$match" "/proc/$pid/cmdline" 2>/dev/null; }; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

# libvirt_ns_cmd NETNS DIR: set LIBVIRT_NS_CMD to a command prefix that runs
# its arguments in network namespace NETNS and a fresh private mount namespace
# that shows DIR/run, DIR/lib, DIR/cache, DIR/log and DIR/etc at libvirt's
# paths (/run/libvirt, /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt,
# /etc/libvirt). Each program in the chain execs the next, so $! of
# `"${LIBVIRT_NS_CMD[@]}" CMD... &` is the pid of CMD.
libvirt_ns_cmd() {
	# shellcheck disable=SC2016,SC2034 # expanded by that sh; used by the sourcing script
	LIBVIRT_NS_CMD=(ip netns exec "$1" unshare -m --propagation private -- /bin/sh -ec 'd="$1"; shift
mount --bind "$d/run" /run/libvirt
mount --bind "$d/lib" /var/lib/libvirt
mount --bind "$d/cache" /var/cache/libvirt
mount --bind "$d/log" /var/log/libvirt
mount --bind "$d/etc" /etc/libvirt
exec "$@"' sh "$2")
}

# destroy_guests URI: destroy every running domain and every active network of
# the daemon at URI (their namespace is about to go); errors are ignored.
destroy_guests() {
	local d
	for d in $(virsh -q -c "$1" list --name 2>/dev/null); do
		virsh -q -c "$1" destroy "$d" >/dev/null 2>&1 || true
	done
	for d in $(virsh -q -c "$1" net-list --name 2>/dev/null); do
		virsh -q -c "$1" net-destroy "$d" >/dev/null 2>&1 || true
	done
}

# need_provider_build ROOT: the provider binary is in ROOT/build/bin, or exit 1.
need_provider_build() {
	[ -x "$1/build/bin/terraform-provider-unikernel" ] || { echo "build the provider first (make build)" >&2; exit 1; }
}

# write_dev_overrides FILE ROOT: a CLI configuration that takes the provider
# from ROOT/build/bin (dev_overrides) and every other provider as usual.
write_dev_overrides() {
	cat >"$1" <<RC
provider_installation {
  dev_overrides {
    "unikernel-dev/unikernel" = "$2/build/bin"
  }
  direct {}
}
RC
}

# qemu_provider_header: the terraform block and a provider block for the local
# QEMU hypervisor, the start of a generated main.tf.
qemu_provider_header() {
	cat <<TF
terraform {
  required_providers {
    unikernel = { source = "unikernel-dev/unikernel" }
  }
}
provider "unikernel" {
  hypervisor = "qemu"
}
TF
}
