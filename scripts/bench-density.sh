#!/usr/bin/env bash
# Density: N multiboot instances (16 MiB, each waiting for its ready line) in
# one apply at parallelism P, then a refresh plan and a destroy, next to the
# floor, with the per-instance cost, host memory per guest, and the file
# descriptors of libvirtd, virtlogd and the provider. Used by `make bench-density`.
#   scripts/bench-density.sh [N] [P]
# It refuses an N whose guests (about 18 MiB of host memory each, 19 MiB
# counted) would leave less than 2 GiB of the memory available now: the
# machine may be shared. 1,000 guests need about 21 GiB available.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-200}"
p="${2:-50}"
avail_mib=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
need_mib=$((n * 19 + 2048))
if [ "$need_mib" -gt "$avail_mib" ]; then
	echo "bench-density: $n guests need about $((n * 19)) MiB plus 2 GiB of headroom; only $avail_mib MiB are available" >&2
	exit 1
fi
echo "density: N=$n P=$p, $avail_mib MiB available, libvirtd limit $(awk '/^Max open files/ {print $4}' "/proc/$(pgrep -o -x libvirtd)/limits" 2>/dev/null || echo '?') files"
# A dense fleet of services that are destroyed at once: no ACPI (2.4 MiB less per guest).
BENCH_HOST=1 "$root/scripts/bench-apply.sh" "$n" "$p" 'acpi = false'
