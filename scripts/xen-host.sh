#!/usr/bin/env bash
# Xen test host: a real Xen 4.17 hypervisor with a Debian dom0 running libvirt's
# libxl driver, booted under QEMU (TCG) inside the harness network namespace and
# driven over xen+ssh://.
#
#   scripts/xen-host.sh build       build (or reuse) the cached dom0 image, Xen, the dom0 kernel and initrd
#   scripts/xen-host.sh up          build if needed, boot the host, wait for sshd and for libvirt over xen+ssh
#   scripts/xen-host.sh down        stop the host and remove its state (the harness is left alone)
#   scripts/xen-host.sh status      print whether the host is up, and its URI
#   scripts/xen-host.sh uri         print the xen+ssh URI (valid inside the harness namespace)
#   scripts/xen-host.sh ssh         print an ssh command line that logs into dom0
#   scripts/xen-host.sh exec CMD... run CMD in dom0 over ssh (from the harness namespace)
#   scripts/xen-host.sh cache-key   print the inputs of the image cache key (below) and the key
#   scripts/xen-host.sh diag        what dom0 logged that explains a failed test: crashed processes, Xen's
#                                   log, dnsmasq and libvirtd
#
# Everything is built from Debian packages: `debootstrap --variant=minbase` of the
# dom0 root filesystem, with Xen, the dom0 kernel and the initrd taken from that
# root filesystem so that the hypervisor and the tools match. The recipe (release,
# image size, package list, what is written into the root filesystem) is
# scripts/xen-image.sh. The result is cached under
# ~/.cache/terraform-provider-unikernel/xen/<key>, where <key> (`xen-host.sh
# cache-key` prints its inputs) hashes what changes the image and nothing else:
# - the text of scripts/xen-image.sh (edits elsewhere, in this file too, keep the key);
# - the version that debootstrap installs of each dom0 package, from the
#   $RELEASE/main lines of `apt-cache madison` (the host's apt lists: run
#   `apt-get update` to see a new point release), with the kernel package that
#   linux-image-amd64 of that version depends on;
# - the Date of $RELEASE's Release file in those lists, which changes with each
#   point release (and so with the dependencies of those packages).
# A second build with the same inputs only checks the cache.
#
# The host boots from a qcow2 overlay that is created for each `up` on top of the
# cached image, so the cache stays pristine and every `up` starts from a clean
# dom0. QEMU runs inside the harness namespace with loopback-only user
# networking (`restrict=on`): the host reaches nothing, and its sshd is forwarded
# to 127.0.0.1:<port> of that namespace only. State (pid, port, serial log,
# overlay) lives in /run/unikernel-xen.
#
# Facts this depends on (measured under QEMU 7.2 TCG on 2-CPU Debian 12 machines,
# where nested KVM does not work):
# - QEMU's multiboot loader boots Xen: the gunzipped Xen as -kernel, the dom0
#   kernel (with its command line) and initrd as comma-separated -initrd modules.
#   Xen then reports `virt_caps: pv hvm hap shadow` and libvirt offers the guest
#   types xen (PV), xenpvh and hvm.
# - `smap=0` on Xen's command line is required: without it the PV dom0 faults at
#   once in create_bounce_frame and Xen reboots in a loop.
# - `-cpu max,-rdtscp` is required: QEMU 7.2's TCG does not emulate RDTSCP for
#   SVM guests, and PVH guests die with `SVM Insn len emulation failed ... 0f 01 f9`.
# - libvirt's libxl driver refuses to start with `Cannot find suitable CPU model
#   for given data` unless the `vme` feature is removed from cpu_map/x86_486.xml
#   (TCG cannot provide VME).
# - libxl ignores a console's <log file=...>; xenconsoled writes each guest's
#   console to /var/log/xen/console/guest-<name>.log when XENCONSOLED_ARGS in
#   /etc/default/xen says so. That directory can be a libvirt storage pool, which
#   makes the console readable remotely through the volume API.
# - Without dbus and libpam-systemd in the debootstrap list, the virtual packages
#   default-dbus-system-bus and default-logind do not resolve and
#   libvirt-daemon-system stays unconfigured.
# - Under TCG, dom0's systemd (PID 1) has been seen to segfault in libc when a
#   guest was created, and then freezes: logind, D-Bus activation and socket
#   activation stop working while the processes already running go on. dom0 is
#   therefore set up not to need PID 1 after boot: sshd without PAM (no logind
#   session) and libvirtd started at boot without an idle timeout.
# - Other processes in dom0 crash at random too: segfaults and general
#   protection faults in libc, libcrypto and libpcre2 of libvirtd, sshd,
#   dnsmasq's lease helper and plain shell tools, four in dom0's first 20
#   minutes under the Xen tests, and the Go init of a PV guest likewise (PVH
#   guests were not seen to). Hiding AVX or FSGSBASE from the CPU model did not
#   stop them, nor did QEMU's single-threaded TCG (thread=single, which also
#   slows the boot to sshd from about 60 s to 100 s). A crashed lease helper leaves a
#   guest's DHCP lease unrecorded (`dnsmasq: script process killed by signal
#   11`); a crashed libvirtd drops every connection. PVH guests' Linux kernels
#   have been seen to triple-fault, early in the boot before the console and
#   later too (`(XEN) d9v0 Triple fault - invoking HVM shutdown action 1`).
#   `diag` lists all of these; scripts/testacc-xen.sh runs tests that failed
#   beside one of them once more on a restarted host, at most twice.
# - QEMU holds about 2.3 GB resident with -m 2048 and uses both CPUs while dom0
#   boots: run one such host per machine.
# - From QEMU start to dom0's sshd takes 50-100 s on a quiet machine and about
#   4 minutes when the machine is loaded (load 15-20 on 2 CPUs); libvirtd answers
#   a few seconds later. Each new xen+ssh connection costs about 3 s (the ssh
#   handshake into a TCG guest); about one in 45 has been reset by the peer.
# - libvirt clients should not use a short keepalive against this host: with
#   virsh's default (5 s x 5) a loaded machine dropped a connection in the
#   middle of a domain start.
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HARNESS="$SCRIPTS/harness.sh"
NETNS="$("$HARNESS" netns)"
SELF="$SCRIPTS/$(basename "${BASH_SOURCE[0]}")"
STATE_DIR="${UNIKERNEL_XEN_STATE:-/run/unikernel-xen}"
CACHE_ROOT="${UNIKERNEL_XEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-unikernel/xen}"
UP_TIMEOUT="${UNIKERNEL_XEN_UP_TIMEOUT:-600}"

# Debian packages the host machine needs to build and boot the Xen host.
HOST_PACKAGES=(debootstrap qemu-system-x86 qemu-utils e2fsprogs openssh-client libvirt-clients iproute2 util-linux
	gzip coreutils)

LOG_PREFIX="xen-host"
ROOT_REASON="it installs packages, runs debootstrap and starts QEMU"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"

install_host_packages() { install_missing "${HOST_PACKAGES[@]}"; }

# The image recipe (release, size, packages, what goes into the root filesystem).
# shellcheck source=scripts/xen-image.sh
. "$SCRIPTS/xen-image.sh"

# dom0_versions: "PACKAGE VERSION" for each dom0 package as debootstrap
# installs it (the $RELEASE/main version in the host's apt lists, "unknown"
# when the lists do not have it), then the kernel package that this
# linux-image-amd64 depends on.
dom0_versions() {
	local p v
	for p in "${DOM0_PACKAGES[@]}"; do
		v="$(apt-cache madison "$p" 2>/dev/null | awk -F'|' -v s="$RELEASE/main" 'index($3, " " s " ") {gsub(/ /, "", $2); print $2; exit}')"
		echo "$p ${v:-unknown}"
		if [ "$p" = linux-image-amd64 ] && [ -n "$v" ]; then
			apt-cache show "$p=$v" 2>/dev/null | sed -n 's/^Depends: /kernel /p' | head -n1
		fi
	done
}

# release_date: the Date of $RELEASE's Release file in the host's apt lists
# (it changes with each point release, which updates the packages the dom0
# packages depend on too), "unknown" when the lists do not have it.
release_date() {
	local f d=""
	# shellcheck disable=SC2016 # apt-get expands these
	f="$(apt-get indextargets --format '$(CODENAME) $(FILENAME)' 'Created-By: Packages' 2>/dev/null |
		awk -v r="$RELEASE" '$1 == r && $2 ~ /_main_binary-/ {print $2; exit}')"
	f="${f%%_main_binary-*}_InRelease"
	[ -f "$f" ] && d="$(sed -n 's/^Date: //p' "$f" | head -n1)"
	echo "${d:-unknown}"
}

# cache_key_inputs: what the image cache key hashes (see the header).
cache_key_inputs() {
	echo "recipe $(sha256sum <"$SCRIPTS/xen-image.sh" | cut -d' ' -f1)"
	echo "release $RELEASE $(release_date)"
	dom0_versions
}

cache_key() { cache_key_inputs | sha256sum | cut -c1-16; }

cache_dir() { echo "$CACHE_ROOT/$(cache_key)"; }

cmd_build() {
	need_root
	local dir
	dir="$(cache_dir)"
	if [ -f "$dir/complete" ]; then
		log "cached: $dir"
		return 0
	fi
	install_host_packages
	mkdir -p "$CACHE_ROOT"
	exec 8>"$CACHE_ROOT/.lock"
	flock 8
	if [ -f "$dir/complete" ]; then
		log "cached: $dir (built by another caller)"
		exec 8>&-
		return 0
	fi
	local start=$SECONDS tmp="$dir.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	BUILD_TMP="$tmp"
	# set -e stops the build at the first failure; the trap then removes the half-built directory.
	trap 'unmount_under "$BUILD_TMP"; rm -rf "$BUILD_TMP"; log "build failed"' EXIT
	build_image "$tmp"
	trap - EXIT
	date -u +%FT%TZ >"$tmp/complete"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	exec 8>&-
	log "built in $((SECONDS - start)) s: $dir ($(du -sh "$dir" | cut -f1) on disk)"
	# Builds of other inputs go, except the one a running host boots from.
	local old
	for old in "$CACHE_ROOT"/*/; do
		old="${old%/}"
		[ "$old" != "$dir" ] || continue
		if [ -f "$STATE_DIR/cache" ] && [ "$(cat "$STATE_DIR/cache")" = "$old" ]; then
			continue
		fi
		log "removing an older build: $old"
		rm -rf "$old"
	done
}

# --- the running host ---

SSH_ALIAS=unikernel-xen
SSH_CONFIG=/etc/ssh/ssh_config.d/unikernel-xen.conf

qemu_alive() { pid_alive "$STATE_DIR/qemu.pid"; }

port() { cat "$STATE_DIR/port"; }

# ssh_opts: options for logging into dom0, with the cache's client key and a
# known_hosts file that holds only the image's host key (nothing in ~/.ssh is read or written).
ssh_opts() {
	printf '%s\n' -i "$(cat "$STATE_DIR/cache")/id_ed25519" -o IdentitiesOnly=yes \
		-o UserKnownHostsFile="$STATE_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=15 -o LogLevel=ERROR \
		-p "$(port)"
}

# dom0_ssh runs a command in dom0. A new connection is occasionally reset
# during the handshake (exit status 255, nothing has run): it is tried again.
dom0_ssh() {
	local opts i rc
	mapfile -t opts < <(ssh_opts)
	for i in 1 2 3; do
		rc=0
		ip netns exec "$NETNS" ssh "${opts[@]}" root@127.0.0.1 "$@" || rc=$?
		[ "$rc" -eq 255 ] && [ "$i" -lt 3 ] && { sleep 2; continue; }
		return "$rc"
	done
}

# uri: the ssh alias (written by `up` into the system ssh configuration) carries
# the port, the key and the known_hosts file, so the URI needs no parameters.
# libvirt's ssh transport (the default for xen+ssh) passes keyfile= as `-i` and
# no_verify=1 as StrictHostKeyChecking=no, but it has no known_hosts parameter
# (only the libssh and libssh2 transports have one): the explicit form below
# therefore records the host in ~/.ssh/known_hosts.
uri() { echo "xen+ssh://$SSH_ALIAS/system"; }
explicit_uri() { echo "xen+ssh://root@127.0.0.1:$(port)/system?keyfile=$(cat "$STATE_DIR/cache")/id_ed25519&no_verify=1"; }

virsh_answers() { ip netns exec "$NETNS" timeout 120 virsh -k 0 -q -c "$(uri)" version >/dev/null 2>&1; }

serial_tail() {
	log "last lines of the serial console ($STATE_DIR/serial.log):"
	tail -n 40 "$STATE_DIR/serial.log" 2>/dev/null | tr -d '\r' | sed 's/^/    /' >&2 || true
}

pick_port() {
	local p used
	used="$(ip netns exec "$NETNS" ss -Hltn 2>/dev/null | awk '{print $4}')"
	for p in $(seq 22200 22299); do
		grep -q ":$p\$" <<<"$used" || { echo "$p"; return 0; }
	done
	die "no free port in 22200-22299 inside namespace $NETNS"
}

write_ssh_config() {
	[ -d /etc/ssh/ssh_config.d ] || return 0
	cat >"$SSH_CONFIG" <<EOF
# Written by scripts/xen-host.sh up for xen+ssh://$SSH_ALIAS/system; removed by \`xen-host.sh down\`.
# The forward listens on 127.0.0.1 inside the network namespace $NETNS only.
Host $SSH_ALIAS
	HostName 127.0.0.1
	Port $(port)
	User root
	IdentityFile $(cat "$STATE_DIR/cache")/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $STATE_DIR/known_hosts
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	BatchMode yes
	ConnectTimeout 30
	LogLevel ERROR
EOF
}

stop_qemu() { stop_pid "$STATE_DIR/qemu.pid" 50 qemu-system; }

cmd_up() {
	need_root
	mkdir -p "$STATE_DIR"
	chmod 700 "$STATE_DIR"
	# One `up` at a time; a second caller waits and then finds the host up.
	# (QEMU must not inherit this descriptor: it would hold the lock for its whole life.)
	exec 9>"$STATE_DIR/up.lock"
	flock 9
	if qemu_alive && [ -f "$STATE_DIR/ready" ] && dom0_ssh true 2>/dev/null; then
		log "already up: $(uri)"
		return 0
	fi
	"$HARNESS" status >/dev/null 2>&1 || "$HARNESS" up
	cmd_build
	local dir start=$SECONDS
	dir="$(cache_dir)"
	stop_qemu
	rm -f "$STATE_DIR"/{ready,overlay.qcow2,serial.log,port,cache,known_hosts,times}
	echo "$dir" >"$STATE_DIR/cache"
	pick_port >"$STATE_DIR/port"
	printf '[127.0.0.1]:%s %s\n' "$(port)" "$(cat "$dir/host_key.pub")" >"$STATE_DIR/known_hosts"
	write_ssh_config
	qemu-img create -q -f qcow2 -F raw -b "$dir/dom0.img" "$STATE_DIR/overlay.qcow2"
	log "booting Xen under QEMU (TCG) in namespace $NETNS, ssh forward 127.0.0.1:$(port)"
	# Xen: smap=0 (see the header); dom0 gets 768 MiB and both vCPUs, guests the rest of the 2 GiB.
	# dom0's kernel command line and its initrd are multiboot modules after Xen.
	ip netns exec "$NETNS" qemu-system-x86_64 -name unikernel-xen \
		-machine pc -accel tcg,tb-size=256 -cpu max,-rdtscp -m 2048 -smp 2 \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$dir/xen" \
		-append "dom0_mem=768M,max:768M dom0_max_vcpus=2 console=com1 com1=115200,8n1 smap=0 noreboot" \
		-initrd "$dir/vmlinuz root=/dev/vda rw console=hvc0 net.ifnames=0 panic=10,$dir/initrd.img" \
		-drive "file=$STATE_DIR/overlay.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap" \
		-nic "user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:$(port)-:22" \
		-serial "file:$STATE_DIR/serial.log" -monitor "unix:$STATE_DIR/monitor.sock,server=on,wait=off" \
		-pidfile "$STATE_DIR/qemu.pid" -daemonize 9>&-
	local deadline=$((SECONDS + UP_TIMEOUT)) t_ssh="" t_virt=""
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! qemu_alive; then
			serial_tail
			die "QEMU exited while the Xen host booted"
		fi
		if [ -z "$t_ssh" ]; then
			if dom0_ssh true 2>/dev/null; then
				t_ssh=$((SECONDS - start))
				log "dom0 sshd answers after ${t_ssh} s"
			else
				sleep 3
				continue
			fi
		fi
		if virsh_answers; then
			t_virt=$((SECONDS - start))
			log "libvirt answers on $(uri) after ${t_virt} s"
			printf 'ssh %s\nlibvirt %s\n' "$t_ssh" "$t_virt" >"$STATE_DIR/times"
			touch "$STATE_DIR/ready"
			return 0
		fi
		sleep 2
	done
	serial_tail
	if [ -n "$t_ssh" ]; then
		dom0_ssh 'systemctl --no-pager status libvirtd; journalctl --no-pager -b -u libvirtd | tail -n 30' >&2 || true
		die "dom0 is up but libvirt did not answer on $(uri) within ${UP_TIMEOUT} s (QEMU left running; scripts/xen-host.sh exec ... to look, down to stop)"
	fi
	die "dom0's sshd did not answer on 127.0.0.1:$(port) in namespace $NETNS within ${UP_TIMEOUT} s (QEMU left running; see $STATE_DIR/serial.log, down to stop)"
}

cmd_down() {
	need_root
	stop_qemu
	rm -f "$SSH_CONFIG"
	rm -rf "$STATE_DIR"
	log "stopped"
}

cmd_status() {
	if qemu_alive && [ -f "$STATE_DIR/ready" ]; then
		echo "running: QEMU pid $(cat "$STATE_DIR/qemu.pid") in namespace $NETNS, $(uri) (ssh 127.0.0.1:$(port))"
	elif qemu_alive; then
		echo "booting: QEMU pid $(cat "$STATE_DIR/qemu.pid"), serial log $STATE_DIR/serial.log"
		return 1
	else
		echo "not running"
		return 1
	fi
}

need_up() {
	if ! qemu_alive || [ ! -f "$STATE_DIR/port" ]; then
		die "the Xen host is not running (scripts/xen-host.sh up)"
	fi
}

cmd_ssh() {
	need_up
	local opts
	mapfile -t opts < <(ssh_opts)
	echo "ip netns exec $NETNS ssh ${opts[*]} root@127.0.0.1"
}

# cmd_diag: the host's own account of a failure, printed by `make testacc-xen`
# when a test fails: processes that crashed in dom0 (a DHCP lease that libvirt
# never recorded is a crashed lease helper), guests that Xen saw crash (a PVH
# guest that printed nothing and stopped has been seen to triple-fault in its
# kernel's first instructions), the end of Xen's log, and the last messages of
# dnsmasq and libvirtd.
cmd_diag() {
	need_root
	need_up
	# dom0's kernel messages also go to its console, the serial log here: they
	# name crashed processes even when dom0 no longer answers SSH (its sshd, or
	# its init, crashed).
	echo "--- dom0: crashed processes (kernel messages on the serial console)"
	tr -d '\r' <"$STATE_DIR/serial.log" | grep -aE 'traps:|segfault' | tail -n 20 || true
	dom0_ssh '
		echo "--- guests that Xen saw crash (xl dmesg)"; xl dmesg | grep -E "Triple fault|domain_crash" | tail -n 20
		echo "--- xl dmesg (last 15 lines)"; xl dmesg | tail -n 15
		echo "--- dnsmasq and libvirtd (last 30 messages)"
		journalctl --no-pager -q -n 30 -t dnsmasq -t dnsmasq-dhcp -t libvirtd' ||
		echo "--- dom0 did not answer SSH"
}

usage() { sed -n '2,16p' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2; }

case "${1:-}" in
build) cmd_build ;;
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
uri)
	need_up
	if [ "${2:-}" = "--explicit" ]; then explicit_uri; else uri; fi
	;;
ssh) cmd_ssh ;;
exec) shift; need_up; dom0_ssh "$@" ;;
diag) cmd_diag ;;
cache-dir) cache_dir ;;
cache-key) cache_key_inputs; echo "key $(cache_key)" ;;
*) usage ;;
esac
