# A Linux microVM: Debian's cloud kernel (a bzImage) booted directly, with a
# small initramfs whose /init is the application. This is the shape of the
# provider's own test guest: its /init loads the virtio network modules,
# configures eth0 from the kernel's ip= parameter (or by DHCP without one),
# prints "MICROVM-READY ipv4=<address>/<prefix> mac=<mac>" and serves HTTP on
# port 8080.
#
# The kernel comes from the Debian package linux-image-cloud-amd64
# (`apt-get download`, then `dpkg -x`: boot/vmlinuz-*-cloud-amd64). The
# initramfs is a newc CPIO archive: (cd rootfs && find . | cpio -o -H newc).
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

# The defaults are this example's own values; tests set them to run it with
# the provider's test microVM.
variable "kernel_source" {
  description = "Where the kernel comes from (a path or an https:// URL)."
  type        = string
  default     = "https://artifacts.example.com/linux/vmlinuz-6.1.0-37-cloud-amd64" # placeholder
}

variable "kernel_sha256" {
  description = "SHA-256 of the kernel."
  type        = string
  default     = "7777777777777777777777777777777777777777777777777777777777777777" # placeholder
}

variable "initramfs_source" {
  description = "Where the initramfs comes from (a path or an https:// URL)."
  type        = string
  default     = "https://artifacts.example.com/api/2.0.1/initramfs.cpio" # placeholder
}

variable "initramfs_sha256" {
  description = "SHA-256 of the initramfs."
  type        = string
  default     = "8888888888888888888888888888888888888888888888888888888888888888" # placeholder
}

variable "name_prefix" {
  description = "Prefix of the pool, network and instance names."
  type        = string
  default     = "microvm"
}

variable "cidr" {
  description = "The network of the example; the microVM gets the address .10 in it."
  type        = string
  default     = "10.10.5.0/24"
}

variable "hypervisor" {
  description = "Domain type: kvm, or qemu (software emulation)."
  type        = string
  default     = "kvm"
}

locals {
  kernel_version = "6.1.0-37-cloud-amd64"
  app_version    = "2.0.1"
  address        = cidrhost(var.cidr, 10)
}

resource "unikernel_pool" "microvm" {
  name = "${var.name_prefix}-images"
  path = "/var/lib/unikernel/${var.name_prefix}"
}

resource "unikernel_image" "kernel" {
  name   = "vmlinuz-${local.kernel_version}"
  pool   = unikernel_pool.microvm.name
  source = var.kernel_source
  sha256 = var.kernel_sha256
  format = "linux"
}

resource "unikernel_image" "initramfs" {
  name   = "api-${local.app_version}.cpio"
  pool   = unikernel_pool.microvm.name
  source = var.initramfs_source
  sha256 = var.initramfs_sha256
  format = "raw"
}

resource "unikernel_network" "microvm" {
  name      = "${var.name_prefix}-net"
  mode      = "nat"
  ipv4_cidr = var.cidr
}

resource "unikernel_instance" "api" {
  name = "${var.name_prefix}-api-1"
  # kvm on bare metal. Under nested virtualization, where KVM is slow,
  # "qemu" (software emulation) boots this kernel faster.
  hypervisor = var.hypervisor
  kernel     = unikernel_image.kernel.id
  initrd     = unikernel_image.initramfs.id

  # The provider writes the command line as the kernel reads it: cmdline
  # (kernel parameters: the serial console, panic=-1 so that a panic stops
  # the instance, quiet), the interface's static address as
  # ip=<address>::<gateway>:<netmask>::eth0:off, env as KEY=VALUE words,
  # which the kernel hands to /init as its environment, and args after
  # " -- ", which become /init's arguments. The plan shows it as boot_cmdline.
  family  = "linux"
  cmdline = "console=ttyS0 panic=-1 quiet"
  args    = ["--listen=:8080", "--log-level=info"]
  env     = { APP_VERSION = local.app_version }

  memory   = 128       # this kernel needs at least 80 MiB
  cpu_mode = "maximum" # the default: the host CPU under KVM, everything TCG emulates under QEMU
  # rng is true by the family's default: a virtio-rng device feeds the kernel's hwrng (virtio_rng module).
  vcpus = 1

  network_interfaces = [{
    network = unikernel_network.microvm.name
    model   = "virtio"
    # Written as ip= (above) and reserved on the network. An initramfs that
    # asks DHCP instead gets the same address from the reservation.
    ipv4_address = local.address
  }]

  # A custom /init does not act on the ACPI power button, so a graceful
  # shutdown would only wait: stop at once.
  shutdown_timeout = "0s"

  wait_for = {
    console  = "^MICROVM-READY ipv4=${replace(local.address, ".", "\\.")}/${split("/", var.cidr)[1]} "
    ipv4     = true
    tcp_port = 8080
    timeout  = "2m"
  }

  timeouts = {
    create = "5m"
    update = "5m"
  }
}

output "api" {
  value = {
    address      = unikernel_instance.api.network_interfaces[0].ipv4_addresses
    boot_format  = unikernel_instance.api.boot_format # "linux"
    boot_cmdline = unikernel_instance.api.boot_cmdline
  }
}
