# OSv: the qcow2 image that OSv's build writes (build/last/usr.img) boots from
# its first disk (OSv's own boot loader, through the BIOS). OSv's command
# line is stored inside the image, written there by
#   ./scripts/imgedit.py setargs build/last/usr.img "<command line>"
# (which is what ./scripts/run.py -e does before it starts QEMU), so `cmdline`
# is not used: a new command line is a new image, and rolls out like one.
#
# Build it with, for example (my-httpserver is your application's module):
#   ./scripts/build image=my-httpserver
#   ./scripts/imgedit.py setargs build/last/usr.img "/httpserver --port 8080"
#   ./scripts/imgedit.py getargs build/last/usr.img   # prints it back
#
# The artifact URL and its sha256 are placeholders for your own build.

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

variable "gate_on_network" {
  description = "Whether the readiness gate also waits for a DHCP lease and for TCP port 8080 to accept connections."
  type        = bool
  default     = true
}

locals {
  version = "0.57.0"
}

resource "unikernel_pool" "osv" {
  name = "${var.name_prefix}-images"
  path = "/var/lib/unikernel/${var.name_prefix}"
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
  hypervisor = var.hypervisor # OSv also boots under plain QEMU, more slowly
  memory     = 256
  # run.py: -cpu host,+x2apic under KVM; everything QEMU emulates otherwise.
  cpu_mode     = var.hypervisor == "kvm" ? "host-passthrough" : "maximum"
  cpu_features = var.hypervisor == "kvm" ? { x2apic = "require" } : null
  machine      = "pc"
  rng          = true # run.py: -device virtio-rng-pci
  vcpus        = 2

  # No kernel: the first disk boots. Its format is read from the image.
  disks = [{
    base_image = unikernel_image.httpserver.id
    bus        = "virtio"
  }]

  network_interfaces = [{
    network = unikernel_network.osv.name
    model   = "virtio"
    # OSv configures eth0 by DHCP unless its command line says otherwise
    # (--ip=eth0,<address>,<netmask> --defaultgw=<gateway>). With DHCP, this
    # reservation hands it a fixed address.
    ipv4_address = cidrhost(var.cidr, 10)
  }]

  # OSv prints "Booted up in <n> ms" when it starts the application, then the
  # gate waits until the application accepts connections.
  wait_for = {
    console  = var.ready_console
    ipv4     = var.gate_on_network
    tcp_port = var.gate_on_network ? 8080 : null
    timeout  = "2m"
  }
}

output "address" {
  value = unikernel_instance.httpserver.network_interfaces[0].ipv4_addresses
}
