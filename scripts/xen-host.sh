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
#   scripts/xen-host.sh check       pools, uploads, a network with DHCP and a PVH guest over xen+ssh
#   scripts/xen-host.sh diag        what dom0 logged that explains a failed test: crashed processes, Xen's
#                                   log, dnsmasq and libvirtd
#
# Everything is built from Debian packages: `debootstrap --variant=minbase` of the
# dom0 root filesystem, with Xen, the dom0 kernel and the initrd taken from that
# root filesystem so that the hypervisor and the tools match. The result is cached
# under ~/.cache/terraform-provider-unikernel/xen/<key>, where <key> hashes the
# build section of this script, the package list and the Debian release: a second
# build with the same inputs only checks the cache.
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

HARNESS="$(cd "$(dirname "$0")" && pwd)/harness.sh"
NETNS="$("$HARNESS" netns)"
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
STATE_DIR="${UNIKERNEL_XEN_STATE:-/run/unikernel-xen}"
CACHE_ROOT="${UNIKERNEL_XEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-unikernel/xen}"
UP_TIMEOUT="${UNIKERNEL_XEN_UP_TIMEOUT:-600}"

# Debian packages the host machine needs to build and boot the Xen host.
HOST_PACKAGES=(debootstrap qemu-system-x86 qemu-utils e2fsprogs openssh-client libvirt-clients iproute2 util-linux
	gzip coreutils)

log() { printf 'xen-host: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages, runs debootstrap and starts QEMU)"; }

install_host_packages() {
	local missing=() p
	for p in "${HOST_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing: ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# --- BEGIN build section (hashed into the cache key) ---
RELEASE=bookworm
MIRROR="${UNIKERNEL_XEN_MIRROR:-http://deb.debian.org/debian}"
IMAGE_SIZE=3G
# dom0 packages. dbus and libpam-systemd: see the header. dnsmasq-base and
# iptables: libvirt 9.0's network driver (built into libvirt-daemon) needs them
# for a network with DHCP. libvirt-daemon-driver-xen is the libxl driver.
DOM0_PACKAGES=(dbus libpam-systemd systemd-sysv udev kmod
	xen-utils-4.17 xen-hypervisor-4.17-amd64
	libvirt-daemon libvirt-daemon-driver-xen libvirt-daemon-system libvirt-clients
	dnsmasq-base iptables
	openssh-server linux-image-amd64 iproute2 ifupdown isc-dhcp-client)

# configure_dom0 DIR: everything the host needs, written into the root filesystem.
configure_dom0() {
	local r="$1"
	echo xen-host >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 xen-host\n' >"$r/etc/hosts"
	printf '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 1\n' >"$r/etc/fstab"
	# QEMU user networking hands out 10.0.2.15 by DHCP; net.ifnames=0 keeps the name eth0.
	cat >"$r/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOF
	# Root logs in with the cache's key only.
	mkdir -p "$r/root/.ssh"
	chmod 700 "$r/root/.ssh"
	cp "$BUILD_TMP/id_ed25519.pub" "$r/root/.ssh/authorized_keys"
	chmod 600 "$r/root/.ssh/authorized_keys"
	cat >"$r/etc/ssh/sshd_config.d/unikernel-xen.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
PrintMotd no
# Without PAM a login needs neither logind nor a systemd user manager: with PAM
# each new connection spent 10-60 s there under TCG.
UsePAM no
MaxStartups 100:30:200
MaxSessions 100
EOF
	# xenconsoled logs every guest's console into a directory that a storage pool can read.
	mkdir -p "$r/var/log/xen/console"
	chmod 700 "$r/var/log/xen/console"
	if grep -q '^#\?XENCONSOLED_ARGS' "$r/etc/default/xen" 2>/dev/null; then
		sed -i 's|^#\?XENCONSOLED_ARGS=.*|XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"|' "$r/etc/default/xen"
	else
		echo 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"' >>"$r/etc/default/xen"
	fi
	# TCG cannot provide VME: without this, the libxl driver does not start.
	sed -i "/<feature name='vme'\/>/d" "$r/usr/share/libvirt/cpu_map/x86_486.xml"
	grep -q "name='vme'" "$r/usr/share/libvirt/cpu_map/x86_486.xml" && { log "vme still in x86_486.xml"; return 1; }
	# libvirtd runs for the whole life of the host, started at boot: Debian's unit
	# passes --timeout 120, after which an idle libvirtd exits and waits for
	# socket activation by PID 1 (see the systemd crash below).
	mkdir -p "$r/etc/systemd/system/libvirtd.service.d"
	printf '[Service]\nExecStart=\nExecStart=/usr/sbin/libvirtd\n' >"$r/etc/systemd/system/libvirtd.service.d/no-timeout.conf"
	# A dom0 starved of CPU (TCG on a loaded machine) answers keepalives late: the
	# default (5 s x 5) dropped clients in the middle of a domain start.
	printf 'keepalive_interval = 15\nkeepalive_count = 20\n' >>"$r/etc/libvirt/libvirtd.conf"
	chroot "$r" systemctl enable libvirtd.service virtlogd.service ssh.service 2>&1 | grep -v '^Created symlink' >&2 || true
	[ -L "$r/etc/systemd/system/multi-user.target.wants/libvirtd.service" ] || { log "libvirtd.service is not enabled"; return 1; }
	# The network driver stays; its default NAT network does not autostart (tests create their own).
	rm -f "$r/etc/libvirt/qemu/networks/autostart/default.xml"
	# Faster boot: nothing periodic, no domain save/restore, no getty on a display that does not exist.
	local u
	for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
		man-db.timer dpkg-db-backup.timer logrotate.timer xendomains.service getty@tty1.service \
		systemd-networkd-wait-online.service libvirt-guests.service serial-getty@hvc0.service cron.service; do
		ln -sf /dev/null "$r/etc/systemd/system/$u"
	done
	# A small initrd: the generic one (MODULES=most, 36 MB) spends a minute of
	# TCG time loading modules. dom0's root is a virtio disk with ext4.
	sed -i 's/^MODULES=.*/MODULES=list/' "$r/etc/initramfs-tools/initramfs.conf"
	printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >>"$r/etc/initramfs-tools/modules"
	mount -t proc proc "$r/proc"
	chroot "$r" update-initramfs -u -k all >&2
	umount "$r/proc"
	# Devices QEMU does not have (-nodefaults) or that nothing uses.
	printf 'blacklist %s\n' floppy pcspkr parport_pc ppdev snd_pcsp >"$r/etc/modprobe.d/xen-host.conf"
	# The journal stays in memory; the console (hvc0, routed to Xen's serial) shows the boot.
	mkdir -p "$r/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\n' >"$r/etc/systemd/journald.conf.d/volatile.conf"
	# Space for images: the package cache goes.
	rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
}

# unmount_under DIR: debootstrap mounts /proc and /sys inside the root
# filesystem; a build that stops halfway must not leave them there (nor delete through them).
unmount_under() {
	local m
	awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

build_image() {
	local dir="$1" rootfs="$1/rootfs"
	ssh-keygen -q -t ed25519 -N '' -C unikernel-xen-client -f "$BUILD_TMP/id_ed25519"
	log "debootstrap $RELEASE (about 2-4 minutes)"
	local pkgs
	pkgs="$(IFS=,; echo "${DOM0_PACKAGES[*]}")"
	if ! debootstrap --variant=minbase --include="$pkgs" "$RELEASE" "$rootfs" "$MIRROR" >"$dir/debootstrap.log" 2>&1; then
		tail -n 30 "$dir/debootstrap.log" >&2
		[ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
		return 1
	fi
	unmount_under "$rootfs"
	configure_dom0 "$rootfs"
	local xen vmlinuz initrd
	xen="$(find "$rootfs/boot" -name 'xen-4.17*-amd64.gz' | sort -V | tail -n1)"
	vmlinuz="$(find "$rootfs/boot" -name 'vmlinuz-*' | sort -V | tail -n1)"
	initrd="$(find "$rootfs/boot" -name 'initrd.img-*' | sort -V | tail -n1)"
	if [ -z "$xen" ] || [ -z "$vmlinuz" ] || [ -z "$initrd" ]; then
		log "missing Xen, kernel or initrd under $rootfs/boot"
		return 1
	fi
	zcat "$xen" >"$dir/xen"
	cp "$vmlinuz" "$dir/vmlinuz"
	cp "$initrd" "$dir/initrd.img"
	cut -d' ' -f1,2 "$rootfs/etc/ssh/ssh_host_ed25519_key.pub" >"$dir/host_key.pub"
	log "mkfs.ext4 $IMAGE_SIZE"
	mkfs.ext4 -q -F -L dom0 -d "$rootfs" "$dir/dom0.img" "$IMAGE_SIZE"
	rm -rf "$rootfs"
}
# --- END build section ---

cache_key() {
	{
		sed -n '/^# --- BEGIN build section/,/^# --- END build section/p' "$SELF"
		printf '%s\n' "$RELEASE" "${DOM0_PACKAGES[@]}"
	} | sha256sum | cut -c1-16
}

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

pid_alive() { [ -f "$STATE_DIR/qemu.pid" ] && kill -0 "$(cat "$STATE_DIR/qemu.pid")" 2>/dev/null; }

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

stop_qemu() {
	local pid
	[ -f "$STATE_DIR/qemu.pid" ] || return 0
	pid="$(cat "$STATE_DIR/qemu.pid")"
	if kill -0 "$pid" 2>/dev/null && grep -q qemu-system "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$STATE_DIR/qemu.pid"
}

cmd_up() {
	need_root
	mkdir -p "$STATE_DIR"
	chmod 700 "$STATE_DIR"
	# One `up` at a time; a second caller waits and then finds the host up.
	# (QEMU must not inherit this descriptor: it would hold the lock for its whole life.)
	exec 9>"$STATE_DIR/up.lock"
	flock 9
	if pid_alive && [ -f "$STATE_DIR/ready" ] && dom0_ssh true 2>/dev/null; then
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
		if ! pid_alive; then
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
	if pid_alive && [ -f "$STATE_DIR/ready" ]; then
		echo "running: QEMU pid $(cat "$STATE_DIR/qemu.pid") in namespace $NETNS, $(uri) (ssh 127.0.0.1:$(port))"
	elif pid_alive; then
		echo "booting: QEMU pid $(cat "$STATE_DIR/qemu.pid"), serial log $STATE_DIR/serial.log"
		return 1
	else
		echo "not running"
		return 1
	fi
}

need_up() {
	if ! pid_alive || [ ! -f "$STATE_DIR/port" ]; then
		die "the Xen host is not running (scripts/xen-host.sh up)"
	fi
}

cmd_ssh() {
	need_up
	local opts
	mapfile -t opts < <(ssh_opts)
	echo "ip netns exec $NETNS ssh ${opts[*]} root@127.0.0.1"
}

# --- check: the host does what the Xen acceptance tests need ---

# check_guest_initrd DIR: a 5 KB initramfs whose /init prints a marker on the
# console (fd 1 is /dev/console, which is hvc0 on Xen) and then waits.
check_guest_initrd() {
	local d="$1"
	mkdir -p "$d/root/dev"
	cat >"$d/init.S" <<'EOF'
	.globl _start
_start:
	mov $1, %eax
	mov $1, %edi
	lea msg(%rip), %rsi
	mov $len, %edx
	syscall
1:	mov $34, %eax
	syscall
	jmp 1b
msg:	.ascii "XEN-CHECK-READY\n"
	len = . - msg
EOF
	gcc -nostdlib -static -o "$d/root/init" "$d/init.S"
	mknod "$d/root/dev/console" c 5 1
	(cd "$d/root" && find . | cpio -o -H newc --quiet) | gzip -9 >"$d/initrd.gz"
}

# cmd_check: capabilities, a pool on xenconsoled's log directory and one for
# images, uploads, a network with DHCP, and a PVH guest (dom0's Debian kernel
# with a tiny initrd) whose console line is read back through the volume API.
# Everything it creates is removed at the end, also when it fails.
cmd_check() {
	need_root
	need_up
	local u work name t0 t
	u="$(uri)"
	work="$(mktemp -d)"
	name="xen-check-$$"
	t0=$SECONDS
	# shellcheck disable=SC2064 # expand now: the names are fixed
	trap "check_cleanup '$u' '$name' '$work'" EXIT
	# -k 0: no client keepalive; a starved dom0 answers late (see libvirtd.conf in the build).
	# A new connection is occasionally reset during the ssh handshake: nothing has
	# run then, so the same commands are tried again.
	v() {
		local i out rc
		for i in 1 2 3; do
			rc=0
			out="$(ip netns exec "$NETNS" timeout 600 virsh -k 0 -q -c "$u" "$@" 2>"$work/virsh.err")" || rc=$?
			if [ "$rc" -ne 0 ] && grep -q 'failed to connect to the hypervisor' "$work/virsh.err"; then
				log "connection failed (attempt $i), retrying: $(tail -n1 "$work/virsh.err")"
				sleep 2
				continue
			fi
			cat "$work/virsh.err" >&2
			printf '%s\n' "$out"
			return "$rc"
		done
		cat "$work/virsh.err" >&2
		return 1
	}
	check_guest_initrd "$work"
	cp "$(cat "$STATE_DIR/cache")/vmlinuz" "$work/vmlinuz"

	local caps
	caps="$(v capabilities)"
	for t in xen xenpvh hvm; do
		grep -q "<os_type>$t</os_type>" <<<"$caps" || die "libvirt on the Xen host does not offer guest type $t"
	done
	log "capabilities: guest types xen, xenpvh and hvm ($((SECONDS - t0)) s)"

	cat >"$work/console-pool.xml" <<EOF
<pool type='dir'><name>$name-console</name><target><path>/var/log/xen/console</path></target></pool>
EOF
	cat >"$work/image-pool.xml" <<EOF
<pool type='dir'><name>$name-images</name><target><path>/var/lib/libvirt/images/$name</path></target></pool>
EOF
	cat >"$work/net.xml" <<EOF
<network><name>$name</name><bridge name='xck$$'/>
  <ip address='10.230.1.1' netmask='255.255.255.0'><dhcp><range start='10.230.1.10' end='10.230.1.100'/></dhcp></ip>
</network>
EOF
	cat >"$work/domain.xml" <<EOF
<domain type='xen'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenpvh'>xenpvh</type>
    <kernel>/var/lib/libvirt/images/$name/vmlinuz</kernel>
    <initrd>/var/lib/libvirt/images/$name/initrd.gz</initrd>
    <cmdline>console=hvc0 panic=-1</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <console type='pty'><target type='xen' port='0'/></console>
    <interface type='network'><source network='$name'/></interface>
  </devices>
</domain>
EOF
	# libvirt allows one pool per directory: use the pool that already serves
	# xenconsoled's directory (the acceptance tests may have made one), or make one.
	local cpool setup=""
	# shellcheck disable=SC2016 # expanded in dom0
	cpool="$(dom0_ssh 'for p in $(virsh -q pool-list --all --name); do
		virsh -q pool-dumpxml "$p" | grep -q "<path>/var/log/xen/console</path>" && echo "$p"; done; true' | head -n1)"
	if [ -z "$cpool" ]; then
		cpool="$name-console"
		setup="pool-define console-pool.xml; pool-start $cpool;"
		echo "$cpool" >"$work/console-pool.created"
	else
		log "using the existing pool $cpool on /var/log/xen/console"
		dom0_ssh "virsh -q pool-start $cpool" >/dev/null 2>&1 || true
	fi
	echo "$cpool" >"$work/console-pool"
	t=$SECONDS
	(cd "$work" && v "$setup
		pool-define image-pool.xml; pool-build $name-images; pool-start $name-images;
		vol-create-as $name-images vmlinuz $(stat -c %s "$work/vmlinuz"); vol-upload --pool $name-images vmlinuz vmlinuz;
		vol-create-as $name-images initrd.gz $(stat -c %s "$work/initrd.gz"); vol-upload --pool $name-images initrd.gz initrd.gz;
		net-define net.xml; net-start $name") >/dev/null
	local f want got
	for f in vmlinuz initrd.gz; do
		want="$(sha256sum <"$work/$f" | cut -d' ' -f1)"
		got="$(dom0_ssh "sha256sum < /var/lib/libvirt/images/$name/$f" | cut -d' ' -f1)"
		[ "$want" = "$got" ] || die "the uploaded $f differs in dom0 (sha256 $got, sent $want)"
	done
	v net-list --name | grep -qx "$name" || die "network $name is not active"
	dom0_ssh "pgrep -f 'dnsmasq/$name.conf'" >/dev/null ||
		die "no dnsmasq serves network $name in dom0"
	log "pools, uploads (kernel $(stat -c %s "$work/vmlinuz") bytes) and a network with DHCP: $((SECONDS - t)) s"

	t=$SECONDS
	(cd "$work" && v "define domain.xml; start $name") >/dev/null
	log "PVH guest defined and started: $((SECONDS - t)) s"
	local deadline=$((SECONDS + 300))
	while :; do
		if v "pool-refresh $cpool; vol-download --pool $cpool guest-$name.log $work/console.log" >/dev/null 2>&1 &&
			grep -q XEN-CHECK-READY "$work/console.log"; then
			break
		fi
		[ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$work/console.log" >&2 2>/dev/null; die "the PVH guest printed no ready line in 300 s"; }
		sleep 3
	done
	log "PVH guest's ready line read from guest-$name.log through pool $cpool: $((SECONDS - t)) s after start"
	log "check passed in $((SECONDS - t0)) s"
}

check_cleanup() {
	local name="$2" work="$3" cpool="" drop=""
	[ -f "$work/console-pool" ] && cpool="$(cat "$work/console-pool")"
	[ -f "$work/console-pool.created" ] && drop="virsh -q pool-destroy $cpool; virsh -q pool-undefine $cpool"
	# Over ssh in dom0 (tried again when the connection is reset): a virsh batch
	# stops at its first error, so each object is removed on its own.
	dom0_ssh "virsh -q destroy $name; virsh -q undefine $name; virsh -q net-destroy $name; virsh -q net-undefine $name;
		virsh -q vol-delete --pool $name-images vmlinuz; virsh -q vol-delete --pool $name-images initrd.gz;
		virsh -q pool-destroy $name-images; virsh -q pool-delete $name-images; virsh -q pool-undefine $name-images; true" >/dev/null 2>&1 || true
	# The guest's console log goes too (xenconsoled keeps the file after the guest is gone).
	dom0_ssh "rm -f /var/log/xen/console/guest-$name.log; $drop" >/dev/null 2>&1 || true
	rm -rf "$work"
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
check) cmd_check ;;
diag) cmd_diag ;;
cache-dir) cache_dir ;;
*) usage ;;
esac
