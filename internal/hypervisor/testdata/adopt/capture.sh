#!/usr/bin/env bash
# Captures the fixtures of this directory: each src/NAME.xml (what a tool sends to libvirt) is defined on a
# real libvirtd and NAME.xml is what libvirt then holds (virsh dumpxml --inactive), defaults filled in.
# Run from the repository root against the test harness:
#   scripts/harness.sh exec internal/hypervisor/testdata/adopt/capture.sh
# The domains are undefined afterwards. src/virtinstall.xml is the output of
#   virt-install --import --osinfo generic --name tf-acc-merge-vi --memory 256 --vcpus 1 \
#     --disk path=/var/tmp/tf-acc-merge/vi.img,format=raw --network network=tf-acc-merge-net --noautoconsole --print-xml
# (which needs the network defined and the disk file present; the defines below need neither).
set -euo pipefail
dir=$(dirname "$0")
for src in "$dir"/src/*.xml; do
	name=$(sed -n 's:.*<name>\(tf-acc-[^<]*\)</name>.*:\1:p' "$src" | head -1)
	virsh define "$src" >/dev/null
	virsh dumpxml --inactive "$name" >"$dir/$(basename "$src")"
	virsh undefine "$name" >/dev/null
done
