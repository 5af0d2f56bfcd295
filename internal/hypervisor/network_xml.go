package hypervisor

import (
	"fmt"
	"net/netip"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// NetworkSpec is the plain description of a libvirt network.
type NetworkSpec struct {
	Name   string
	UUID   string
	Mode   string // "nat" (default), "route", "open", "isolated" or "bridge"
	Bridge string // empty: libvirt picks one (all modes but bridge)

	IPv4CIDR  string // e.g. 10.213.0.0/24; the gateway is the first host address
	DHCP      bool
	DHCPStart string
	DHCPEnd   string
	Hosts     []DHCPHost

	// NoPing makes dnsmasq offer addresses without pinging them first, which
	// otherwise costs about 3 s per lease.
	NoPing bool
}

// DHCPHost is a static DHCP reservation.
type DHCPHost struct {
	MAC      string
	IPv4     string
	Hostname string
}

// Gateway returns the first host address of a CIDR.
func Gateway(cidr string) (netip.Addr, netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Addr{}, netip.Prefix{}, err
	}
	p = p.Masked()
	return p.Addr().Next(), p, nil
}

// NetworkXML maps spec to a libvirt network definition. Pure.
func NetworkXML(spec NetworkSpec) (*libvirtxml.Network, error) {
	n := &libvirtxml.Network{Name: spec.Name, UUID: spec.UUID}
	mode := orDefault(spec.Mode, "nat")
	switch mode {
	case "nat", "route", "open":
		n.Forward = &libvirtxml.NetworkForward{Mode: mode}
	case "isolated":
	case "bridge":
		if spec.Bridge == "" {
			return nil, fmt.Errorf("mode bridge needs a bridge name")
		}
		n.Forward = &libvirtxml.NetworkForward{Mode: "bridge"}
		n.Bridge = &libvirtxml.NetworkBridge{Name: spec.Bridge}
		return n, nil
	default:
		return nil, fmt.Errorf("mode %q is not one of nat, route, open, isolated, bridge", mode)
	}
	if spec.Bridge != "" {
		n.Bridge = &libvirtxml.NetworkBridge{Name: spec.Bridge}
	}
	if spec.IPv4CIDR != "" {
		gw, p, err := Gateway(spec.IPv4CIDR)
		if err != nil {
			return nil, fmt.Errorf("ipv4 cidr: %w", err)
		}
		ip := libvirtxml.NetworkIP{Family: "ipv4", Address: gw.String(), Prefix: uint(p.Bits())}
		if spec.DHCP {
			dhcp := &libvirtxml.NetworkDHCP{}
			if spec.DHCPStart != "" {
				dhcp.Ranges = []libvirtxml.NetworkDHCPRange{{Start: spec.DHCPStart, End: spec.DHCPEnd}}
			}
			for _, h := range spec.Hosts {
				dhcp.Hosts = append(dhcp.Hosts, libvirtxml.NetworkDHCPHost{
					MAC: strings.ToLower(h.MAC), IP: h.IPv4, Name: h.Hostname})
			}
			ip.DHCP = dhcp
		}
		n.IPs = []libvirtxml.NetworkIP{ip}
	}
	if spec.NoPing {
		n.DnsmasqOptions = &libvirtxml.NetworkDnsmasqOptions{Option: []libvirtxml.NetworkDnsmasqOption{{Value: "no-ping"}}}
	}
	return n, nil
}
