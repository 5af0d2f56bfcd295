# A Xen host over SSH: a PVH unikernel (MirageOS built with `mirage configure
# -t xen`, or any kernel with a PVH entry note) and a Linux microVM as a PV
# guest, both on a network in dom0. Kernels and initrds must be on the Xen
# host: each is uploaded into a pool there over the same connection, and the
# instances refer to the uploaded volumes.
#
# dom0 needs xenconsoled to log guest consoles, in /etc/default/xen:
#   XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"
# The provider reads those logs (the readiness gate, console_log, the
# unikernel_instance_console data source) through a storage pool over that
# directory.

terraform {
  # Tested with Terraform 1.11.4 and OpenTofu 1.12.6.
  required_version = ">= 1.11"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

variable "pvh_kernel" {
  description = "Path of a PVH unikernel on this machine, for example dist/hello.xen from `mirage build`."
  type        = string
  default     = "build/guests/multiboot/kernel.elf"
}

variable "linux_kernel" {
  description = "Path of a Linux kernel with Xen support (Debian's cloud kernel has PVH and PV)."
  type        = string
  default     = "build/guests/microvm/vmlinuz"
}

variable "linux_initrd" {
  description = "Path of the microVM's initramfs."
  type        = string
  default     = "build/guests/microvm/initramfs.cpio"
}

provider "unikernel" {
  uri        = "xen+ssh://root@xen-a.example.com/system"
  hypervisor = "xen"
}

resource "unikernel_pool" "images" {
  name = "unikernels"
  path = "/var/lib/unikernel/images"
}

resource "unikernel_image" "hello" {
  name   = "hello.xen"
  pool   = unikernel_pool.images.name
  source = var.pvh_kernel
}

resource "unikernel_image" "vmlinuz" {
  name   = "vmlinuz"
  pool   = unikernel_pool.images.name
  source = var.linux_kernel
}

resource "unikernel_image" "initrd" {
  name   = "initramfs.cpio"
  pool   = unikernel_pool.images.name
  source = var.linux_initrd
}

resource "unikernel_network" "lan" {
  name      = "xen-lan"
  mode      = "nat"
  ipv4_cidr = "10.229.10.0/24"
}

# PVH is the default guest type on Xen.
resource "unikernel_instance" "hello" {
  name    = "hello"
  kernel  = unikernel_image.hello.path
  cmdline = "hello from xen"
  memory  = 32
  wait_for = {
    console = "^UNIKERNEL-READY cmdline=hello from xen$"
    timeout = "120s"
  }
}

# A PV guest: the Xen console is hvc0, the NIC a Xen netfront.
resource "unikernel_instance" "vm" {
  name     = "vm"
  kernel   = unikernel_image.vmlinuz.path
  initrd   = unikernel_image.initrd.path
  cmdline  = "console=hvc0 panic=-1"
  memory   = 256 # Debian's kernel keeps about 50 MiB of it on Xen
  xen_mode = "pv"
  network_interfaces = [{
    network = unikernel_network.lan.name
  }]
  wait_for = {
    console = "^MICROVM-READY"
    ipv4    = true
    timeout = "300s"
  }
}

data "unikernel_instance_console" "hello" {
  name = unikernel_instance.hello.name
}

output "hello_console" {
  value = data.unikernel_instance_console.hello.output
}

output "vm_addresses" {
  value = unikernel_instance.vm.network_interfaces[0].ipv4_addresses
}
