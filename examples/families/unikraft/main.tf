# Unikraft, built for the QEMU/KVM platform on x86_64 and pushed to a registry
# by kraftkit: the package holds the kernel (a multiboot kernel that libvirt
# boots directly), the application's root file system as a CPIO initrd, and
# the application's command line.
#
# Build and push it with:
#   kraft pkg --name registry.example.com/unikraft/httpserver:0.16.3 \
#     --plat qemu --arch x86_64 --push .
# This example runs Unikraft's ELF loader with a Linux program from the
# initrd; a natively built application takes its arguments the same way.
#
# The registry and package are placeholders for your own.

terraform {
  # Tested with Terraform 1.11.4 and OpenTofu 1.12.6.
  required_version = ">= 1.11"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

provider "unikernel" {
  # Credentials come from `docker login` / `oras login` (the Docker
  # configuration), or from a registries entry with username and password.
  registries = var.registry == null ? [] : [var.registry]
}


# The defaults are this example's own values; tests set them to run it with a
# local registry and test guests.
variable "package" {
  description = "The kraftkit package: a tag, or better a digest (registry/repository@sha256:...)."
  type        = string
  default     = "registry.example.com/unikraft/httpserver:0.16.3" # placeholder
}

variable "registry" {
  description = "Settings of the package's registry, when it needs any (a private CA, plain http)."
  type = object({
    address    = string
    ca_file    = optional(string)
    plain_http = optional(bool)
  })
  default = null
}

variable "name_prefix" {
  description = "Prefix of the pool, network and instance names."
  type        = string
  default     = "unikraft"
}

variable "cidr" {
  description = "The network of the example; the instance gets the address .10 in it."
  type        = string
  default     = "10.10.2.0/24"
}

variable "hypervisor" {
  description = "Domain type: kvm, or qemu (software emulation)."
  type        = string
  default     = "kvm"
}

variable "gate_on_network" {
  description = "Whether the readiness gate also waits for the static address to answer on the network."
  type        = bool
  default     = true
}

variable "ready_console" {
  description = "Regular expression of the console line that says the program serves."
  type        = string
  default     = "listening on port 8080"
}

resource "unikernel_pool" "unikraft" {
  name = "${var.name_prefix}-images"
  path = "/var/lib/unikernel/${var.name_prefix}"
}

# The package's kernel and its initrd, each verified against its digest. A
# new build pushed under the same tag shows in the next plan as a replacement,
# with the old and new digest.
resource "unikernel_image" "kernel" {
  name = "httpserver_qemu-x86_64"
  pool = unikernel_pool.unikraft.name
  oci = {
    reference = var.package
  }
}

resource "unikernel_image" "rootfs" {
  name = "httpserver-rootfs.cpio"
  pool = unikernel_pool.unikraft.name
  oci = {
    reference = var.package
    part      = "initrd" # kraftkit packs the root file system as the initrd
  }
}

resource "unikernel_network" "unikraft" {
  name      = "${var.name_prefix}-net"
  mode      = "nat"
  ipv4_cidr = var.cidr
}

resource "unikernel_instance" "http" {
  name       = "${var.name_prefix}-http-1"
  hypervisor = var.hypervisor # kvm for a build with Unikraft's random library: it needs RDSEED, which QEMU 7.2 TCG lacks
  kernel     = unikernel_image.kernel.id
  initrd     = unikernel_image.rootfs.id

  # The provider writes the command line as Unikraft reads it: library
  # parameters first (the interface's static address as netdev.ip, env as
  # env.vars, then cmdline), " -- ", and the application's arguments, each
  # quoted so that it arrives as written. The plan shows it as boot_cmdline:
  #   netdev.ip=10.10.2.10/24:10.10.2.1 env.vars=[ "LOG_LEVEL=info" ]
  #   vfs.fstab=[ "initrd0:/:extract::ramfs=1:" ] -- /usr/bin/httpserver --port 8080
  # netdev.ip needs Unikraft 0.16.1 or later built with LIBUKNETDEV_EINFO_LIBPARAM,
  # env.vars LIBPOSIX_ENVIRON_LIBPARAM. vfs.fstab (a library parameter, so in
  # cmdline) extracts the initrd (initrd0) into a RAM file system at /.
  family  = "unikraft"
  cmdline = "vfs.fstab=[ \"initrd0:/:extract::ramfs=1:\" ]"
  # The package's command (its Kraftfile's cmd), as kraftkit passes it.
  args   = compact(split(" ", unikernel_image.kernel.oci_cmdline))
  env    = { LOG_LEVEL = "info" }
  memory = 128 # the initrd is extracted into RAM
  # kraftkit: -cpu host under KVM. ukarch_random_init fails with "Could not initialize the HWRNG (-95)"
  # without RDRAND and RDSEED; QEMU's TCG cannot provide RDSEED, so under qemu the features are left out
  # and only a build without the random library (CONFIG_LIBUKRANDOM off) boots.
  cpu_mode     = var.hypervisor == "kvm" ? "host-passthrough" : "maximum"
  cpu_features = var.hypervisor == "kvm" ? { rdrand = "require", rdseed = "require" } : null

  network_interfaces = [{
    network = unikernel_network.unikraft.name
    model   = "virtio"
    # Written as netdev.ip (above) and reserved on the network, so that no
    # other guest gets it.
    ipv4_address = cidrhost(var.cidr, 10)
  }]

  # Gate on a line the program prints once it serves (use your own), and on
  # its static address answering on the network.
  wait_for = {
    console = var.ready_console
    ipv4    = var.gate_on_network
    timeout = "1m"
  }
}

output "console_log" {
  value = unikernel_instance.http.console_log
}

output "boot_cmdline" {
  value = unikernel_instance.http.boot_cmdline
}

output "package" {
  description = "The build that runs: the digest the reference resolved to, and the package's version."
  value = {
    digest  = unikernel_image.kernel.oci_digest
    version = unikernel_image.kernel.oci_version
  }
}
