#!/usr/bin/env bash
# Prints the path of the Terraform CLI for acceptance tests, never downloading one.
#   scripts/terraform-cli.sh          terraform from PATH, else a locally built OpenTofu
#   scripts/terraform-cli.sh tofu     a locally built OpenTofu
# OpenTofu is built from the Go module proxy's copy of its source (about 7 minutes
# once) and cached outside the repository, keyed by version. 1.12 is the first
# release that imports by resource identity (`import { identity = {...} }`), so
# the same build serves the identity tests and the second CLI run.
set -euo pipefail

TOFU_VERSION="${TOFU_VERSION:-v1.12.6}"
CACHE="${UNIKERNEL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-unikernel}"

build_tofu() {
	local out="$CACHE/tofu-$TOFU_VERSION/tofu"
	mkdir -p "$(dirname "$out")"
	# One build at a time: a second caller waits for the first one's binary.
	exec 9>"$CACHE/tofu-$TOFU_VERSION.lock"
	flock 9
	if [ ! -x "$out" ]; then
		echo "building OpenTofu $TOFU_VERSION into $out (once)" >&2
		local dir
		dir="$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
		[ -d "$dir" ] || { echo "cannot download OpenTofu $TOFU_VERSION source from the Go module proxy" >&2; exit 1; }
		mkdir -p "$(dirname "$out")"
		# Build to a temporary name first, so that a concurrent or interrupted
		# build never leaves a half-written binary behind.
		(cd "$dir" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp.$$" ./cmd/tofu) >&2
		mv -f "$out.tmp.$$" "$out"
	fi
	echo "$out"
}

case "${1:-any}" in
tofu) build_tofu ;;
any)
	if command -v terraform >/dev/null 2>&1; then
		command -v terraform
	else
		build_tofu
	fi
	;;
*) echo "usage: $0 [any|tofu]" >&2; exit 2 ;;
esac
