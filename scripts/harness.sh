#!/usr/bin/env bash
# Local hypervisor harness: a real libvirtd (with virtlogd) running inside a
# network namespace of its own, so that every guest packet stays there, and a
# private mount namespace of its own, so that it changes nothing on the host
# and can run beside a system libvirtd.
#
#   scripts/harness.sh up      install what is missing, start the daemons, wait until the daemon answers
#   scripts/harness.sh down    stop only what `up` started (guests of that daemon, the daemons, the namespace)
#   scripts/harness.sh status  print whether the harness is running
#   scripts/harness.sh deps    only install the Debian packages that are missing
#   scripts/harness.sh uri     print the client URI of the daemon (qemu:///system?socket=...)
#   scripts/harness.sh exec CMD...   run CMD inside the network namespace, with LIBVIRT_DEFAULT_URI and
#                                    UNIKERNEL_URI set to that URI (to reach guest addresses)
#   scripts/harness.sh ssh-uri       print the qemu+ssh URI of the harness sshd (see below)
#
# The daemons see /run/libvirt, /var/lib/libvirt, /var/cache/libvirt,
# /var/log/libvirt and /etc/libvirt as directories under $STATE_DIR
# (run, lib, cache, log, etc): their configuration files (etc/qemu.conf,
# etc/libvirtd.conf, etc/virtlogd.conf) are the harness's own, and the host's
# /etc/libvirt is neither read nor changed. The daemon's socket is
# $STATE_DIR/run/libvirt-sock. QEMU runs as root here, so that it can read the
# test suite's temporary directories (0700); the stock setting, QEMU as
# libvirt-qemu, is tested on a private daemon (scripts/private-libvirtd.sh
# with UNIKERNEL_PRIVATE_STOCK=1, the TestAccStockHost tests).
#
# `up` also runs an sshd inside both namespaces, listening on its loopback only
# (127.0.0.1:22 there), so that qemu+ssh:// can be tested for real: to a client
# it is a remote host whose system libvirtd is the harness daemon. It has a
# host key and a client key of its own, generated into $STATE_DIR/ssh, and a
# known_hosts file there that holds only its host key: nothing in ~/.ssh or
# /etc/ssh is read or changed. The client key may log in as root and nothing
# else. The ssh host alias `unikernel-harness` lives in $STATE_DIR/ssh/config;
# `exec` puts $STATE_DIR/bin first in PATH, where an `ssh` wrapper runs
# OpenSSH with that file (which then includes the user's and the system's own).
#
# UNIKERNEL_HARNESS_NETNS and UNIKERNEL_HARNESS_STATE name another instance
# (namespace and state directory), which runs beside the default one.
#
# Idempotent: `up` twice is fine, `down` without `up` is fine. Needs root on Debian 12.
set -euo pipefail

NS="${UNIKERNEL_HARNESS_NETNS:-unikernel-harness}"
STATE_DIR="${UNIKERNEL_HARNESS_STATE:-/run/unikernel-harness}"
LOG_DIR="/var/log/unikernel-harness"
[ "$NS" = unikernel-harness ] || LOG_DIR="/var/log/unikernel-harness/$NS"
SOCK="$STATE_DIR/run/libvirt-sock"
URI="qemu:///system?socket=$SOCK"

PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev qemu-system-x86 qemu-utils
	dnsmasq-base iptables iproute2 cpio tini gcc make libxml2-utils openssh-server openssh-client openssl
	ovmf systemd-boot-efi mtools pkg-config jq netcat-openbsd)

LOG_PREFIX=harness
ROOT_REASON="it installs packages and starts libvirtd"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# LIBVIRT_NS_CMD runs its arguments in the harness's network namespace, with the
# harness's directories at libvirt's paths in a private mount namespace.
libvirt_ns_cmd "$NS" "$STATE_DIR"

# gcc-multilib is not needed: the multiboot guest uses no libc headers. jq reads plans in the fleet test,
# and nc carries qemu+ssh:// to a daemon's own socket (`?socket=`), as libvirt runs it on the far side.
install_packages() { install_missing "${PACKAGES[@]}"; }

prepare_host() {
	# libvirtd refuses to start without these (Debian's libvirt-daemon-system creates them;
	# the harness installs the daemon without its system units).
	getent group kvm >/dev/null || groupadd -r kvm
	getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
	id libvirt-qemu >/dev/null 2>&1 ||
		useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
	mkdir -p "$STATE_DIR"/{run,lib,cache,log,etc} "$LOG_DIR"
	# The mount points must exist; they stay empty on the host.
	mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt
	# qemu runs as root so that it can read kernels and write console logs anywhere the
	# provider points it, the test suite's 0700 temporary directories included.
	if [ ! -f "$STATE_DIR/etc/qemu.conf" ]; then
		printf '# Written by scripts/harness.sh.\nuser = "root"\ngroup = "root"\n' >"$STATE_DIR/etc/qemu.conf"
		: >"$STATE_DIR/etc/libvirtd.conf"
		: >"$STATE_DIR/etc/virtlogd.conf"
	fi
}

answers() { timeout 5 virsh -q -c "$URI" uri >/dev/null 2>&1; }

start_daemon() { # name, command...
	local name="$1"; shift
	if pid_alive "$STATE_DIR/$name.pid"; then
		return 0
	fi
	# Foreground daemon under tini as a child subreaper: qemu processes are reaped at once,
	# not by PID 1 (which is slow here), so destroying a guest takes ~0.2 s instead of ~1.6 s.
	# Every program in the chain execs the next, so the pid file ends up holding the pid of
	# tini, in the daemons' mount namespace (the pool-full fault test enters it).
	setsid "${LIBVIRT_NS_CMD[@]}" tini -s -- "$@" \
		>>"$LOG_DIR/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE_DIR/$name.pid"
}

cmd_up() {
	need_root
	if pid_alive "$STATE_DIR/libvirtd.pid" && [ ! -f "$STATE_DIR/etc/qemu.conf" ]; then
		die "a harness started by an older scripts/harness.sh runs with state in $STATE_DIR; stop it with that version's \`down\` first"
	fi
	install_packages
	prepare_host
	if ! ip netns list | grep -qw "$NS"; then
		ip netns add "$NS"
		touch "$STATE_DIR/netns.created"
	fi
	ip netns exec "$NS" ip link set lo up
	# A daemon killed abruptly (for example at the end of a CI job) can leave
	# state that makes the next start exit at once: try a few times.
	local attempt i
	for attempt in 1 2 3; do
		start_daemon virtlogd virtlogd -p /run/libvirt/virtlogd.pid
		start_daemon libvirtd libvirtd -p /run/libvirt/libvirtd.pid
		for i in $(seq 1 150); do
			if answers; then
				log "libvirtd answers on $URI (namespace $NS)"
				start_sshd
				return 0
			fi
			pid_alive "$STATE_DIR/libvirtd.pid" || break
			sleep 0.1
		done
		log "libvirtd did not answer (attempt $attempt); restarting it"
		stop_pidfile libvirtd
		stop_pidfile virtlogd
		sleep 1
	done
	tail -n 20 "$LOG_DIR/libvirtd.log" >&2 || true
	die "libvirtd did not answer on $URI; see $LOG_DIR/libvirtd.log"
}

# start_sshd generates keys on first use and starts sshd in the namespace.
start_sshd() {
	local d="$STATE_DIR/ssh"
	# Already set up and running: leave its files alone, since tests beside this `up` may be reading them.
	if pid_alive "$STATE_DIR/sshd.pid" && [ -x "$STATE_DIR/bin/ssh" ] && [ -f "$d/config" ]; then
		return 0
	fi
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	[ -f "$d/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C unikernel-harness-host -f "$d/host_ed25519"
	[ -f "$d/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C unikernel-harness-client -f "$d/id_ed25519"
	cp "$d/id_ed25519.pub" "$d/authorized_keys"
	printf '127.0.0.1 %s\n' "$(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >"$d/known_hosts"
	cat >"$d/sshd_config" <<EOF
ListenAddress 127.0.0.1:22
HostKey $d/host_ed25519
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
PrintMotd no
EOF
	# The client side, as a user would set it up in ~/.ssh/config: a host alias
	# with its key and its own known_hosts, in a file of the harness's own that
	# then includes the user's and the system's configuration for every other
	# host. libvirt runs `ssh` from PATH with no way to pass -F, so `exec` puts
	# a wrapper first in PATH that does.
	cat >"$d/config" <<EOF
# Written by scripts/harness.sh for qemu+ssh:// tests.
Host unikernel-harness
	HostName 127.0.0.1
	User root
	IdentityFile $d/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $d/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	BatchMode yes
Match all
Include ~/.ssh/config
Include /etc/ssh/ssh_config
EOF
	mkdir -p "$STATE_DIR/bin"
	printf '#!/bin/sh\n# Written by scripts/harness.sh: OpenSSH with the harness host alias.\nexec /usr/bin/ssh -F %s "$@"\n' \
		"$d/config" >"$STATE_DIR/bin/ssh"
	chmod 755 "$STATE_DIR/bin/ssh"
	# sshd runs in the daemons' mount namespace too: a session there sees the harness
	# daemon at libvirt's default socket, as on a remote host whose system libvirtd it is.
	if ! pid_alive "$STATE_DIR/sshd.pid"; then
		setsid "${LIBVIRT_NS_CMD[@]}" /usr/sbin/sshd -D -e -f "$d/sshd_config" >>"$LOG_DIR/sshd.log" 2>&1 </dev/null &
		echo $! >"$STATE_DIR/sshd.pid"
	fi
	local i
	for i in $(seq 1 50); do
		ip netns exec "$NS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/22' 2>/dev/null && return 0
		sleep 0.1
	done
	die "sshd in $NS did not listen; see $LOG_DIR/sshd.log"
}

# ssh_uri is the URI of the harness daemon through the harness sshd, with the
# host alias of $STATE_DIR/ssh/config (through the ssh wrapper that `exec` puts in PATH).
ssh_uri() { echo "qemu+ssh://unikernel-harness/system"; }

stop_pidfile() { stop_pid "$STATE_DIR/$1.pid" 50; }

cmd_down() {
	need_root
	if pid_alive "$STATE_DIR/libvirtd.pid" && answers; then
		# Guests of this daemon live in the namespace that is about to go: stop them cleanly.
		destroy_guests "$URI"
	fi
	stop_pidfile sshd
	# An older harness wrote its ssh host alias into /etc/ssh: remove that file if it is this instance's.
	if grep -qs "IdentityFile $STATE_DIR/ssh/id_ed25519" /etc/ssh/ssh_config.d/unikernel-harness.conf; then
		rm -f /etc/ssh/ssh_config.d/unikernel-harness.conf
	fi
	stop_pidfile libvirtd
	stop_pidfile virtlogd
	if [ -f "$STATE_DIR/netns.created" ]; then
		ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns delete "$NS" 2>/dev/null || true
		rm -f "$STATE_DIR/netns.created"
	fi
	log "stopped"
}

cmd_status() {
	if pid_alive "$STATE_DIR/libvirtd.pid" && answers; then
		echo "running: libvirtd pid $(cat "$STATE_DIR/libvirtd.pid") in namespace $NS, $URI answers"
	else
		echo "not running"
		return 1
	fi
}

case "${1:-}" in
up) cmd_up ;;
deps) need_root; install_packages ;;
down) cmd_down ;;
status) cmd_status ;;
exec)
	shift
	# UNIKERNEL_URI, when set, names another daemon for the tests; the two variables always agree,
	# so that virsh in scripts and the provider talk to the same daemon.
	u="${UNIKERNEL_URI:-$URI}"
	exec ip netns exec "$NS" env LIBVIRT_DEFAULT_URI="$u" UNIKERNEL_URI="$u" \
		UNIKERNEL_HARNESS_NETNS="$NS" UNIKERNEL_HARNESS_STATE="$STATE_DIR" PATH="$STATE_DIR/bin:$PATH" "$@"
	;;
uri) echo "$URI" ;;
netns) echo "$NS" ;;
ssh-uri) ssh_uri ;;
*) echo "usage: $0 up|down|status|deps|uri|netns|ssh-uri|exec CMD..." >&2; exit 2 ;;
esac
