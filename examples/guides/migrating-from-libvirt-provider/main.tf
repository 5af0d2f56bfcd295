# Adopting what the libvirt provider (dmacvicar/libvirt) made: a dir pool, a
# NAT network with DHCP, an OSv lighttpd disk uploaded as a base volume, and a
# domain that boots a copy-on-write overlay of it with a NIC on the network and
# its serial console written to a file. Nothing is recreated and nothing
# restarts: imports.tf adopts the objects, and this file describes them as they
# are. The defaults below are the names of that setup; set the variables to
# yours.

terraform {
  # `import` blocks need 1.5; `removed` blocks in the old configuration 1.7.
  required_version = ">= 1.7"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

provider "unikernel" {
  uri = var.libvirt_uri
}

variable "libvirt_uri" {
  description = "The libvirt URI the libvirt provider used (its `uri`)."
  type        = string
  default     = "qemu:///system"
}

variable "pool_name" {
  description = "libvirt_pool.name"
  type        = string
  default     = "images"
}

variable "pool_path" {
  description = "libvirt_pool.path (v0.9: target.path)"
  type        = string
  default     = "/var/lib/libvirt/images"
}

variable "network_name" {
  description = "libvirt_network.name"
  type        = string
  default     = "nat"
}

variable "network_cidr" {
  description = "libvirt_network.addresses[0] (v0.9: the ips entry's address and prefix)"
  type        = string
  default     = "10.17.3.0/24"
}

variable "network_domain" {
  description = "libvirt_network.domain"
  type        = string
  default     = "k8s.local"
}

variable "base_volume_name" {
  description = "The base volume's libvirt_volume.name: the image the overlay is backed by."
  type        = string
  default     = "osv-lighttpd.qcow2"
}

variable "base_volume_source" {
  description = "The file or URL the base volume was uploaded from (libvirt_volume.source, v0.9: create.content.url)."
  type        = string
  default     = "/srv/images/osv-lighttpd.qcow2"
}

variable "domain_name" {
  description = "libvirt_domain.name"
  type        = string
  default     = "web"
}

variable "domain_memory" {
  description = "libvirt_domain.memory, in MiB"
  type        = number
  default     = 256
}

variable "domain_mac" {
  description = "The domain's MAC address on the network (network_interface.mac; read it with `virsh domiflist`)."
  type        = string
  default     = "52:54:00:17:03:10"
}

resource "unikernel_pool" "images" {
  name = var.pool_name
  path = var.pool_path
}

resource "unikernel_network" "nat" {
  name      = var.network_name
  mode      = "nat"
  ipv4_cidr = var.network_cidr
  # The libvirt provider serves DHCP on the whole network after the gateway.
  dhcp = {
    start = cidrhost(var.network_cidr, 2)
    end   = cidrhost(var.network_cidr, -2)
  }
  dns = {
    domain = var.network_domain
  }
}

# The base volume becomes an image. Its source is recorded by the first apply,
# after the provider checked that the volume holds the same bytes; the volume
# is not written.
resource "unikernel_image" "osv" {
  name   = var.base_volume_name
  pool   = unikernel_pool.images.name
  source = var.base_volume_source
}

# The domain. Its overlay volume (libvirt_volume { base_volume_id }) is read
# back as base_image; attributes left out keep what libvirt holds (ACPI, CPU
# model, machine, RNG, on_crash, on_poweroff), and what the schema does not
# describe (the file serial console, on_reboot, controllers, graphics, the
# guest agent channel) stays as it is.
resource "unikernel_instance" "web" {
  name   = var.domain_name
  memory = var.domain_memory
  disks  = [{ base_image = unikernel_image.osv.id }]
  network_interfaces = [{
    network = unikernel_network.nat.name
    mac     = var.domain_mac
  }]
}

output "web_addresses" {
  value = unikernel_instance.web.network_interfaces[0].ipv4_addresses
}
