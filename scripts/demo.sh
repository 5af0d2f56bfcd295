#!/usr/bin/env bash
# Runs the demo configuration in examples/demo with the provider built from
# this checkout (build/bin), through a Terraform CLI config with dev_overrides.
#   scripts/demo.sh apply | plan | destroy
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/build/demo"
mkdir -p "$work"
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "unikernel-dev/unikernel" = "$root/build/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1
tf="$("$root/scripts/terraform-cli.sh" any)"
cp "$root"/examples/demo/*.tf "$work/"
cd "$work"
color=()
[ -t 1 ] || color=(-no-color)
case "${1:-apply}" in
apply) "$tf" apply -auto-approve -input=false "${color[@]}" ;;
plan) "$tf" plan -input=false "${color[@]}" ;;
destroy) "$tf" destroy -auto-approve -input=false "${color[@]}" ;;
*) echo "usage: $0 apply|plan|destroy" >&2; exit 2 ;;
esac
