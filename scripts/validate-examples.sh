#!/usr/bin/env bash
# Runs `terraform validate` on every configuration under examples/, with the
# provider built from this checkout (dev_overrides, no registry).
#   scripts/validate-examples.sh [CLI]     CLI defaults to scripts/terraform-cli.sh any
#
# Every directory that holds *.tf files is one configuration; it is found, not
# listed, so new examples are covered without changes here. The walk works on
# a copy of examples/, so nothing is written into the repository:
# - documentation snippets (examples/resources, data-sources, provider) have
#   no `terraform` block; the copy gets one that names the provider's source;
# - `import-by-*.tf` files are validated each on its own beside the resource
#   they import into (two import blocks for one address are not valid
#   together), and `import-by-identity.tf` needs a CLI of 1.12 or later, so it
#   is validated with OpenTofu (scripts/terraform-cli.sh tofu), and so is a
#   configuration with a line "# OpenTofu only" (provider iteration).
# Module directories are validated as modules, and their *.tftest.hcl files
# are checked by `terraform validate` as well.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${1:-$("$root/scripts/terraform-cli.sh" any)}"
idcli="${UNIKERNEL_TEST_IDENTITY_CLI:-$("$root/scripts/terraform-cli.sh" tofu)}"
need_provider_build "$root"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
write_dev_overrides "$work/terraformrc" "$root"
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cp -r "$root/examples" "$work/examples"

failed=0
count=0
# validate DIR CLI LABEL
validate() {
	local dir="$1" tf="$2" label="$3" out
	count=$((count + 1))
	# Local modules are installed with `get`; `init` would ask the registry for
	# the provider, which dev_overrides serves without it.
	if grep -qs '^\s*module\s' "$dir"/*.tf; then
		if ! out="$(cd "$dir" && TF_DATA_DIR="$dir/.tfdata" "$tf" get -no-color 2>&1)"; then
			echo "FAIL $label (get)"
			echo "$out" | sed 's/^/    /'
			failed=$((failed + 1))
			return
		fi
	fi
	if out="$(cd "$dir" && TF_DATA_DIR="$dir/.tfdata" "$tf" validate -no-color 2>&1)"; then
		echo "ok   $label"
	else
		echo "FAIL $label"
		echo "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

while IFS= read -r dir; do
	rel="${dir#"$work"/}"
	if ! grep -qs 'required_providers' "$dir"/*.tf; then
		cat >"$dir/zz_required_providers.tf" <<'TF'
terraform {
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}
TF
	fi
	imports=()
	for f in "$dir"/import-by-*.tf; do
		[ -e "$f" ] || continue
		imports+=("$f")
	done
	# Move the import files aside, validate the rest, then each import file
	# on its own with the rest.
	aside="$work/aside"
	rm -rf "$aside" && mkdir -p "$aside"
	for f in "${imports[@]}"; do mv "$f" "$aside/"; done
	# A configuration that says "OpenTofu only" (provider iteration) is validated with OpenTofu.
	main="$cli"
	grep -qs '^# OpenTofu only' "$dir"/*.tf && main="$idcli"
	if [ "$main" = "$idcli" ] && [[ "$rel" == examples/modules/* ]]; then
		# Its provider's for_each needs the caller's hosts at init: the examples that call it validate it.
		if grep -rqs "modules/$(basename "$dir")\"" "$work/examples" --include='*.tf'; then
			echo "ok   $rel (OpenTofu only: validated through the examples that call it)"
		else
			echo "FAIL $rel: an OpenTofu-only module that no example calls is never validated"
			failed=$((failed + 1))
		fi
	else
		validate "$dir" "$main" "$rel$([ "$main" = "$cli" ] || echo " ($(basename "$main"))")"
	fi
	for f in "${imports[@]}"; do
		name="$(basename "$f")"
		one="$dir.$name.d"
		cp -r "$dir" "$one"
		rm -rf "$one/.tfdata"
		cp "$aside/$name" "$one/"
		tf="$cli"
		[ "$name" = import-by-identity.tf ] && tf="$idcli"
		validate "$one" "$tf" "$rel/$name ($(basename "$tf"))"
		rm -rf "$one"
	done
done < <(find "$work/examples" -name '*.tf' -not -path '*/.tfdata/*' -printf '%h\n' | sort -u)

echo "validated $count configurations under examples/ with $cli; $failed failed"
[ "$failed" -eq 0 ]
