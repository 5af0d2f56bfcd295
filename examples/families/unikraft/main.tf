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
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

provider "unikernel" {
  uri = "qemu:///system"
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

variable "ready_console" {
  description = "Regular expression of the console line that says the program serves."
  type        = string
  default     = "listening on port 8080"
}

locals {
  cidr    = var.cidr
  prefix  = split("/", local.cidr)[1]
  gateway = cidrhost(local.cidr, 1)  # the host: libvirt gives it the first address
  address = cidrhost(local.cidr, 10) # static, below the DHCP range (.128 to .254)
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
  # The application's arguments are the package's (its Kraftfile's cmd).
  cmdline = join(" ", [
    "netdev.ip=${local.address}/${local.prefix}:${local.gateway}:${local.gateway}",
    "vfs.fstab=[ \"initrd0:/:extract::ramfs=1:\" ]",
    "--",
    unikernel_image.kernel.oci_cmdline,
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

output "package" {
  description = "The build that runs: the digest the reference resolved to, and the package's version."
  value = {
    digest  = unikernel_image.kernel.oci_digest
    version = unikernel_image.kernel.oci_version
  }
}
