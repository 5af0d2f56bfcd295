# shellcheck shell=bash
# Sourced by scripts/fault-sigint.sh and scripts/stress.sh: a fleet of
# multiboot instances (16 MiB each) in a scratch Terraform directory, through
# the provider built from this checkout (scripts/tf-dev.sh).
#   fleet_init KIND              sets root, name (tf-acc-KIND-<random>, which the
#                                leak checker follows) and work (removed on exit)
#   fleet_config N WORD CONSOLE  writes $work/main.tf: N instances $name-<i> with
#                                the command line "WORD <i>", ready once a console
#                                line matches CONSOLE (Terraform expressions such
#                                as ${count.index} are kept as they are)

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fleet_init() {
	root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	name="tf-acc-$1-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
}

fleet_config() {
	{ qemu_provider_header; fleet_instances "$@"; } >"$work/main.tf"
}

fleet_instances() {
	cat <<TF
resource "unikernel_instance" "s" {
  count            = $1
  name             = "$name-\${count.index}"
  kernel           = "$root/build/guests/multiboot/kernel.elf"
  cmdline          = "$2 \${count.index}"
  memory           = 16
  shutdown_timeout = "0s"
  wait_for = {
    console = "$3"
    timeout = "5m"
  }
}
TF
}
