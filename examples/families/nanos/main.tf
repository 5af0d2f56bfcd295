# Nanos: the raw disk image that `ops build` writes boots from its first
# disk (Nanos' own boot loader, through the BIOS). The program, its
# arguments, environment and network settings are baked into the image by
# ops from config.json ("Args", "Env", "RunConfig"); Nanos reads no kernel
# command line when it boots from disk, so `cmdline` is not used.
#
# Build it with:  ops build ./httpserver -c config.json -i httpserver
# (ops writes the image to ~/.ops/images/httpserver).
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

locals {
  version = "1.2.0"
}

resource "unikernel_pool" "nanos" {
  name = "nanos-images"
  path = "/var/lib/unikernel/nanos"
}

resource "unikernel_image" "httpserver" {
  # The base of every instance's copy-on-write boot disk: the guest writes to
  # its own overlay, and this image stays as uploaded.
  name   = "httpserver-${local.version}.img"
  pool   = unikernel_pool.nanos.name
  source = "https://artifacts.example.com/nanos/httpserver/${local.version}/httpserver.img" # placeholder
  sha256 = "5555555555555555555555555555555555555555555555555555555555555555"               # placeholder
  format = "raw"
}

resource "unikernel_network" "nanos" {
  name      = "nanos-net"
  mode      = "nat"
  ipv4_cidr = "10.10.3.0/24"
}

resource "unikernel_instance" "httpserver" {
  name       = "nanos-httpserver-1"
  hypervisor = "kvm" # Nanos also boots under plain QEMU, much more slowly
  memory     = 256
  cpu_mode   = "host-passthrough" # ops: -cpu host under KVM, max otherwise
  machine    = "q35"              # ops: -machine q35
  rng        = true               # ops: -device virtio-rng-pci
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
    ipv4_address = "10.10.3.10"
  }]

  # Nanos prints "en1: assigned <address>" once DHCP has configured the
  # interface; the gate then waits until the program accepts connections.
  wait_for = {
    console  = "en1: assigned [0-9]+\\."
    ipv4     = true
    tcp_port = 8080
    timeout  = "2m"
  }
}

output "address" {
  value = unikernel_instance.httpserver.network_interfaces[0].ipv4_addresses
}
