#!/usr/bin/env bash
# Installs a provider binary where Terraform and OpenTofu find it with no CLI configuration: the
# "unpacked" layout of their implied local mirror directories (what `make install` runs).
#
#   scripts/install.sh deps                          the Debian packages the cgo build needs (gcc, libc6-dev,
#                                                    libvirt-dev, pkg-config); as root it installs the missing
#                                                    ones with apt-get, otherwise it names them
#   scripts/install.sh place BINARY VERSION [DIR]    copies BINARY to
#       DIR/<host>/unikernel-dev/unikernel/VERSION/<os>_<arch>/terraform-provider-unikernel_vVERSION
#       for host registry.terraform.io (Terraform) and registry.opentofu.org (OpenTofu);
#       DIR defaults to ~/.terraform.d/plugins
#
# Both CLIs search ~/.terraform.d/plugins when the CLI configuration has no provider_installation block
# (Terraform: cliconfig.ConfigDir()/plugins; OpenTofu 1.12: cliconfig.DataDirs(), the first of which is
# ~/.terraform.d), and also the XDG data directories: $XDG_DATA_HOME/terraform/plugins (default
# ~/.local/share/terraform/plugins) and each of $XDG_DATA_DIRS/terraform/plugins (default
# /usr/local/share/terraform/plugins and /usr/share/terraform/plugins), so DIR=/usr/local/share/terraform/plugins
# installs for every user. A bare `source = "unikernel-dev/unikernel"` means registry.terraform.io in
# Terraform and registry.opentofu.org in OpenTofu: the binary goes under both.
set -euo pipefail

NAMESPACE=unikernel-dev
TYPE=unikernel
HOSTS=(registry.terraform.io registry.opentofu.org)
BUILD_PACKAGES=(gcc libc6-dev libvirt-dev pkg-config)

say() { printf 'install: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

deps() {
	command -v go >/dev/null ||
		die "Go is not installed: the provider needs the Go version named in go.mod (https://go.dev/dl/; Debian 12's golang package is too old)"
	if ! command -v dpkg-query >/dev/null; then
		# Not Debian or Ubuntu: check for the tools only, and name Fedora's packages.
		command -v gcc >/dev/null && pkg-config --exists libvirt 2>/dev/null && return 0
		die "the build needs a C compiler and the libvirt development files: on Fedora, dnf install gcc libvirt-devel pkgconf-pkg-config"
	fi
	local missing=() p
	for p in "${BUILD_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing Debian packages for the build: run as root: apt-get install ${missing[*]}"
	say "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

place() {
	local bin="$1" version="$2" dir="${3:-$HOME/.terraform.d/plugins}" platform host dest
	[ -x "$bin" ] || die "no provider binary at $bin"
	[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
		die "VERSION must be a semantic version such as 0.1.0, not '$version'"
	platform="$(go env GOOS)_$(go env GOARCH)"
	for host in "${HOSTS[@]}"; do
		dest="$dir/$host/$NAMESPACE/$TYPE/$version/$platform"
		install -d -m 0755 "$dest"
		# A new file rather than writing into the old one: a running provider keeps its binary.
		install -m 0755 "$bin" "$dest/terraform-provider-${TYPE}_v$version.tmp"
		mv -f "$dest/terraform-provider-${TYPE}_v$version.tmp" "$dest/terraform-provider-${TYPE}_v$version"
		say "installed $dest/terraform-provider-${TYPE}_v$version"
	done
	local rc
	for rc in "${TF_CLI_CONFIG_FILE:-}" "$HOME/.terraformrc" "$HOME/.tofurc" "${XDG_CONFIG_HOME:-$HOME/.config}/opentofu/tofurc"; do
		if [ -n "$rc" ] && [ -f "$rc" ] && grep -q '^[[:space:]]*provider_installation' "$rc"; then
			say "note: $rc has a provider_installation block, so the CLI that reads it ignores the directories above;"
			say "      add a filesystem_mirror { path = \"$dir\" } to that block, or remove the block"
		fi
	done
	if [[ "$version" == *-* ]]; then
		say "note: $version is a pre-release: a configuration must ask for it exactly (version = \"$version\")"
	fi
	cat >&2 <<EOF
install: Terraform and OpenTofu now find unikernel-dev/unikernel v$version with no CLI configuration:
install:   terraform { required_providers { unikernel = { source = "unikernel-dev/unikernel" } } }
install: then terraform init (or tofu init). A working directory whose .terraform.lock.hcl holds another
install: build of v$version refuses this one (init -upgrade too): delete that lock file and run init again.
EOF
}

case "${1:-}" in
deps) deps ;;
place)
	[ $# -ge 3 ] || die "usage: $0 place BINARY VERSION [DIR]"
	place "$2" "$3" "${4:-}"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
	exit 2
	;;
esac
