output "names" {
  description = "Names of the instances (their libvirt domain names), in order."
  value       = unikernel_instance.this[*].name
}

output "ids" {
  description = "UUIDs of the instances (libvirt domain UUIDs), in the order of names."
  value       = unikernel_instance.this[*].id
}

output "addresses" {
  description = "Reserved IPv4 address of each instance, in the order of names."
  value       = [for i in unikernel_instance.this : i.network_interfaces[0].ipv4_address]
}

output "console_logs" {
  description = "Host path of each instance's persistent console log (readable by root only), in the order of names."
  value       = unikernel_instance.this[*].console_log
}

output "network" {
  description = "The service's network: its name, its bridge on the host and its gateway address (the host's address on it)."
  value = {
    name    = unikernel_network.this.name
    bridge  = unikernel_network.this.bridge
    gateway = unikernel_network.this.gateway
  }
}

output "image" {
  description = "The image in the pool: its volume key, detected format and SHA-256."
  value = {
    id     = unikernel_image.this.id
    format = unikernel_image.this.format
    sha256 = unikernel_image.this.sha256
  }
}
