#!/usr/bin/env bash
# Applies and destroys the example configurations that can run on a local
# libvirtd, with the provider built from this checkout, as a user would run
# them: `terraform apply`, a check of the outputs, a plan that must be empty,
# `terraform destroy`, and a check that libvirt has nothing left.
#   scripts/test-examples.sh [CLI]
#
# Artifacts that the examples fetch are replaced by the local test guests
# through the examples' variables; object names get the acceptance prefix
# (so `make sweep` finds leftovers) and networks a range of their own.
# Run it inside the harness namespace (make test-examples does).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${1:-$("$root/scripts/terraform-cli.sh" any)}"
kernel="$root/build/guests/multiboot/kernel.elf"
[ -f "$kernel" ] || { echo "test guest missing: $kernel (make guests)" >&2; exit 1; }
need_provider_build "$root"
digest="$(sha256sum "$kernel" | cut -d' ' -f1)"
# Real unikernels built by their own toolchains (see ../shared/guests/README.md).
shared="${UNIKERNEL_TEST_SHARED_GUESTS:-$root/../shared/guests}"
for g in solo5/test_net_ring.virtio nanos/hellod.img osv/loader-stripped.elf osv/lighttpd.qcow2; do
	[ -f "$shared/$g" ] || { echo "shared guest missing: $shared/$g (set UNIKERNEL_TEST_SHARED_GUESTS)" >&2; exit 1; }
done
uri="${UNIKERNEL_URI:-${LIBVIRT_DEFAULT_URI:-qemu:///system}}"
rnd() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }

work="$(mktemp -d)"
write_dev_overrides "$work/terraformrc" "$root"
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cp -r "$root/examples" "$work/examples"

failed=0
applied=()
cleanup() {
	# Destroy whatever an interrupted run left applied, then the copy.
	local dir vars
	for dir in "${applied[@]}"; do
		[ -n "$dir" ] || continue
		eval "vars=($(cat "$dir/.vars"))"
		(cd "$dir" && TF_DATA_DIR="$dir/.tfdata" "$cli" destroy -auto-approve -input=false -no-color \
			"${vars[@]}" >/dev/null 2>&1) || true
	done
	[ -z "${OCI_REGISTRY_PID:-}" ] || kill "$OCI_REGISTRY_PID" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

tf() { # dir, args...
	local dir="$1"
	shift
	(cd "$dir" && TF_DATA_DIR="$dir/.tfdata" "$cli" "$@" -no-color)
}

fail() {
	echo "FAIL $*"
	failed=$((failed + 1))
	ok=false
}

# run_example REL CHECK VAR...: apply, check the outputs with CHECK (a
# function that gets the output JSON on stdin), expect an empty plan, destroy,
# and check that the domains named in the outputs are gone.
run_example() {
	local rel="$1" check="$2" dir="$work/examples/$1" out
	shift 2
	local vars=()
	for v in "$@"; do vars+=(-var "$v"); done
	printf '%q ' "${vars[@]}" >"$dir/.vars"
	ok=true
	echo "=== $rel ($(basename "$cli"))"
	if grep -qs '^\s*module\s' "$dir"/*.tf; then
		tf "$dir" get >/dev/null || { fail "$rel: get"; return; }
	fi
	applied+=("$dir")
	if ! tf "$dir" apply -auto-approve -input=false "${vars[@]}"; then
		fail "$rel: apply"
	elif ! out="$(tf "$dir" output -json)" || ! echo "$out" | "$check"; then
		fail "$rel: outputs"
	elif ! tf "$dir" plan -detailed-exitcode -input=false "${vars[@]}" >/dev/null; then
		fail "$rel: the plan after apply is not empty"
	fi
	local domains
	domains="$(echo "${out:-{\}}" | grep -o '"tf-acc-[a-z0-9-]*"' | tr -d '"' | sort -u || true)"
	if ! tf "$dir" destroy -auto-approve -input=false "${vars[@]}"; then
		fail "$rel: destroy"
		return
	fi
	applied=("${applied[@]/$dir/}")
	for d in $domains; do
		if virsh -c "$uri" dominfo "$d" >/dev/null 2>&1; then
			fail "$rel: domain $d still exists after destroy"
		fi
	done
	if $ok; then echo "ok   $rel"; fi
}

check_demo() {
	local j
	j="$(tr -d '\n')"
	echo "$j" | grep -q '"ready_line".*UNIKERNEL-READY cmdline=hello from terraform' || { echo "no ready line in $j"; return 1; }
	echo "$j" | grep -q '"ipv4_address".*"10.220.140.10"' || { echo "wrong address in $j"; return 1; }
}

check_two_teams() {
	local j
	j="$(tr -d '\n')"
	for want in '10.220.141.10' '10.220.141.11' '10.220.142.10' "$team_a-1" "$team_a-2" "$team_b-1" \
		"/var/lib/unikernel/console/$team_b-1.log"; do
		echo "$j" | grep -q -- "$want" || { echo "outputs lack $want: $j"; return 1; }
	done
}

demo="tf-acc-demo-$(rnd)"
run_example demo check_demo "kernel=$kernel" "name=$demo" "pool_path=/var/lib/unikernel/$demo" "ipv4_cidr=10.220.140.0/24"

team_a="tf-acc-a-$(rnd)"
team_b="tf-acc-b-$(rnd)"
run_example two-teams check_two_teams "kernel=$kernel" "kernel_sha256=$digest" "hypervisor=qemu" "uri=$uri" \
	"teams={a={name=\"$team_a\",cidr=\"10.220.141.0/24\"},b={name=\"$team_b\",cidr=\"10.220.142.0/24\"}}"

check_mirage() {
	local j
	j="$(tr -d '\n')"
	echo "$j" | grep -q "/var/lib/unikernel/console/$mirage-web-1.log" || { echo "no console log in $j"; return 1; }
	echo "$j" | grep -q -- '--ipv4=10.0.0.2/24 --ipv4-gateway=10.0.0.1 --port=8080' || { echo "wrong command line in $j"; return 1; }
}

check_microvm() {
	local j
	j="$(tr -d '\n')"
	echo "$j" | grep -q '"address".*"10.220.144.10"' || { echo "no leased address in $j"; return 1; }
	echo "$j" | grep -q '"boot_format".*"linux"' || { echo "wrong boot format in $j"; return 1; }
	echo "$j" | grep -q '"boot_cmdline".*ip=10.220.144.10::10.220.144.1:255.255.255.0::eth0:off APP_VERSION=2.0.1 -- --listen=:8080' ||
		{ echo "wrong command line in $j"; return 1; }
}

# Family examples: their artifacts are replaced by the test guests, their
# readiness gates by the test guests' ready lines.
mirage="tf-acc-mirage-$(rnd)"
# Solo5's test_net_ring (from the shared guests, built by Solo5) answers at its
# fixed 10.0.0.2, so the example's network is 10.0.0.0/24 and its host .2.
run_example families/mirageos-solo5 check_mirage "image_source=$shared/solo5/test_net_ring.virtio" \
	"image_sha256=$(sha256sum "$shared/solo5/test_net_ring.virtio" | cut -d' ' -f1)" \
	"name_prefix=$mirage" "cidr=10.0.0.0/24" "host_number=2" "hypervisor=qemu" "ready_console=Serving ping on 10\\.0\\.0\\.2"

vmdir="$root/build/guests/microvm"
if [ -f "$vmdir/vmlinuz" ] && [ -f "$vmdir/initramfs.cpio" ]; then
	run_example families/linux-microvm check_microvm \
		"kernel_source=$vmdir/vmlinuz" "kernel_sha256=$(sha256sum "$vmdir/vmlinuz" | cut -d' ' -f1)" \
		"initramfs_source=$vmdir/initramfs.cpio" "initramfs_sha256=$(sha256sum "$vmdir/initramfs.cpio" | cut -d' ' -f1)" \
		"name_prefix=tf-acc-microvm-$(rnd)" "cidr=10.220.144.0/24" "hypervisor=qemu"
else
	fail "families/linux-microvm: test microVM missing in $vmdir (make guests)"
fi

check_has_outputs() { # the apply's readiness gate already saw the ready line
	tr -d '\n' | grep -q '"value"' || { echo "no outputs"; return 1; }
}

# The Unikraft example pulls a kraftkit package from a registry on loopback.
# shellcheck source=scripts/oci-lib.sh
. "$root/scripts/oci-lib.sh"
if oci_start_registry "$work/registry" && oci_push_kraftkit "$OCI_REGISTRY/unikraft/httpserver:0.16.3" "$kernel" \
	"$vmdir/initramfs.cpio" '["/usr/bin/httpserver", "--port", "8080"]'; then
	run_example families/unikraft check_has_outputs "package=$OCI_REGISTRY/unikraft/httpserver:0.16.3" \
		"registry={address=\"$OCI_REGISTRY\",plain_http=true}" \
		"name_prefix=tf-acc-unikraft-$(rnd)" "cidr=10.220.145.0/24" "hypervisor=qemu" "gate_on_network=false" \
		"ready_console=UNIKERNEL-READY cmdline=netdev.ip=10.220.145.10/24:10.220.145.1 env.vars=.* -- /usr/bin/httpserver --port 8080"
else
	fail "families/unikraft: the local registry or the push of its package failed"
fi
[ -z "${OCI_REGISTRY_PID:-}" ] || kill "$OCI_REGISTRY_PID" 2>/dev/null || true

# Nanos and OSv run real guests from the shared guests, built by their own
# toolchains: Nanos's hellod (DHCP, serves on 8080) from its disk, and OSv's
# kernel with its lighttpd disk (static address, serves on 80).
run_example families/nanos check_has_outputs "image_source=$shared/nanos/hellod.img" \
	"image_sha256=$(sha256sum "$shared/nanos/hellod.img" | cut -d' ' -f1)" "name_prefix=tf-acc-nanos-$(rnd)" \
	"cidr=10.220.146.0/24" "hypervisor=qemu" "ready_console=hellod: listening on"
run_example families/osv check_has_outputs "kernel_source=$shared/osv/loader-stripped.elf" \
	"kernel_sha256=$(sha256sum "$shared/osv/loader-stripped.elf" | cut -d' ' -f1)" \
	"image_source=$shared/osv/lighttpd.qcow2" "image_sha256=$(sha256sum "$shared/osv/lighttpd.qcow2" | cut -d' ' -f1)" \
	'app_args=["/lighttpd","-D","-f","/lighttpd.conf"]' 'app_env={GREETING="hi"}' "app_port=80" \
	"name_prefix=tf-acc-osv-$(rnd)" "cidr=10.220.147.0/24" "hypervisor=qemu" "ready_console=^eth0: 10\\.220\\.147\\.10"

echo "examples applied and destroyed: $failed failed"
[ "$failed" -eq 0 ]
