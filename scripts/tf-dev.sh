#!/usr/bin/env bash
# Runs the Terraform CLI in a working directory with the provider built from
# this checkout (build/bin), through a CLI config with dev_overrides, so no
# registry is needed and `terraform init` is skipped.
#   scripts/tf-dev.sh DIR terraform-arguments...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$1"; shift
mkdir -p "$root/build"
rc="$root/build/terraformrc"
cat >"$rc" <<RC
provider_installation {
  dev_overrides {
    "unikernel-dev/unikernel" = "$root/build/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$rc" CHECKPOINT_DISABLE=1
tf="$("$root/scripts/terraform-cli.sh" any)"
color=()
[ -t 1 ] || color=(-no-color)
cd "$dir"
exec "$tf" "$@" "${color[@]}"
