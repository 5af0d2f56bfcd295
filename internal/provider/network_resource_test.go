package provider

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Network acceptance tests take their ranges from acctest.CIDR, so that they
// never overlap each other or the other resources' tests.

const testNetAddr = "unikernel_network.test"

var (
	netUUIDRe   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	netBridgeRe = regexp.MustCompile(`^virbr[0-9]+$`)
)

func netWantHosts(want ...hypervisor.DHCPHost) func(hypervisor.NetworkInfo) error {
	return func(info hypervisor.NetworkInfo) error {
		got := map[hypervisor.DHCPHost]bool{}
		for _, h := range info.Spec.Hosts {
			got[h] = true
		}
		w := map[hypervisor.DHCPHost]bool{}
		for _, h := range want {
			w[h] = true
		}
		if !reflect.DeepEqual(got, w) {
			return fmt.Errorf("libvirt has reservations %+v, want %+v", info.Spec.Hosts, want)
		}
		return nil
	}
}

func TestAccNetworkResource_modes(t *testing.T) {
	cases := []struct {
		mode string
		v6   bool
	}{
		{"nat", false},
		{"route", true},
		{"open", true},
		{"isolated", false},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			testAccPreCheck(t)
			name := acctest.RandName("net")
			lan := acctest.CIDR(t)
			v6, wantV6 := "", ""
			if tc.v6 {
				wantV6 = lan.IPv6()
				v6 = fmt.Sprintf("ipv6_cidr = %q", wantV6)
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             acctest.CheckNetworksDestroyed,
				Steps: []resource.TestStep{{
					Config: testProviderBlock() + fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  mode      = %q
  ipv4_cidr = %q
  %s
}
`, name, tc.mode, lan, v6),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(netUUIDRe)),
						statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("gateway"), knownvalue.StringExact(lan.Gateway())),
						statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("bridge"), knownvalue.StringRegexp(netBridgeRe)),
						statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("dhcp"), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"enabled": knownvalue.Bool(true), "no_ping": knownvalue.Bool(true),
							"start": knownvalue.StringExact(lan.Host(128)), "end": knownvalue.StringExact(lan.Host(254)),
						})),
						statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("hosts"), knownvalue.SetSizeExact(0)),
						statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("running"), knownvalue.Bool(true)),
						statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("autostart"), knownvalue.Bool(true)),
					},
					Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
						if info.Spec.Mode != tc.mode || !info.Active || !info.Autostart || info.Spec.IPv4CIDR != lan.CIDR() ||
							info.Spec.IPv6CIDR != wantV6 || !info.Spec.NoPing {
							return fmt.Errorf("libvirt has %+v", info)
						}
						return nil
					}),
				}},
			})
		})
	}
}

// A network in bridge mode attaches to a host bridge that exists already; the
// test creates one in the harness namespace.
func TestAccNetworkResource_bridge(t *testing.T) {
	testAccPreCheck(t)
	acctest.RequireHarnessNetns(t)
	br := strings.Replace(acctest.RandName("br"), "-br-", "-br", 1)[:15] // tf-acc-brXXXXXX: the 15 characters Linux allows
	if out, err := exec.Command("ip", "link", "add", br, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("ip link add %s: %v\n%s", br, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", br).Run() })
	name := acctest.RandName("net")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{{
			Config: testProviderBlock() + fmt.Sprintf(`
resource "unikernel_network" "test" {
  name   = %q
  mode   = "bridge"
  bridge = %q
}
`, name, br),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("bridge"), knownvalue.StringExact(br)),
				statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("ipv4_cidr"), knownvalue.Null()),
				statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("gateway"), knownvalue.Null()),
				statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("dhcp").AtMapKey("enabled"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("running"), knownvalue.Bool(true)),
			},
			Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
				if info.Spec.Mode != "bridge" || info.Spec.Bridge != br || !info.Active {
					return fmt.Errorf("libvirt has %+v", info)
				}
				return nil
			}),
		}},
	})
}

// testAccNetworkHostsConfig is the network of the live-update test with its
// reservations and DNS hosts (domain svc.internal), and extra attributes.
func testAccNetworkHostsConfig(name string, lan acctest.Subnet, hosts []tfconfig.Reservation, dnsHosts []tfconfig.DNSHost, extra string) string {
	if hosts == nil {
		hosts = []tfconfig.Reservation{}
	}
	if dnsHosts == nil {
		dnsHosts = []tfconfig.DNSHost{}
	}
	return testConfig(tfconfig.Network{
		Label: "test", Name: name, IPv4CIDR: lan.CIDR(), Hosts: hosts,
		DNSDomain: "svc.internal", DNSHosts: dnsHosts, Extra: extra,
	})
}

// bridgeIndex is the interface index of the network's bridge: a network
// restart would recreate the bridge with a new index.
func netBridgeIndex(t *testing.T, name string) int {
	t.Helper()
	info, err := acctest.MustClient(t).ReadNetwork(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	ifc, err := net.InterfaceByName(info.Spec.Bridge)
	if err != nil {
		t.Fatalf("bridge %s of %s: %v", info.Spec.Bridge, name, err)
	}
	return ifc.Index
}

// testAccCheckLive checks that the running dnsmasq was given the
// reservations (its hosts file) and that the bridge was not recreated.
func testAccCheckNetworkLive(t *testing.T, name string, index *int, wantLines ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := netBridgeIndex(t, name); *index == 0 {
			*index = got
		} else if got != *index {
			return fmt.Errorf("the bridge was recreated (index %d, was %d): the network was restarted", got, *index)
		}
		b, err := os.ReadFile(acctest.DaemonPath(filepath.Join("/var/lib/libvirt/dnsmasq", name+".hostsfile")))
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		got := strings.Fields(string(b))
		if !reflect.DeepEqual(netSorted(got), netSorted(wantLines)) {
			return fmt.Errorf("dnsmasq hosts file has %q, want %q", got, wantLines)
		}
		return nil
	}
}

func netSorted(s []string) []string {
	out := append([]string{}, s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Reservations, DNS hosts, autostart and running change live: plan checks
// prove Update (not Replace), the UUID stays, and the bridge is never
// recreated.
func TestAccNetworkResource_liveUpdate(t *testing.T) {
	testAccPreCheck(t)
	acctest.RequireHarnessNetns(t)
	name := acctest.RandName("net")
	lan := acctest.CIDR(t)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	index := 0
	update := []plancheck.PlanCheck{plancheck.ExpectResourceAction(testNetAddr, plancheck.ResourceActionUpdate)}
	type hosts = []tfconfig.Reservation
	type names = []tfconfig.DNSHost
	a := tfconfig.Reservation{MAC: "52:54:00:14:0a:01", IPv4: lan.Host(10), Hostname: "alpha"}
	a2 := tfconfig.Reservation{MAC: "52:54:00:14:0a:01", IPv4: lan.Host(20), Hostname: "alpha"}
	b := tfconfig.Reservation{MAC: "52:54:00:14:0a:02", IPv4: lan.Host(11)}
	dx := tfconfig.DNSHost{IP: lan.Host(10), Hostnames: []string{"alpha", "db"}}
	dy := tfconfig.DNSHost{IP: lan.Host(11), Hostnames: []string{"beta"}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{
			{
				Config:            testAccNetworkHostsConfig(name, lan, hosts{a}, names{dx}, ""),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(testNetAddr, tfjsonpath.New("id"))},
				Check: resource.ComposeAggregateTestCheckFunc(
					acctest.CheckNetwork(name, netWantHosts(hypervisor.DHCPHost{MAC: "52:54:00:14:0a:01", IPv4: lan.Host(10), Hostname: "alpha"})),
					testAccCheckNetworkLive(t, name, &index, "52:54:00:14:0a:01,"+lan.Host(10)+",alpha"),
				),
			},
			{
				// Add a reservation, change another's address, replace a DNS host and add one.
				Config:            testAccNetworkHostsConfig(name, lan, hosts{a2, b}, names{dy, {IP: lan.Host(20), Hostnames: []string{"alpha"}}}, ""),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: update},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(testNetAddr, tfjsonpath.New("id"))},
				Check: resource.ComposeAggregateTestCheckFunc(
					acctest.CheckNetwork(name, netWantHosts(
						hypervisor.DHCPHost{MAC: "52:54:00:14:0a:01", IPv4: lan.Host(20), Hostname: "alpha"},
						hypervisor.DHCPHost{MAC: "52:54:00:14:0a:02", IPv4: lan.Host(11)})),
					acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
						if len(info.Spec.DNSHosts) != 2 || !info.Active {
							return fmt.Errorf("libvirt has DNS hosts %+v, active %v", info.Spec.DNSHosts, info.Active)
						}
						return nil
					}),
					testAccCheckNetworkLive(t, name, &index, "52:54:00:14:0a:01,"+lan.Host(20)+",alpha", "52:54:00:14:0a:02,"+lan.Host(11)),
				),
			},
			{
				// Remove every reservation and DNS host, and autostart.
				Config:           testAccNetworkHostsConfig(name, lan, nil, nil, "autostart = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: update},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(testNetAddr, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("hosts"), knownvalue.SetSizeExact(0)),
					statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("dns").AtMapKey("hosts"), knownvalue.SetSizeExact(0)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					acctest.CheckNetwork(name, netWantHosts()),
					acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
						if info.Autostart || len(info.Spec.DNSHosts) != 0 {
							return fmt.Errorf("libvirt has autostart %v, DNS hosts %+v", info.Autostart, info.Spec.DNSHosts)
						}
						return nil
					}),
					testAccCheckNetworkLive(t, name, &index),
				),
			},
			{
				// Stop it, change a reservation while it is stopped, start it again.
				Config:           testAccNetworkHostsConfig(name, lan, hosts{b}, nil, "running = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: update},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(testNetAddr, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("running"), knownvalue.Bool(false))},
				Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
					if info.Active || len(info.Spec.Hosts) != 1 {
						return fmt.Errorf("libvirt has active %v, hosts %+v", info.Active, info.Spec.Hosts)
					}
					return nil
				}),
			},
			{
				Config:           testAccNetworkHostsConfig(name, lan, hosts{b}, nil, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: update},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(testNetAddr, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("running"), knownvalue.Bool(true))},
				Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
					if !info.Active || !info.Autostart {
						return fmt.Errorf("libvirt has active %v, autostart %v", info.Active, info.Autostart)
					}
					return nil
				}),
			},
		},
	})
}

// Changing the CIDR replaces the network: a new UUID.
func TestAccNetworkResource_replaceOnCIDR(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandName("net")
	first, second := acctest.CIDR(t), acctest.CIDR(t)
	differ := statecheck.CompareValue(compare.ValuesDiffer())
	config := func(cidr string) string {
		return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %q
  ipv4_cidr = %q
}
`, name, cidr)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{
			{
				Config:            config(first.CIDR()),
				ConfigStateChecks: []statecheck.StateCheck{differ.AddStateValue(testNetAddr, tfjsonpath.New("id"))},
			},
			{
				Config: config(second.CIDR()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testNetAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					differ.AddStateValue(testNetAddr, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("gateway"), knownvalue.StringExact(second.Gateway())),
					statecheck.ExpectKnownValue(testNetAddr, tfjsonpath.New("dhcp").AtMapKey("start"), knownvalue.StringExact(second.Host(128))),
				},
				Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
					if info.Spec.IPv4CIDR != second.CIDR() || !info.Active {
						return fmt.Errorf("libvirt has %+v", info)
					}
					return nil
				}),
			},
		},
	})
}

func TestAccNetworkResource_import(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandName("net")
	lan := acctest.CIDR(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testProviderBlock() + fmt.Sprintf(`
resource "unikernel_network" "test" {
  name      = %[1]q
  mode      = "route"
  ipv4_cidr = %[2]q
  ipv6_cidr = %[3]q
  mtu       = 1400
  dhcp = {
    start   = "%[4]s.50"
    end     = "%[4]s.99"
    no_ping = false
  }
  hosts = [
    { mac = "52:54:00:14:0e:01", ipv4 = "%[4]s.10", hostname = "one" },
    { mac = "52:54:00:14:0e:02", ipv4 = "%[4]s.11" },
  ]
  dns = {
    domain = "import.internal"
    hosts  = [{ ipv4 = "%[4]s.10", hostnames = ["one", "uno"] }]
  }
  autostart = false
}
`, name, lan, lan.IPv6(), lan.Prefix()),
			},
			{
				ResourceName:                         testNetAddr,
				ImportState:                          true,
				ImportStateId:                        name,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "name",
			},
			{
				ResourceName:      testNetAddr,
				ImportState:       true,
				ImportStateVerify: true, // by UUID
			},
		},
	})
}
