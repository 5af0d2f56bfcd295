#!/usr/bin/env bash
# The OCI registry and client that the acceptance tests of the image resource's `oci` source
# run against, never downloading a binary:
#   scripts/oci-tools.sh                    builds both when missing, prints nothing else
#   scripts/oci-tools.sh path registry      prints the path of the CNCF distribution registry
#   scripts/oci-tools.sh path oras          prints the path of the oras CLI
# Both are built with `go install` from the Go module proxy (a few minutes once) and cached
# outside the repository, keyed by their versions. The build is locked, so concurrent callers
# build once and the others wait for its binaries.
set -euo pipefail

REGISTRY_VERSION="${REGISTRY_VERSION:-v3.1.2}"
ORAS_VERSION="${ORAS_VERSION:-v1.3.6}"
CACHE="${UNIKERNEL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-unikernel}"
DIR="$CACHE/oci-tools/registry-$REGISTRY_VERSION-oras-$ORAS_VERSION"

# The cached binaries answer with the versions they were built from. (Their output is read whole:
# `cmd | grep -q` can end cmd with SIGPIPE, which pipefail turns into a failed check.)
registry_ok() { # "registry github.com/distribution/distribution/v3 v3.1.2+unknown"
	local v
	v="$("$DIR/registry" --version 2>/dev/null)" || return 1
	[[ "$v" == *" $REGISTRY_VERSION" || "$v" == *" $REGISTRY_VERSION+"* ]]
}
oras_ok() { # "Version:    1.3.6" on the first line
	local v
	v="$("$DIR/oras" version 2>/dev/null)" || return 1
	v="${v%%$'\n'*}"
	[[ "$v" =~ ^Version:\ +"${ORAS_VERSION#v}"$ ]]
}

install_tool() { # name, module path@version
	local name="$1" pkg="$2" tmp
	echo "building $name ($pkg) into $DIR (once)" >&2
	# Install into a temporary directory first, so that a concurrent or interrupted build never
	# leaves a half-written binary behind.
	tmp="$(mktemp -d "$DIR/.build.XXXXXX")"
	if ! (cd /tmp && GOBIN="$tmp" GOFLAGS='' CGO_ENABLED=0 go install -trimpath "$pkg") >&2; then
		rm -rf "$tmp"
		echo "cannot build $name from the Go module proxy" >&2
		exit 1
	fi
	mv -f "$tmp/$name" "$DIR/$name"
	rm -rf "$tmp"
}

build() {
	registry_ok && oras_ok && return 0
	mkdir -p "$DIR"
	# One build at a time: a second caller waits for the first one's binaries.
	exec 9>"$DIR.lock"
	flock 9
	registry_ok || install_tool registry "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
	oras_ok || install_tool oras "oras.land/oras/cmd/oras@$ORAS_VERSION"
	registry_ok || { echo "$DIR/registry does not report $REGISTRY_VERSION" >&2; exit 1; }
	oras_ok || { echo "$DIR/oras does not report $ORAS_VERSION" >&2; exit 1; }
	exec 9>&-
}

case "${1:-build}" in
build) build ;;
path)
	case "${2:-}" in
	registry | oras)
		build
		echo "$DIR/$2"
		;;
	*) echo "usage: $0 path registry|oras" >&2; exit 2 ;;
	esac
	;;
*) echo "usage: $0 [build | path registry|oras]" >&2; exit 2 ;;
esac
