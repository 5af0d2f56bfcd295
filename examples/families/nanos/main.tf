# Nanos: the raw disk image that `ops build` writes boots from its first
# disk (Nanos' own boot loader, through the BIOS). The program, its
# arguments, environment and network settings are baked into the image by
# ops from config.json ("Args", "Env", "RunConfig"): Nanos reads no kernel
# command line when it boots from disk, so family = "nanos" refuses args and
# env at plan time and says where they go. A new build rolls out as a new
# image (or the same image rebuilt): the instance restarts in place on a fresh
# overlay of it, keeping its UUID, MAC and address. Data written to the old
# overlay is discarded.
#
# Build it with:  ops build ./httpserver -c config.json -i httpserver
# (ops writes the image to ~/.ops/images/httpserver).
#
# The artifact URL and its sha256 are placeholders for your own build.

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
variable "image_source" {
  description = "Where the disk image comes from (a path or an https:// URL)."
  type        = string
  default     = "https://artifacts.example.com/nanos/httpserver/1.2.0/httpserver.img" # placeholder
}

variable "image_sha256" {
  description = "SHA-256 of the disk image (`sha256sum` prints it)."
  type        = string
  default     = "5555555555555555555555555555555555555555555555555555555555555555" # placeholder
}

variable "name_prefix" {
  description = "Prefix of the pool, network and instance names."
  type        = string
  default     = "nanos"
}

variable "cidr" {
  description = "The network of the example; the instance gets the address .10 in it."
  type        = string
  default     = "10.10.3.0/24"
}

variable "hypervisor" {
  description = "Domain type: kvm, or qemu (software emulation)."
  type        = string
  default     = "kvm"
}

variable "ready_console" {
  description = "Regular expression of the console line the gate waits for first."
  type        = string
  default     = "en1: assigned [0-9]+\\."
}

variable "gate_on_network" {
  description = "Whether the readiness gate also waits for a DHCP lease and for TCP port 8080 to accept connections."
  type        = bool
  default     = true
}

locals {
  version = "1.2.0"
}

resource "unikernel_pool" "nanos" {
  name = "${var.name_prefix}-images"
  path = "/var/lib/unikernel/${var.name_prefix}"
}

resource "unikernel_image" "httpserver" {
  # The base of every instance's copy-on-write boot disk: the guest writes to
  # its own overlay, and this image stays as uploaded.
  name   = "httpserver-${local.version}.img"
  pool   = unikernel_pool.nanos.name
  source = var.image_source
  sha256 = var.image_sha256
  format = "raw"
}

resource "unikernel_network" "nanos" {
  name      = "${var.name_prefix}-net"
  mode      = "nat"
  ipv4_cidr = var.cidr
}

resource "unikernel_instance" "httpserver" {
  name       = "${var.name_prefix}-httpserver-1"
  family     = "nanos"        # as ops runs it: machine q35 and a virtio-rng device by default
  hypervisor = var.hypervisor # Nanos also boots under plain QEMU, much more slowly
  memory     = 256
  cpu_mode   = var.hypervisor == "kvm" ? "host-passthrough" : "maximum" # ops: -cpu host under KVM, max otherwise
  vcpus      = 1

  # No kernel: the first disk boots.
  disks = [{
    base_image = unikernel_image.httpserver.id
    bus        = "virtio"
  }]

  network_interfaces = [{
    network = unikernel_network.nanos.name
    model   = "virtio"
    # Nanos configures its first interface by DHCP unless the image carries a
    # static address (RunConfig.IPAddress, NetMask and Gateway in config.json).
    # With DHCP, this reservation hands it a fixed address.
    ipv4_address = cidrhost(var.cidr, 10)
  }]

  # Nanos prints "en1: assigned <address>" once DHCP has configured the
  # interface; the gate then waits until the program accepts connections.
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
