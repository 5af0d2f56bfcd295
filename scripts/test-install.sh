#!/usr/bin/env bash
# The install path as a newcomer takes it (make test-install):
#
#   1. an empty HOME (mktemp -d) and no CLI configuration: TF_CLI_CONFIG_FILE, TF_PLUGIN_CACHE_DIR and the
#      XDG variables unset, no ~/.terraformrc or ~/.tofurc;
#   2. `make install` with that HOME, which must place the provider in the implied mirror under
#      $HOME/.terraform.d/plugins for registry.terraform.io and registry.opentofu.org;
#   3. for Terraform (terraform on PATH) and for OpenTofu (scripts/terraform-cli.sh tofu): a copy of
#      examples/demo (its plain required_providers block, no version), `init`, which must install the
#      provider from that directory (a link into it, "unauthenticated", with an h1: hash in the lock file,
#      and HTTPS_PROXY pointing nowhere so that any registry request fails), then `apply -auto-approve`,
#      the outputs (the console's ready line with the demo's cmdline, the reserved address, the version
#      the CLI reports for the provider), and `destroy`;
#   4. `make install PLUGIN_DIR=<dir>/terraform/plugins` and init with XDG_DATA_DIRS=<dir> and another empty
#      HOME, with each CLI: the system-wide directory (/usr/local/share/terraform/plugins) works the same way.
#
# The libvirtd is set up as a stock Debian host's: a private daemon (scripts/private-libvirtd.sh with
# UNIKERNEL_PRIVATE_STOCK=1, libvirt's own qemu.conf defaults), so QEMU runs as the unprivileged
# libvirt-qemu user with dynamic ownership, and the test checks that the demo's QEMU process does. The CLIs
# run inside that daemon's network namespace, with its URI in LIBVIRT_DEFAULT_URI (the demo's provider
# block has no `uri`, so the environment decides). Each run has its own names (tf-acc- prefix, so
# `make sweep` removes leftovers), pool directory and network (10.213.141.0/24 for Terraform,
# 10.213.142.0/24 for OpenTofu).
#
# Go's module and build caches are kept from the caller's environment: the test is about where the CLIs
# look for the provider, not about downloading Go modules again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PATH="$(go env GOPATH)/bin:/usr/local/go/bin:$PATH"
export PATH

say() { printf 'test-install: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

kernel="$root/build/guests/multiboot/kernel.elf"
[ -f "$kernel" ] || fail "no $kernel: run make build/guests/multiboot/kernel.elf (make test-install does)"
terraform_bin="$(command -v terraform)" || fail "no terraform on PATH"
tofu_bin="$(scripts/terraform-cli.sh tofu)"
daemon=install-stock
UNIKERNEL_PRIVATE_STOCK=1 scripts/private-libvirtd.sh up "$daemon"
uri="$(scripts/private-libvirtd.sh uri "$daemon")"
ns="$(scripts/private-libvirtd.sh netns "$daemon")"
grep -qE '^[[:space:]]*user[[:space:]]*=' "/run/unikernel-private/$daemon/etc/qemu.conf" &&
	fail "the private daemon's qemu.conf sets a QEMU user; a stock host's does not"
gocache="$(go env GOCACHE)" gomodcache="$(go env GOMODCACHE)" gopath="$(go env GOPATH)"

home="$(mktemp -d /tmp/tf-acc-install-home.XXXXXX)"
work="$(mktemp -d /tmp/tf-acc-install-work.XXXXXX)"
# Every variable through which a CLI configuration or a plugin directory could reach the CLIs.
unset TF_CLI_CONFIG_FILE TERRAFORM_CONFIG TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_CLI_ARGS TF_CLI_ARGS_init \
	XDG_CONFIG_HOME XDG_DATA_HOME XDG_DATA_DIRS TF_ACC_PROVIDER_HOST TF_ACC_PROVIDER_NAMESPACE
export HOME="$home" GOCACHE="$gocache" GOMODCACHE="$gomodcache" GOPATH="$gopath" CHECKPOINT_DISABLE=1

# Runs in the private daemon's network namespace with the test's environment; nothing may come from the network.
run() { # dir cli args...
	local dir="$1" cli="$2"
	shift 2
	ip netns exec "$ns" env HOME="$home" LIBVIRT_DEFAULT_URI="$uri" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 \
		HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY= \
		"$cli" -chdir="$dir" "$@" -no-color
}

pools=()  # pool directories this test named
active=() # working directories with state to destroy if the test stops early
cleanup() {
	local d
	for d in "${active[@]}"; do
		[ -f "$d/terraform.tfstate" ] || continue
		say "cleaning up $d"
		run "$d" "$(cat "$d/.cli")" destroy -auto-approve -input=false -var "kernel=$kernel" >"$d/cleanup.log" 2>&1 ||
			say "destroy in $d failed (see $d/cleanup.log; make sweep removes tf-acc- objects)"
	done
	scripts/private-libvirtd.sh down "$daemon" || say "stopping the private daemon $daemon failed"
	rm -rf "$home" "${pools[@]}"
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

[ -z "$(ls -A "$home")" ] || fail "$home is not empty"

say "make install with HOME=$home and no CLI configuration"
t0=$SECONDS
make --no-print-directory install >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "make install"; }
install_s=$((SECONDS - t0))
# shellcheck disable=SC2016 # $(INSTALL_VERSION) is make's, not the shell's
version="$(make --no-print-directory -s -f GNUmakefile -f - print-install-version <<<'print-install-version: ; @echo $(INSTALL_VERSION)')"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "make install installs '$version', which is not a release version"
platform="$(go env GOOS)_$(go env GOARCH)"
for host in registry.terraform.io registry.opentofu.org; do
	f="$home/.terraform.d/plugins/$host/unikernel-dev/unikernel/$version/$platform/terraform-provider-unikernel_v$version"
	[ -x "$f" ] || { cat "$work/install.log" >&2; fail "make install did not place $f"; }
	cmp -s "$f" build/install/terraform-provider-unikernel || fail "$f is not the binary make install built"
done
say "make install: v$version in $install_s s"

# qemu_user DOMAIN prints the user the domain's QEMU process runs as (libvirt's pid file, then /proc).
qemu_user() {
	local pid
	pid="$(cat "/run/unikernel-private/$daemon/run/qemu/$1.pid" 2>/dev/null)" || { echo "(no pid file)"; return; }
	id -nu "$(awk '/^Uid:/ {print $3}' "/proc/$pid/status" 2>/dev/null)" 2>/dev/null || echo "(no process $pid)"
}

# check DIR CLI NAME HOST CIDR: the demo with one CLI, init to destroy.
check() {
	local name="$1" cli="$2" host="$3" cidr="$4" dir="$work/$1" t0=$SECONDS t1 out link pid=$$
	local obj="tf-acc-install-$name-$pid" addr
	mkdir -p "$dir"
	cp examples/demo/*.tf "$dir/"
	# The URI comes from LIBVIRT_DEFAULT_URI; everything else is the demo as users get it.
	sed -i '/^provider "unikernel"/,/^}/{/^[[:space:]]*uri[[:space:]]*=/d}' "$dir/main.tf"
	grep -q 'source = "unikernel-dev/unikernel"' "$dir/main.tf" || fail "the demo has no plain required_providers block"
	! grep -q '^[[:space:]]*version[[:space:]]*=' "$dir/main.tf" || fail "the demo pins a provider version"
	echo "$cli" >"$dir/.cli"
	pools+=("/var/lib/unikernel/$obj")
	cat >"$dir/terraform.tfvars" <<EOF
kernel    = "$kernel"
name      = "$obj"
pool_path = "/var/lib/unikernel/$obj"
ipv4_cidr = "$cidr"
EOF

	say "$name: init"
	run "$dir" "$cli" init -input=false >"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; fail "$name init"; }
	grep -q "Installed unikernel-dev/unikernel v$version (unauthenticated)" "$dir/init.log" ||
		{ cat "$dir/init.log" >&2; fail "$name init did not install v$version from the local directory"; }
	link="$(readlink -f "$dir/.terraform/providers/$host/unikernel-dev/unikernel/$version/$platform")"
	[ "$link" = "$home/.terraform.d/plugins/$host/unikernel-dev/unikernel/$version/$platform" ] ||
		fail "$name installed the provider from $link, not from ~/.terraform.d/plugins"
	grep -A3 "provider \"$host/unikernel-dev/unikernel\"" "$dir/.terraform.lock.hcl" | grep -q "version *= \"$version\"" ||
		{ cat "$dir/.terraform.lock.hcl" >&2; fail "$name: the lock file does not select $host/unikernel-dev/unikernel $version"; }
	grep -q '"h1:' "$dir/.terraform.lock.hcl" || fail "$name: the lock file has no checksum"

	say "$name: apply"
	active+=("$dir")
	run "$dir" "$cli" apply -auto-approve -input=false >"$dir/apply.log" 2>&1 || { cat "$dir/apply.log" >&2; fail "$name apply"; }
	out="$(run "$dir" "$cli" output -raw ready_line)" || fail "$name output ready_line"
	[[ "$out" == "UNIKERNEL-READY cmdline=hello from terraform"* ]] || fail "$name: ready_line is '$out'"
	addr="$(run "$dir" "$cli" output -raw ipv4_address)"
	[ "$addr" = "${cidr%.0/24}.10" ] || fail "$name: ipv4_address is '$addr', want ${cidr%.0/24}.10"
	run "$dir" "$cli" version | grep -q "provider $host/unikernel-dev/unikernel v$version" ||
		fail "$name version does not list $host/unikernel-dev/unikernel v$version"
	qemu_user "$obj-hello" | grep -qx libvirt-qemu || fail "$name: QEMU of $obj-hello runs as $(qemu_user "$obj-hello"), not libvirt-qemu"
	say "$name: $out ($addr), QEMU as libvirt-qemu"

	say "$name: destroy"
	run "$dir" "$cli" destroy -auto-approve -input=false >"$dir/destroy.log" 2>&1 || { cat "$dir/destroy.log" >&2; fail "$name destroy"; }
	grep -q "Destroy complete! Resources: 4 destroyed" "$dir/destroy.log" || { cat "$dir/destroy.log" >&2; fail "$name destroy"; }
	active=("${active[@]/$dir/}")
	! virsh -q -c "$uri" dominfo "$obj-hello" >/dev/null 2>&1 || fail "$name: the instance $obj-hello is still defined"
	! virsh -q -c "$uri" net-info "$obj" >/dev/null 2>&1 || fail "$name: the network $obj is still defined"
	t1=$((SECONDS - t0))
	say "$name: init, apply and destroy in $t1 s"
	times+=("$name ${t1}s")
}

# shared CLI HOST: `make install PLUGIN_DIR=<share>/terraform/plugins`, the directory for every user, found
# through XDG_DATA_DIRS (whose default is /usr/local/share:/usr/share) by init in a configuration with another,
# empty HOME.
shared() {
	local name="$1" cli="$2" host="$3" dir="$work/shared-$1" share="$work/share" t0=$SECONDS
	mkdir -p "$dir/home"
	cp examples/demo/*.tf "$dir/"
	env -u XDG_DATA_DIRS make --no-print-directory install PLUGIN_DIR="$share/terraform/plugins" >"$dir/install.log" 2>&1 ||
		{ cat "$dir/install.log" >&2; fail "make install PLUGIN_DIR=$share/terraform/plugins"; }
	env HOME="$dir/home" XDG_DATA_DIRS="$share" HTTPS_PROXY=http://127.0.0.1:9 TF_IN_AUTOMATION=1 \
		"$cli" -chdir="$dir" init -input=false -no-color >"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; fail "$name init (shared)"; }
	[ "$(readlink -f "$dir/.terraform/providers/$host/unikernel-dev/unikernel/$version/$platform")" = \
		"$share/terraform/plugins/$host/unikernel-dev/unikernel/$version/$platform" ] ||
		{ cat "$dir/init.log" >&2; fail "$name did not install the provider from \$XDG_DATA_DIRS/terraform/plugins"; }
	say "$name: init from <XDG_DATA_DIRS>/terraform/plugins in $((SECONDS - t0)) s (make install PLUGIN_DIR=...)"
}

times=()
check terraform "$terraform_bin" registry.terraform.io 10.213.141.0/24
check tofu "$tofu_bin" registry.opentofu.org 10.213.142.0/24
shared terraform "$terraform_bin" registry.terraform.io
shared tofu "$tofu_bin" registry.opentofu.org
say "passed: make install ${install_s}s; ${times[*]} (init, apply and destroy)"
