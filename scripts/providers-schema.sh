#!/usr/bin/env bash
# Prints the provider's schema as `providers schema -json` reports it, for
# tfplugindocs (--providers-schema). It asks OpenTofu 1.12 (built once from the
# module proxy by scripts/terraform-cli.sh) because resource identity schemas,
# which the docs render for `import { identity = {...} }`, appear only from
# Terraform or OpenTofu 1.12 on. The provider is the one in build/bin.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
tofu="$("$root/scripts/terraform-cli.sh" tofu)"
need_provider_build "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
write_dev_overrides "$work/terraformrc" "$root"
cat >"$work/main.tf" <<'TF'
terraform {
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}
TF
# tfplugindocs looks the schema up by the provider's short name.
(cd "$work" && TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 "$tofu" providers schema -json) |
	sed 's#"registry\.opentofu\.org/unikernel-dev/unikernel"#"unikernel"#'
