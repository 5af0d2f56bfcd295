package provider

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// TestAccInstanceImage_rollout boots from a unikernel_image, then rebuilds the
// image: the image is replaced under the same path and the instance restarts
// in place (same UUID) to boot the new build, with no graceful shutdown wait
// since shutdown_timeout is unset and the kernel is multiboot. A qcow2 image given as kernel
// is refused at plan time.
func TestAccInstanceImage_rollout(t *testing.T) {
	g := testAccInstancePreCheck(t)
	dir := t.TempDir()
	kernel := dir + "/hello.elf"
	acctest.CopyFile(t, g.MultibootKernel, kernel)
	disk := dir + "/disk.qcow2"
	acctest.CopyFile(t, g.BootDiskQCOW2, disk)
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	name := acctest.RandName("roll")
	config := func(kernelRef string) string {
		return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_pool" "p" {
  name = %q
  path = %q
}

resource "unikernel_image" "kernel" {
  name   = "hello.elf"
  pool   = unikernel_pool.p.name
  source = %q
}

resource "unikernel_image" "disk" {
  name   = "disk.qcow2"
  pool   = unikernel_pool.p.name
  source = %q
}

resource "unikernel_instance" "test" {
  name             = %q
  kernel           = %s
  cmdline          = "rollout"
  memory           = 16
  wait_for = {
    console = "UNIKERNEL-READY cmdline=rollout"
  }
}
`, pool, poolDir, kernel, disk, name, kernelRef)
	}
	var uuid string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config("unikernel_image.kernel.id"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.test", "boot_format", "multiboot"),
					// Unset, it follows the boot format: a multiboot unikernel ignores ACPI.
					resource.TestCheckResourceAttr("unikernel_instance.test", "shutdown_timeout", "0s"),
					resource.TestCheckResourceAttrPair("unikernel_instance.test", "kernel", "unikernel_image.kernel", "path"),
					captureAttr("unikernel_instance.test", "id", &uuid),
					expectBoots(t, name, 1),
				),
			},
			{
				// A new build: the image is replaced, the instance restarts in place.
				PreConfig: func() {
					f, err := os.OpenFile(kernel, os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = f.WriteString("build 2")
					_ = f.Close()
				},
				Config: config("unikernel_image.kernel.id"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_image.kernel", plancheck.ResourceActionReplace),
					plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("unikernel_instance.test", "id", &uuid),
					expectBoots(t, name, 2),
				),
			},
			{
				Config:      config("unikernel_image.disk.id"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Image cannot boot as a kernel.*is a qcow2 image`),
			},
		},
	})
}
