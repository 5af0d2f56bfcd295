#!/usr/bin/env bash
# Times terraform apply, refresh-only plan and destroy of N multiboot
# instances (16 MiB) through the provider built from this checkout, at
# Terraform's parallelism P. Used by `make bench`.
#   scripts/bench-apply.sh [N] [P]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-30}"
p="${2:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
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
  count            = $n
  name             = "tf-acc-bench-\${count.index}"
  kernel           = "$root/build/guests/multiboot/kernel.elf"
  cmdline          = "bench \${count.index}"
  memory           = 16
  shutdown_timeout = "0s"
  wait_for = {
    console = "UNIKERNEL-READY"
  }
}
TF
tf() { "$root/scripts/tf-dev.sh" "$work" "$@" >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; exit 1; }; }
time_it() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }
apply=$(time_it tf apply -auto-approve -input=false -parallelism="$p")
plan=$(time_it tf plan -input=false -parallelism="$p" -detailed-exitcode)
destroy=$(time_it tf destroy -auto-approve -input=false -parallelism="$p")
printf 'instances=%s parallelism=%s apply_s=%.2f plan_s=%.2f destroy_s=%.2f\n' "$n" "$p" "$apply" "$plan" "$destroy"
