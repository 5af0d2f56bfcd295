#!/usr/bin/env bash
# Unpacks Debian's arm64 libvirt client library (libvirt0:arm64) and everything it
# depends on into a directory, for running the linux/arm64 provider under
# qemu-user-static. It uses a private apt state (arm64 only), so the host's dpkg
# configuration and package lists stay as they are. Prints the directory.
#   scripts/arm64-sysroot.sh [package...]    default: libvirt0
set -euo pipefail
CACHE="${UNIKERNEL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-unikernel}"
state="$CACHE/apt-arm64"
root="$CACHE/sysroot-arm64"
pkgs=("${@:-libvirt0}")
stamp="$root/.packages"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pkgs[*]}" ]; then
	echo "$root"
	exit 0
fi
mkdir -p "$state/lists/partial" "$state/archives/partial"
touch "$state/status"
apt=(apt-get -qq -o APT::Architecture=arm64 -o APT::Architectures::=arm64
	-o Dir::State="$state" -o Dir::State::Lists="$state/lists" -o Dir::State::status="$state/status"
	-o Dir::Cache="$state" -o Dir::Cache::archives="$state/archives" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
echo "fetching arm64 packages: ${pkgs[*]} (and their dependencies)" >&2
"${apt[@]}" update >&2
"${apt[@]}" install -y --download-only --no-install-recommends "${pkgs[@]}" >&2
rm -rf "$root"
mkdir -p "$root"
for deb in "$state"/archives/*_arm64.deb "$state"/archives/*_all.deb; do
	[ -e "$deb" ] || continue
	dpkg -x "$deb" "$root"
done
echo "${pkgs[*]}" >"$stamp"
echo "$root"
