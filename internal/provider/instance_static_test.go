package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// A guest that sets its own address (the microVM's static mode, as MirageOS
// --ipv4 or Unikraft's netdev arguments do) takes no DHCP lease. Its
// reserved address still shows in ipv4_addresses, and wait_for.ipv4 and
// tcp_port hold, from the neighbour table after a probe.
func TestAccInstance_staticAddress(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	lan := acctest.TestNetwork(t, "nat")
	name := acctest.RandName("static")
	cmdline := "console=ttyS0 panic=-1 quiet microvm.ipv4=" + lan.HostCIDR(60) + " microvm.gw=" + lan.Gateway()
	vm := microVM(g, name, lan, 60)
	vm.Cmdline = cmdline
	vm.WaitFor = &tfconfig.WaitFor{IPv4: true, TCPPort: 8080, Timeout: "90s"}
	config := testConfig(vm)
	reserved := acctest.Expect(vm.Addr(), "network_interfaces.0.ipv4_addresses", knownvalue.ListExact([]knownvalue.Check{
		knownvalue.StringExact(lan.Host(60)),
	}))
	var mac string
	testAccInstances(t, []resource.TestStep{
		{
			Config:            config,
			ConfigStateChecks: []statecheck.StateCheck{reserved},
			Check: resource.ComposeAggregateTestCheckFunc(
				captureAttr(vm.Addr(), "network_interfaces.0.mac", &mac),
				// The address is the guest's own: no lease was ever handed out.
				func(*terraform.State) error { return checkNoLease(t, lan.Name, mac) },
				acctest.CheckHTTPBody(microVMURL(lan, 60, "/"), cmdline),
			),
		},
		{
			// A refresh finds the address again; the plan stays empty.
			// (A refresh step takes no state checks.)
			RefreshState: true,
			Check:        resource.TestCheckResourceAttr(vm.Addr(), "network_interfaces.0.ipv4_addresses.0", lan.Host(60)),
		},
	})
}
