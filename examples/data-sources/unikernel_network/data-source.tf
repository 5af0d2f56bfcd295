# Look up a libvirt network by name, whether or not Terraform manages it.
data "unikernel_network" "lan" {
  name = "unikernel-lan"
}

output "lan" {
  value = {
    cidr    = data.unikernel_network.lan.ipv4_cidr
    gateway = data.unikernel_network.lan.gateway
    running = data.unikernel_network.lan.running
    # Every static reservation, including those instances added.
    reserved = { for h in data.unikernel_network.lan.hosts : h.mac => h.ipv4 }
    # Current DHCP leases. Leases of guests that are gone linger until they
    # expire, so look guests up by MAC.
    leases = { for l in data.unikernel_network.lan.leases : l.mac => l.ipv4 }
  }
}
