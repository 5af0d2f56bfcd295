package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// multibootConfig is multiboot's block with extra attribute lines.
func multibootConfig(g acctest.Guests, name, cmdline, extra string) string {
	vm := multiboot(g, name, cmdline)
	vm.Extra = extra
	return vm.HCL()
}

// testAccInstancePreCheck is testAccPreCheck for tests that boot the test
// guests, and hands them the guests' paths.
func testAccInstancePreCheck(t *testing.T) acctest.Guests {
	t.Helper()
	testAccPreCheck(t)
	return acctest.TestGuests(t)
}

func TestAccInstance_multiboot(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("inst")
	const addr = "unikernel_instance.test"
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testConfig(multiboot(g, name, "hello world")),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(addr, "name", knownvalue.StringExact(name)),
					acctest.Expect(addr, "hypervisor", knownvalue.StringExact(acctest.Hypervisor())),
					acctest.Expect(addr, "state", knownvalue.StringExact("running")),
					acctest.Expect(addr, "running", knownvalue.Bool(true)),
					acctest.Expect(addr, "memory", knownvalue.Int64Exact(16)),
					acctest.Expect(addr, "vcpus", knownvalue.Int64Exact(1)),
					// A host path on the local hypervisor is inspected like a volume.
					acctest.Expect(addr, "boot_format", knownvalue.StringExact("multiboot")),
					// Unset, it follows the boot format: a multiboot unikernel ignores ACPI.
					acctest.Expect(addr, "shutdown_timeout", knownvalue.StringExact("0s")),
					acctest.Expect(addr, "id", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
					acctest.Expect(addr, "console_log", knownvalue.StringExact("/var/lib/unikernel/console/"+name+".log")),
					sameID.AddStateValue(addr, tfjsonpath.New("id")),
				},
			},
			{
				// cmdline changes in place with a restart: same UUID.
				Config: testConfig(multiboot(g, name, "second boot")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(addr, "cmdline", knownvalue.StringExact("second boot")),
					sameID.AddStateValue(addr, tfjsonpath.New("id")),
				},
			},
			{
				ResourceName:            addr,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"wait_for", "timeouts"},
			},
		},
	})
}
