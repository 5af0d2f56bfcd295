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
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
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

// expectVolume checks a volume's size as written, its capacity and format in state.
func expectVolume(v tfconfig.Volume, size string, capacity int64, format string) []statecheck.StateCheck {
	return expectAttrs(v.Addr(), map[string]knownvalue.Check{
		"size": str(size), "capacity": knownvalue.Int64Exact(capacity), "format": str(format),
	})
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
	raw := tfconfig.Volume{Label: "raw", Name: "data.img", Size: "4MiB"}
	qcow2 := tfconfig.Volume{Label: "qcow2", Name: "data.qcow2", Size: "64 MiB", Format: "qcow2"}
	config := pooledConfig(pool, dir, raw, qcow2)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckVolumesDestroyed, acctest.CheckPoolsDestroyed),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: joinChecks(
					expectVolume(raw, "4MiB", 4<<20, "raw"),
					expectAttrs(raw.Addr(), map[string]knownvalue.Check{
						"id": str(filepath.Join(dir, "data.img")), "path": str(filepath.Join(dir, "data.img")),
					}),
					expectVolume(qcow2, "64 MiB", 64<<20, "qcow2"),
				),
				Check: resource.ComposeAggregateTestCheckFunc(
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
				Config: pooledConfig(pool, dir, tfconfig.Volume{Label: "raw", Name: "data.img", Size: "4MiB", Format: "qcow2"}, qcow2),
				ConfigPlanChecks: planActions(map[string]plancheck.ResourceActionType{
					raw.Addr():   plancheck.ResourceActionDestroyBeforeCreate,
					qcow2.Addr(): plancheck.ResourceActionNoop,
				}),
				ConfigStateChecks: expectVolume(raw, "4MiB", 4<<20, "qcow2"),
				Check:             checkVolume(pool, "data.img", 4<<20, "qcow2"),
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
	image := tfconfig.Image{Label: "img", Name: "disk.raw", Source: src}
	cp := tfconfig.Volume{Label: "copy", Name: "copy.img"}
	grown := tfconfig.Volume{Label: "grown", Name: "grown.qcow2", Format: "qcow2", Size: "16MiB"}
	fromImage := func(v tfconfig.Volume) tfconfig.Volume { v.SourceImage = image.ID(); return v }
	withImage := pooledConfig(pool, dir, image, fromImage(cp), fromImage(grown))
	var grownDigest string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckVolumesDestroyed, acctest.CheckImagesDestroyed),
		Steps: []resource.TestStep{
			{
				Config: withImage,
				ConfigStateChecks: append(expectVolume(cp, formatSize(uint64(size)), size, "raw"),
					acctest.Expect(cp.Addr(), "source_image", str(filepath.Join(dir, "disk.raw"))),
					acctest.Expect(grown.Addr(), "capacity", knownvalue.Int64Exact(16<<20))),
				Check: resource.ComposeAggregateTestCheckFunc(
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
				Config: pooledConfig(pool, dir, cp, grown),
				ConfigPlanChecks: planActions(map[string]plancheck.ResourceActionType{
					image.Addr(): plancheck.ResourceActionDestroy,
					cp.Addr():    plancheck.ResourceActionUpdate,
					grown.Addr(): plancheck.ResourceActionUpdate,
				}),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(cp.Addr(), "source_image", knownvalue.Null())},
				Check: resource.ComposeAggregateTestCheckFunc(
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
				Config:      pooledConfig(pool, dir, image, tfconfig.Volume{Label: "small", Name: "small.img", SourceImage: image.ID(), Size: "512KiB"}),
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
	raw := tfconfig.Volume{Label: "raw", Name: "blk.img", Size: "4MiB"}
	qcow2 := tfconfig.Volume{Label: "qcow2", Name: "blk.qcow2", Size: "4MiB", Format: "qcow2"}
	// test_blk on vol, as a job that ends once it printed its verdict.
	blk := func(name string, vol tfconfig.Volume) tfconfig.Instance {
		return tfconfig.Instance{
			Label: vol.Label, Name: name, Family: "solo5", Kernel: tp.Solo5Blk, Memory: 32, Mode: "job",
			WaitFor: &tfconfig.WaitFor{Console: "^SUCCESS", Timeout: "120s"},
			Extra:   "disks = [{ volume = " + string(vol.ID()) + " }]",
		}
	}
	rawUser, qcow2User := blk(names[0], raw), blk(names[1], qcow2)
	config := pooledConfig(pool, dir, raw, qcow2, rawUser, qcow2User)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, acctest.CheckVolumesDestroyed),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: append(expectAttrs(rawUser.Addr(), map[string]knownvalue.Check{
					"state":          str("shutoff"),
					"disks.0.volume": str(filepath.Join(dir, "blk.img")),
					"disks.0.path":   knownvalue.Null(),
					"disks.0.format": str("raw"),
				}), acctest.Expect(qcow2User.Addr(), "disks.0.format", str("qcow2"))),
				Check: resource.ComposeAggregateTestCheckFunc(
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
	data := tfconfig.Volume{Label: "data", Name: "data.img", Size: "1MiB"}
	config := func(inst string) string { return pooledConfig(pool, dir, data, diskUser(g, inst, data.ID())) }
	const user = "unikernel_instance.user"
	marker := bytes.Repeat([]byte("UNIKERNEL-VOLUME-MARKER "), 64)[:1024]
	var before string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, acctest.CheckVolumesDestroyed),
		Steps: []resource.TestStep{
			{
				Config:            config(first),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(user, "disks.0.volume", str(volPath))},
				Check: resource.ComposeAggregateTestCheckFunc(
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
				ConfigPlanChecks: planActions(map[string]plancheck.ResourceActionType{
					user:        plancheck.ResourceActionDestroyBeforeCreate,
					data.Addr(): plancheck.ResourceActionNoop,
				}),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(user, "state", str("running"))},
				Check: resource.ComposeAggregateTestCheckFunc(
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
	vols := func(size string) []tfconfig.Block {
		return []tfconfig.Block{
			tfconfig.Volume{Label: "raw", Name: "data.img", Size: size},
			tfconfig.Volume{Label: "qcow2", Name: "data.qcow2", Size: size, Format: "qcow2"},
		}
	}
	user := diskUser(g, inst, "unikernel_volume.raw.id", "unikernel_volume.qcow2.id")
	config := func(size string) string { return pooledConfig(pool, dir, append(vols(size), user)...) }
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
				ConfigStateChecks: []statecheck.StateCheck{
					sameUUID.AddStateValue("unikernel_instance.user", tfjsonpath.New("id")),
					acctest.Expect("unikernel_volume.raw", "capacity", knownvalue.Int64Exact(8<<20)),
					acctest.Expect("unikernel_volume.qcow2", "capacity", knownvalue.Int64Exact(8<<20)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
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
				Config: config("8MiB") + tfconfig.Instance{
					Label: "second", Name: acctest.RandName("second"), Kernel: g.MultibootKernel, Memory: 16,
					Extra: "disks = [{ volume = unikernel_volume.raw.id, read_only = true }]",
				}.HCL(),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)Volume in use by another instance.*attached read-write to instance "` + inst + `" \(as vda\), which is running`),
			},
			{
				// The volumes leave the configuration while the instance keeps them
				// (by path): the destroy is refused, naming the instance.
				Config:      pooledConfig(pool, dir, diskUser(g, inst, tfconfig.Expr(tfconfig.Quote(rawPath)), tfconfig.Expr(tfconfig.Quote(qcowPath)))),
				ExpectError: wrapped(`(?s)Unable to delete volume "data\.(img|qcow2)".*attached to instance "` + inst + `" \(running`),
			},
			{
				// Nothing was deleted; without the instance the volumes are free again.
				Config: pooledConfig(pool, dir, vols("8MiB")...),
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
	const data = "unikernel_volume.data"
	config := func(size string) string {
		return pooledConfig(pool, dir, tfconfig.Volume{Label: "data", Name: "data.img", Size: size})
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
				Config:           config("4MiB"),
				ConfigPlanChecks: planAction(data, plancheck.ResourceActionCreate),
				Check:            checkVolume(pool, "data.img", 4<<20, "raw"),
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
					resource.TestCheckResourceAttr(data, "size", "2MiB"),
					resource.TestCheckResourceAttr(data, "capacity", strconv.Itoa(2<<20)),
				),
				ExpectNonEmptyPlan: true,
			},
			{
				Config:           config("4MiB"),
				ConfigPlanChecks: planAction(data, plancheck.ResourceActionUpdate),
				Check:            checkVolume(pool, "data.img", 4<<20, "raw"),
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
				Config:            config("8MiB"),
				ConfigPlanChecks:  planAction(data, plancheck.ResourceActionNoop),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(data, "capacity", knownvalue.Int64Exact(8<<20))},
			},
			{Config: config("8192KiB"), ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(data, "size", str("8192KiB"))}},
			{Config: config("8192KiB"), PlanOnly: true},
		},
	})
}

// Import by resource identity (Terraform or OpenTofu 1.12+).
func TestAccVolumeResource_identity(t *testing.T) {
	testAccPreCheck(t)
	acctest.UseIdentityCLI(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := pooledConfig(pool, dir, tfconfig.Volume{Label: "data", Name: "data.img", Size: "1MiB"})
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
