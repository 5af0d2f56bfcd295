package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Each out-of-band change shows in the next plan (non-empty, an in-place
// update of the same network) and the apply repairs it; the framework's
// plan after each apply proves the repair leaves no diff.
func TestAccNetworkResource_drift(t *testing.T) {
	testAccPreCheck(t)
	lan := acctest.CIDR(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name := acctest.RandName("net")
	config := testConfig(tfconfig.Network{
		Label: "test", Name: name, IPv4CIDR: lan.CIDR(),
		Hosts:    []tfconfig.Reservation{{MAC: "52:54:00:14:0d:01", IPv4: lan.Host(10), Hostname: "kept"}},
		DNSHosts: []tfconfig.DNSHost{{IP: lan.Host(10), Hostnames: []string{"kept"}}},
	})
	kept := hypervisor.DHCPHost{MAC: "52:54:00:14:0d:01", IPv4: lan.Host(10), Hostname: "kept"}
	keptDNS := hypervisor.DNSHost{IP: lan.Host(10), Hostnames: []string{"kept"}}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	repaired := func(pre func() error, check resource.TestCheckFunc) resource.TestStep {
		return resource.TestStep{
			PreConfig: func() {
				if err := pre(); err != nil {
					t.Fatal(err)
				}
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectNonEmptyPlan(),
				plancheck.ExpectResourceAction(testNetAddr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(testNetAddr, tfjsonpath.New("id"))},
			Check:             check,
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(testNetAddr, tfjsonpath.New("id"))},
			},
			// Stopped out of band: the apply starts it.
			repaired(func() error { return c.StopNetwork(ctx, name) },
				acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
					if !info.Active {
						return fmt.Errorf("network not running after apply")
					}
					return nil
				})),
			// Autostart switched off by hand.
			repaired(func() error { return c.SetNetworkAutostart(ctx, name, false) },
				acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
					if !info.Autostart {
						return fmt.Errorf("autostart not restored")
					}
					return nil
				})),
			// A managed reservation removed by hand comes back.
			repaired(func() error { return c.RemoveDHCPHost(ctx, name, kept.MAC) },
				acctest.CheckNetwork(name, netWantHosts(kept))),
			// A reservation added by hand, for a MAC that no instance on the network has, is removed.
			repaired(func() error {
				return c.AddDHCPHost(ctx, name, hypervisor.DHCPHost{MAC: "52:54:00:14:0d:99", IPv4: lan.Host(99)})
			}, acctest.CheckNetwork(name, netWantHosts(kept))),
			// A DNS host removed and another added by hand.
			repaired(func() error {
				return c.UpdateNetworkHosts(ctx, name, hypervisor.NetworkHostsChange{
					RemoveDNS: []hypervisor.DNSHost{keptDNS},
					AddDNS:    []hypervisor.DNSHost{{IP: lan.Host(98), Hostnames: []string{"intruder"}}},
				})
			}, acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
				if len(info.Spec.DNSHosts) != 1 || info.Spec.DNSHosts[0].IP != keptDNS.IP {
					return fmt.Errorf("libvirt has DNS hosts %+v, want only %+v", info.Spec.DNSHosts, keptDNS)
				}
				return nil
			})),
			// Deleted out of band: the plan creates it again.
			{
				PreConfig: func() {
					if err := c.DeleteNetwork(ctx, name); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectNonEmptyPlan(),
					plancheck.ExpectResourceAction(testNetAddr, plancheck.ResourceActionCreate),
				}},
				Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
					if !info.Active || len(info.Spec.Hosts) != 1 {
						return fmt.Errorf("libvirt has %+v", info)
					}
					return nil
				}),
			},
		},
	})
}

// A reservation an instance adds for its own interface (its MAC is on a
// domain attached to the network) is not drift: the plan stays empty and the
// network resource leaves it alone, also when its own hosts change.
func TestAccNetworkResource_instanceReservation(t *testing.T) {
	testAccPreCheck(t)
	lan := acctest.CIDR(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name := acctest.RandName("net")
	dom := acctest.RandName("dom")
	inst := hypervisor.DHCPHost{MAC: "52:54:00:14:13:07", IPv4: lan.Host(70), Hostname: dom}
	config := func(own tfconfig.Reservation) string {
		return testConfig(tfconfig.Network{Label: "test", Name: name, IPv4CIDR: lan.CIDR(), Hosts: []tfconfig.Reservation{own}})
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, dom) })
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworksDestroyed,
		Steps: []resource.TestStep{
			{Config: config(tfconfig.Reservation{MAC: "52:54:00:14:13:01", IPv4: lan.Host(10)})},
			{
				// What the instance resource does: define the domain on the network, add its reservation.
				PreConfig: func() {
					if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{Name: dom, Type: acctest.Hypervisor(), MemoryMiB: 16,
						Kernel: "/nonexistent", Interfaces: []hypervisor.InterfaceSpec{{Network: name, MAC: inst.MAC}}}); err != nil {
						t.Fatal(err)
					}
					if err := c.AddDHCPHost(ctx, name, inst); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(tfconfig.Reservation{MAC: "52:54:00:14:13:01", IPv4: lan.Host(10)}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: acctest.CheckNetwork(name, netWantHosts(hypervisor.DHCPHost{MAC: "52:54:00:14:13:01", IPv4: lan.Host(10)}, inst)),
			},
			{
				// Changing the network's own reservations keeps the instance's.
				Config: config(tfconfig.Reservation{MAC: "52:54:00:14:13:02", IPv4: lan.Host(11)}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testNetAddr, plancheck.ResourceActionUpdate),
				}},
				Check: acctest.CheckNetwork(name, netWantHosts(hypervisor.DHCPHost{MAC: "52:54:00:14:13:02", IPv4: lan.Host(11)}, inst)),
			},
		},
	})
}
