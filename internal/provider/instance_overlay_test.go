package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Two instances boot from copy-on-write overlays of one base disk image.
// The disk guest writes a sector of its own data to its boot disk; each
// write lands in that instance's overlay, and the base's sha256 is
// unchanged. The overlays are deleted with the instances.
func TestAccInstance_copyOnWrite(t *testing.T) {
	for _, format := range []string{"raw", "qcow2"} {
		t.Run(format, func(t *testing.T) { testAccInstanceCopyOnWrite(t, format) })
	}
}

func testAccInstanceCopyOnWrite(t *testing.T, format string) {
	g := testAccInstancePreCheck(t)
	src := g.BootDiskRaw
	if format == "qcow2" {
		src = g.BootDiskQCOW2
	}
	disk := filepath.Join(t.TempDir(), "base."+format)
	acctest.CopyFile(t, src, disk)
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	names := []string{acctest.RandName("cow"), acctest.RandName("cow")}
	base := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_pool" "p" {
  name = %q
  path = %q
}

resource "unikernel_image" "base" {
  name   = "base.%s"
  pool   = unikernel_pool.p.name
  source = %q
}
`, pool, poolDir, format, disk)
	config := base + fmt.Sprintf(`
resource "unikernel_instance" "test" {
  count            = 2
  name             = [%q, %q][count.index]
  memory           = 16
  shutdown_timeout = "0s"
  disks            = [{ base_image = unikernel_image.base.id }]
  wait_for = {
    console = "^DISK-WRITTEN"
    timeout = "90s"
  }
}
`, names[0], names[1])
	basePath := filepath.Join(poolDir, "base."+format)
	var baseSum string
	sum := func() (string, error) {
		b, err := os.ReadFile(basePath)
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:]), err
	}
	marker := []byte("UNIKERNEL-DISK-DATA tick=")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, func(*terraform.State) error {
			for _, n := range names {
				if _, err := os.Stat(filepath.Join(poolDir, n+"-disk0.qcow2")); !os.IsNotExist(err) {
					return fmt.Errorf("overlay of %s left behind (%v)", n, err)
				}
			}
			return nil
		}),
		Steps: []resource.TestStep{
			{
				// The image alone first, to record the base's digest before any guest runs.
				Config: base,
				Check: func(*terraform.State) error {
					var err error
					baseSum, err = sum()
					return err
				},
			},
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					func(s *terraform.State) error {
						for i, n := range names {
							a := s.RootModule().Resources[fmt.Sprintf("unikernel_instance.test.%d", i)].Primary.Attributes
							if a["disks.0.format"] != "qcow2" || a["disks.0.path"] != "" || a["disks.0.base_image"] != basePath {
								return fmt.Errorf("%s: disk in state is format=%q path=%q base_image=%q", n, a["disks.0.format"],
									a["disks.0.path"], a["disks.0.base_image"])
							}
							overlay, err := os.ReadFile(filepath.Join(poolDir, n+"-disk0.qcow2"))
							if err != nil {
								return err
							}
							if !bytes.HasPrefix(overlay, []byte("QFI\xfb")) || !bytes.Contains(overlay, []byte(basePath)) {
								return fmt.Errorf("%s: the overlay is not a qcow2 file backed by %s", n, basePath)
							}
							// The boot sector's code holds the marker once; the sector the
							// guest wrote (with the cluster copied around it) adds one more.
							if bytes.Count(overlay, marker) < 2 {
								return fmt.Errorf("%s: the guest's write is not in its overlay", n)
							}
						}
						base, err := os.ReadFile(basePath)
						if err != nil {
							return err
						}
						if bytes.Count(base, marker) != 1 {
							return fmt.Errorf("a guest wrote into the base image")
						}
						got, err := sum()
						if err != nil {
							return err
						}
						if got != baseSum {
							return fmt.Errorf("base image sha256 changed from %s to %s", baseSum, got)
						}
						return nil
					},
				),
			},
		},
	})
}

// A copy-on-write disk pointed at the base image itself out of band (so the
// guest would write into the shared base) is pointed back at its overlay,
// in place, with the UUID kept.
func TestAccInstanceDrift_baseImage(t *testing.T) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	pool := hypervisor.PoolSpec{Name: acctest.RandName("pool"), Path: acctest.PoolDir(t)}
	if _, err := c.CreatePool(ctx, pool, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(g.BootDiskRaw)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	base, err := c.CreateVolumeFrom(ctx, pool.Name, hypervisor.VolumeSpec{Name: "base.raw", Size: uint64(st.Size()), Format: "raw"}, f, nil)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.DeleteVolume(ctx, pool.Name, "base.raw")
		if err := c.DeletePool(ctx, pool.Name); err != nil {
			t.Errorf("deleting pool %s: %v", pool.Name, err)
		}
	})
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift base image",
		extra:   fmt.Sprintf(`disks = [{ base_image = %q }]`, base.Key),
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) {
				s.Disks = []hypervisor.DiskSpec{{Path: base.Path, Format: "raw", Bus: "virtio"}}
			})
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}
