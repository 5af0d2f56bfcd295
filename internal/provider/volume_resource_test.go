package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// The volume tests prove against the real daemon what unikernel_volume
// promises: blank and copied volumes with the size and format asked for
// (read back through libvirt), a real guest's block I/O on them, data that
// outlives the instances that use it, growth that a running guest sees
// without a restart, drift, import, and a destroy that refuses while an
// instance still has the volume.

// wrapped compiles re with its spaces matching any white space: the CLI
// wraps long error lines.
func wrapped(re string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(re, " ", `\s+`))
}

// volumePoolConfig is a pool named pool in dir, plus blocks.
func volumePoolConfig(pool, dir, blocks string) string {
	return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_pool" "p" {
  name = %q
  path = %q
}
`, pool, dir) + blocks
}

func volumeBlock(label, name, body string) string {
	return fmt.Sprintf(`
resource "unikernel_volume" %q {
  name = %q
  pool = unikernel_pool.p.name
%s
}
`, label, name, body)
}

// checkVolume reads pool/name through libvirt and checks its capacity and format.
func checkVolume(pool, name string, capacity uint64, format string) resource.TestCheckFunc {
	return acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
		info, err := c.ReadVolume(ctx, pool, name)
		if err != nil {
			return err
		}
		if info.Capacity != capacity || info.Format != format {
			return fmt.Errorf("volume %s/%s: libvirt says capacity %d, format %q; want %d, %q", pool, name,
				info.Capacity, info.Format, capacity, format)
		}
		return nil
	})
}

// volumeDigest is the SHA-256 of a volume's bytes, downloaded through libvirt.
func volumeDigest(ctx context.Context, c *hypervisor.Client, pool, name string) (string, error) {
	h := sha256.New()
	if _, err := c.DownloadVolume(ctx, pool, name, h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func TestAccVolumeResource_basic(t *testing.T) {
	testAccPreCheck(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := volumePoolConfig(pool, dir, volumeBlock("raw", "data.img", `  size = "4MiB"`)+
		volumeBlock("qcow2", "data.qcow2", "  size   = \"64 MiB\"\n  format = \"qcow2\""))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckVolumesDestroyed, acctest.CheckPoolsDestroyed),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_volume.raw", "id", filepath.Join(dir, "data.img")),
					resource.TestCheckResourceAttr("unikernel_volume.raw", "path", filepath.Join(dir, "data.img")),
					resource.TestCheckResourceAttr("unikernel_volume.raw", "size", "4MiB"),
					resource.TestCheckResourceAttr("unikernel_volume.raw", "capacity", strconv.Itoa(4<<20)),
					resource.TestCheckResourceAttr("unikernel_volume.raw", "format", "raw"),
					resource.TestCheckResourceAttr("unikernel_volume.qcow2", "size", "64 MiB"),
					resource.TestCheckResourceAttr("unikernel_volume.qcow2", "capacity", strconv.Itoa(64<<20)),
					resource.TestCheckResourceAttr("unikernel_volume.qcow2", "format", "qcow2"),
					checkVolume(pool, "data.img", 4<<20, "raw"),
					checkVolume(pool, "data.qcow2", 64<<20, "qcow2"),
					func(*terraform.State) error {
						// Blank volumes are sparse, and the qcow2 one is a qcow2 file.
						st, err := os.Stat(filepath.Join(dir, "data.img"))
						if err != nil || st.Size() != 4<<20 {
							return fmt.Errorf("raw volume file: %v, %v", st, err)
						}
						b, err := os.ReadFile(filepath.Join(dir, "data.qcow2"))
						if err != nil || !bytes.HasPrefix(b, []byte("QFI\xfb")) || len(b) > 1<<20 {
							return fmt.Errorf("qcow2 volume file: %d bytes, %v", len(b), err)
						}
						return nil
					},
				),
			},
			{Config: config, PlanOnly: true},
			{
				ResourceName:                         "unikernel_volume.raw",
				ImportState:                          true,
				ImportStateId:                        pool + "/data.img",
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "id",
			},
			{
				// The import spells the size in the largest unit that divides it.
				ResourceName:                         "unikernel_volume.qcow2",
				ImportState:                          true,
				ImportStateId:                        pool + "/data.qcow2",
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "id",
				ImportStateVerifyIgnore:              []string{"size"},
				ImportStateCheck: func(s []*terraform.InstanceState) error {
					if len(s) != 1 || s[0].Attributes["size"] != "64MiB" || s[0].Attributes["format"] != "qcow2" {
						return fmt.Errorf("imported: %v", s)
					}
					return nil
				},
			},
			{
				ResourceName:  "unikernel_volume.raw",
				ImportState:   true,
				ImportStateId: "data.img",
				ExpectError:   wrapped(`<pool>/<volume\s+name>`),
			},
			{
				// A change of format replaces the volume, and the plan warns that its data is lost.
				Config: volumePoolConfig(pool, dir, volumeBlock("raw", "data.img", "  size   = \"4MiB\"\n  format = \"qcow2\"")+
					volumeBlock("qcow2", "data.qcow2", "  size   = \"64 MiB\"\n  format = \"qcow2\"")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_volume.raw", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction("unikernel_volume.qcow2", plancheck.ResourceActionNoop),
				}},
				Check: checkVolume(pool, "data.img", 4<<20, "qcow2"),
			},
		},
	})
}

// Volumes copied from images: a full copy (the image may go afterwards), in
// the image's size or grown, converted to qcow2.
func TestAccVolumeResource_fromImage(t *testing.T) {
	g := testAccInstancePreCheck(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	src := g.BootDiskRaw
	want, size := fileDigest(t, src)
	image := imageBlock("img", "disk.raw", src, "")
	vols := func(ref string) string {
		return volumeBlock("copy", "copy.img", ref) +
			volumeBlock("grown", "grown.qcow2", ref+"\n  format = \"qcow2\"\n  size   = \"16MiB\"")
	}
	withImage := volumePoolConfig(pool, dir, image+vols("  source_image = unikernel_image.img.id"))
	var grownDigest string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckVolumesDestroyed, acctest.CheckImagesDestroyed),
		Steps: []resource.TestStep{
			{
				Config: withImage,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_volume.copy", "source_image", filepath.Join(dir, "disk.raw")),
					resource.TestCheckResourceAttr("unikernel_volume.copy", "size", formatSize(uint64(size))),
					resource.TestCheckResourceAttr("unikernel_volume.copy", "capacity", strconv.FormatInt(size, 10)),
					resource.TestCheckResourceAttr("unikernel_volume.grown", "capacity", strconv.Itoa(16<<20)),
					checkVolume(pool, "copy.img", uint64(size), "raw"),
					checkVolume(pool, "grown.qcow2", 16<<20, "qcow2"),
					acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
						// A copy, not an overlay: the raw copy has the image's bytes, and
						// the qcow2 one has no backing file.
						got, err := volumeDigest(ctx, c, pool, "copy.img")
						if err != nil || got != want {
							return fmt.Errorf("copy.img has sha256 %s (%v), the image %s", got, err, want)
						}
						f, err := os.Open(filepath.Join(dir, "grown.qcow2"))
						if err != nil {
							return err
						}
						defer func() { _ = f.Close() }()
						st, _ := f.Stat()
						res, err := imageformat.Detect(f, st.Size())
						if err != nil || res.Format != imageformat.QCOW2 || res.Refused != "" {
							return fmt.Errorf("grown.qcow2: %+v, %v (a qcow2 without a backing file expected)", res, err)
						}
						grownDigest, err = volumeDigest(ctx, c, pool, "grown.qcow2")
						return err
					}),
				),
			},
			{Config: withImage, PlanOnly: true},
			{
				// The image goes and the volumes stay, unchanged: removing
				// source_image only records that.
				Config: volumePoolConfig(pool, dir, vols("")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_image.img", plancheck.ResourceActionDestroy),
					plancheck.ExpectResourceAction("unikernel_volume.copy", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("unikernel_volume.grown", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr("unikernel_volume.copy", "source_image"),
					acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
						if _, err := os.Stat(filepath.Join(dir, "disk.raw")); !os.IsNotExist(err) {
							return fmt.Errorf("the image is still there: %v", err)
						}
						if got, err := volumeDigest(ctx, c, pool, "copy.img"); err != nil || got != want {
							return fmt.Errorf("copy.img changed: sha256 %s (%v), want %s", got, err, want)
						}
						if got, err := volumeDigest(ctx, c, pool, "grown.qcow2"); err != nil || got != grownDigest {
							return fmt.Errorf("grown.qcow2 changed: sha256 %s (%v), want %s", got, err, grownDigest)
						}
						return nil
					}),
				),
			},
			{
				// A size below the image's is refused at plan.
				Config:      volumePoolConfig(pool, dir, image+volumeBlock("small", "small.img", "  source_image = unikernel_image.img.id\n  size = \"512KiB\"")),
				ExpectError: wrapped(`(?s)(is 524288 bytes, but the source\s+image .* is 1048576\s+bytes|the\s+image is 1048576 bytes, more than size 512KiB)`),
			},
		},
	})
}

// Solo5's test_blk, a real unikernel, writes and reads back sectors of a
// blank raw and a blank qcow2 volume and checks their last sector.
func TestAccVolumeResource_solo5Blk(t *testing.T) {
	testAccInstancePreCheck(t)
	tp := acctest.ThirdPartyGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	names := []string{acctest.RandName("blk-raw"), acctest.RandName("blk-qcow2")}
	config := volumePoolConfig(pool, dir, volumeBlock("raw", "blk.img", `  size = "4MiB"`)+
		volumeBlock("qcow2", "blk.qcow2", "  size   = \"4MiB\"\n  format = \"qcow2\"")+fmt.Sprintf(`
resource "unikernel_instance" "raw" {
  name     = %[1]q
  family   = "solo5"
  kernel   = %[3]q
  memory   = 32
  mode     = "job"
  disks    = [{ volume = unikernel_volume.raw.id }]
  wait_for = {
    console = "^SUCCESS"
    timeout = "120s"
  }
}

resource "unikernel_instance" "qcow2" {
  name     = %[2]q
  family   = "solo5"
  kernel   = %[3]q
  memory   = 32
  mode     = "job"
  disks    = [{ volume = unikernel_volume.qcow2.id }]
  wait_for = {
    console = "^SUCCESS"
    timeout = "120s"
  }
}
`, names[0], names[1], tp.Solo5Blk))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, acctest.CheckVolumesDestroyed),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.raw", "state", "shutoff"),
					resource.TestCheckResourceAttr("unikernel_instance.raw", "disks.0.volume", filepath.Join(dir, "blk.img")),
					resource.TestCheckNoResourceAttr("unikernel_instance.raw", "disks.0.path"),
					resource.TestCheckResourceAttr("unikernel_instance.raw", "disks.0.format", "raw"),
					resource.TestCheckResourceAttr("unikernel_instance.qcow2", "disks.0.format", "qcow2"),
					checkConsoleCount(names[0], `Solo5: Application acquired 'storage' as block device`, 1),
					checkConsoleCount(names[0], `capacity=8192 sectors`, 1),
					checkConsoleCount(names[0], `^SUCCESS`, 1),
					checkConsoleCount(names[1], `capacity=8192 sectors`, 1),
					checkConsoleCount(names[1], `^SUCCESS`, 1),
					checkVolume(pool, "blk.img", 4<<20, "raw"),
					checkVolume(pool, "blk.qcow2", 4<<20, "qcow2"),
					func(*terraform.State) error {
						// The guest's test patterns are in the raw volume now.
						b, err := os.ReadFile(filepath.Join(dir, "blk.img"))
						if err != nil || bytes.Count(b, []byte{0}) == len(b) {
							return fmt.Errorf("test_blk wrote nothing to its volume (%v)", err)
						}
						return nil
					},
				),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// A marker written into the volume stays when the instance that uses it is
// replaced: the volume's bytes are the same before and after, and the new
// instance has the same volume.
func TestAccVolumeResource_survivesReplacement(t *testing.T) {
	g := testAccInstancePreCheck(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	first, second := acctest.RandName("vol-user"), acctest.RandName("vol-user")
	volPath := filepath.Join(dir, "data.img")
	config := func(inst string) string {
		return volumePoolConfig(pool, dir, volumeBlock("data", "data.img", `  size = "1MiB"`)+fmt.Sprintf(`
resource "unikernel_instance" "user" {
  name             = %q
  kernel           = %q
  memory           = 16
  shutdown_timeout = "0s"
  disks            = [{ volume = unikernel_volume.data.id }]
  wait_for = {
    console = "UNIKERNEL-READY"
    timeout = "120s"
  }
}
`, inst, g.MultibootKernel))
	}
	marker := bytes.Repeat([]byte("UNIKERNEL-VOLUME-MARKER "), 64)[:1024]
	var before string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, acctest.CheckVolumesDestroyed),
		Steps: []resource.TestStep{
			{
				Config: config(first),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.user", "disks.0.volume", volPath),
					acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
						// Written from the host through libvirt's volume upload.
						if err := c.Upload(ctx, pool, "data.img", bytes.NewReader(marker), uint64(len(marker)), nil); err != nil {
							return err
						}
						info, err := c.ReadVolume(ctx, pool, "data.img")
						if err != nil || info.Capacity != 1<<20 {
							return fmt.Errorf("after writing the marker: %+v, %v", info, err)
						}
						before, err = volumeDigest(ctx, c, pool, "data.img")
						return err
					}),
				),
			},
			{
				Config: config(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.user", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction("unikernel_volume.data", plancheck.ResourceActionNoop),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.user", "state", "running"),
					acctest.CheckDomain(second, func(info hypervisor.DomainInfo) error {
						if len(info.Spec.Disks) != 1 || info.Spec.Disks[0].Path != volPath {
							return fmt.Errorf("the new instance's disks: %+v", info.Spec.Disks)
						}
						return nil
					}),
					acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
						if _, err := c.ReadDomain(ctx, first); !hypervisor.IsNotFound(err) {
							return fmt.Errorf("the first instance is still defined: %v", err)
						}
						after, err := volumeDigest(ctx, c, pool, "data.img")
						if err != nil || after != before {
							return fmt.Errorf("the volume's bytes changed with the replacement: sha256 %s (%v), was %s", after, err, before)
						}
						var head bytes.Buffer
						if _, err := c.DownloadVolume(ctx, pool, "data.img", &head); err != nil || !bytes.HasPrefix(head.Bytes(), marker) {
							return fmt.Errorf("the marker is gone (%v)", err)
						}
						return nil
					}),
				),
			},
		},
	})
}

// Growing a volume that a running instance uses reaches the guest live: the
// volume's capacity and the running domain's disk show the new size, with
// the same UUID and one boot. Shrinking is refused at plan, and so is a
// second instance that would attach a volume the first writes to. Destroying the
// volume while the instance has it is refused, naming the instance; once the
// instance is gone, it works.
func TestAccVolumeResource_growLive(t *testing.T) {
	g := testAccInstancePreCheck(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	inst := acctest.RandName("grow")
	rawPath, qcowPath := filepath.Join(dir, "data.img"), filepath.Join(dir, "data.qcow2")
	instance := func(disks string) string {
		return fmt.Sprintf(`
resource "unikernel_instance" "user" {
  name             = %q
  kernel           = %q
  memory           = 16
  shutdown_timeout = "0s"
  disks            = %s
  wait_for = {
    console = "UNIKERNEL-READY"
    timeout = "120s"
  }
}
`, inst, g.MultibootKernel, disks)
	}
	vols := func(size string) string {
		return volumeBlock("raw", "data.img", fmt.Sprintf("  size = %q", size)) +
			volumeBlock("qcow2", "data.qcow2", fmt.Sprintf("  size   = %q\n  format = \"qcow2\"", size))
	}
	config := func(size string) string {
		return volumePoolConfig(pool, dir, vols(size)+
			instance(`[{ volume = unikernel_volume.raw.id }, { volume = unikernel_volume.qcow2.id }]`))
	}
	sameUUID := statecheck.CompareValue(compare.ValuesSame())
	blockSizes := func(want uint64) resource.TestCheckFunc {
		return acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
			for _, p := range []string{rawPath, qcowPath} {
				got, err := c.BlockCapacity(ctx, inst, p)
				if err != nil || got != want {
					return fmt.Errorf("the running domain sees %s as %d bytes (%v), want %d", p, got, err, want)
				}
			}
			return nil
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, acctest.CheckVolumesDestroyed),
		Steps: []resource.TestStep{
			{
				Config:            config("4MiB"),
				ConfigStateChecks: []statecheck.StateCheck{sameUUID.AddStateValue("unikernel_instance.user", tfjsonpath.New("id"))},
				Check:             resource.ComposeAggregateTestCheckFunc(blockSizes(4<<20), checkConsoleCount(inst, `^UNIKERNEL-READY`, 1)),
			},
			{
				Config: config("8MiB"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_volume.raw", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("unikernel_volume.qcow2", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("unikernel_volume.raw", tfjsonpath.New("capacity"), knownvalue.Int64Exact(8<<20)),
					plancheck.ExpectResourceAction("unikernel_instance.user", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{sameUUID.AddStateValue("unikernel_instance.user", tfjsonpath.New("id"))},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_volume.raw", "capacity", strconv.Itoa(8<<20)),
					resource.TestCheckResourceAttr("unikernel_volume.qcow2", "capacity", strconv.Itoa(8<<20)),
					checkVolume(pool, "data.img", 8<<20, "raw"),
					checkVolume(pool, "data.qcow2", 8<<20, "qcow2"),
					blockSizes(8<<20),
					acctest.CheckDomain(inst, func(info hypervisor.DomainInfo) error {
						if info.State != hypervisor.StateRunning {
							return fmt.Errorf("instance is %s", info.State)
						}
						return nil
					}),
					checkConsoleCount(inst, `^UNIKERNEL-READY`, 1),
				),
			},
			{Config: config("8MiB"), PlanOnly: true},
			{
				Config:      config("4MiB"),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)size 4MiB is 4194304 bytes, but the\s+volume has 8388608 bytes.*cannot shrink`),
			},
			{
				// A second instance may not attach a volume the first one writes to.
				Config: config("8MiB") + fmt.Sprintf(`
resource "unikernel_instance" "second" {
  name   = %q
  kernel = %q
  memory = 16
  disks  = [{ volume = unikernel_volume.raw.id, read_only = true }]
}
`, acctest.RandName("second"), g.MultibootKernel),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Volume in use by another instance.*attached read-write to instance "` + inst + `" \(as vda\), which is running`),
			},
			{
				// The volumes leave the configuration while the instance keeps them
				// (by path): the destroy is refused, naming the instance.
				Config:      volumePoolConfig(pool, dir, instance(fmt.Sprintf(`[{ volume = %q }, { volume = %q }]`, rawPath, qcowPath))),
				ExpectError: wrapped(`(?s)Unable to delete volume "data\.(img|qcow2)".*attached to instance "` + inst + `" \(running`),
			},
			{
				// Nothing was deleted; without the instance the volumes are free again.
				Config: volumePoolConfig(pool, dir, vols("8MiB")),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkVolume(pool, "data.img", 8<<20, "raw"),
					checkVolume(pool, "data.qcow2", 8<<20, "qcow2"),
				),
			},
		},
	})
}

// Drift: a volume deleted out of band is created again; one shrunk out of
// band shows its size and is grown back; one grown out of band shows its
// size, and the configuration's smaller size is then refused.
func TestAccVolumeResource_drift(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	volPath := filepath.Join(dir, "data.img")
	config := func(size string) string {
		return volumePoolConfig(pool, dir, volumeBlock("data", "data.img", fmt.Sprintf("  size = %q", size)))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckVolumesDestroyed, acctest.CheckPoolsDestroyed),
		Steps: []resource.TestStep{
			{Config: config("4MiB")},
			{
				PreConfig: func() {
					if err := c.DeleteVolume(ctx, pool, "data.img"); err != nil {
						t.Fatal(err)
					}
				},
				Config:             config("4MiB"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config("4MiB"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_volume.data", plancheck.ResourceActionCreate),
				}},
				Check: checkVolume(pool, "data.img", 4<<20, "raw"),
			},
			{
				// Shrunk out of band: the refresh shows it, and the plan grows it back.
				PreConfig: func() {
					if err := os.Truncate(volPath, 2<<20); err != nil {
						t.Fatal(err)
					}
					if err := c.RefreshPool(ctx, pool); err != nil {
						t.Fatal(err)
					}
				},
				RefreshState: true,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_volume.data", "size", "2MiB"),
					resource.TestCheckResourceAttr("unikernel_volume.data", "capacity", strconv.Itoa(2<<20)),
				),
				ExpectNonEmptyPlan: true,
			},
			{
				Config: config("4MiB"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_volume.data", plancheck.ResourceActionUpdate),
				}},
				Check: checkVolume(pool, "data.img", 4<<20, "raw"),
			},
			{Config: config("4MiB"), PlanOnly: true},
			{
				// Grown out of band: the state follows, and the configured 4MiB
				// would shrink it.
				PreConfig: func() {
					if err := c.ResizeVolume(ctx, pool, "data.img", 8<<20); err != nil {
						t.Fatal(err)
					}
				},
				Config:      config("4MiB"),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)volume has 8388608 bytes \(8MiB\).*cannot shrink`),
			},
			{
				// The configuration follows: nothing to change.
				Config: config("8MiB"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_volume.data", plancheck.ResourceActionNoop),
				}},
				Check: resource.TestCheckResourceAttr("unikernel_volume.data", "capacity", strconv.Itoa(8<<20)),
			},
			{Config: config("8192KiB"), Check: resource.TestCheckResourceAttr("unikernel_volume.data", "size", "8192KiB")},
			{Config: config("8192KiB"), PlanOnly: true},
		},
	})
}

// Import by resource identity (Terraform or OpenTofu 1.12+).
func TestAccVolumeResource_identity(t *testing.T) {
	testAccPreCheck(t)
	acctest.UseIdentityCLI(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := volumePoolConfig(pool, dir, volumeBlock("data", "data.img", `  size = "1MiB"`))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckVolumesDestroyed, acctest.CheckPoolsDestroyed),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectIdentity("unikernel_volume.data", map[string]knownvalue.Check{
					"pool": knownvalue.StringExact(pool),
					"name": knownvalue.StringExact("data.img"),
				})},
			},
			{
				Config:          config,
				ResourceName:    "unikernel_volume.data",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}
