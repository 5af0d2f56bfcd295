#!/usr/bin/env bash
# Times terraform apply, refresh plan and destroy of N multiboot instances
# (16 MiB, each waiting for its ready line) through the provider built from
# this checkout at Terraform's parallelism P, next to the floor: the same
# libvirt work without Terraform (internal/hypervisor/cmd/floor). Prints both
# and their ratios. Used by `make bench`.
#   scripts/bench-apply.sh [N] [P] [SETTINGS]
# SETTINGS are extra instance arguments in HCL (for example 'shutdown_timeout = "0s"');
# without them the instances use the provider's defaults. With 'running = false'
# the instances are only defined, and the floor (which starts its guests) is skipped.
# Also reported: the load average before the run, the provider's peak RSS
# (VmHWM) during the apply, and the mean qemu PSS of its guests once applied.
# With BENCH_HOST=1 (make bench-density): host memory per guest (MemAvailable
# before and after the apply) and the open file descriptors of libvirtd,
# virtlogd and the provider with their limits.
# Terraform's own share: the same apply, refresh plan and destroy of N
# built-in terraform_data resources at parallelism P (no provider process, no
# libvirt) is timed too. It is what any provider's resources cost at the
# least; the floor has none of it.
# With BENCH_PROFILE=DIR the provider writes a pprof CPU profile per process
# to DIR (TF_UNIKERNEL_CPU_PROFILE), for the refresh plan only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-30}"
p="${2:-10}"
settings="${3:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kernel="$root/build/guests/multiboot/kernel.elf"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
{ qemu_provider_header; cat <<TF
resource "unikernel_instance" "bench" {
  count   = $n
  name    = "tf-acc-bench-\${count.index}"
  kernel  = "$kernel"
  cmdline = "bench \${count.index}"
  memory  = 16
  $settings
  wait_for = {
    console = "UNIKERNEL-READY"
  }
}
TF
} >"$work/main.tf"
# tf_in DIR ARGS... runs Terraform in DIR, quietly unless it fails; tf runs it on the provider's configuration.
tf_in() { local dir="$1"; shift; "$root/scripts/tf-dev.sh" "$dir" "$@" >"$dir/tf.log" 2>&1 || { cat "$dir/tf.log" >&2; exit 1; }; }
tf() { tf_in "$work" "$@"; }
time_it() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }

# CPU accounting: on this kind of host (TCG, few cores) every phase is
# CPU-bound, so the CPU seconds each party spends explain the wall times.
hz=$(getconf CLK_TCK)
# cpu_ticks prints the machine's busy (user, nice, system, irq, softirq,
# steal) and idle (idle, iowait) clock ticks since boot.
cpu_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat; }
busy_ticks() { cpu_ticks | cut -d' ' -f1; }
proc_ticks() {
	local pid
	pid=$(pgrep -o -x "$1" || true)
	if [ -n "$pid" ]; then awk '{print $14 + $15}' "/proc/$pid/stat"; else echo 0; fi
}
# cpu_it NAME COMMAND... runs time_it COMMAND and writes to $work/cpu.NAME the
# CPU seconds spent meanwhile by the whole machine, by COMMAND with its
# children (Terraform and the provider, or the floor) and by libvirtd.
cpu_it() {
	local name="$1" busy libvirtd
	shift
	busy=$(busy_ticks)
	libvirtd=$(proc_ticks libvirtd)
	time_it "$@"
	# The second line of `times` is the user and system time of this
	# (sub)shell's finished children: COMMAND and all it waited for.
	# (times runs in this shell, not in a pipeline, which would be a new subshell.)
	times >"$work/times.$name"
	awk -v hz="$hz" -v b0="$busy" -v b1="$(busy_ticks)" -v l0="$libvirtd" -v l1="$(proc_ticks libvirtd)" '
		function secs(t,   m) { m = t; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", t); sub(/s$/, "", t); return m * 60 + t }
		NR == 2 { printf "all=%.1f command=%.1f libvirtd=%.1f", (b1 - b0) / hz, secs($1) + secs($2), (l1 - l0) / hz }' "$work/times.$name" >"$work/cpu.$name"
}

# peak_rss samples the VmHWM of this checkout's provider processes until
# $work/stop exists, and writes the largest, in MiB, to $work/rss.
peak_rss() {
	local max=0 pid kb
	while [ ! -e "$work/stop" ]; do
		for pid in $(pgrep -f "^$root/build/bin/terraform-provider-unikernel" || true); do
			kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			[ "${kb:-0}" -gt "$max" ] && max=$kb
		done
		sleep 0.2
	done
	awk -v k="$max" 'BEGIN { printf "%.1f", k / 1024 }' >"$work/rss"
}

# guest_pss prints the mean PSS in MiB of the running bench guests' qemu processes.
guest_pss() {
	local total=0 count=0 f pid kb
	# The daemon's /run/libvirt is the directory of its socket (the harness's runs in a
	# mount namespace of its own, its socket given by LIBVIRT_DEFAULT_URI).
	local run=/run/libvirt sock
	case "${LIBVIRT_DEFAULT_URI:-}" in
	*socket=*) sock="${LIBVIRT_DEFAULT_URI##*socket=}"; run="$(dirname "${sock%%&*}")" ;;
	esac
	for f in "$run"/qemu/tf-acc-bench-*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
		total=$((total + kb)); count=$((count + 1))
	done
	awk -v t="$total" -v c="$count" 'BEGIN { if (c) printf "%.2f", t / c / 1024; else printf "-" }'
}

load="$(cut -d' ' -f1-3 /proc/loadavg)"
mem_avail() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
# fds NAME prints "open/limit" for the oldest process whose command starts with NAME.
fds() {
	local pid
	pid=$(pgrep -o -x "$1" || true)
	[ -n "$pid" ] || { printf -- '-'; return; }
	printf '%s/%s' "$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)" "$(awk '/^Max open files/ {print $4}' "/proc/$pid/limits")"
}
fd_sampler() {
	local max=0 n pid
	while [ ! -e "$work/stop" ]; do
		for pid in $(pgrep -f "^$root/build/bin/terraform-provider-unikernel" || true); do
			n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
			[ "$n" -gt "$max" ] && max=$n
		done
		sleep 0.5
	done
	echo "$max" >"$work/provider_fds"
}
# cpu_busy SECONDS prints the share of all CPUs that was busy (not idle or
# iowait) over SECONDS, in percent.
cpu_busy() {
	local a b
	a=$(cpu_ticks)
	sleep "$1"
	b=$(cpu_ticks)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.0f", 100 * busy / (busy + idle) }'
}
mem_before=$(mem_avail)
floor_create="" floor_destroy=""
if ! grep -q 'running *= *false' <<<"$settings"; then
	floor_line="$(cpu_it floor "$root/build/bin/floor" -n "$n" -p "$p" -kernel "$kernel")"
	floor_create="$(sed -n 's/.*create_s=\([0-9.]*\).*/\1/p' <<<"$floor_line")"
	floor_destroy="$(sed -n 's/.*destroy_s=\([0-9.]*\).*/\1/p' <<<"$floor_line")"
fi

peak_rss &
[ -z "${BENCH_HOST:-}" ] || fd_sampler &
apply=$(cpu_it apply tf apply -auto-approve -input=false -parallelism="$p")
touch "$work/stop"
wait
pss="$(guest_pss)"
host_line=""
if [ -n "${BENCH_HOST:-}" ]; then
	mem_after=$(mem_avail)
	host_line=$(printf '  host:     mem_per_instance_mib=%s libvirtd_fds=%s virtlogd_fds=%s provider_peak_fds=%s (open/limit after the apply) cpu_busy_idle_fleet_pct=%s (of all CPUs, 5 s, nothing but the guests running)' \
		"$(awk -v b="$mem_before" -v a="$mem_after" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / 1024 / n }')" \
		"$(fds libvirtd)" "$(fds virtlogd)" "$(cat "$work/provider_fds")" "$(cpu_busy 5)")
fi
if [ -n "${BENCH_PROFILE:-}" ]; then
	mkdir -p "$BENCH_PROFILE"
	plan=$(TF_UNIKERNEL_CPU_PROFILE="$BENCH_PROFILE/plan-" cpu_it plan tf plan -input=false -parallelism="$p" -detailed-exitcode)
else
	plan=$(cpu_it plan tf plan -input=false -parallelism="$p" -detailed-exitcode)
fi
# Terraform alone: N terraform_data resources, same parallelism, same CLI,
# while the provider's guests still run (the same load on the CPUs).
mkdir -p "$work/core"
cat >"$work/core/main.tf" <<TF
resource "terraform_data" "bench" {
  count = $n
  input = "bench \${count.index}"
}
TF
core_apply=$(cpu_it core_apply tf_in "$work/core" apply -auto-approve -input=false -parallelism="$p")
core_plan=$(cpu_it core_plan tf_in "$work/core" plan -input=false -parallelism="$p" -detailed-exitcode)
core_destroy=$(cpu_it core_destroy tf_in "$work/core" destroy -auto-approve -input=false -parallelism="$p")

destroy=$(cpu_it destroy tf destroy -auto-approve -input=false -parallelism="$p")
printf 'instances=%s parallelism=%s settings=%s load_before=%s\n' "$n" "$p" "${settings:-defaults}" "$load"
printf '  provider: apply_s=%.2f plan_s=%.2f destroy_s=%.2f plan_ms_per_instance=%.1f\n' "$apply" "$plan" "$destroy" \
	"$(awk -v t="$plan" -v n="$n" 'BEGIN { print t * 1000 / n }')"
printf '  provider: peak_rss_mib=%s (during the apply) guest_pss_mib=%s\n' "$(cat "$work/rss")" "$pss"
[ -z "$host_line" ] || echo "$host_line"
printf '  terraform alone (terraform_data): apply_s=%.2f plan_s=%.2f destroy_s=%.2f\n' "$core_apply" "$core_plan" "$core_destroy"
printf '  cpu seconds (machine, terraform with the provider or the floor, libvirtd):\n'
for phase in apply plan destroy core_apply core_plan core_destroy floor; do
	[ -e "$work/cpu.$phase" ] && printf '    %-13s %s\n' "$phase" "$(cat "$work/cpu.$phase")"
done
if [ -n "$floor_create" ]; then
	printf '  floor:    create_s=%.2f destroy_s=%.2f\n' "$floor_create" "$floor_destroy"
	awk -v a="$apply" -v d="$destroy" -v fa="$floor_create" -v fd="$floor_destroy" \
		'BEGIN { printf "  ratio:    apply=%.2fx destroy=%.2fx\n", a / fa, d / fd }'
	awk -v a="$apply" -v d="$destroy" -v ca="$core_apply" -v cd="$core_destroy" -v fa="$floor_create" -v fd="$floor_destroy" \
		'BEGIN { printf "  ratio net of terraform alone: apply=%.2fx destroy=%.2fx\n", (a - ca) / fa, (d - cd) / fd }'
fi
