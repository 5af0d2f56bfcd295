# A NAT network with DHCP, static reservations and local DNS. Changes to
# `hosts`, `dns.hosts`, `autostart` and `running` are applied live, without
# restarting the network; every other change replaces it.
resource "unikernel_network" "lan" {
  name      = "unikernel-lan"
  mode      = "nat" # the default; also route, open, isolated or bridge
  ipv4_cidr = "10.213.0.0/24"
  ipv6_cidr = "fd00:213::/64" # optional; guests configure themselves from router advertisements

  # Optional: these are the defaults. The host (gateway and DNS server) is
  # 10.213.0.1, the dynamic range is the upper half of the network, and the
  # lower half stays free for reserved addresses. no_ping makes dnsmasq hand
  # out a lease at once instead of pinging the address for 3 seconds first.
  dhcp = {
    enabled = true
    start   = "10.213.0.128"
    end     = "10.213.0.254"
    no_ping = true
  }

  # Static reservations, by MAC. Instances that set `ipv4_address` on an
  # interface add their own reservation instead; those are not listed here and
  # this resource leaves them alone.
  hosts = [
    { mac = "52:54:00:00:00:10", ipv4 = "10.213.0.10", hostname = "db" },
    { mac = "52:54:00:00:00:11", ipv4 = "10.213.0.11", hostname = "cache" },
  ]

  dns = {
    domain = "lan.internal" # answered locally; guests' DHCP host names resolve inside it
    hosts = [
      { ipv4 = "10.213.0.10", hostnames = ["postgres"] },
    ]
  }

  mtu       = 1500
  autostart = true
}

# Guests reach only each other and the host.
resource "unikernel_network" "backend" {
  name      = "unikernel-backend"
  mode      = "isolated"
  ipv4_cidr = "10.213.1.0/24"
}

# Attach guests to an existing host bridge (created outside libvirt, for
# example by systemd-networkd). libvirt manages no addresses, DHCP or DNS here.
resource "unikernel_network" "uplink" {
  name   = "unikernel-uplink"
  mode   = "bridge"
  bridge = "br0"
}

output "lan" {
  value = {
    id      = unikernel_network.lan.id
    bridge  = unikernel_network.lan.bridge # picked by libvirt, e.g. virbr1
    gateway = unikernel_network.lan.gateway
  }
}
