# A Linux microVM: Debian's cloud kernel (a bzImage) booted directly, with a
# small initramfs whose /init is the application. This is the shape of the
# provider's own test guest: its /init loads the virtio network modules,
# configures eth0 by DHCP, prints "MICROVM-READY ipv4=<address>/<prefix>
# mac=<mac>" and serves HTTP on port 8080.
#
# The kernel comes from the Debian package linux-image-cloud-amd64
# (`apt-get download`, then `dpkg -x`: boot/vmlinuz-*-cloud-amd64). The
# initramfs is a newc CPIO archive: (cd rootfs && find . | cpio -o -H newc).
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
  kernel_version = "6.1.0-37-cloud-amd64"
  app_version    = "2.0.1"
}

resource "unikernel_pool" "microvm" {
  name = "microvm-images"
  path = "/var/lib/unikernel/microvm"
}

resource "unikernel_image" "kernel" {
  name   = "vmlinuz-${local.kernel_version}"
  pool   = unikernel_pool.microvm.name
  source = "https://artifacts.example.com/linux/vmlinuz-${local.kernel_version}" # placeholder
  sha256 = "7777777777777777777777777777777777777777777777777777777777777777"    # placeholder
  format = "linux"
}

resource "unikernel_image" "initramfs" {
  name   = "api-${local.app_version}.cpio"
  pool   = unikernel_pool.microvm.name
  source = "https://artifacts.example.com/api/${local.app_version}/initramfs.cpio" # placeholder
  sha256 = "8888888888888888888888888888888888888888888888888888888888888888"      # placeholder
  format = "raw"
}

resource "unikernel_network" "microvm" {
  name      = "microvm-net"
  mode      = "nat"
  ipv4_cidr = "10.10.5.0/24"
}

resource "unikernel_instance" "api" {
  name = "microvm-api-1"
  # kvm on bare metal. Under nested virtualization, where KVM is slow,
  # "qemu" (software emulation) boots this kernel faster.
  hypervisor = "kvm"
  kernel     = unikernel_image.kernel.id
  initrd     = unikernel_image.initramfs.id

  # Kernel parameters come first: the serial console, panic=-1 (reboot at
  # once on a panic; an instance never reboots, so it stops instead) and
  # quiet. Everything after "--" is passed to /init as its arguments. Words
  # before it that the kernel does not know and that contain no "." reach
  # /init too: with "=" in its environment, without as arguments.
  cmdline = "console=ttyS0 panic=-1 quiet -- --listen=:8080 --log-level=info"

  memory   = 128       # this kernel needs at least 80 MiB
  cpu_mode = "maximum" # the default: the host CPU under KVM, everything TCG emulates under QEMU
  rng      = true      # feeds the kernel's hwrng (virtio_rng module)
  vcpus    = 1

  network_interfaces = [{
    network = unikernel_network.microvm.name
    model   = "virtio"
    # /init asks for an address by DHCP, and this reservation makes it fixed.
    ipv4_address = "10.10.5.10"
  }]

  # A custom /init does not act on the ACPI power button, so a graceful
  # shutdown would only wait: stop at once.
  shutdown_timeout = "0s"

  wait_for = {
    console  = "^MICROVM-READY ipv4=10\\.10\\.5\\.10/24 "
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
    address     = unikernel_instance.api.network_interfaces[0].ipv4_addresses
    boot_format = unikernel_instance.api.boot_format # "linux"
  }
}
