package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

func multibootConfig(g acctest.Guests, name, cmdline, extra string) string {
	return fmt.Sprintf(`
resource "unikernel_instance" "test" {
  name    = %q
  kernel  = %q
  cmdline = %q
  memory  = 16
  wait_for = {
    console = "UNIKERNEL-READY cmdline=%s$"
    timeout = "60s"
  }
  %s
}
`, name, g.MultibootKernel, cmdline, regexp.QuoteMeta(cmdline), extra)
}

// testAccInstancePreCheck is testAccPreCheck for tests that boot the test
// guests, and hands them the guests' paths.
func testAccInstancePreCheck(t *testing.T) acctest.Guests {
	t.Helper()
	testAccPreCheck(t)
	return acctest.TestGuests(t)
}

func TestAccInstanceMultiboot(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("inst")
	var uuid string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testProviderBlock() + multibootConfig(g, name, "hello world", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.test", "name", name),
					resource.TestCheckResourceAttr("unikernel_instance.test", "hypervisor", acctest.Hypervisor()),
					resource.TestCheckResourceAttr("unikernel_instance.test", "state", "running"),
					resource.TestCheckResourceAttr("unikernel_instance.test", "running", "true"),
					resource.TestCheckResourceAttr("unikernel_instance.test", "memory", "16"),
					resource.TestCheckResourceAttr("unikernel_instance.test", "vcpus", "1"),
					// A host path on the local hypervisor is inspected like a volume.
					resource.TestCheckResourceAttr("unikernel_instance.test", "boot_format", "multiboot"),
					// Unset, it follows the boot format: a multiboot unikernel ignores ACPI.
					resource.TestCheckResourceAttr("unikernel_instance.test", "shutdown_timeout", "0s"),
					resource.TestMatchResourceAttr("unikernel_instance.test", "id", regexp.MustCompile(`^[0-9a-f-]{36}$`)),
					resource.TestCheckResourceAttr("unikernel_instance.test", "console_log", "/var/lib/unikernel/console/"+name+".log"),
					func(s *terraform.State) error {
						uuid = s.RootModule().Resources["unikernel_instance.test"].Primary.ID
						return nil
					},
				),
			},
			{
				// cmdline changes in place with a restart: same UUID.
				Config: testProviderBlock() + multibootConfig(g, name, "second boot", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.test", "cmdline", "second boot"),
					func(s *terraform.State) error {
						if got := s.RootModule().Resources["unikernel_instance.test"].Primary.ID; got != uuid {
							return fmt.Errorf("UUID changed from %s to %s", uuid, got)
						}
						return nil
					},
				),
			},
			{
				ResourceName:            "unikernel_instance.test",
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"wait_for", "timeouts"},
			},
		},
	})
}
