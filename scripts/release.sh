#!/usr/bin/env bash
# Release builds, and the checks that they work as users install them.
#
#   scripts/release.sh tools      install goreleaser, actionlint and the Debian packages the builds need
#   scripts/release.sh go-tools   install only goreleaser and actionlint
#   scripts/release.sh check      goreleaser check, actionlint on the workflows, and the oldest libvirt
#                                 the provider works with (recomputed from the code, compared with
#                                 hypervisor.MinLibvirtVersion and docs/index.md)
#   scripts/release.sh snapshot   an unsigned snapshot release into dist/ (linux/amd64 and linux/arm64), then:
#   scripts/release.sh install    the amd64 archive through a filesystem mirror: terraform init, then a plan
#                                 against the local libvirtd (the harness must be up)
#   scripts/release.sh implied    the amd64 archive with NO CLI configuration and an empty HOME, as docs tell
#                                 users: the zip dropped unchanged into ~/.terraform.d/plugins/<host>/
#                                 unikernel-dev/unikernel/ (terraform init and plan, tofu init and plan),
#                                 and unzipped into .../<version>/linux_amd64/ (terraform init)
#   scripts/release.sh library    the release binary's errors with libvirt.so.0 hidden, and with a
#                                 libvirt.so.0 that reports an old version
#   scripts/release.sh arm64      the arm64 binary under qemu-user-static with Debian's arm64 libvirt0:
#                                 plugin handshake, schema, configure on test:///default, a data source read
#   scripts/release.sh all        snapshot, install, implied, library and arm64 (what make release-snapshot runs)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$(go env GOPATH)/bin:/usr/local/go/bin:$PATH"
export CHECKPOINT_DISABLE=1

GORELEASER_VERSION=v2.12.7
ACTIONLINT_VERSION=v1.7.12
PACKAGES=(gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils qemu-user-static unzip util-linux)
work="$root/build/release"
dist="$root/dist"

LOG_PREFIX=release
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
step() { log "$*"; }
flat() { tr '\n' ' ' | tr -s ' '; } # Terraform wraps long diagnostics
fail() { echo "release: FAIL: $*" >&2; exit 1; }

tools() {
	install_missing "${PACKAGES[@]}"
	go_tools
}

# go_tools installs goreleaser and actionlint from the Go module proxy (no apt,
# so it can run beside the harness's package installs).
go_tools() {
	if ! goreleaser --version 2>/dev/null | grep -q "GitVersion:.*${GORELEASER_VERSION#v}"; then
		step "installing goreleaser $GORELEASER_VERSION"
		(cd /tmp && go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION")
	fi
	if [ "$(actionlint -version 2>/dev/null | head -1)" != "$ACTIONLINT_VERSION" ]; then
		step "installing actionlint $ACTIONLINT_VERSION"
		(cd /tmp && go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION")
	fi
}

# The newest symbol version among the libvirt functions the adapter can call is
# the oldest client library the provider works with.
min_libvirt() {
	local libdir calls versions missing needed declared
	libdir="/usr/lib/$(gcc -print-multiarch)"
	calls="$(go run ./internal/tools/libvirtcalls -tags libvirt_dlopen | grep -v '^virAdm' | sort)"
	versions="$(objdump -T "$libdir/libvirt.so.0" | awk '$NF ~ /^vir/ && $(NF-1) ~ /^LIBVIRT_[0-9]/ {print $NF, $(NF-1)}' | sort)"
	missing="$(join -v1 <(echo "$calls") <(echo "$versions"))"
	[ -z "$missing" ] || fail "the adapter calls libvirt functions that $libdir/libvirt.so.0 does not export: $missing"
	echo "$(echo "$calls" | wc -l) libvirt functions; the newest:" >&2
	join <(echo "$calls") <(echo "$versions") | sort -k2,2V | tail -3 | sed 's/^/  /' >&2
	needed="$(join <(echo "$calls") <(echo "$versions") | sort -k2,2V | tail -1 | sed 's/.*LIBVIRT_//')"
	declared="$(sed -n 's/^const MinLibvirtVersion = \([0-9_]*\).*/\1/p' internal/hypervisor/library.go | tr -d _)"
	[ -n "$declared" ] || fail "no MinLibvirtVersion in internal/hypervisor/library.go"
	declared="$((declared / 1000000)).$((declared / 1000 % 1000)).$((declared % 1000))"
	[ "$needed" = "$declared" ] ||
		fail "the code needs libvirt $needed, but hypervisor.MinLibvirtVersion says $declared: update it and docs/index.md"
	grep -q "libvirt $needed or newer" templates/index.md.tmpl docs/index.md ||
		fail "docs/index.md does not say 'libvirt $needed or newer'"
	step "oldest libvirt client library: $needed (MinLibvirtVersion and docs agree)"
}

check() {
	tools
	step "goreleaser check"
	goreleaser check
	step "actionlint"
	actionlint
	min_libvirt
}

version() { sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$dist/metadata.json"; }

snapshot() {
	tools
	local t0=$SECONDS f glibc
	step "goreleaser snapshot release (unsigned)"
	goreleaser release --snapshot --clean --skip=sign,publish
	step "snapshot built in $((SECONDS - t0))s: version $(version)"
	ls -l "$dist"/*.zip "$dist"/*SHA256SUMS >&2
	grep -q " terraform-provider-unikernel_$(version)_manifest.json\$" "$dist"/*_SHA256SUMS ||
		fail "the registry manifest is not in SHA256SUMS"
	for f in "$dist"/*.zip; do
		(cd "$dist" && grep " $(basename "$f")\$" ./*_SHA256SUMS | sha256sum -c --quiet -) || fail "checksum of $f"
	done
	rm -rf "$work/unpacked"
	for arch in amd64 arm64; do
		mkdir -p "$work/unpacked/$arch"
		unzip -q -o "$dist/terraform-provider-unikernel_$(version)_linux_${arch}.zip" -d "$work/unpacked/$arch"
		f="$work/unpacked/$arch/terraform-provider-unikernel_v$(version)"
		[ -x "$f" ] || fail "no provider binary in the $arch archive"
		# Only glibc is linked; libvirt.so.0 is loaded at run time.
		[ "$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')" = "libc.so.6 " ] ||
			fail "$arch binary links more than libc.so.6: $(readelf -d "$f" | grep NEEDED)"
		glibc="$(objdump -T "$f" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
		[ "$glibc" = GLIBC_2.34 ] || fail "$arch binary needs $glibc, docs/index.md says glibc 2.34"
		step "linux/$arch: $(readelf -h "$f" | sed -n 's/.*Machine: *//p'), needs libc.so.6 ($glibc), loads libvirt.so.0 at run time"
	done
}

# A working directory with a configuration and a CLI config that installs the
# provider only from a filesystem mirror, the way terraform init installs it
# from the registry.
cli() { "$root/scripts/terraform-cli.sh" any; }
registry_host() { case "$(basename "$1")" in tofu*) echo registry.opentofu.org ;; *) echo registry.terraform.io ;; esac; }

mirror_setup() { # dir uri
	local dir="$1" uri="$2" tf host
	tf="$(cli)"
	host="$(registry_host "$tf")"
	rm -rf "$dir"
	mkdir -p "$dir/mirror/$host/unikernel-dev/unikernel" "$dir/config"
	cp "$dist/terraform-provider-unikernel_$(version)_linux_amd64.zip" "$dir/mirror/$host/unikernel-dev/unikernel/"
	cat >"$dir/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$dir/mirror"
    include = ["unikernel-dev/unikernel"]
  }
}
EOF
	cat >"$dir/config/main.tf" <<EOF
terraform {
  required_providers {
    unikernel = {
      source  = "unikernel-dev/unikernel"
      version = "$(version)"
    }
  }
}

provider "unikernel" {
  uri = "$uri"
}

data "unikernel_host" "this" {}

resource "unikernel_pool" "images" {
  name = "tf-release-check-images"
  path = "/var/lib/unikernel/tf-release-check-images"
}

output "libvirt" {
  value = data.unikernel_host.this.libvirt_version
}
EOF
}

tfrun() { # dir args...
	local dir="$1"
	shift
	TF_CLI_CONFIG_FILE="$dir/cli.tfrc" TF_IN_AUTOMATION=1 "$(cli)" -chdir="$dir/config" "$@"
}

install() {
	local dir="$work/install" out
	mirror_setup "$dir" "${LIBVIRT_DEFAULT_URI:-qemu:///system}"
	step "terraform init from the filesystem mirror ($(cli))"
	tfrun "$dir" init -input=false -no-color >"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; fail "init"; }
	grep -q "Installed unikernel-dev/unikernel v$(version)" "$dir/init.log" ||
		{ cat "$dir/init.log" >&2; fail "init did not install unikernel-dev/unikernel v$(version) from the mirror"; }
	grep -q '"h1:' "$dir/config/.terraform.lock.hcl" || fail "the lock file has no hash of the provider"
	cmp "$dir/config/.terraform/providers/$(registry_host "$(cli)")/unikernel-dev/unikernel/$(version)/linux_amd64/terraform-provider-unikernel_v$(version)" \
		"$work/unpacked/amd64/terraform-provider-unikernel_v$(version)" || fail "the installed provider is not the released binary"
	step "terraform plan against the local libvirtd"
	out="$(tfrun "$dir" plan -input=false -no-color 2>&1)" || { echo "$out" >&2; fail "plan"; }
	echo "$out" | grep -q 'unikernel_pool.images will be created' || { echo "$out" >&2; fail "plan does not create the pool"; }
	echo "$out" | grep -q 'libvirt *= *"[0-9]' || { echo "$out" >&2; fail "plan did not read the host"; }
	step "installed archive planned: $(echo "$out" | grep -m1 'Plan:')"
}

# implied: the archive as the getting-started guide says to install it, found by the CLIs' implied local
# mirror directories with no CLI configuration at all. A snapshot's version is a pre-release, so the
# configuration names it exactly (a release's version needs no constraint).
implied() {
	local dir="$work/implied" home zip cli name host plugins out
	zip="$dist/terraform-provider-unikernel_$(version)_linux_amd64.zip"
	for cli in "$(command -v terraform)" "$("$root/scripts/terraform-cli.sh" tofu)"; do
		name="$(basename "$cli")"
		host="$(registry_host "$cli")"
		mirror_setup "$dir" "${LIBVIRT_DEFAULT_URI:-qemu:///system}"
		home="$dir/home"
		plugins="$home/.terraform.d/plugins"
		mkdir -p "$plugins/$host/unikernel-dev/unikernel"
		cp "$zip" "$plugins/$host/unikernel-dev/unikernel/"
		step "$name init with no CLI configuration: $(basename "$zip") in ~/.terraform.d/plugins/$host/unikernel-dev/unikernel/"
		env -u TF_CLI_CONFIG_FILE -u TF_PLUGIN_CACHE_DIR -u XDG_DATA_HOME -u XDG_CONFIG_HOME HOME="$home" \
			HTTPS_PROXY=http://127.0.0.1:9 TF_IN_AUTOMATION=1 "$cli" -chdir="$dir/config" init -input=false -no-color \
			>"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; fail "$name init from the packed layout"; }
		grep -q "Installed unikernel-dev/unikernel v$(version) (unauthenticated)" "$dir/init.log" ||
			{ cat "$dir/init.log" >&2; fail "$name init did not install v$(version) from ~/.terraform.d/plugins"; }
		cmp "$dir/config/.terraform/providers/$host/unikernel-dev/unikernel/$(version)/linux_amd64/terraform-provider-unikernel_v$(version)" \
			"$work/unpacked/amd64/terraform-provider-unikernel_v$(version)" || fail "$name installed another binary than the archive's"
		out="$(env -u TF_CLI_CONFIG_FILE HOME="$home" "$cli" -chdir="$dir/config" plan -input=false -no-color 2>&1)" ||
			{ echo "$out" >&2; fail "$name plan"; }
		echo "$out" | grep -q 'unikernel_pool.images will be created' || { echo "$out" >&2; fail "$name plan does not create the pool"; }
		step "$name: installed from the packed layout and planned: $(echo "$out" | grep -m1 'Plan:')"
	done

	mirror_setup "$dir" "${LIBVIRT_DEFAULT_URI:-qemu:///system}"
	home="$dir/home"
	plugins="$home/.terraform.d/plugins/registry.terraform.io/unikernel-dev/unikernel/$(version)/linux_amd64"
	mkdir -p "$plugins"
	unzip -q "$zip" -d "$plugins"
	step "terraform init with no CLI configuration: the archive unzipped into ~/.terraform.d/plugins/registry.terraform.io/unikernel-dev/unikernel/$(version)/linux_amd64/"
	env -u TF_CLI_CONFIG_FILE -u TF_PLUGIN_CACHE_DIR -u XDG_DATA_HOME -u XDG_CONFIG_HOME HOME="$home" \
		HTTPS_PROXY=http://127.0.0.1:9 TF_IN_AUTOMATION=1 terraform -chdir="$dir/config" init -input=false -no-color \
		>"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; fail "terraform init from the unpacked layout"; }
	grep -q "Installed unikernel-dev/unikernel v$(version) (unauthenticated)" "$dir/init.log" ||
		{ cat "$dir/init.log" >&2; fail "terraform init did not install v$(version) from the unpacked archive"; }
	step "terraform: installed from the unpacked archive"
}

library() {
	local dir="$work/library" out lib old="$work/library-old"
	mirror_setup "$dir" "${LIBVIRT_DEFAULT_URI:-qemu:///system}"
	tfrun "$dir" init -input=false -no-color >"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; fail "init"; }

	lib="$(readlink -f "/usr/lib/$(gcc -print-multiarch)/libvirt.so.0")"
	step "plan with $lib hidden (a private mount namespace)"
	out="$(unshare --mount --propagation private bash -c \
		'mount --bind /dev/null "$1" && shift && "$@"' _ "$lib" \
		env TF_CLI_CONFIG_FILE="$dir/cli.tfrc" "$(cli)" -chdir="$dir/config" plan -input=false -no-color 2>&1 | flat)" &&
		fail "plan succeeded without libvirt.so.0"
	for want in "libvirt client library not found" "unable to load libvirt client library" \
		"apt-get install libvirt0" "libvirt 7.7.0 or newer"; do
		echo "$out" | grep -q "$want" || { echo "$out" >&2; fail "the missing-library error does not say '$want'"; }
	done
	echo "$out" | grep -q "virsh" && { echo "$out" >&2; fail "the missing-library error gives daemon advice"; }
	step "missing library: $(echo "$out" | sed -n 's/.*Error: \(libvirt client library [a-z ]*\) with .*\(unable to load [^ ]* [^ ]* [^ ]* [^ ]*: .*\) The provider loads.*/\1: \2/p')"

	step "plan with a libvirt.so.0 that reports version 6.0.0"
	mkdir -p "$old"
	cat >"$old/stub.c" <<'EOF'
/* Stands in for an old libvirt client library: the bindings look up this
   variable when they load the library, and the provider asks for the version. */
void *virConnectAuthPtrDefault;
int virGetVersion(unsigned long *libVer, const char *type, unsigned long *typeVer)
{
	(void)type;
	(void)typeVer;
	if (libVer)
		*libVer = 6000000;
	return 0;
}
EOF
	gcc -shared -fPIC -Wl,-soname,libvirt.so.0 -o "$old/libvirt.so.0" "$old/stub.c"
	out="$(LD_LIBRARY_PATH="$old" tfrun "$dir" plan -input=false -no-color 2>&1 | flat)" && fail "plan succeeded with libvirt 6.0.0"
	for want in "libvirt client library too old" "it is version 6.0.0, and this provider needs 7.7.0 or newer"; do
		echo "$out" | grep -q "$want" || { echo "$out" >&2; fail "the too-old error does not say '$want'"; }
	done
	step "old library: $(echo "$out" | sed -n 's/.*Error: \(libvirt client library [a-z ]*\) with .*\(unable to use .* or newer\)\. Upgrade.*/\1: \2/p')"
}

arm64() {
	local dir="$work/arm64" sysroot bin out
	sysroot="$("$root/scripts/arm64-sysroot.sh" libvirt0)"
	bin="$work/unpacked/arm64/terraform-provider-unikernel_v$(version)"
	[ -x "$bin" ] || fail "no arm64 binary: run scripts/release.sh snapshot first"
	readelf -h "$bin" | grep -q 'Machine:.*AArch64' || fail "$bin is not an arm64 binary"
	readelf -h "$sysroot/usr/lib/aarch64-linux-gnu/libvirt.so.0" | grep -q 'Machine:.*AArch64' ||
		fail "no arm64 libvirt.so.0 in $sysroot"
	step "arm64: $(basename "$(readlink -f "$sysroot/usr/lib/aarch64-linux-gnu/libvirt.so.0")") (AArch64) from Debian's libvirt0:arm64"
	rm -rf "$dir"
	mkdir -p "$dir/plugin" "$dir/config"
	# Terraform starts the plugin; the plugin is the arm64 binary run by qemu-user-static, with the
	# arm64 loader, glibc and libvirt0 from the sysroot.
	cat >"$dir/plugin/terraform-provider-unikernel" <<EOF
#!/bin/sh
exec qemu-aarch64-static -L "$sysroot" "$bin" "\$@"
EOF
	chmod +x "$dir/plugin/terraform-provider-unikernel"
	cat >"$dir/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "unikernel-dev/unikernel" = "$dir/plugin"
  }
}
EOF
	cat >"$dir/config/main.tf" <<'EOF'
terraform {
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

# libvirt's in-process test driver: configure loads the arm64 libvirt.so.0 and opens it.
provider "unikernel" {
  uri        = "test:///default"
  hypervisor = "qemu"
}

data "unikernel_host" "this" {}

output "host" {
  value = "${data.unikernel_host.this.driver} ${data.unikernel_host.this.hostname} libvirt ${data.unikernel_host.this.libvirt_version}"
}
EOF
	step "arm64: provider schema through the plugin handshake"
	out="$(TF_CLI_CONFIG_FILE="$dir/cli.tfrc" "$(cli)" -chdir="$dir/config" providers schema -json 2>&1)" ||
		{ echo "$out" >&2; fail "providers schema -json with the arm64 binary"; }
	for want in unikernel_instance unikernel_image unikernel_network unikernel_pool unikernel_host; do
		echo "$out" | grep -q "\"$want\"" || fail "the arm64 schema lacks $want"
	done
	step "arm64: plan (configure on test:///default, read data.unikernel_host)"
	out="$(TF_CLI_CONFIG_FILE="$dir/cli.tfrc" "$(cli)" -chdir="$dir/config" plan -input=false -no-color 2>&1)" ||
		{ echo "$out" >&2; fail "plan with the arm64 binary"; }
	echo "$out" | grep -q 'host *= *"TEST .* libvirt [0-9]' || { echo "$out" >&2; fail "the arm64 binary did not read the host"; }
	step "arm64 binary served: $(echo "$out" | grep -m1 'host *=')"
}

case "${1:-}" in
tools) tools ;;
go-tools) go_tools ;;
check) check ;;
snapshot) snapshot ;;
install) install ;;
implied) implied ;;
library) library ;;
arm64) arm64 ;;
all)
	t0=$SECONDS
	# Fetching the arm64 libraries is network-bound and the builds are CPU-bound: overlap them.
	mkdir -p "$work"
	"$root/scripts/arm64-sysroot.sh" libvirt0 >"$work/sysroot.log" 2>&1 &
	sysroot_pid=$!
	snapshot
	install
	implied
	library
	wait "$sysroot_pid" || { cat "$work/sysroot.log" >&2; fail "fetching the arm64 libraries"; }
	arm64
	step "all release checks passed in $((SECONDS - t0))s"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
	exit 2
	;;
esac
