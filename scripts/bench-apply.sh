#!/usr/bin/env bash
# Times terraform apply, refresh plan and destroy of N multiboot instances
# (16 MiB, each waiting for its ready line) through the provider built from
# this checkout at Terraform's parallelism P, next to the floor: the same
# libvirt work without Terraform (internal/hypervisor/cmd/floor). Prints both
# and their ratios. Used by `make bench`.
#   scripts/bench-apply.sh [N] [P] [SETTINGS]
# SETTINGS are extra instance arguments in HCL (for example 'shutdown_timeout = "0s"');
# without them the instances use the provider's defaults.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-30}"
p="${2:-10}"
settings="${3:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kernel="$root/build/guests/multiboot/kernel.elf"
cat >"$work/main.tf" <<TF
terraform {
  required_providers {
    unikernel = { source = "unikernel-dev/unikernel" }
  }
}
provider "unikernel" {
  hypervisor = "qemu"
}
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
tf() { "$root/scripts/tf-dev.sh" "$work" "$@" >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; exit 1; }; }
time_it() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }

floor_line="$("$root/build/bin/floor" -n "$n" -p "$p" -kernel "$kernel")"
floor_create="$(sed -n 's/.*create_s=\([0-9.]*\).*/\1/p' <<<"$floor_line")"
floor_destroy="$(sed -n 's/.*destroy_s=\([0-9.]*\).*/\1/p' <<<"$floor_line")"

apply=$(time_it tf apply -auto-approve -input=false -parallelism="$p")
plan=$(time_it tf plan -input=false -parallelism="$p" -detailed-exitcode)
destroy=$(time_it tf destroy -auto-approve -input=false -parallelism="$p")
printf 'instances=%s parallelism=%s settings=%s\n' "$n" "$p" "${settings:-defaults}"
printf '  provider: apply_s=%.2f plan_s=%.2f destroy_s=%.2f\n' "$apply" "$plan" "$destroy"
printf '  floor:    create_s=%.2f destroy_s=%.2f\n' "$floor_create" "$floor_destroy"
awk -v a="$apply" -v d="$destroy" -v fa="$floor_create" -v fd="$floor_destroy" \
	'BEGIN { printf "  ratio:    apply=%.2fx destroy=%.2fx\n", a / fa, d / fd }'
