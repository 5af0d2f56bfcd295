package hypervisor

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// Network modes.
const (
	NetworkModeNAT      = "nat"
	NetworkModeRoute    = "route"
	NetworkModeOpen     = "open"
	NetworkModeIsolated = "isolated"
	NetworkModeBridge   = "bridge"
)

// NetworkModes are the modes NetworkXML accepts, the default first.
var NetworkModes = []string{NetworkModeNAT, NetworkModeRoute, NetworkModeOpen, NetworkModeIsolated, NetworkModeBridge}

// dnsmasqNoPing is the dnsmasq option that makes it offer addresses without
// pinging them first.
const dnsmasqNoPing = "no-ping"

// NetworkSpec is the plain description of a libvirt network.
type NetworkSpec struct {
	Name   string
	UUID   string
	Mode   string // "nat" (default), "route", "open", "isolated" or "bridge"
	Bridge string // empty: libvirt picks one (all modes but bridge)
	MTU    uint   // 0: libvirt's default

	IPv4CIDR string // e.g. 10.213.0.0/24; the gateway is the first host address
	IPv6CIDR string // e.g. fd00:213::/64; the host's address is the first host address

	// DHCP serves IPv4 addresses from DHCPStart to DHCPEnd. Both empty: the
	// range DefaultDHCPRange derives from IPv4CIDR.
	DHCP      bool
	DHCPStart string
	DHCPEnd   string
	Hosts     []DHCPHost

	// NoPing makes dnsmasq offer addresses without pinging them first, which
	// otherwise costs about 3 s per lease.
	NoPing bool

	DNSDomain string // answered locally, never forwarded
	DNSHosts  []DNSHost
}

// DHCPHost is a static IPv4 DHCP reservation: the guest with MAC always gets
// IPv4, and Hostname when set.
type DHCPHost struct {
	MAC      string
	IPv4     string
	Hostname string
}

// DNSHost is a DNS record served by the network's dnsmasq: each of Hostnames
// resolves to IP.
type DNSHost struct {
	IP        string
	Hostnames []string
}

// Gateway returns the first host address of a CIDR, and the masked prefix.
func Gateway(cidr string) (netip.Addr, netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return netip.Addr{}, netip.Prefix{}, err
	}
	p = p.Masked()
	return p.Addr().Next(), p, nil
}

// LastAddr returns the last address of a prefix (the broadcast address of an
// IPv4 network).
func LastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := range b {
		hostBits := len(b)*8 - p.Bits() - (len(b)-1-i)*8
		switch {
		case hostBits >= 8:
			b[i] = 0xff
		case hostBits > 0:
			b[i] |= byte(1<<hostBits - 1)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// DefaultDHCPRange is the DHCP range of an IPv4 CIDR when none is given: the
// second half of the network without its broadcast address, so that the
// first half (after the gateway) stays free for static reservations. For
// 10.0.0.0/24 that is 10.0.0.128 to 10.0.0.254. The CIDR must be /30 or
// larger.
func DefaultDHCPRange(cidr string) (start, end netip.Addr, err error) {
	_, p, err := Gateway(cidr)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, err
	}
	if !p.Addr().Is4() || p.Bits() > 30 {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("%s is not an IPv4 network of /30 or larger", cidr)
	}
	half := new(big.Int).Lsh(big.NewInt(1), uint(31-p.Bits()))
	base := new(big.Int).SetBytes(p.Addr().AsSlice())
	startBytes := new(big.Int).Add(base, half).FillBytes(make([]byte, 4))
	start = netip.AddrFrom4([4]byte(startBytes))
	return start, LastAddr(p).Prev(), nil
}

// NetworkXML maps spec to a libvirt network definition. Pure.
func NetworkXML(spec NetworkSpec) (*libvirtxml.Network, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("a network needs a name")
	}
	n := &libvirtxml.Network{Name: spec.Name, UUID: spec.UUID}
	mode := orDefault(spec.Mode, NetworkModeNAT)
	switch mode {
	case NetworkModeNAT, NetworkModeRoute, NetworkModeOpen:
		n.Forward = &libvirtxml.NetworkForward{Mode: mode}
	case NetworkModeIsolated:
	case NetworkModeBridge:
		if spec.Bridge == "" {
			return nil, fmt.Errorf("mode bridge needs a bridge name")
		}
		if spec.IPv4CIDR != "" || spec.IPv6CIDR != "" || spec.DHCP || len(spec.Hosts) > 0 ||
			spec.MTU != 0 || spec.DNSDomain != "" || len(spec.DNSHosts) > 0 {
			return nil, fmt.Errorf("mode bridge attaches to an existing bridge: libvirt manages no addresses, DHCP, DNS or MTU on it")
		}
		n.Forward = &libvirtxml.NetworkForward{Mode: NetworkModeBridge}
	default:
		return nil, fmt.Errorf("mode %q is not one of %s", mode, strings.Join(NetworkModes, ", "))
	}
	if spec.Bridge != "" {
		n.Bridge = &libvirtxml.NetworkBridge{Name: spec.Bridge}
	}
	if spec.MTU != 0 {
		n.MTU = &libvirtxml.NetworkMTU{Size: spec.MTU}
	}
	if spec.DNSDomain != "" {
		n.Domain = &libvirtxml.NetworkDomain{Name: spec.DNSDomain, LocalOnly: "yes"}
	}
	if len(spec.DNSHosts) > 0 {
		n.DNS = &libvirtxml.NetworkDNS{}
		for _, h := range spec.DNSHosts {
			n.DNS.Host = append(n.DNS.Host, dnsHostXML(h))
		}
	}
	if spec.IPv4CIDR != "" {
		ip, err := ipv4XML(spec)
		if err != nil {
			return nil, err
		}
		n.IPs = append(n.IPs, ip)
	} else if spec.DHCP || len(spec.Hosts) > 0 {
		return nil, fmt.Errorf("DHCP needs an IPv4 CIDR")
	}
	if spec.IPv6CIDR != "" {
		gw, p, err := Gateway(spec.IPv6CIDR)
		if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
			return nil, fmt.Errorf("ipv6 cidr %q is not an IPv6 network", spec.IPv6CIDR)
		}
		n.IPs = append(n.IPs, libvirtxml.NetworkIP{Family: "ipv6", Address: gw.String(), Prefix: uint(p.Bits())})
	}
	if spec.NoPing {
		n.DnsmasqOptions = &libvirtxml.NetworkDnsmasqOptions{Option: []libvirtxml.NetworkDnsmasqOption{{Value: dnsmasqNoPing}}}
	}
	return n, nil
}

func ipv4XML(spec NetworkSpec) (libvirtxml.NetworkIP, error) {
	gw, p, err := Gateway(spec.IPv4CIDR)
	if err != nil || !p.Addr().Is4() {
		return libvirtxml.NetworkIP{}, fmt.Errorf("ipv4 cidr %q is not an IPv4 network", spec.IPv4CIDR)
	}
	ip := libvirtxml.NetworkIP{Family: "ipv4", Address: gw.String(), Prefix: uint(p.Bits())}
	if !spec.DHCP {
		if len(spec.Hosts) > 0 {
			return ip, fmt.Errorf("static DHCP reservations need DHCP")
		}
		return ip, nil
	}
	start, end := spec.DHCPStart, spec.DHCPEnd
	if start == "" && end == "" {
		s, e, err := DefaultDHCPRange(spec.IPv4CIDR)
		if err != nil {
			return ip, err
		}
		start, end = s.String(), e.String()
	}
	dhcp := &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: start, End: end}}}
	for _, h := range spec.Hosts {
		dhcp.Hosts = append(dhcp.Hosts, dhcpHostXML(h))
	}
	ip.DHCP = dhcp
	return ip, nil
}

func dhcpHostXML(h DHCPHost) libvirtxml.NetworkDHCPHost {
	return libvirtxml.NetworkDHCPHost{MAC: strings.ToLower(h.MAC), IP: h.IPv4, Name: h.Hostname}
}

func dnsHostXML(h DNSHost) libvirtxml.NetworkDNSHost {
	x := libvirtxml.NetworkDNSHost{IP: h.IP}
	for _, name := range h.Hostnames {
		x.Hostnames = append(x.Hostnames, libvirtxml.NetworkDNSHostHostname{Hostname: name})
	}
	return x
}

// SpecFromNetworkXML maps a network definition back to a spec. It is the
// inverse of NetworkXML for everything NetworkXML writes, and reads networks
// defined by other tools as closely as a spec can describe them: the first
// IPv4 and IPv6 address, and the first DHCP range.
func SpecFromNetworkXML(n *libvirtxml.Network) NetworkSpec {
	s := NetworkSpec{Name: n.Name, UUID: n.UUID, Mode: NetworkModeIsolated}
	if n.Forward != nil {
		s.Mode = orDefault(n.Forward.Mode, NetworkModeNAT)
	}
	if n.Bridge != nil {
		s.Bridge = n.Bridge.Name
	}
	if n.MTU != nil {
		s.MTU = n.MTU.Size
	}
	if n.Domain != nil {
		s.DNSDomain = n.Domain.Name
	}
	if n.DNS != nil {
		for _, h := range n.DNS.Host {
			dh := DNSHost{IP: h.IP}
			for _, name := range h.Hostnames {
				dh.Hostnames = append(dh.Hostnames, name.Hostname)
			}
			s.DNSHosts = append(s.DNSHosts, dh)
		}
	}
	for _, ip := range n.IPs {
		p, ok := ipPrefix(ip)
		if !ok {
			continue
		}
		if p.Addr().Is4() && s.IPv4CIDR == "" {
			s.IPv4CIDR = p.String()
			if ip.DHCP != nil {
				s.DHCP = true
				if len(ip.DHCP.Ranges) > 0 {
					s.DHCPStart, s.DHCPEnd = ip.DHCP.Ranges[0].Start, ip.DHCP.Ranges[0].End
				}
				for _, h := range ip.DHCP.Hosts {
					s.Hosts = append(s.Hosts, DHCPHost{MAC: strings.ToLower(h.MAC), IPv4: h.IP, Hostname: h.Name})
				}
			}
		}
		if p.Addr().Is6() && s.IPv6CIDR == "" {
			s.IPv6CIDR = p.String()
		}
	}
	if n.DnsmasqOptions != nil {
		for _, o := range n.DnsmasqOptions.Option {
			s.NoPing = s.NoPing || o.Value == dnsmasqNoPing
		}
	}
	return s
}

// ipPrefix returns the masked network of an <ip> element, which gives its
// size either as prefix or as netmask.
func ipPrefix(ip libvirtxml.NetworkIP) (netip.Prefix, bool) {
	a, err := netip.ParseAddr(ip.Address)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := int(ip.Prefix)
	if ip.Prefix == 0 {
		switch {
		case ip.Netmask != "":
			m, err := netip.ParseAddr(ip.Netmask)
			if err != nil {
				return netip.Prefix{}, false
			}
			bits = 0
			for _, b := range m.AsSlice() {
				for ; b&0x80 != 0; b <<= 1 {
					bits++
				}
			}
		case a.Is4():
			bits = classfulBits(a)
		default:
			bits = 64
		}
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// classfulBits is libvirt's default prefix of an IPv4 address without prefix
// or netmask.
func classfulBits(a netip.Addr) int {
	switch first := a.As4()[0]; {
	case first < 128:
		return 8
	case first < 192:
		return 16
	default:
		return 24
	}
}

// networkPrefixes lists every IPv4 and IPv6 network of a definition.
func networkPrefixes(n *libvirtxml.Network) []netip.Prefix {
	var out []netip.Prefix
	for _, ip := range n.IPs {
		if p, ok := ipPrefix(ip); ok {
			out = append(out, p)
		}
	}
	return out
}

// dhcpIPIndex is the index among all <ip> elements (libvirt's parentIndex for
// network updates) of the first IPv4 address that serves DHCP, or -1.
func dhcpIPIndex(n *libvirtxml.Network) int {
	for i, ip := range n.IPs {
		if p, ok := ipPrefix(ip); ok && p.Addr().Is4() && ip.DHCP != nil {
			return i
		}
	}
	return -1
}
