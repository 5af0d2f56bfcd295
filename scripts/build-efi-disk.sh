#!/usr/bin/env bash
# Builds the UEFI boot-disk test guest: a 64 MiB raw disk with an MBR whose
# one partition (type 0xEF, an EFI system partition) holds a FAT file system
# with \EFI\BOOT\BOOTX64.EFI, the path UEFI firmware boots from a disk. That
# file is a unified kernel image: systemd's EFI stub (Debian's
# systemd-boot-efi) with the Linux microVM's kernel, initramfs and command
# line as sections, so the firmware starts the same guest as a kernel boot
# (it prints MICROVM-READY on ttyS0 once eth0 has an address by DHCP). It is
# not signed, so Secure Boot firmware with enrolled keys refuses it.
#
#   scripts/build-efi-disk.sh     (after scripts/build-microvm.sh)
#
# Output (build/ is git-ignored): build/guests/efidisk/disk.raw. Rebuilt only
# when the kernel, the initramfs or this script changed. Needs objcopy
# (binutils), mtools and systemd-boot-efi, which the harness installs.
set -euo pipefail

[[ -f go.mod ]] || {
	echo "build-efi-disk.sh: run from the repository root" >&2
	exit 1
}
vm=build/guests/microvm
out=build/guests/efidisk
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
for f in "$vm/vmlinuz" "$vm/initramfs.cpio" "$stub"; do
	[[ -f $f ]] || {
		echo "build-efi-disk.sh: $f missing (scripts/build-microvm.sh; Debian's systemd-boot-efi)" >&2
		exit 1
	}
done
key=$(cat "$vm/vmlinuz" "$vm/initramfs.cpio" "$stub" "$0" | sha256sum | cut -d' ' -f1)
if [[ -f $out/disk.raw && "$(cat "$out/key" 2>/dev/null)" == "$key" ]]; then
	echo "build-efi-disk.sh: $out/disk.raw is up to date"
	exit 0
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The unified kernel image. The sections go above the stub's own (which end
# below 0x20000), each far enough from the next for its content.
printf 'console=ttyS0 panic=-1 quiet' >"$work/cmdline"
printf 'NAME="unikernel test microVM"\nID=microvm\n' >"$work/os-release"
objcopy \
	--add-section .osrel="$work/os-release" --change-section-vma .osrel=0x20000 \
	--add-section .cmdline="$work/cmdline" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$vm/vmlinuz" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$vm/initramfs.cpio" --change-section-vma .initrd=0x4000000 \
	"$stub" "$work/BOOTX64.EFI"

# 2. The disk: 1 MiB for the MBR, then the partition to the end.
sectors=$((64 * 1024 * 1024 / 512))
start=2048
count=$((sectors - start))
truncate -s $((sectors * 512)) "$work/disk.raw"
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
# Partition entry 1 at byte 446: not active, CHS unused (0xfe 0xff 0xff), type
# 0xef, first LBA and sector count; then the boot signature at byte 510.
# shellcheck disable=SC2059 # the format string is built from escapes on purpose
printf "\\x00\\xfe\\xff\\xff\\xef\\xfe\\xff\\xff$(le32 $start)$(le32 $count)" |
	dd of="$work/disk.raw" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$work/disk.raw" bs=1 seek=510 conv=notrunc status=none

# 3. A FAT file system in the partition, written in place (mtools' @@offset).
img="$work/disk.raw@@$((start * 512))"
mformat -i "$img" -T "$count" -h 64 -s 32 -v ESP ::
mmd -i "$img" ::/EFI ::/EFI/BOOT
mcopy -i "$img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

mv "$work/disk.raw" "$out/disk.raw"
echo "$key" >"$out/key"
echo "build-efi-disk.sh: $out/disk.raw"
