#!/usr/bin/env bash
# Times terraform apply of N images, each booted by one instance (16 MiB multiboot guests waiting
# for their ready line), at Terraform's parallelism P, twice: the images pulled from one OCI
# reference (a kraftkit package by tag in a local registry, a fresh blob cache), and uploaded from
# the same kernel as a local file. Reports both applies and their ratio, how many blobs and
# manifests the registry served during the apply, and how many manifest requests a no-op plan of
# the N images by tag made. Used by `make bench`.
#   scripts/bench-oci.sh [N] [P]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-50}"
p="${2:-10}"
work="$(mktemp -d)"
# shellcheck source=scripts/oci-lib.sh
. "$root/scripts/oci-lib.sh"
cleanup() {
	local d
	for d in "$work/oci" "$work/file"; do
		[ -f "$d/terraform.tfstate" ] && "$root/scripts/tf-dev.sh" "$d" destroy -auto-approve -input=false >/dev/null 2>&1 || true
	done
	[ -z "${OCI_REGISTRY_PID:-}" ] || kill "$OCI_REGISTRY_PID" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
kernel="$root/build/guests/multiboot/kernel.elf"
oci_start_registry "$work/registry"
oci_push_kraftkit "$OCI_REGISTRY/bench/hello:1" "$kernel" "" '["bench"]'

config() { # dir, the image's source lines
	mkdir -p "$1"
	cat >"$1/main.tf" <<TF
terraform {
  required_providers {
    unikernel = { source = "unikernel-dev/unikernel" }
  }
}
provider "unikernel" {
  hypervisor = "qemu"
  registries = [{ address = "$OCI_REGISTRY", plain_http = true }]
}
resource "unikernel_pool" "bench" {
  name = "tf-acc-bench-oci-$(basename "$1")"
  path = "/var/lib/unikernel-acc/bench-oci-$(basename "$1")"
}
resource "unikernel_image" "bench" {
  count = $n
  name  = "kernel-\${count.index}.elf"
  pool  = unikernel_pool.bench.name
  $2
}
resource "unikernel_instance" "bench" {
  count   = $n
  name    = "tf-acc-bench-oci-$(basename "$1")-\${count.index}"
  kernel  = unikernel_image.bench[count.index].id
  cmdline = "bench \${count.index}"
  memory  = 16
  wait_for = {
    console = "UNIKERNEL-READY"
  }
}
TF
}
config "$work/oci" "oci = { reference = \"$OCI_REGISTRY/bench/hello:1\" }"
config "$work/file" "source = \"$kernel\""

tf() { local dir="$1"; shift; "$root/scripts/tf-dev.sh" "$dir" "$@" >"$dir/tf.log" 2>&1 || { cat "$dir/tf.log" >&2; exit 1; }; }
time_it() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'; }

export UNIKERNEL_OCI_CACHE="$work/cache"
blobs0=$(oci_requests GET /v2/bench/hello/blobs/) man0=$(oci_requests '[A-Z]+' /v2/bench/hello/manifests/)
oci_apply=$(time_it tf "$work/oci" apply -auto-approve -input=false -parallelism="$p")
blobs1=$(oci_requests GET /v2/bench/hello/blobs/) man1=$(oci_requests '[A-Z]+' /v2/bench/hello/manifests/)
oci_plan=$(time_it tf "$work/oci" plan -input=false -parallelism="$p" -detailed-exitcode)
man2=$(oci_requests '[A-Z]+' /v2/bench/hello/manifests/)
tf "$work/oci" destroy -auto-approve -input=false -parallelism="$p"
file_apply=$(time_it tf "$work/file" apply -auto-approve -input=false -parallelism="$p")
tf "$work/file" destroy -auto-approve -input=false -parallelism="$p"

printf 'images_and_instances=%s parallelism=%s from one OCI reference by tag (kraftkit package, 2 blobs: config and kernel layer)\n' "$n" "$p"
printf '  oci:  apply_s=%.2f blob_downloads=%s manifest_requests=%s (during the apply, plan included) noop_plan_s=%.2f noop_plan_manifest_requests=%s\n' \
	"$oci_apply" "$((blobs1 - blobs0))" "$((man1 - man0))" "$oci_plan" "$((man2 - man1))"
printf '  file: apply_s=%.2f\n' "$file_apply"
awk -v a="$oci_apply" -v b="$file_apply" 'BEGIN { printf "  ratio oci/file apply: %.2fx\n", a / b }'
