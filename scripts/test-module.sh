#!/usr/bin/env bash
# Runs `terraform test` for every module under examples/modules that has
# tests (*.tftest.hcl), with the provider built from this checkout.
#   scripts/test-module.sh [--mock-only] [CLI]
#
# A module's tests come in two kinds:
#   - mock tests: files with a `mock_provider` block. They check the module's
#     own logic (validation, names, counts, outputs, defaults) and need no
#     libvirt host, only the provider binary for its schema.
#   - real tests: the other files. They apply against the libvirtd that the
#     provider reaches (UNIKERNEL_URI, else LIBVIRT_DEFAULT_URI, else its
#     default; `scripts/harness.sh exec` exports the harness's URI), with a
#     unique name with the acceptance prefix (so `make sweep` finds leftovers)
#     and the multiboot test unikernel.
# Both run by default; --mock-only runs the mock tests only (no host, no test
# guests needed). CLI is a terraform or tofu binary (default: the one that
# scripts/terraform-cli.sh finds).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
mock_only=0
if [ "${1:-}" = "--mock-only" ]; then
	mock_only=1
	shift
fi
cli="${1:-$("$root/scripts/terraform-cli.sh" any)}"
kernel="$root/build/guests/multiboot/kernel.elf"
need_provider_build "$root"
if [ "$mock_only" -eq 0 ]; then
	[ -f "$kernel" ] || { echo "test guest missing: $kernel (make guests), or run only the mock tests with --mock-only" >&2; exit 1; }
	digest="$(sha256sum "$kernel" | cut -d' ' -f1)"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
write_dev_overrides "$work/terraformrc" "$root"
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

# run_tests MODULE_DIR LABEL FILE... [-- EXTRA ARGS]: one `test` invocation
# over the given test files.
run_tests() {
	local dir="$1" label="$2"
	shift 2
	local args=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		args+=("-filter=tests/$(basename "$1")")
		shift
	done
	[ $# -gt 0 ] && shift
	local start=$SECONDS
	echo "$(basename "$cli") test: examples/modules/$(basename "$dir") ($label: ${args[*]#-filter=tests/})"
	if (cd "$dir" && TF_DATA_DIR="$work/$(basename "$dir").$label.tfdata" "$cli" test -no-color "${args[@]}" "$@"); then
		echo "$label tests of examples/modules/$(basename "$dir"): passed in $((SECONDS - start))s"
		return 0
	fi
	echo "$label tests of examples/modules/$(basename "$dir"): FAILED after $((SECONDS - start))s" >&2
	return 1
}

failed=0
found=0
for dir in "$root"/examples/modules/*/; do
	ls "$dir"tests/*.tftest.hcl >/dev/null 2>&1 || continue
	mod="$(basename "$dir")"
	mock=() real=()
	for f in "$dir"tests/*.tftest.hcl; do
		if grep -q '^mock_provider ' "$f"; then mock+=("$f"); else real+=("$f"); fi
	done
	if [ "${#mock[@]}" -gt 0 ]; then
		found=$((found + 1))
		run_tests "$dir" mock "${mock[@]}" || failed=$((failed + 1))
	fi
	if [ "$mock_only" -eq 0 ] && [ "${#real[@]}" -gt 0 ]; then
		found=$((found + 1))
		name="tf-acc-mod-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
		echo "unique name: $name"
		# A variables file, because Terraform reads -var values of variables that
		# the module does not declare as expressions and OpenTofu as strings.
		cat >"$work/$mod.tfvars" <<VARS
name          = "$name"
kernel        = "$kernel"
kernel_sha256 = "$digest"
VARS
		run_tests "$dir" real "${real[@]}" -- -var-file="$work/$mod.tfvars" || failed=$((failed + 1))
	fi
done
[ "$found" -gt 0 ] || { echo "no module tests found under examples/modules" >&2; exit 1; }
echo "module tests: $found test sets, $failed failed"
[ "$failed" -eq 0 ]
