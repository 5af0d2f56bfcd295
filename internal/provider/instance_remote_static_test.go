package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Static addresses over qemu+ssh://, where the host's neighbour table is out
// of reach. A guest with a reserved ipv4_address and wait_for.tcp_port gets
// that address in ipv4_addresses once it accepts a connection there, and
// keeps it on refresh. A static guest gated on its console only has no
// address unless libvirt's ARP source works on the remote host (here it
// fails with "wrong nlmsg len"), and it is never probed.
func TestAccRemote_staticAddress(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	uri := sshURI(t)
	lan := acctest.TestNetwork(t, "nat")
	name := acctest.RandName("rstatic")
	instance := func(res, addr, waitFor string) string {
		return fmt.Sprintf(`
resource "unikernel_instance" %q {
  name    = "%s-%s"
  kernel  = %q
  initrd  = %q
  cmdline = "console=ttyS0 panic=-1 quiet microvm.ipv4=%s/24 microvm.gw=%s"
  memory  = 128
  shutdown_timeout = "0s"
  network_interfaces = [{
    network      = %q
    ipv4_address = %q
  }]
  wait_for = {
    %s
    timeout = "120s"
  }
}
`, res, name, res, g.MicroVMKernel, g.MicroVMInitrd, addr, lan.Gateway(), lan.Name, addr, waitFor)
	}
	config := fmt.Sprintf(`
provider "unikernel" {
  uri        = %q
  hypervisor = %q
}
`, uri, acctest.Hypervisor()) +
		instance("probed", lan.Host(60), "tcp_port = 8080") +
		instance("console", lan.Host(61), `console = "MICROVM-READY"`)

	// What libvirt's ARP source says over this URI decides what the guest
	// gated on its console may show.
	consoleAddrs := func(s *terraform.State) error {
		c, err := hypervisor.Shared(context.Background(), uri, 0)
		if err != nil {
			return err
		}
		rs := s.RootModule().Resources["unikernel_instance.console"]
		if rs == nil {
			return fmt.Errorf("unikernel_instance.console not in state")
		}
		got := rs.Primary.Attributes["network_interfaces.0.ipv4_addresses.#"]
		arp, err := c.ARPAddresses(context.Background(), name+"-console")
		if err != nil {
			t.Logf("libvirt's ARP source over %s: %v", uri, err)
			if got != "0" {
				return fmt.Errorf("the console-gated static guest has %s addresses over a remote URI, without any source for them", got)
			}
			return nil
		}
		t.Logf("libvirt's ARP source over %s: %v", uri, arp)
		mac := rs.Primary.Attributes["network_interfaces.0.mac"]
		if slices.Contains(arp[mac], lan.Host(61)) != (got == "1") {
			return fmt.Errorf("ipv4_addresses has %s entries, libvirt's ARP source %v", got, arp[mac])
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.probed", "network_interfaces.0.ipv4_addresses.#", "1"),
					resource.TestCheckResourceAttr("unikernel_instance.probed", "network_interfaces.0.ipv4_addresses.0", lan.Host(60)),
					consoleAddrs,
					func(*terraform.State) error {
						resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + lan.Host(60) + ":8080/")
						if err != nil {
							return err
						}
						defer resp.Body.Close()
						b, _ := io.ReadAll(resp.Body)
						if !strings.Contains(string(b), "microvm.ipv4="+lan.HostCIDR(60)) {
							return fmt.Errorf("HTTP answer %q is not the static guest's command line", b)
						}
						return nil
					},
				),
			},
			{
				// A refresh over the remote URI finds the address again.
				RefreshState: true,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.probed", "network_interfaces.0.ipv4_addresses.0", lan.Host(60)),
					consoleAddrs,
				),
			},
		},
	})
}
