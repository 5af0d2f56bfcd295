package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// testAccParallelImages uploads n distinct images into one pool in one
// apply, at the given Terraform parallelism (0: Terraform's default of 10).
func testAccParallelImages(t *testing.T, n, parallelism int) {
	if parallelism > 0 {
		p := fmt.Sprintf("-parallelism=%d", parallelism)
		t.Setenv("TF_CLI_ARGS_apply", p)
		t.Setenv("TF_CLI_ARGS_plan", p)
		t.Setenv("TF_CLI_ARGS_destroy", p)
	}
	src := t.TempDir()
	for i := 0; i < n; i++ {
		acctest.RandomFile(t, filepath.Join(src, fmt.Sprintf("img-%02d.raw", i)), 1<<20+int64(i)*4096)
	}
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := testAccImageConfig(pool, dir, fmt.Sprintf(`
resource "unikernel_image" "many" {
  count  = %d
  name   = format("img-%%02d.raw", count.index)
  pool   = unikernel_pool.p.name
  source = format("%s/img-%%02d.raw", count.index)
  format = "raw"
}
`, n, src))
	var checks []resource.TestCheckFunc
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("img-%02d.raw", i)
		checks = append(checks, testAccCheckVolumeHolds(pool, name, filepath.Join(src, name)))
	}
	checks = append(checks, func(*terraform.State) error {
		names, err := acctest.MustClient(t).VolumeNames(context.Background(), pool)
		if err != nil || len(names) != n {
			return fmt.Errorf("pool holds %d volumes (%v), want %d", len(names), err, n)
		}
		return nil
	})
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{{
			Config: config,
			Check:  resource.ComposeAggregateTestCheckFunc(checks...),
		}},
	})
	t.Logf("%d images at parallelism %d: create, check, destroy in %s", n, max(parallelism, 10), time.Since(start).Round(time.Millisecond))
}

// 20 images uploaded in parallel into one pool (Terraform's default parallelism 10).
func TestAccImageResource_parallel20(t *testing.T) {
	testAccPreCheck(t)
	testAccParallelImages(t, 20, 0)
}

// 50 images at -parallelism=50: no "pool has asynchronous jobs running".
func TestAccImageResource_parallel50(t *testing.T) {
	testAccPreCheck(t)
	testAccParallelImages(t, 50, 50)
}
