# A multiboot unikernel uploaded into a storage pool, a NAT network, and an
# instance with a reserved address. The apply returns only once the unikernel
# has printed its ready line on the serial console.
#
# The artifact URL and its sha256 are placeholders: point them at your own
# build, and use `sha256sum` on it for the digest.

locals {
  web_version = "1.4.2"
}

resource "unikernel_pool" "images" {
  name = "unikernel-images"
  path = "/var/lib/unikernel/images"
}

resource "unikernel_image" "web" {
  # The version in the name gives each build its own volume. A new build
  # replaces the image, and every instance that boots from it is updated in
  # place: same UUID, MAC and address, restarted on the new kernel.
  name   = "web-${local.web_version}.elf"
  pool   = unikernel_pool.images.name
  source = "https://artifacts.example.com/web/${local.web_version}/web.elf"   # placeholder
  sha256 = "1111111111111111111111111111111111111111111111111111111111111111" # placeholder
  format = "multiboot"                                                        # optional: detected from the bytes when not set
}

resource "unikernel_network" "lan" {
  name      = "unikernel-lan"
  mode      = "nat"
  ipv4_cidr = "10.213.0.0/24"
  # DHCP is on by default. Its dynamic range is the upper half of the network
  # (.128 to .254), which leaves the lower half for reserved addresses.
}

resource "unikernel_instance" "web" {
  name        = "web-1"
  description = "Static web site, served by a unikernel"

  kernel  = unikernel_image.web.id
  cmdline = "port=8080 log=info" # read by the unikernel itself; see the family examples
  memory  = 32
  vcpus   = 1

  network_interfaces = [{
    network = unikernel_network.lan.name
    # The unikernel asks for its address by DHCP. This reserves one for the
    # interface's MAC (a live reservation on the network, released when the
    # instance is destroyed). The MAC is chosen once and kept stable.
    ipv4_address = "10.213.0.10"
  }]

  autostart = true
  on_crash  = "restart"

  # Readiness gate: create, and every update that restarts the instance, wait
  # until a console line printed during this boot matches.
  wait_for = {
    console = "web: listening on :8080"
    timeout = "1m"
  }
}

output "web" {
  value = {
    id          = unikernel_instance.web.id
    state       = unikernel_instance.web.state
    boot_format = unikernel_instance.web.boot_format
    mac         = unikernel_instance.web.network_interfaces[0].mac
    ipv4        = unikernel_instance.web.network_interfaces[0].ipv4_addresses
    console_log = unikernel_instance.web.console_log
  }
}
