package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// TestAccInstance_thirty applies 30 instances at Terraform's default
// parallelism (10), each with an address reservation, and destroys them:
// nothing may be left in libvirt (domains, reservations, console logs).
func TestAccInstance_thirty(t *testing.T) {
	g := testAccInstancePreCheck(t)
	lan := acctest.TestNetwork(t, "isolated")
	prefix := acctest.RandName("many")
	const count = 30
	config := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "many" {
  count            = %d
  name             = "%s-${count.index}"
  kernel           = %q
  cmdline          = "instance ${count.index}"
  memory           = 16
  shutdown_timeout = "0s"
  network_interfaces = [{
    network      = %q
    ipv4_address = "%s.${count.index + 10}"
  }]
  wait_for = {
    console = "UNIKERNEL-READY cmdline=instance ${count.index}$"
    timeout = "120s"
  }
}
`, count, prefix, g.MultibootKernel, lan.Name, lan.Prefix())
	ctx := context.Background()
	leftovers := func(*terraform.State) error {
		c, err := acctest.Client(t)
		if err != nil {
			return err
		}
		names, err := c.DomainNames(ctx)
		if err != nil {
			return err
		}
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				return fmt.Errorf("domain %s left behind", n)
			}
		}
		owners, err := c.ReadNetwork(ctx, lan.Name)
		if err != nil {
			return err
		}
		if len(owners.Spec.Hosts) != 0 {
			return fmt.Errorf("reservations left on %s: %+v", lan.Name, owners.Spec.Hosts)
		}
		for i := 0; i < count; i++ {
			if _, err := os.Stat(fmt.Sprintf("%s/%s-%d.log", DefaultConsolePath, prefix, i)); !os.IsNotExist(err) {
				return fmt.Errorf("console log of %s-%d left behind", prefix, i)
			}
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             leftovers,
		Steps: []resource.TestStep{{
			Config: config,
			Check: func(s *terraform.State) error {
				c, err := acctest.Client(t)
				if err != nil {
					return err
				}
				running := 0
				for i := 0; i < count; i++ {
					info, err := c.ReadDomain(ctx, fmt.Sprintf("%s-%d", prefix, i))
					if err != nil {
						return err
					}
					if info.State == hypervisor.StateRunning {
						running++
					}
				}
				net, err := c.ReadNetwork(ctx, lan.Name)
				if err != nil {
					return err
				}
				if running != count || len(net.Spec.Hosts) != count {
					return fmt.Errorf("%d of %d running, %d reservations", running, count, len(net.Spec.Hosts))
				}
				return nil
			},
		}},
	})
}
