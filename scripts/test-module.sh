#!/usr/bin/env bash
# Runs `terraform test` for every module under examples/modules that has
# tests (*.tftest.hcl), against the local libvirtd, with the provider built
# from this checkout. The tests get a unique name with the acceptance prefix
# (so `make sweep` finds leftovers) and the multiboot test unikernel.
#   scripts/test-module.sh [CLI]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${1:-$("$root/scripts/terraform-cli.sh" any)}"
kernel="$root/build/guests/multiboot/kernel.elf"
[ -f "$kernel" ] || { echo "test guest missing: $kernel (make guests)" >&2; exit 1; }
[ -x "$root/build/bin/terraform-provider-unikernel" ] || { echo "build the provider first (make build)" >&2; exit 1; }
digest="$(sha256sum "$kernel" | cut -d' ' -f1)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "unikernel-dev/unikernel" = "$root/build/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

failed=0
found=0
for dir in "$root"/examples/modules/*/; do
	ls "$dir"tests/*.tftest.hcl >/dev/null 2>&1 || continue
	found=$((found + 1))
	mod="$(basename "$dir")"
	name="tf-acc-mod-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
	echo "terraform test: examples/modules/$mod (name $name, $(basename "$cli"))"
	# A variables file, because Terraform reads -var values of variables that
	# the module does not declare as expressions and OpenTofu as strings.
	cat >"$work/$mod.tfvars" <<VARS
name          = "$name"
kernel        = "$kernel"
kernel_sha256 = "$digest"
VARS
	if ! (cd "$dir" && TF_DATA_DIR="$work/$mod.tfdata" "$cli" test -no-color -var-file="$work/$mod.tfvars"); then
		failed=$((failed + 1))
	fi
done
[ "$found" -gt 0 ] || { echo "no module tests found under examples/modules" >&2; exit 1; }
echo "module tests: $found modules, $failed failed"
[ "$failed" -eq 0 ]
