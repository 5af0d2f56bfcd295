# Look up an existing instance by its libvirt domain name: any domain on the
# host, whether or not Terraform manages it.
data "unikernel_instance" "web" {
  name = "web-1"
}

output "web" {
  value = {
    id      = data.unikernel_instance.web.id
    state   = data.unikernel_instance.web.state
    running = data.unikernel_instance.web.running
    memory  = data.unikernel_instance.web.memory
    kernel  = data.unikernel_instance.web.kernel
    cmdline = data.unikernel_instance.web.cmdline
    # One entry per interface, in order, with the IPv4 addresses that the
    # network's DHCP server leased to its MAC.
    interfaces = [
      for nic in data.unikernel_instance.web.network_interfaces : {
        network = nic.network
        mac     = nic.mac
        ipv4    = nic.ipv4_addresses
      }
    ]
  }
}
