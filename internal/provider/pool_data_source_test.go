package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// A pool created outside Terraform, with a volume in it, is read from libvirt.
func TestAccPoolDataSource_basic(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	pool, dir := acctest.TestPool(t, c)
	info, err := c.ReadPool(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVolume(context.Background(), pool, hypervisor.VolumeSpec{Name: "a.img", Size: 4096}); err != nil {
		t.Fatal(err)
	}
	const addr = "data.unikernel_pool.test"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: testProviderBlock() + fmt.Sprintf(`data "unikernel_pool" "test" { name = %q }`, pool),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "id", info.Spec.UUID),
					resource.TestCheckResourceAttr(addr, "type", "dir"),
					resource.TestCheckResourceAttr(addr, "path", dir),
					resource.TestCheckResourceAttr(addr, "running", "true"),
					resource.TestCheckResourceAttr(addr, "autostart", "false"),
					resource.TestMatchResourceAttr(addr, "capacity", regexp.MustCompile(`^[1-9]\d*$`)),
					resource.TestCheckResourceAttr(addr, "volumes.#", "1"),
					resource.TestCheckResourceAttr(addr, "volumes.0", "a.img"),
				),
			},
			{
				Config:      testProviderBlock() + `data "unikernel_pool" "test" { name = "tf-acc-no-such-pool" }`,
				ExpectError: regexp.MustCompile(`(?s)Unable to read pool "tf-acc-no-such-pool".*virsh pool-list`),
			},
		},
	})
}
