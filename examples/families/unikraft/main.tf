# Unikraft, built for the QEMU/KVM platform on x86_64: the kernel image is a
# multiboot kernel that libvirt boots directly, and the application's root
# file system is a CPIO archive handed over as the initrd.
#
# Build it with:  kraft build --plat qemu --arch x86_64
# (the kernel is .unikraft/build/<app>_qemu-x86_64), and pack the root file
# system with Unikraft's support/scripts/mkcpio or `find . | cpio -o -H newc`.
# This example runs Unikraft's ELF loader with a Linux program from the
# initrd; a natively built application takes its arguments the same way.
#
# The artifact URLs and sha256 values are placeholders for your own build.

terraform {
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

provider "unikernel" {
  uri = "qemu:///system"
}


# The defaults are this example's own values; tests set them to run it with a
# local test guest.
variable "kernel_source" {
  description = "Where the kernel comes from (a path or an https:// URL)."
  type        = string
  default     = "https://artifacts.example.com/unikraft/elfloader/0.16.3/elfloader_qemu-x86_64" # placeholder
}

variable "kernel_sha256" {
  description = "SHA-256 of the kernel (`sha256sum` prints it)."
  type        = string
  default     = "3333333333333333333333333333333333333333333333333333333333333333" # placeholder
}

variable "rootfs_source" {
  description = "Where the root file system archive comes from (a path or an https:// URL)."
  type        = string
  default     = "https://artifacts.example.com/unikraft/httpserver/0.16.3/rootfs.cpio" # placeholder
}

variable "rootfs_sha256" {
  description = "SHA-256 of the root file system archive (`sha256sum` prints it)."
  type        = string
  default     = "4444444444444444444444444444444444444444444444444444444444444444" # placeholder
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

variable "ready_console" {
  description = "Regular expression of the console line that says the program serves."
  type        = string
  default     = "listening on port 8080"
}

locals {
  version = "0.16.3"
  cidr    = var.cidr
  prefix  = split("/", local.cidr)[1]
  gateway = cidrhost(local.cidr, 1)  # the host: libvirt gives it the first address
  address = cidrhost(local.cidr, 10) # static, below the DHCP range (.128 to .254)
}

resource "unikernel_pool" "unikraft" {
  name = "${var.name_prefix}-images"
  path = "/var/lib/unikernel/${var.name_prefix}"
}

resource "unikernel_image" "kernel" {
  name   = "elfloader-${local.version}_qemu-x86_64"
  pool   = unikernel_pool.unikraft.name
  source = var.kernel_source
  sha256 = var.kernel_sha256
  format = "multiboot"
}

resource "unikernel_image" "rootfs" {
  name   = "httpserver-rootfs-${local.version}.cpio"
  pool   = unikernel_pool.unikraft.name
  source = var.rootfs_source
  sha256 = var.rootfs_sha256
  format = "raw"
}

resource "unikernel_network" "unikraft" {
  name      = "${var.name_prefix}-net"
  mode      = "nat"
  ipv4_cidr = local.cidr
}

resource "unikernel_instance" "http" {
  name       = "${var.name_prefix}-http-1"
  hypervisor = var.hypervisor # kvm: current Unikraft needs RDRAND and RDSEED, and QEMU 7.2 TCG has no RDSEED
  kernel     = unikernel_image.kernel.id
  initrd     = unikernel_image.rootfs.id

  # Everything before "--" is for Unikraft's libraries, as library.parameter
  # pairs; everything after it is the application's argv. Without the "--",
  # the library parameters would reach the application instead.
  #   netdev.ip  <address>/<prefix>[:<gateway>[:<dns0>[:<dns1>[:<hostname>[:<domain>]]]]]
  #              (Unikraft 0.16.1 or later, built with LIBUKNETDEV_EINFO_LIBPARAM);
  #              here the gateway is also the DNS server: libvirt's dnsmasq
  #   vfs.fstab  "<device>:<mount point>:<driver>:<flags>:<options>:<unikraft options>"
  #              here: extract the initrd (initrd0) into a RAM file system at /
  # QEMU's multiboot loader puts the kernel's path in front of the command
  # line, and Unikraft takes that first word as argv[0], so the line starts
  # directly with the library parameters.
  cmdline = join(" ", [
    "netdev.ip=${local.address}/${local.prefix}:${local.gateway}:${local.gateway}",
    "vfs.fstab=[ \"initrd0:/:extract::ramfs=1:\" ]",
    "--",
    "/usr/bin/httpserver --port 8080",
  ])
  memory = 128 # the initrd is extracted into RAM
  # kraftkit: -cpu host under KVM. ukarch_random_init fails with "Could not initialize the HWRNG (-95)"
  # without RDRAND and RDSEED; QEMU's TCG cannot provide RDSEED, so under qemu the features are left out.
  cpu_mode     = var.hypervisor == "kvm" ? "host-passthrough" : "maximum"
  cpu_features = var.hypervisor == "kvm" ? { rdrand = "require", rdseed = "require" } : null
  machine      = "pc"

  network_interfaces = [{
    network = unikernel_network.unikraft.name
    model   = "virtio"
    # Configured by netdev.ip above; the reservation keeps another instance
    # from reserving the same address.
    ipv4_address = local.address
  }]

  # A static address means no DHCP lease, so gate on the console: a line the
  # program prints once it serves (use your own).
  wait_for = {
    console = var.ready_console
    timeout = "1m"
  }
}

output "console_log" {
  value = unikernel_instance.http.console_log
}
