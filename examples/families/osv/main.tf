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

locals {
  version = "0.57.0"
}

resource "unikernel_pool" "osv" {
  name = "osv-images"
  path = "/var/lib/unikernel/osv"
}

resource "unikernel_image" "httpserver" {
  # The base of every instance's copy-on-write boot disk (OSv's ZFS root is
  # written to). A qcow2 image with a backing file is refused; flatten it with
  # `qemu-img convert -O qcow2` first.
  name   = "httpserver-${local.version}.qcow2"
  pool   = unikernel_pool.osv.name
  source = "https://artifacts.example.com/osv/httpserver/${local.version}/usr.img" # placeholder
  sha256 = "6666666666666666666666666666666666666666666666666666666666666666"      # placeholder
  format = "qcow2"
}

resource "unikernel_network" "osv" {
  name      = "osv-net"
  mode      = "nat"
  ipv4_cidr = "10.10.4.0/24"
}

resource "unikernel_instance" "httpserver" {
  name       = "osv-httpserver-1"
  hypervisor = "kvm" # OSv also boots under plain QEMU, more slowly
  memory     = 256
  cpu_mode   = "host-passthrough" # run.py: -cpu host,+x2apic under KVM
  cpu_features = {
    x2apic = "require"
  }
  machine = "pc"
  rng     = true # run.py: -device virtio-rng-pci
  vcpus   = 2

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
    ipv4_address = "10.10.4.10"
  }]

  # OSv prints "Booted up in <n> ms" when it starts the application, then the
  # gate waits until the application accepts connections.
  wait_for = {
    console  = "Booted up in [0-9.]+ ms"
    ipv4     = true
    tcp_port = 8080
    timeout  = "2m"
  }
}

output "address" {
  value = unikernel_instance.httpserver.network_interfaces[0].ipv4_addresses
}
