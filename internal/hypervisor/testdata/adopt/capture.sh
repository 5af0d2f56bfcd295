#!/usr/bin/env bash
# Captures the fixtures of this directory: each src/NAME.xml (what a tool sends to libvirt) is defined on a
# real libvirtd and NAME.xml is what libvirt then holds (virsh dumpxml --inactive), defaults filled in.
# Run from the repository root against the test harness:
#   scripts/harness.sh exec internal/hypervisor/testdata/adopt/capture.sh
# The domains are undefined afterwards; the network tf-acc-merge-net must be defined (not started) first.
set -euo pipefail
dir=$(dirname "$0")
for src in "$dir"/src/*.xml; do
	name=$(sed -n 's:.*<name>\(tf-acc-[^<]*\)</name>.*:\1:p' "$src" | head -1)
	virsh define "$src" >/dev/null
	virsh dumpxml --inactive "$name" >"$dir/$(basename "$src")"
	virsh undefine "$name" >/dev/null
done
