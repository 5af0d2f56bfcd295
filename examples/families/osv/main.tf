# OSv, booted the way OSv's own run.py -k does it: the kernel of the build
# (build/last/loader-stripped.elf, a PVH ELF) loaded directly, with the qcow2
# image OSv's build writes (build/last/usr.img) as its first disk. The kernel
# then takes the application's command line from the provider, so args, env
# and a static address go into the plan instead of into the image:
# family = "osv" writes them as OSv's loader reads them (--ip, --defaultgw,
# --env, then the command line). An image booted from its disk alone (no
# kernel) runs the command line stored in it by
#   ./scripts/imgedit.py setargs build/last/usr.img "<command line>"
# and family = "osv" refuses args and env for it, saying so.
#
# Build it with, for example (my-httpserver is your application's module):
#   ./scripts/build image=my-httpserver
#
# The artifact URLs and sha256 values are placeholders for your own build.

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
  # uri unset: LIBVIRT_DEFAULT_URI, else qemu:///system.
}


# The defaults are this example's own values; tests set them to run it with a
# local test guest.
variable "kernel_source" {
  description = "Where OSv's kernel comes from (a path or an https:// URL): loader-stripped.elf of the same build."
  type        = string
  default     = "https://artifacts.example.com/osv/httpserver/0.57.0/loader-stripped.elf" # placeholder
}

variable "kernel_sha256" {
  description = "SHA-256 of the kernel."
  type        = string
  default     = "7777777777777777777777777777777777777777777777777777777777777777" # placeholder
}

variable "app_args" {
  description = "The application's command line, one word per element: the program, then its arguments."
  type        = list(string)
  default     = ["/httpserver", "--port", "8080"]
}

variable "app_env" {
  description = "Environment variables of the application."
  type        = map(string)
  default     = { LOG_LEVEL = "info" }
}

variable "app_port" {
  description = "The TCP port the application serves on."
  type        = number
  default     = 8080
}

variable "image_source" {
  description = "Where the disk image comes from (a path or an https:// URL)."
  type        = string
  default     = "https://artifacts.example.com/osv/httpserver/0.57.0/usr.img" # placeholder
}

variable "image_sha256" {
  description = "SHA-256 of the disk image (`sha256sum` prints it)."
  type        = string
  default     = "6666666666666666666666666666666666666666666666666666666666666666" # placeholder
}

variable "name_prefix" {
  description = "Prefix of the pool, network and instance names."
  type        = string
  default     = "osv"
}

variable "cidr" {
  description = "The network of the example; the instance gets the address .10 in it."
  type        = string
  default     = "10.10.4.0/24"
}

variable "hypervisor" {
  description = "Domain type: kvm, or qemu (software emulation)."
  type        = string
  default     = "kvm"
}

variable "ready_console" {
  description = "Regular expression of the console line the gate waits for first."
  type        = string
  default     = "Booted up in [0-9.]+ ms"
}

locals {
  version = "0.57.0"
}

resource "unikernel_pool" "osv" {
  name = "${var.name_prefix}-images"
  path = "/var/lib/unikernel/${var.name_prefix}"
}

resource "unikernel_image" "kernel" {
  name   = "loader-${local.version}.elf"
  pool   = unikernel_pool.osv.name
  source = var.kernel_source
  sha256 = var.kernel_sha256
  format = "pvh"
}

resource "unikernel_image" "httpserver" {
  # The base of every instance's copy-on-write boot disk (OSv's ZFS root is
  # written to). A qcow2 image with a backing file is refused; flatten it with
  # `qemu-img convert -O qcow2` first.
  name   = "httpserver-${local.version}.qcow2"
  pool   = unikernel_pool.osv.name
  source = var.image_source
  sha256 = var.image_sha256
  format = "qcow2"
}

resource "unikernel_network" "osv" {
  name      = "${var.name_prefix}-net"
  mode      = "nat"
  ipv4_cidr = var.cidr
}

resource "unikernel_instance" "httpserver" {
  name       = "${var.name_prefix}-httpserver-1"
  family     = "osv"          # as run.py runs it: machine pc, a virtio-rng device
  hypervisor = var.hypervisor # OSv also boots under plain QEMU, more slowly
  kernel     = unikernel_image.kernel.id
  args       = var.app_args
  env        = var.app_env
  memory     = 256
  # run.py: -cpu host,+x2apic under KVM; everything QEMU emulates otherwise.
  cpu_mode     = var.hypervisor == "kvm" ? "host-passthrough" : "maximum"
  cpu_features = var.hypervisor == "kvm" ? { x2apic = "require" } : null
  vcpus        = 2

  # The root file system. A new build rolls out as a new image: the instance
  # restarts in place on a fresh overlay of it, keeping its UUID, MAC and
  # address; what the guest wrote to the old overlay is discarded.
  disks = [{
    base_image = unikernel_image.httpserver.id
    bus        = "virtio"
  }]

  network_interfaces = [{
    network = unikernel_network.osv.name
    model   = "virtio"
    # Written as --ip=eth0,<address>,<netmask> and --defaultgw=<gateway>,
    # so OSv asks no DHCP; also reserved on the network.
    ipv4_address = cidrhost(var.cidr, 10)
  }]

  # OSv prints "Booted up in <n> ms" when it starts the application, then the
  # gate waits until the application accepts connections on its address.
  wait_for = {
    console  = var.ready_console
    ipv4     = true
    tcp_port = var.app_port
    timeout  = "2m"
  }
}

output "address" {
  value = unikernel_instance.httpserver.network_interfaces[0].ipv4_addresses
}

output "boot_cmdline" {
  value = unikernel_instance.httpserver.boot_cmdline
}
