package provider

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// A guest that sets its own address (the microVM's static mode, as MirageOS
// --ipv4 or Unikraft's netdev arguments do) takes no DHCP lease. Its
// reserved address still shows in ipv4_addresses, and wait_for.ipv4 and
// tcp_port hold, from the neighbour table after a probe.
func TestAccInstanceStaticAddress(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	lan := acctest.TestNetwork(t, "nat")
	name := acctest.RandName("static")
	cmdline := "console=ttyS0 panic=-1 quiet microvm.ipv4=" + lan.HostCIDR(60) + " microvm.gw=" + lan.Gateway()
	config := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "vm" {
  name    = %q
  kernel  = %q
  initrd  = %q
  cmdline = %q
  memory  = 128
  shutdown_timeout = "0s"
  network_interfaces = [{
    network      = %q
    ipv4_address = %q
  }]
  wait_for = {
    ipv4     = true
    tcp_port = 8080
    timeout  = "90s"
  }
}
`, name, g.MicroVMKernel, g.MicroVMInitrd, cmdline, lan.Name, lan.Host(60))
	var mac string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.vm", "network_interfaces.0.ipv4_addresses.#", "1"),
					resource.TestCheckResourceAttr("unikernel_instance.vm", "network_interfaces.0.ipv4_addresses.0", lan.Host(60)),
					captureAttr("unikernel_instance.vm", "network_interfaces.0.mac", &mac),
					func(*terraform.State) error {
						// The address is the guest's own: no lease was ever handed out.
						if err := checkNoLease(t, lan.Name, mac); err != nil {
							return err
						}
						resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + lan.Host(60) + ":8080/")
						if err != nil {
							return err
						}
						defer resp.Body.Close()
						b, _ := io.ReadAll(resp.Body)
						if strings.TrimSpace(string(b)) != cmdline {
							return fmt.Errorf("HTTP answer %q, want %q", b, cmdline)
						}
						return nil
					},
				),
			},
			{
				// A refresh finds the address again; the plan stays empty.
				RefreshState: true,
				Check:        resource.TestCheckResourceAttr("unikernel_instance.vm", "network_interfaces.0.ipv4_addresses.0", lan.Host(60)),
			},
		},
	})
}
