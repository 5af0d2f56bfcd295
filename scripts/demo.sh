#!/usr/bin/env bash
# Runs the demo configuration (examples/demo) against the local libvirtd with
# the provider built from this checkout.
#   scripts/demo.sh apply | plan | destroy
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/build/demo"
# The demo's provider block names no URI: the provider takes LIBVIRT_DEFAULT_URI, else
# qemu:///system. When the harness runs, its daemon is the one meant.
if [ -z "${LIBVIRT_DEFAULT_URI:-}" ] && "$root/scripts/harness.sh" status >/dev/null 2>&1; then
	export LIBVIRT_DEFAULT_URI="$("$root/scripts/harness.sh" uri)"
fi
mkdir -p "$work"
cp "$root"/examples/demo/*.tf "$work/"
vars=(-var "kernel=$root/build/guests/multiboot/kernel.elf")
case "${1:-apply}" in
apply)
	"$root/scripts/tf-dev.sh" "$work" apply -auto-approve -input=false "${vars[@]}"
	echo
	echo "The unikernel runs. Read its console again with: scripts/demo.sh output"
	echo "Remove everything the demo created with:           make demo-destroy"
	;;
plan) "$root/scripts/tf-dev.sh" "$work" plan -input=false "${vars[@]}" ;;
output) "$root/scripts/tf-dev.sh" "$work" output ;;
destroy) "$root/scripts/tf-dev.sh" "$work" destroy -auto-approve -input=false "${vars[@]}" ;;
*) echo "usage: $0 apply|plan|output|destroy" >&2; exit 2 ;;
esac
