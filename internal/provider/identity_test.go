package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// The identity tests prove, with a CLI that supports resource identity
// (Terraform or OpenTofu 1.12+), that every resource records its identity
// after Create and after an in-place Update (OpenTofu refuses an update
// without one), and that `import { identity = {...} }` finds the same object
// again with the same identity.

func identityConfig(pool, dir, netName string, lan acctest.Subnet, inst, kernel, cmdline string, autostart bool) string {
	return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_pool" "test" {
  name      = %[1]q
  path      = %[2]q
  autostart = %[7]t
}

resource "unikernel_image" "test" {
  pool   = unikernel_pool.test.name
  name   = "kernel.elf"
  source = %[5]q
}

resource "unikernel_network" "test" {
  name      = %[3]q
  ipv4_cidr = %[8]q
  autostart = %[7]t
}

resource "unikernel_instance" "test" {
  name    = %[4]q
  kernel  = unikernel_image.test.path
  cmdline = %[6]q
  memory  = 16
  shutdown_timeout = "0s"
  network_interfaces = [{
    network = unikernel_network.test.name
  }]
  wait_for = {
    console = "UNIKERNEL-READY"
    timeout = "120s"
  }
}
`, pool, dir, netName, inst, kernel, cmdline, autostart, lan)
}

func expectIdentities(pool, netName, inst string) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectIdentity("unikernel_pool.test", map[string]knownvalue.Check{
			"name": knownvalue.StringExact(pool),
		}),
		statecheck.ExpectIdentity("unikernel_image.test", map[string]knownvalue.Check{
			"pool": knownvalue.StringExact(pool),
			"name": knownvalue.StringExact("kernel.elf"),
		}),
		statecheck.ExpectIdentity("unikernel_network.test", map[string]knownvalue.Check{
			"name": knownvalue.StringExact(netName),
		}),
		statecheck.ExpectIdentity("unikernel_instance.test", map[string]knownvalue.Check{
			"name": knownvalue.StringExact(inst),
		}),
	}
}

func TestAccResourceIdentity_everyResource(t *testing.T) {
	g := testAccInstancePreCheck(t)
	cli := acctest.UseIdentityCLI(t)
	t.Logf("identity tests run with %s %s", cli.Path, cli.Version)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	netName, inst := acctest.RandName("net"), acctest.RandName("inst")
	lan := acctest.CIDR(t)
	kernel := g.MultibootKernel
	first := identityConfig(pool, dir, netName, lan, inst, kernel, "first", false)
	second := identityConfig(pool, dir, netName, lan, inst, kernel, "second", true)
	importStep := func(addr string, expectChange bool) resource.TestStep {
		step := resource.TestStep{
			Config:          second,
			ResourceName:    addr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithResourceIdentity,
		}
		if expectChange {
			// Some settings of the configuration are not stored on the
			// host (an image's source, an instance's readiness gate); the
			// first apply after an import records them in place.
			step.ExpectNonEmptyPlan = true
			step.ImportPlanChecks.PreApply = []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}
		}
		return step
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			acctest.CheckInstancesDestroyed, acctest.CheckImagesDestroyed, acctest.CheckPoolsDestroyed),
		Steps: []resource.TestStep{
			{
				Config:            first,
				ConfigStateChecks: expectIdentities(pool, netName, inst),
			},
			{
				// In-place updates of the pool, network and instance keep
				// (and return) the same identity.
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_pool.test", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("unikernel_network.test", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: expectIdentities(pool, netName, inst),
			},
			importStep("unikernel_pool.test", false),
			importStep("unikernel_network.test", false),
			importStep("unikernel_image.test", true),
			importStep("unikernel_instance.test", true),
		},
	})
}

// TestAccResourceIdentity_importUnknown shows the error of an identity that
// names nothing on the host.
func TestAccResourceIdentity_importUnknown(t *testing.T) {
	testAccPreCheck(t)
	acctest.UseIdentityCLI(t)
	missing := acctest.RandName("missing")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: testProviderBlock() + fmt.Sprintf(`
import {
  to       = unikernel_pool.gone
  identity = { name = %[1]q }
}

resource "unikernel_pool" "gone" {
  name = %[1]q
  path = "/var/lib/unikernel/%[1]s"
}
`, missing),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Unable to import pool "` + missing + `"`),
			},
		},
	})
}
