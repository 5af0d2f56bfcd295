#!/usr/bin/env bash
# The fleet module (examples/modules/unikernel-fleet) on three hosts, with OpenTofu: three private
# libvirtds (scripts/private-libvirtd.sh), one reached over qemu+ssh:// through the harness's sshd and
# two over their unix sockets, so that the fleet is three hosts to the provider. Run inside the harness
# namespace (`make test-fleet`). Steps, each checked from `tofu show -json` of a saved plan:
#   1. 4 replicas over a, b, c: every host runs at least one; the next plan changes no resource;
#   2. a fourth host d and 6 replicas: the plan only adds (nothing running is touched);
#   3. b drained: the plan destroys only b's objects, says which replicas move and why, and applies;
#      then b leaves the map: no resource changes;
#   4. host c's libvirtd stopped between plan and apply of 9 replicas (one more per host): the apply
#      fails with errors that name c's URI and no other host's resource; it prints how many replicas
#      the other hosts run then; once c is back, one apply converges and the next plan is empty;
#   5. destroy: no domain, network or pool is left on any host.
#   scripts/test-fleet.sh [TOFU]
set -euo pipefail
LOG_PREFIX=test-fleet
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
root="$(cd "$(dirname "$0")/.." && pwd)"
tofu="${1:-$("$root/scripts/terraform-cli.sh" tofu)}"
kernel="$root/build/guests/multiboot/kernel.elf"
[ -f "$kernel" ] || die "$kernel missing (make guests)"
need_provider_build "$root"
command -v jq >/dev/null || die "jq missing (scripts/harness.sh up installs it)"
command -v nc >/dev/null || die "nc missing: qemu+ssh:// to a socket of one's own needs netcat-openbsd (scripts/harness.sh up installs it)"

rand="$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
run="tf-acc-fleet-$rand"
work="$(mktemp -d)"
daemons=(fa fb fc fd)
# dn HOST: the private daemon of a host (names of at most 20 characters).
dn() { echo "fl$rand-$1"; }
cleanup() {
	local rc=$?
	if [ -f "$work/terraform.tfstate" ] && [ "${destroyed:-0}" -eq 0 ]; then
		(cd "$work" && "$tofu" destroy -auto-approve -no-color >"$work/cleanup.log" 2>&1) || log "clean-up destroy failed: $work/cleanup.log"
	fi
	for d in "${daemons[@]}"; do "$root/scripts/private-libvirtd.sh" down "$(dn "$d")" >/dev/null 2>&1 || true; done
	rm -rf "/var/lib/unikernel/$run"
	[ "$rc" -eq 0 ] && rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT

declare -A uri
for d in "${daemons[@]}"; do
	"$root/scripts/private-libvirtd.sh" up "$(dn "$d")"
	uri[$d]="$("$root/scripts/private-libvirtd.sh" uri "$(dn "$d")")"
done
# Host a over SSH: the harness's sshd, then nc to the private daemon's socket.
uri[fa]="qemu+ssh://$("$root/scripts/harness.sh" ssh-uri | sed 's|^qemu+ssh://||; s|/system$||')/system?socket=/run/unikernel-private/$(dn fa)/run/libvirt-sock"

write_dev_overrides "$work/terraformrc" "$root"
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cat >"$work/main.tf" <<TF
terraform {
  required_providers {
    unikernel = { source = "unikernel-dev/unikernel" }
  }
}
variable "hosts" {
  type = any
}
variable "replicas" {
  type = number
}
module "fleet" {
  source           = "$root/examples/modules/unikernel-fleet"
  name             = "$run"
  hosts            = var.hosts
  replicas         = var.replicas
  image_source     = "$kernel"
  image_sha256     = "$(sha256sum "$kernel" | cut -d' ' -f1)"
  memory           = 16
  reserve_mib      = 0
  cmdline          = "fleet=$run replica=\$\${index} host=\$\${host}"
  network_cidr     = "10.232.0.0/24"
  ready_console    = "UNIKERNEL-READY cmdline=fleet="
  shutdown_timeout = "0s"
}
output "replicas" {
  value = module.fleet.replicas
}
output "placement" {
  value = module.fleet.placement
}
TF

# vars REPLICAS HOST[:drain]...: the variables file. Hosts share this machine's filesystem, so each
# has a console and pool directory of its own.
vars() {
	local n="$1" sep="" h drain
	shift
	{
		printf '{"replicas": %s, "hosts": {' "$n"
		for h in "$@"; do
			drain=false
			[ "${h#*:}" = drain ] && drain=true
			h="${h%%:*}"
			printf '%s"%s": {"uri": "%s", "hypervisor": "qemu", "drain": %s, "console_path": "/var/lib/unikernel/%s/%s/console", "pool_path": "/var/lib/unikernel/%s/%s/images"}' \
				"$sep" "$h" "${uri[$h]}" "$drain" "$run" "$h" "$run" "$h"
			sep=", "
		done
		printf '}}\n'
	} >"$work/terraform.tfvars.json"
}
tf() { (cd "$work" && "$tofu" "$@" -no-color); }
# plan_actions: the saved plan's resource actions, one "ACTIONS ADDRESS" line each (no-ops and reads left out).
plan_actions() {
	tf plan -out=plan.bin >"$work/plan.log" 2>&1 || { cat "$work/plan.log" >&2; die "plan failed"; }
	tf show -json plan.bin | jq -r '.resource_changes[] | select(.change.actions != ["no-op"] and .change.actions != ["read"]) | "\(.change.actions | join(",")) \(.address)"'
}
apply_plan() { tf apply plan.bin >"$work/apply.log" 2>&1 || { cat "$work/apply.log" >&2; die "apply failed"; }; }
hosts_of() { tf output -json placement | jq -r '.hosts | join(" ")'; }
fail() { die "$*"; }

log "1. 4 replicas over three hosts"
# The provider's for_each is evaluated at init, so the variables come first.
vars 4 fa fb fc
# dev_overrides serve the provider: only the modules are installed (`get`; init would ask the registry).
tf get >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; die "get failed"; }
plan_actions >/dev/null
apply_plan
placed="$(hosts_of)"
for h in fa fb fc; do [[ " $placed " == *" $h "* ]] || fail "host $h runs no replica: $placed"; done
left="$(plan_actions)"
[ -z "$left" ] || fail "the plan after the apply changes resources: $left"
log "   placed: $placed; the next plan changes no resource"

log "2. a fourth host and 6 replicas: only additions"
vars 6 fa fb fc fd
actions="$(plan_actions)"
echo "$actions" | grep -qv '^create ' && fail "adding a host touches existing objects: $(echo "$actions" | grep -v '^create ')"
echo "$actions" | grep -q 'host\["fd"\].unikernel_instance' || fail "the new host got no replica: $actions"
apply_plan
log "   $(echo "$actions" | wc -l) additions; placed: $(hosts_of)"

log "3. b drained, then removed"
before="$(hosts_of)"
vars 6 fa fb:drain fc fd
actions="$(plan_actions)"
echo "$actions" | grep '^delete ' | grep -qv 'host\["fb"\]' && fail "draining b deletes objects of other hosts: $actions"
grep -q 'This plan moves replicas to other hosts:.*from fb to' "$work/plan.log" ||
	grep -Pzo 'This plan moves replicas to other hosts:(.|\n)*?from\s+fb\s+to' "$work/plan.log" >/dev/null || fail "the plan does not name the moves: $(cat "$work/plan.log")"
apply_plan
after="$(hosts_of)"
read -ra b4 <<<"$before"
read -ra af <<<"$after"
for i in "${!b4[@]}"; do
	if [ "${b4[$i]}" != fb ] && [ "${b4[$i]}" != "${af[$i]}" ]; then fail "replica $i moved from ${b4[$i]} to ${af[$i]}"; fi
	[ "${af[$i]}" != fb ] || fail "replica $i stays on the drained host"
done
vars 6 fa fc fd
left="$(plan_actions)"
[ -z "$left" ] || fail "removing the drained host changes resources: $left"
apply_plan
log "   before $before, after $after; removing b changes no resource"

log "4. host c's libvirtd stopped between plan and apply of 9 replicas (one more on each host)"
vars 9 fa fc fd
actions="$(plan_actions)"
echo "$actions" | grep -q 'host\["fc"\].unikernel_instance' || fail "the plan gives c no new replica: $actions"
"$root/scripts/private-libvirtd.sh" stop-daemon "$(dn fc)"
if tf apply plan.bin >"$work/apply-down.log" 2>&1; then fail "the apply with c down succeeded"; fi
grep -q 'Error' "$work/apply-down.log" || fail "no error in: $(cat "$work/apply-down.log")"
if grep -A3 '^Error' "$work/apply-down.log" | grep -q 'with module.fleet.module.host\["f[ad]"\]'; then
	fail "a host that runs failed: $(cat "$work/apply-down.log")"
fi
grep -q "$(dn fc)/run/libvirt-sock" "$work/apply-down.log" || fail "the errors do not name c's URI: $(cat "$work/apply-down.log")"
for h in fa fd; do
	n="$(virsh -q -c "$("$root/scripts/private-libvirtd.sh" uri "$(dn "$h")")" list --name | grep -c "^$run-" || true)"
	log "   host $h runs $n replicas"
done
"$root/scripts/private-libvirtd.sh" start-daemon "$(dn fc)"
plan_actions >/dev/null
apply_plan
left="$(plan_actions)"
[ -z "$left" ] || fail "after c came back, the plan still changes resources: $left"
log "   the failed apply named c only; one apply converged: $(hosts_of)"

log "5. destroy"
tf destroy -auto-approve >"$work/destroy.log" 2>&1 || { cat "$work/destroy.log" >&2; die "destroy failed"; }
destroyed=1
for h in fa fb fc fd; do
	u="$("$root/scripts/private-libvirtd.sh" uri "$(dn "$h")")"
	rest="$(virsh -q -c "$u" list --all --name; virsh -q -c "$u" net-list --all --name | grep "$run" || true; virsh -q -c "$u" pool-list --all --name | grep "$run" || true)"
	[ -z "$(echo "$rest" | tr -d '[:space:]')" ] || fail "left on host $h: $rest"
done
log "passed"
