# Adopt an existing libvirt network by its name or UUID (Terraform 1.5+,
# OpenTofu 1.5+). Settings the resource block leaves unset keep what libvirt
# holds (mode, mtu, the DHCP range and no_ping, dns, hosts, autostart, running),
# so a network made by virsh or the libvirt provider imports with an empty
# plan from `name` and `ipv4_cidr` (plus `dns.domain` when it has one). A later
# change that replaces the network names, in the plan, the running instances
# on it, and the apply restarts them on the new network.
import {
  to = unikernel_network.lan
  id = "unikernel-lan"
}
