# shellcheck shell=bash
# The recipe of the Xen test host's dom0 image, sourced by scripts/xen-host.sh:
# the Debian release, the image size, the dom0 package list, and what the
# build writes into the root filesystem. Everything that decides the image's
# content is here: this file's text is part of the image cache key (see
# cache_key in scripts/xen-host.sh), so an edit here rebuilds the image and an
# edit anywhere else does not. Uses log (scripts/lib.sh) and BUILD_TMP, the
# build's scratch directory, set by xen-host.sh.

RELEASE=bookworm
MIRROR="${UNIKERNEL_XEN_MIRROR:-http://deb.debian.org/debian}"
IMAGE_SIZE=3G
# dom0 packages. dbus and libpam-systemd: see the header of scripts/xen-host.sh. dnsmasq-base and
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
	# socket activation by PID 1 (see the systemd crash in scripts/xen-host.sh's header).
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
