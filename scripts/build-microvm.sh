#!/usr/bin/env bash
# Builds the networked Linux microVM test guest from a Debian kernel and the Go
# init in internal/testguest/microvm/init. Run from the repository root.
#
#   scripts/build-microvm.sh [cloud|generic]
#
# cloud (default): Debian's cloud kernel (linux-image-cloud-amd64), the fastest
#   to boot; it has virtio, virtiofs and no 9p at all (CONFIG_NET_9P unset).
# generic: Debian's generic kernel (linux-image-amd64) plus its 9p modules, for
#   the guest that mounts a share over virtio-9p. It boots about half as fast
#   under TCG (same guest, same machine: 11-13 s to ready against 5-6 s for
#   the cloud kernel on a busy test machine), so only the 9p test uses it.
#
# Outputs (build/ is git-ignored), <dir> being microvm or microvm-generic:
#   build/guests/<dir>/vmlinuz         the kernel
#   build/guests/<dir>/initramfs.cpio  newc, uncompressed: /init, /lib/modules/*.ko, dev, proc, sys
#
# Only Debian packages are downloaded (apt-get download into build/cache/).
# Idempotent: the kernel package is fetched once and only the kernel and the
# modules the guest loads are unpacked from it, once; the initramfs is rebuilt
# only when the init binary or the modules change.
set -euo pipefail

[[ -f go.mod && -d internal/testguest/microvm/init ]] || {
	echo "build-microvm.sh: run from the repository root" >&2
	exit 1
}

root=$PWD
cache=$root/build/cache
# Load order: each module after the ones it depends on (modinfo -F depends).
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net fuse virtiofs xen-netfront)
case ${1:-cloud} in
cloud)
	meta=linux-image-cloud-amd64
	out=$root/build/guests/microvm
	;;
generic)
	meta=linux-image-amd64
	out=$root/build/guests/microvm-generic
	modules+=(netfs fscache 9pnet 9pnet_virtio 9p)
	;;
*)
	echo "build-microvm.sh: unknown variant ${1@Q}: want cloud or generic" >&2
	exit 2
	;;
esac
mkdir -p "$cache" "$out"

# 1. Resolve the concrete kernel package behind the meta package.
resolve() { apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
pkg=$(resolve || true)
if [[ -z $pkg ]]; then
	echo "build-microvm.sh: $meta unknown to apt-cache, running apt-get update" >&2
	apt-get update -qq
	pkg=$(resolve || true)
fi
[[ -n $pkg ]] || {
	echo "build-microvm.sh: cannot resolve $meta" >&2
	exit 1
}

# 2. Download the .deb once.
deb=$(compgen -G "$cache/${pkg}_*_amd64.deb" | head -n1 || true)
if [[ -z $deb ]]; then
	echo "build-microvm.sh: downloading $pkg" >&2
	(cd "$cache" && apt-get download -q "$pkg")
	deb=$(compgen -G "$cache/${pkg}_*_amd64.deb" | head -n1)
fi

# 3. Unpack the kernel and the guest's modules once per .deb and module list
# (a stamp holding the list marks a complete unpack). The generic package is
# 400 MB unpacked; the guest needs 9 MB of it.
tree=$cache/${pkg}.min
want="${modules[*]}"
if [[ ! -f $tree.stamp || $tree.stamp -ot $deb || $(cat "$tree.stamp") != "$want" ]]; then
	rm -rf "$tree" "$tree.stamp"
	mkdir -p "$tree"
	patterns=('./boot/vmlinuz-*')
	for m in "${modules[@]}"; do patterns+=("./lib/modules/*/$m.ko" "./lib/modules/*/$m.ko.*"); done
	# tar fails when a pattern matches nothing: modules built into the
	# kernel have no file, which step 5 reports.
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tree" --wildcards "${patterns[@]}" 2>/dev/null || true
	printf '%s\n' "$want" >"$tree.stamp"
fi

vmlinuz=$(compgen -G "$tree/boot/vmlinuz-*" | head -n1)
[[ -n $vmlinuz ]] || {
	echo "build-microvm.sh: no boot/vmlinuz-* in $deb" >&2
	exit 1
}
if ! cmp -s "$vmlinuz" "$out/vmlinuz"; then
	cp "$vmlinuz" "$out/vmlinuz.tmp"
	mv "$out/vmlinuz.tmp" "$out/vmlinuz"
fi

# 4. Build the static init (go build is itself incremental and cached).
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -buildvcs=false -ldflags='-s -w' \
	-o "$out/init" ./internal/testguest/microvm/init

# 5. Stage the initramfs tree. Modules that are built into the kernel have no
# .ko file; init copes with their absence.
stage=$out/initramfs.d
rm -rf "$stage"
mkdir -p "$stage/dev" "$stage/proc" "$stage/sys" "$stage/lib/modules"
cp "$out/init" "$stage/init"
for m in "${modules[@]}"; do
	ko=$(find "$tree/lib/modules" -name "$m.ko" -print -quit)
	if [[ -n $ko ]]; then
		cp "$ko" "$stage/lib/modules/"
	elif [[ -n $(find "$tree/lib/modules" -name "$m.ko.*" -print -quit) ]]; then
		echo "build-microvm.sh: $m is only available compressed; the kernel cannot load that" >&2
		exit 1
	else
		echo "build-microvm.sh: note: no $m.ko (built into the kernel?)" >&2
	fi
done

# 6. Pack only if the content changed (compare against a manifest of hashes).
manifest=$(cd "$stage" && find . -type f -exec sha256sum {} + | sort)
if [[ ! -f $out/initramfs.cpio || ! -f $out/initramfs.manifest ]] ||
	[[ $manifest != "$(cat "$out/initramfs.manifest")" ]]; then
	# Fixed owner and mtimes keep the archive reproducible.
	find "$stage" -exec touch -h -d @0 {} +
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) >"$out/initramfs.cpio.tmp"
	mv "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"
	printf '%s\n' "$manifest" >"$out/initramfs.manifest"
fi
rm -rf "$stage"

echo "build-microvm.sh: $out/vmlinuz ($pkg), $out/initramfs.cpio"
