# One host's share of a fleet: the verified image in a pool, the fleet's network, and the replicas the
# placement gave this host. The caller passes the host's provider configuration.

terraform {
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

variable "name" {
  description = "The fleet's name: it prefixes the pool, the network and the replicas (`<name>-<index>`)."
  type        = string
}

variable "host" {
  description = "The host's key in the fleet, for error messages and outputs."
  type        = string
}

variable "replicas" {
  description = "The replica indexes this host runs."
  type        = list(number)
}

variable "image_source" {
  description = "Local path or https:// URL of the unikernel."
  type        = string
}

variable "image_sha256" {
  description = "SHA-256 of the unikernel."
  type        = string
}

variable "pool_path" {
  description = "Directory of the pool on the host."
  type        = string
}

variable "network_cidr" {
  description = "IPv4 network of the fleet on each host; replica i has the address .(10 + i)."
  type        = string
}

variable "memory" {
  description = "Memory of each replica in MiB."
  type        = number
}

variable "cmdline" {
  description = "Kernel command line; `$${index}` is the replica's index, `$${host}` the host's key."
  type        = string
}

variable "ready_console" {
  description = "Regular expression of the ready line."
  type        = string
}

variable "ready_timeout" {
  description = "How long apply waits for each replica's ready line."
  type        = string
}

variable "shutdown_timeout" {
  description = "How long a replica gets to stop cleanly; null for the provider's default."
  type        = string
}

resource "unikernel_pool" "this" {
  name = "${var.name}-images"
  path = var.pool_path
}

resource "unikernel_image" "this" {
  name   = "${var.name}.img"
  pool   = unikernel_pool.this.name
  source = var.image_source
  sha256 = var.image_sha256
}

resource "unikernel_network" "this" {
  name      = "${var.name}-net"
  ipv4_cidr = var.network_cidr
}

resource "unikernel_instance" "this" {
  for_each = toset([for i in var.replicas : tostring(i)])

  name             = "${var.name}-${each.key}"
  kernel           = unikernel_image.this.id
  cmdline          = replace(replace(var.cmdline, "$${index}", each.key), "$${host}", var.host)
  memory           = var.memory
  shutdown_timeout = var.shutdown_timeout

  network_interfaces = [{
    network      = unikernel_network.this.name
    ipv4_address = cidrhost(var.network_cidr, 10 + tonumber(each.key))
  }]

  wait_for = {
    console = var.ready_console
    timeout = var.ready_timeout
  }

  lifecycle {
    precondition {
      # Reserved addresses stay below the DHCP range, the network's upper half.
      condition     = 10 + tonumber(each.key) < pow(2, 32 - tonumber(split("/", var.network_cidr)[1])) / 2
      error_message = "Replica ${each.key} has no address below the DHCP range of ${var.network_cidr} (replica i takes .(10 + i)): choose a larger network_cidr."
    }
  }
}

data "unikernel_host" "after" {
  # Read after the replicas are in place, for the inventory.
  depends_on = [unikernel_instance.this]
}

output "replicas" {
  description = "Replica index => name, host and address."
  value = { for k, i in unikernel_instance.this : k => {
    name    = i.name
    host    = var.host
    address = i.network_interfaces[0].ipv4_address
  } }
}

output "inventory" {
  description = "The host after the apply: replicas running, memory they have, and free memory."
  value = {
    running         = length([for i in unikernel_instance.this : i if i.running])
    memory_mib      = sum(concat([0], [for i in unikernel_instance.this : i.memory]))
    free_memory_mib = data.unikernel_host.after.free_memory_mib
  }
}
