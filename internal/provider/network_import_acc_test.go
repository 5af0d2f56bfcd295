package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// networkImportCase imports a network defined by another tool with the
// minimal configuration of the docs (an import block, name and ipv4_cidr, and
// what the tool's own configuration set), then with the full configuration
// that `-generate-config-out` writes; both first plans must be empty, and the
// network is left as it was.
func networkImportCase(t *testing.T, name, minimal, generated string, check func(hypervisor.NetworkInfo) error) {
	t.Helper()
	importBlock := fmt.Sprintf(`
import {
  to = unikernel_network.test
  id = %q
}
`, name)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:           testProviderBlock() + importBlock + minimal,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: firstPlanEmpty()},
				Check:            acctest.CheckNetwork(name, check),
			},
			{
				Config:           testProviderBlock() + generated,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: firstPlanEmpty()},
				Check:            acctest.CheckNetwork(name, check),
			},
			{
				// Let go of the network without destroying it: it belongs to
				// the fixture, which removes it.
				Config: testProviderBlock() + `
removed {
  from = unikernel_network.test
  lifecycle {
    destroy = false
  }
}
`,
			},
		},
	})
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
		Name:    name,
		Forward: &libvirtxml.NetworkForward{Mode: "nat"},
		Bridge:  &libvirtxml.NetworkBridge{STP: "on"},
		MTU:     &libvirtxml.NetworkMTU{Size: 1400},
		Domain:  &libvirtxml.NetworkDomain{Name: "k8s.local", LocalOnly: "yes"},
		DNS:     &libvirtxml.NetworkDNS{Enable: "yes"},
		IPs: []libvirtxml.NetworkIP{{Address: lan.Host(1), Prefix: 24, Family: "ipv4",
			DHCP: &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: lan.Host(2), End: lan.Host(254)}}}}},
		DnsmasqOptions: &libvirtxml.NetworkDnsmasqOptions{},
	}, true, false)
	minimal := fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  ipv4_cidr = "`+lan.CIDR()+`"
  dns       = { domain = "k8s.local" }
}
`, name)
	generated := fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  mode      = "nat"
  ipv4_cidr = "`+lan.CIDR()+`"
  ipv6_cidr = null
  mtu       = 1400
  dhcp = {
    enabled = true
    start   = "`+lan.Host(2)+`"
    end     = "`+lan.Host(254)+`"
    no_ping = false
  }
  hosts     = []
  dns       = { domain = "k8s.local", hosts = [] }
  autostart = false
  running   = true
}
`, name)
	networkImportCase(t, name, minimal, generated, unchangedNetwork(true, false, lan.Host(2), lan.Host(254)))
}

// The libvirt provider v0.9 maps libvirt's XML one to one: a user's
// `forward = { mode = "nat" }`, `bridge = { name = ... }` and
// `ips = [{ address, netmask, dhcp = { ranges } }]`, with autostart = true.
func TestAccNetworkImport_libvirtProviderV09(t *testing.T) {
	testAccPreCheck(t)
	lan := acctest.CIDR(t)
	name, bridge := acctest.RandName("net"), randBridge()
	defineForeignNetwork(t, &libvirtxml.Network{
		Name:    name,
		Forward: &libvirtxml.NetworkForward{Mode: "nat"},
		Bridge:  &libvirtxml.NetworkBridge{Name: bridge},
		IPs: []libvirtxml.NetworkIP{{Address: lan.Host(1), Netmask: "255.255.255.0",
			DHCP: &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: lan.Host(100), End: lan.Host(200)}}}}},
	}, true, true)
	minimal := fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  ipv4_cidr = "`+lan.CIDR()+`"
}
`, name)
	generated := fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  mode      = "nat"
  bridge    = %q
  ipv4_cidr = "`+lan.CIDR()+`"
  dhcp = {
    enabled = true
    start   = "`+lan.Host(100)+`"
    end     = "`+lan.Host(200)+`"
    no_ping = false
  }
  autostart = true
  running   = true
}
`, name, bridge)
	networkImportCase(t, name, minimal, generated, unchangedNetwork(true, true, lan.Host(100), lan.Host(200)))
}

// `virsh net-define` of libvirt's stock `default` network (an empty
// <forward/>, a netmask, DHCP from .2), then net-start and net-autostart, as
// distributions ship it. libvirt fills in mode nat, STP and a MAC.
func TestAccNetworkImport_virshDefault(t *testing.T) {
	testAccPreCheck(t)
	lan := acctest.CIDR(t)
	name, bridge := acctest.RandName("net"), randBridge()
	defineForeignNetwork(t, &libvirtxml.Network{
		Name:    name,
		Bridge:  &libvirtxml.NetworkBridge{Name: bridge},
		Forward: &libvirtxml.NetworkForward{},
		IPs: []libvirtxml.NetworkIP{{Address: lan.Host(1), Netmask: "255.255.255.0",
			DHCP: &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: lan.Host(2), End: lan.Host(254)}}}}},
	}, true, true)
	minimal := fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  ipv4_cidr = "`+lan.CIDR()+`"
}
`, name)
	generated := fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  mode      = "nat"
  bridge    = %q
  ipv4_cidr = "`+lan.CIDR()+`"
  dhcp = {
    enabled = true
    start   = "`+lan.Host(2)+`"
    end     = "`+lan.Host(254)+`"
    no_ping = false
  }
  hosts     = []
  dns       = { hosts = [] }
  autostart = true
  running   = true
}
`, name, bridge)
	networkImportCase(t, name, minimal, generated, unchangedNetwork(true, true, lan.Host(2), lan.Host(254)))
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
		IPs: []libvirtxml.NetworkIP{{Address: lan.Host(1), Prefix: 24,
			DHCP: &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: lan.Host(10), End: lan.Host(20)}}}}},
	}, false, false)
	minimal := fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  mode      = "isolated"
  ipv4_cidr = "`+lan.CIDR()+`"
}
`, name)
	networkImportCase(t, name, minimal, minimal, unchangedNetwork(false, false, lan.Host(10), lan.Host(20)))
}
