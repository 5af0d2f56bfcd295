#!/usr/bin/env bash
# Builds the networked Linux microVM test guest from Debian's cloud kernel and
# the Go init in internal/testguest/microvm/init. Run from the repository root.
#
# Outputs (build/ is git-ignored):
#   build/guests/microvm/vmlinuz         Debian linux-image-*-cloud-amd64 kernel
#   build/guests/microvm/initramfs.cpio  newc, uncompressed: /init, /lib/modules/*.ko, dev, proc, sys
#
# Only Debian packages are downloaded (apt-get download into build/cache/).
# Idempotent: the kernel package is fetched and unpacked once, the initramfs is
# rebuilt only when the init binary or the modules change.
set -euo pipefail

[[ -f go.mod && -d internal/testguest/microvm/init ]] || {
	echo "build-microvm.sh: run from the repository root" >&2
	exit 1
}

root=$PWD
cache=$root/build/cache
out=$root/build/guests/microvm
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net fuse virtiofs xen-netfront)
mkdir -p "$cache" "$out"

# 1. Resolve the concrete kernel package behind the meta package.
meta=linux-image-cloud-amd64
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

# 3. Unpack once per .deb (a stamp marks a complete unpack).
tree=$cache/${pkg}.tree
if [[ ! -f $tree.stamp || $tree.stamp -ot $deb ]]; then
	rm -rf "$tree" "$tree.stamp"
	dpkg -x "$deb" "$tree"
	touch "$tree.stamp"
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
