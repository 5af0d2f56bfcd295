package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// liveTapOn reads the live definition of domain and returns the tap (target
// device) and bridge of its interface on network.
func liveTapOn(domain, network string) (tap, bridge string, err error) {
	conn, err := libvirt.NewConnect(acctest.URI())
	if err != nil {
		return "", "", err
	}
	defer func() { _, _ = conn.Close() }()
	d, err := conn.LookupDomainByName(domain)
	if err != nil {
		return "", "", err
	}
	defer func() { _ = d.Free() }()
	doc, err := d.GetXMLDesc(0)
	if err != nil {
		return "", "", err
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return "", "", err
	}
	for _, nic := range x.Devices.Interfaces {
		if nic.Source != nil && nic.Source.Network != nil && nic.Source.Network.Network == network && nic.Target != nil {
			return nic.Target.Dev, nic.Source.Network.Bridge, nil
		}
	}
	return "", "", fmt.Errorf("domain %s has no live interface on network %s", domain, network)
}

// A running instance on a network whose replacement-forcing attribute
// changes (dhcp.no_ping): the plan replaces the network, and after the apply
// the instance's tap is a port of the new network's bridge (read from the
// host's /sys, in the daemon's network namespace) and its guest gets an
// address by DHCP from the new network. Without the restart, the tap stays
// off the bridge and the guest has no link. The same holds when the network
// was stopped out of band and the apply starts it again.
func TestAccNetworkResource_replaceRestartsInstances(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	net, vm := acctest.RandName("net"), acctest.RandName("vm")
	lan := acctest.CIDR(t)
	config := func(noPing bool) string {
		n := tfconfig.Network{Label: "test", Name: net, IPv4CIDR: lan.CIDR(), Extra: fmt.Sprintf("dhcp = { no_ping = %t }", noPing)}
		return testConfig(n, tfconfig.Instance{
			Name: vm, Kernel: g.MicroVMKernel, Initrd: g.MicroVMInitrd, Cmdline: "console=ttyS0 panic=-1 quiet",
			Memory: 128, ShutdownTimeout: "1s", NICs: []tfconfig.NIC{{NetworkRef: n.Ref()}},
			WaitFor: &tfconfig.WaitFor{IPv4: true, Timeout: "90s"},
		})
	}
	networkReplaced := statecheck.CompareValue(compare.ValuesDiffer())
	onNewBridge := func(*terraform.State) error {
		tap, bridge, err := liveTapOn(vm, net)
		if err != nil {
			return err
		}
		c := acctest.MustClient(t)
		info, err := c.ReadNetwork(context.Background(), net)
		if err != nil {
			return err
		}
		if bridge != info.Spec.Bridge {
			return fmt.Errorf("live interface names bridge %q, the network has %q", bridge, info.Spec.Bridge)
		}
		master, err := os.Readlink(filepath.Join("/sys/class/net", tap, "master"))
		if err != nil {
			return fmt.Errorf("tap %s is on no bridge: %w", tap, err)
		}
		if filepath.Base(master) != bridge {
			return fmt.Errorf("tap %s is on %s, want %s", tap, filepath.Base(master), bridge)
		}
		return nil
	}
	// hasNewLease waits for a DHCP lease of the guest's MAC that expires
	// after *after: one the network's dnsmasq handed out since then.
	var leaseExpiry time.Time
	hasNewLease := func(after *time.Time) resource.TestCheckFunc {
		return func(*terraform.State) error {
			c := acctest.MustClient(t)
			d, err := c.ReadDomain(context.Background(), vm)
			if err != nil {
				return err
			}
			mac := ""
			for _, nic := range d.Spec.Interfaces {
				mac = strings.ToLower(nic.MAC)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				ls, err := c.Leases(context.Background(), net)
				if err != nil {
					return err
				}
				for _, l := range ls {
					if l.MAC == mac && l.Expiry.After(*after) {
						leaseExpiry = l.Expiry
						return nil
					}
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("no new DHCP lease for %s (%s) on network %s after %s: %+v", vm, mac, net, *after, ls)
				}
				time.Sleep(time.Second)
			}
		}
	}
	var zero time.Time
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, acctest.CheckNetworksDestroyed),
		Steps: []resource.TestStep{
			{
				Config:            config(true),
				ConfigStateChecks: []statecheck.StateCheck{networkReplaced.AddStateValue(testNetAddr, tfjsonpath.New("id"))},
				Check:             resource.ComposeAggregateTestCheckFunc(onNewBridge, hasNewLease(&zero)),
			},
			{
				Config: config(false),
				ConfigPlanChecks: planActions(map[string]plancheck.ResourceActionType{
					testNetAddr:             plancheck.ResourceActionDestroyBeforeCreate,
					"unikernel_instance.vm": plancheck.ResourceActionNoop,
				}),
				ConfigStateChecks: []statecheck.StateCheck{
					networkReplaced.AddStateValue(testNetAddr, tfjsonpath.New("id")),
					acctest.Expect(testNetAddr, "dhcp.no_ping", knownvalue.Bool(false)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(onNewBridge, hasNewLease(&leaseExpiry)),
			},
			{
				// Stopped out of band while the guest runs: the apply starts the
				// network again and restarts the guest onto its bridge.
				PreConfig: func() {
					if err := acctest.MustClient(t).StopNetwork(context.Background(), net); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config(false),
				ConfigPlanChecks: planAction(testNetAddr, plancheck.ResourceActionUpdate),
				Check:            resource.ComposeAggregateTestCheckFunc(onNewBridge, hasNewLease(&leaseExpiry)),
			},
		},
	})
}
