package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// The data source finds images by pool and name, whoever uploaded them, and
// detects their format from headers read through libvirt.
func TestAccImageDataSource_basic(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	_, size := fileDigest(t, guests.MicroVMKernel)
	images := imageBlock("kernel", "vmlinuz", guests.MicroVMKernel, "") + `
data "unikernel_image" "test" {
  pool = unikernel_pool.p.name
  name = unikernel_image.kernel.name
}
`
	const addr = "data.unikernel_image.test"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testAccImageConfig(pool, dir, images),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPair(addr, "id", "unikernel_image.kernel", "id"),
					resource.TestCheckResourceAttr(addr, "path", filepath.Join(dir, "vmlinuz")),
					resource.TestCheckResourceAttr(addr, "size", strconv.FormatInt(size, 10)),
					resource.TestCheckResourceAttr(addr, "format", "linux"),
					resource.TestCheckResourceAttr(addr, "boot", "kernel"),
				),
			},
			{
				Config: testAccImageConfig(pool, dir, imageBlock("kernel", "vmlinuz", guests.MicroVMKernel, "")+fmt.Sprintf(`
data "unikernel_image" "missing" {
  pool = %q
  name = "no-such-image"
}
`, pool)),
				ExpectError: regexp.MustCompile(`(?s)Unable to read image.*no-such-image.*virsh vol-list`),
			},
		},
	})
}
