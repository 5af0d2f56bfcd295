package provider

import (
	"fmt"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// networkImportCase imports a network defined by another tool with the
// minimal configuration of the docs (an import block, name and ipv4_cidr, and
// what the tool's own configuration set), then with the full configuration
// that `-generate-config-out` writes; both first plans must be empty, and the
// network is left as it was.
func networkImportCase(t *testing.T, minimal, generated tfconfig.Network, check func(hypervisor.NetworkInfo) error) {
	t.Helper()
	minimal.Label, generated.Label = "test", "test"
	importCase(t, testNetAddr, minimal.Name, minimal, generated, nil, acctest.CheckNetwork(minimal.Name, check))
}

// generatedDHCP is the dhcp block -generate-config-out writes for a range.
func generatedDHCP(start, end string) string {
	return fmt.Sprintf("dhcp = {\n  enabled = true\n  start   = %s\n  end     = %s\n  no_ping = false\n}",
		tfconfig.Quote(start), tfconfig.Quote(end))
}

// foreignIPv4 is lan's gateway address with a netmask and DHCP from host
// start to host end, as another tool writes it; edit changes the rest.
func foreignIPv4(lan acctest.Subnet, start, end int, edit func(*libvirtxml.NetworkIP)) []libvirtxml.NetworkIP {
	ip := libvirtxml.NetworkIP{Address: lan.Gateway(), Netmask: lan.Netmask(),
		DHCP: &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: lan.Host(start), End: lan.Host(end)}}}}
	if edit != nil {
		edit(&ip)
	}
	return []libvirtxml.NetworkIP{ip}
}

// unchangedNetwork checks what the fixture made: running, autostart, the
// DHCP range and no dnsmasq no-ping option added.
func unchangedNetwork(running, autostart bool, start, end string) func(hypervisor.NetworkInfo) error {
	return func(info hypervisor.NetworkInfo) error {
		switch {
		case info.Active != running || info.Autostart != autostart:
			return fmt.Errorf("network running=%v autostart=%v, want %v and %v", info.Active, info.Autostart, running, autostart)
		case info.Spec.DHCPStart != start || info.Spec.DHCPEnd != end:
			return fmt.Errorf("DHCP range %s-%s, want %s-%s", info.Spec.DHCPStart, info.Spec.DHCPEnd, start, end)
		case info.Spec.NoPing:
			return fmt.Errorf("the network got dnsmasq's no-ping option")
		}
		return nil
	}
}

// The libvirt provider v0.8 (`libvirt_network` with mode = "nat", addresses,
// mtu, domain, dns { enabled, local_only } and DHCP on by default) defines this
// XML (libvirt/resource_libvirt_network.go at v0.8.3), starts it and leaves
// autostart off.
func TestAccNetworkImport_libvirtProviderV08(t *testing.T) {
	testAccPreCheck(t)
	lan := acctest.CIDR(t)
	name := acctest.RandName("net")
	defineForeignNetwork(t, &libvirtxml.Network{
		Name:           name,
		Forward:        &libvirtxml.NetworkForward{Mode: "nat"},
		Bridge:         &libvirtxml.NetworkBridge{STP: "on"},
		MTU:            &libvirtxml.NetworkMTU{Size: 1400},
		Domain:         &libvirtxml.NetworkDomain{Name: "k8s.local", LocalOnly: "yes"},
		DNS:            &libvirtxml.NetworkDNS{Enable: "yes"},
		IPs:            foreignIPv4(lan, 2, 254, func(ip *libvirtxml.NetworkIP) { ip.Netmask, ip.Prefix, ip.Family = "", 24, "ipv4" }),
		DnsmasqOptions: &libvirtxml.NetworkDnsmasqOptions{},
	}, true, false)
	minimal := tfconfig.Network{Name: name, IPv4CIDR: lan.CIDR(), DNSDomain: "k8s.local"}
	generated := tfconfig.Network{Name: name, Mode: "nat", IPv4CIDR: lan.CIDR(), Hosts: []tfconfig.Reservation{},
		DNSDomain: "k8s.local", DNSHosts: []tfconfig.DNSHost{},
		Extra: "ipv6_cidr = null\nmtu       = 1400\n" + generatedDHCP(lan.Host(2), lan.Host(254)) + "\nautostart = false\nrunning   = true"}
	networkImportCase(t, minimal, generated, unchangedNetwork(true, false, lan.Host(2), lan.Host(254)))
}

// The libvirt provider v0.9 maps libvirt's XML one to one: a user's
// `forward = { mode = "nat" }`, `bridge = { name = ... }` and
// `ips = [{ address, netmask, dhcp = { ranges } }]`, with autostart = true.
func TestAccNetworkImport_libvirtProviderV09(t *testing.T) {
	testAccPreCheck(t)
	testAccBridgedNetworkImport(t, &libvirtxml.NetworkForward{Mode: "nat"}, 100, 200, false)
}

// `virsh net-define` of libvirt's stock `default` network (an empty
// <forward/>, a netmask, DHCP from .2), then net-start and net-autostart, as
// distributions ship it. libvirt fills in mode nat, STP and a MAC.
func TestAccNetworkImport_virshDefault(t *testing.T) {
	testAccPreCheck(t)
	testAccBridgedNetworkImport(t, &libvirtxml.NetworkForward{}, 2, 254, true)
}

// testAccBridgedNetworkImport imports a running, autostarted network with
// forward, a bridge of its own and DHCP from host start to host end, as
// another tool defines it. The generated configuration of a network that
// libvirt gave a DNS element and no reservations writes empty lists.
func testAccBridgedNetworkImport(t *testing.T, forward *libvirtxml.NetworkForward, start, end int, emptyLists bool) {
	t.Helper()
	lan := acctest.CIDR(t)
	name, bridge := acctest.RandName("net"), randBridge()
	defineForeignNetwork(t, &libvirtxml.Network{
		Name:    name,
		Bridge:  &libvirtxml.NetworkBridge{Name: bridge},
		Forward: forward,
		IPs:     foreignIPv4(lan, start, end, nil),
	}, true, true)
	generated := tfconfig.Network{Name: name, Mode: "nat", IPv4CIDR: lan.CIDR(),
		Extra: "bridge    = " + tfconfig.Quote(bridge) + "\n" + generatedDHCP(lan.Host(start), lan.Host(end)) + "\nautostart = true\nrunning   = true"}
	if emptyLists {
		generated.Hosts, generated.DNSHosts = []tfconfig.Reservation{}, []tfconfig.DNSHost{}
	}
	networkImportCase(t, tfconfig.Network{Name: name, IPv4CIDR: lan.CIDR()}, generated,
		unchangedNetwork(true, true, lan.Host(start), lan.Host(end)))
}

// An isolated network defined but never started (virsh net-define alone):
// its configuration says mode = "isolated", and leaving running and
// autostart unset keeps it stopped.
func TestAccNetworkImport_virshStopped(t *testing.T) {
	testAccPreCheck(t)
	lan := acctest.CIDR(t)
	name := acctest.RandName("net")
	defineForeignNetwork(t, &libvirtxml.Network{
		Name: name,
		IPs:  foreignIPv4(lan, 10, 20, func(ip *libvirtxml.NetworkIP) { ip.Netmask, ip.Prefix = "", 24 }),
	}, false, false)
	minimal := tfconfig.Network{Name: name, Mode: "isolated", IPv4CIDR: lan.CIDR()}
	networkImportCase(t, minimal, minimal, unchangedNetwork(false, false, lan.Host(10), lan.Host(20)))
}
