#!/usr/bin/env bash
# Runs the Terraform CLI in a working directory with the provider built from
# this checkout (build/bin), through a CLI config with dev_overrides, so no
# registry is needed and `terraform init` is skipped.
#   scripts/tf-dev.sh DIR terraform-arguments...
# PROVIDER_DIR names another directory holding terraform-provider-unikernel
# (default: build/bin of this checkout); TF_ACC_TERRAFORM_PATH another CLI
# (default: scripts/terraform-cli.sh any), e.g. OpenTofu.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$1"; shift
mkdir -p "$root/build"
bin="${PROVIDER_DIR:-$root/build/bin}"
rc="$root/build/terraformrc"
[ "$bin" = "$root/build/bin" ] || rc="$root/build/terraformrc-$(printf %s "$bin" | cksum | cut -d' ' -f1)"
cat >"$rc.$$" <<RC
provider_installation {
  dev_overrides {
    "unikernel-dev/unikernel" = "$bin"
  }
  direct {}
}
RC
mv -f "$rc.$$" "$rc" # never half-written for a CLI starting at the same time
export TF_CLI_CONFIG_FILE="$rc" CHECKPOINT_DISABLE=1
tf="${TF_ACC_TERRAFORM_PATH:-$("$root/scripts/terraform-cli.sh" any)}"
color=()
[ -t 1 ] || color=(-no-color)
cd "$dir"
exec "$tf" "$@" "${color[@]}"
