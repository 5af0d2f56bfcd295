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

locals {
  version = "0.16.3"
  cidr    = "10.10.2.0/24"
  prefix  = split("/", local.cidr)[1]
  gateway = cidrhost(local.cidr, 1)  # the host: libvirt gives it the first address
  address = cidrhost(local.cidr, 10) # static, below the DHCP range (.128 to .254)
}

resource "unikernel_pool" "unikraft" {
  name = "unikraft-images"
  path = "/var/lib/unikernel/unikraft"
}

resource "unikernel_image" "kernel" {
  name   = "elfloader-${local.version}_qemu-x86_64"
  pool   = unikernel_pool.unikraft.name
  source = "https://artifacts.example.com/unikraft/elfloader/${local.version}/elfloader_qemu-x86_64" # placeholder
  sha256 = "3333333333333333333333333333333333333333333333333333333333333333"                        # placeholder
  format = "multiboot"
}

resource "unikernel_image" "rootfs" {
  name   = "httpserver-rootfs-${local.version}.cpio"
  pool   = unikernel_pool.unikraft.name
  source = "https://artifacts.example.com/unikraft/httpserver/${local.version}/rootfs.cpio" # placeholder
  sha256 = "4444444444444444444444444444444444444444444444444444444444444444"               # placeholder
  format = "raw"
}

resource "unikernel_network" "unikraft" {
  name      = "unikraft-net"
  mode      = "nat"
  ipv4_cidr = local.cidr
}

resource "unikernel_instance" "http" {
  name       = "unikraft-http-1"
  hypervisor = "kvm" # current Unikraft needs RDRAND and RDSEED; QEMU 7.2 TCG has no RDSEED
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
  memory   = 128                # the initrd is extracted into RAM
  cpu_mode = "host-passthrough" # kraftkit: -cpu host under KVM
  cpu_features = {
    rdrand = "require" # ukarch_random_init fails with "Could not initialize the HWRNG (-95)" without them
    rdseed = "require"
  }
  machine = "pc"

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
    console = "listening on port 8080"
    timeout = "1m"
  }
}

output "console_log" {
  value = unikernel_instance.http.console_log
}
