package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

const testNetData = "data.unikernel_network.test"

// networkData is data.unikernel_network.test reading unikernel_network.test.
const networkData = tfconfig.Raw(`
data "unikernel_network" "test" {
  name = unikernel_network.test.name
}
`)

func TestAccNetworkDataSource_basic(t *testing.T) {
	testAccPreCheck(t)
	lan := acctest.CIDR(t)
	name := acctest.RandName("net")
	// asResource checks that the data source reads what the resource holds at path.
	asResource := func(path string) statecheck.StateCheck {
		return statecheck.CompareValuePairs(testNetData, acctest.Path(path), testNetAddr, acctest.Path(path), compare.ValuesSame())
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testConfig(tfconfig.Network{
					Label: "test", Name: name, IPv4CIDR: lan.CIDR(), Extra: "mtu = 1450",
					Hosts:     []tfconfig.Reservation{{MAC: "52:54:00:14:10:01", IPv4: lan.Host(10), Hostname: "one"}},
					DNSDomain: "data.internal",
					DNSHosts:  []tfconfig.DNSHost{{IP: lan.Host(10), Hostnames: []string{"one", "uno"}}},
				}, networkData),
				ConfigStateChecks: []statecheck.StateCheck{
					asResource("id"),
					asResource("bridge"),
					asResource("gateway"),
					asResource("dhcp.start"),
					asResource("dhcp.end"),
					acctest.Expect(testNetData, "mode", str("nat")),
					acctest.Expect(testNetData, "ipv4_cidr", str(lan.CIDR())),
					acctest.Expect(testNetData, "mtu", knownvalue.Int64Exact(1450)),
					acctest.Expect(testNetData, "running", knownvalue.Bool(true)),
					acctest.Expect(testNetData, "autostart", knownvalue.Bool(true)),
					acctest.Expect(testNetData, "dhcp.no_ping", knownvalue.Bool(true)),
					acctest.Expect(testNetData, "hosts", knownvalue.SetExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{
							"mac": str("52:54:00:14:10:01"), "ipv4": str(lan.Host(10)),
							"hostname": str("one"),
						}),
					})),
					acctest.Expect(testNetData, "dns", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"domain": str("data.internal"),
						"hosts": knownvalue.SetExact([]knownvalue.Check{knownvalue.ObjectExact(map[string]knownvalue.Check{
							"ipv4":      str(lan.Host(10)),
							"hostnames": knownvalue.ListExact([]knownvalue.Check{str("one"), str("uno")}),
						})}),
					})),
					acctest.Expect(testNetData, "leases", knownvalue.ListSizeExact(0)),
				},
			},
			{
				Config: testConfig(tfconfig.Raw(`
data "unikernel_network" "missing" {
  name = "tf-acc-no-such-network"
}
`)),
				ExpectError: regexp.MustCompile(`Unable to read network "tf-acc-no-such-network"(?s:.*)virsh\s+net-list`),
			},
		},
	})
}

// waitNetworkGuestReady polls a console log until re matches, and returns
// the submatches.
func waitNetworkGuestReady(path string, re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	var last []byte
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			last = b
			// Only complete lines: a line the guest is still writing would
			// give half a value (mac=52:54:00: of mac=52:54:00:77:00:01).
			if m := re.FindStringSubmatch(string(b[:bytes.LastIndexByte(b, '\n')+1])); m != nil {
				return m, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(string(last)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return nil, fmt.Errorf("console %s did not match %q within %s; it ends with:\n%s", path, re, timeout, strings.Join(lines, "\n"))
}

// A microVM guest gets the address reserved for its MAC on a network this
// resource created, both for a reservation in `hosts` and for one an
// instance adds itself; the data source then shows both leases, and the
// network resource's plan stays empty.
func TestAccNetworkResource_microVMReservation(t *testing.T) {
	testAccPreCheck(t)
	acctest.RequireHarnessNetns(t)
	lan := acctest.CIDR(t)
	guests := acctest.TestGuests(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name := acctest.RandName("net")
	logDir := t.TempDir()
	var (
		hostsMAC = "52:54:00:14:11:01"
		hostsIP  = lan.Host(10)
		instMAC  = "52:54:00:14:11:02"
		instIP   = lan.Host(20)
	)
	var vms []string
	t.Cleanup(func() {
		for _, vm := range vms {
			_ = c.StopDomain(ctx, vm, 0)
			_ = c.UndefineDomain(ctx, vm)
		}
	})
	// boot starts the microVM with mac on the network and waits for the
	// address it reports.
	boot := func(mac string, reserve *hypervisor.DHCPHost) (string, error) {
		vm := acctest.RandName("vm")
		vms = append(vms, vm)
		log := filepath.Join(logDir, vm+".log")
		start := time.Now()
		if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{
			Name: vm, Type: acctest.Hypervisor(), MemoryMiB: 128, VCPUs: 1,
			Kernel: guests.MicroVMKernel, Initrd: guests.MicroVMInitrd, Cmdline: "console=ttyS0 panic=-1 quiet",
			ConsoleLog: log, Interfaces: []hypervisor.InterfaceSpec{{Network: name, MAC: mac}},
		}); err != nil {
			return "", err
		}
		if reserve != nil {
			if err := c.AddDHCPHost(ctx, name, *reserve); err != nil {
				return "", err
			}
		}
		if err := c.StartDomain(ctx, vm); err != nil {
			return "", err
		}
		m, err := waitNetworkGuestReady(log, regexp.MustCompile(acctest.MicroVMReady), 90*time.Second)
		if err != nil {
			return "", err
		}
		t.Logf("microVM %s ready with %s/%s %.2fs after define+start", mac, m[1], m[2], time.Since(start).Seconds())
		if m[3] != mac {
			return "", fmt.Errorf("guest reports mac %s, want %s", m[3], mac)
		}
		return m[1], nil
	}
	expectAddr := func(mac, want string, reserve *hypervisor.DHCPHost) resource.TestCheckFunc {
		return func(*terraform.State) error {
			got, err := boot(mac, reserve)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("guest %s got %s, want its reserved %s", mac, got, want)
			}
			return nil
		}
	}
	network := tfconfig.Network{Label: "test", Name: name, IPv4CIDR: lan.CIDR(),
		Hosts: []tfconfig.Reservation{{MAC: hostsMAC, IPv4: hostsIP, Hostname: "reserved"}}}
	lease := func(mac, ip string) knownvalue.Check {
		return knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"mac": str(mac), "ipv4": str(ip),
			"expiry": knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)),
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testConfig(network),
				Check: resource.ComposeTestCheckFunc(
					expectAddr(hostsMAC, hostsIP, nil),
					expectAddr(instMAC, instIP, &hypervisor.DHCPHost{MAC: instMAC, IPv4: instIP, Hostname: "inst"}),
				),
			},
			{
				Config:           testConfig(network, networkData),
				ConfigPlanChecks: planAction(testNetAddr, plancheck.ResourceActionNoop),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(testNetData, "leases", knownvalue.ListExact([]knownvalue.Check{
						lease(hostsMAC, hostsIP), lease(instMAC, instIP),
					})),
					acctest.Expect(testNetData, "hosts", knownvalue.SetSizeExact(2)),
					acctest.Expect(testNetAddr, "hosts", knownvalue.SetSizeExact(1)),
				},
			},
		},
	})
}

// The documentation's examples plan cleanly against the real provider.
func TestAccNetworkResource_examplesPlan(t *testing.T) {
	testAccPreCheck(t)
	root := acctest.RepoRoot(t)
	for _, f := range []string{"examples/resources/unikernel_network/resource.tf", "examples/data-sources/unikernel_network/data-source.tf"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		config := string(b)
		if strings.Contains(f, "data-sources") {
			// The data source reads a network that must exist: plan it next to the resource example.
			r, err := os.ReadFile(filepath.Join(root, "examples/resources/unikernel_network/resource.tf"))
			if err != nil {
				t.Fatal(err)
			}
			config = strings.Replace(string(r), `output "lan"`, `output "lan_resource"`, 1) +
				strings.Replace(config, `name = "unikernel-lan"`, `name = unikernel_network.lan.name`, 1)
		}
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:             testConfig(tfconfig.Raw(config)),
					PlanOnly:           true,
					ExpectNonEmptyPlan: true,
				}},
			})
		})
	}
}
