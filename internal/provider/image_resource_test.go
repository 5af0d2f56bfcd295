package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
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

const testImageAddr = "unikernel_image.test"

// testAccImageConfig is a pool named pool in dir plus the given image blocks,
// which refer to the pool as unikernel_pool.p.name.
func testAccImageConfig(pool, dir, images string) string {
	return pooledConfig(pool, dir, tfconfig.Raw(images))
}

// imageBlock is testImage as label, with extra lines, as HCL.
func imageBlock(label, name, source, extra string) string {
	return tfconfig.Image{Label: label, Name: name, Source: source, Extra: extra}.HCL()
}

// testImage is unikernel_image.test named name in unikernel_pool.p, from source.
func testImage(name, source string) tfconfig.Image {
	return tfconfig.Image{Label: "test", Name: name, Source: source}
}

// expectImage checks an image's digest, size, format and boot in state.
func expectImage(addr, digest string, size int64, format, boot string) []statecheck.StateCheck {
	return expectAttrs(addr, map[string]knownvalue.Check{
		"sha256": str(digest), "size": knownvalue.Int64Exact(size), "format": str(format), "boot": str(boot),
	})
}

// testAccCheckVolumeHolds checks through libvirt that pool/name exists, has
// the size of file, and that the file behind it has file's bytes.
func testAccCheckVolumeHolds(pool, name, file string) resource.TestCheckFunc {
	return acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
		info, err := c.ReadVolume(ctx, pool, name)
		if err != nil {
			return err
		}
		want, size, err := imageformat.HashFile(file)
		if err != nil {
			return err
		}
		got, _, err := imageformat.HashFile(info.Path)
		if err != nil {
			return err
		}
		if got != want || info.Size != uint64(size) {
			return fmt.Errorf("volume %s/%s holds %d bytes with sha256 %s, want %d bytes of %s (%s)", pool, name, info.Size, got, size, file, want)
		}
		return nil
	})
}

func fileDigest(t *testing.T, p string) (string, int64) {
	t.Helper()
	d, n, err := imageformat.HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return d, n
}

func TestAccImageResource_basic(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	digest, size := fileDigest(t, guests.MultibootKernel)
	config := pooledConfig(pool, dir, testImage("kernel.elf", guests.MultibootKernel))
	volPath := filepath.Join(dir, "kernel.elf")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: append(expectImage(testImageAddr, digest, size, "multiboot", "kernel"),
					acctest.Expect(testImageAddr, "id", str(volPath)),
					acctest.Expect(testImageAddr, "path", str(volPath)),
					acctest.Expect(testImageAddr, "pool", str(pool))),
				Check: testAccCheckVolumeHolds(pool, "kernel.elf", guests.MultibootKernel),
			},
			{
				ResourceName:                         testImageAddr,
				ImportState:                          true,
				ImportStateId:                        pool + "/kernel.elf",
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "id",
				ImportStateVerifyIgnore:              []string{"source"},
			},
			{
				ResourceName:  testImageAddr,
				ImportState:   true,
				ImportStateId: "kernel.elf",
				ExpectError:   regexp.MustCompile(`<pool>/<volume\s+name>`),
			},
		},
	})
}

// tempLeftovers lists the provider's temporary download files.
func tempLeftovers(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "unikernel-image-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Images fetched from a loopback HTTP server: the microVM kernel pinned by
// its sha256, a wrong sha256 that fails before anything is created, and the
// temporary download file removed in both cases.
func TestAccImageResource_http(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(guests.MicroVMKernel))))
	t.Cleanup(srv.Close)
	url := srv.URL + "/vmlinuz"
	digest, size := fileDigest(t, guests.MicroVMKernel)
	wrong := strings.Repeat("0", 64)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	c := acctest.MustClient(t)
	pinned := func(digest string) tfconfig.Image {
		img := testImage("vmlinuz", url)
		img.Extra = "sha256 = " + tfconfig.Quote(digest)
		return img
	}
	noLeftovers := func(*terraform.State) error {
		if l := tempLeftovers(t); len(l) > 0 {
			return fmt.Errorf("temporary download files left behind: %v", l)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: pooledConfig(pool, dir, pinned(wrong)),
				ExpectError: regexp.MustCompile(`(?s)Checksum mismatch for ` + regexp.QuoteMeta(url) + `.*expected sha256 ` +
					wrong + `.*actual\s+sha256 ` + digest + `.*Nothing was created`),
			},
			{
				// The pool exists from the failed apply; it must hold nothing.
				Config: pooledConfig(pool, dir),
				Check: resource.ComposeAggregateTestCheckFunc(noLeftovers, func(*terraform.State) error {
					names, err := c.VolumeNames(context.Background(), pool)
					if err != nil || len(names) != 0 {
						return fmt.Errorf("after a checksum mismatch the pool holds %v (%v)", names, err)
					}
					return nil
				}),
			},
			{
				Config:            pooledConfig(pool, dir, pinned(digest)),
				ConfigStateChecks: expectImage(testImageAddr, digest, size, "linux", "kernel"),
				Check: resource.ComposeAggregateTestCheckFunc(
					testAccCheckVolumeHolds(pool, "vmlinuz", guests.MicroVMKernel),
					noLeftovers,
				),
			},
			{
				// A URL that answers 404 fails cleanly.
				Config: pooledConfig(pool, dir, tfconfig.Image{Label: "missing", Name: "missing", Source: srv.URL + "/nope",
					Extra: "sha256 = " + tfconfig.Quote(digest)}),
				ExpectError: regexp.MustCompile(`answered 404 Not Found`),
			},
		},
	})
}

// A wrong sha256 for a local file fails the plan, showing both digests.
func TestAccImageResource_checksumMismatchLocal(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	digest, _ := fileDigest(t, guests.MultibootKernel)
	wrong := strings.Repeat("ab", 32)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{{
			Config: pooledConfig(pool, dir, tfconfig.Image{Label: "test", Name: "k", Source: guests.MultibootKernel,
				Extra: "sha256 = " + tfconfig.Quote(wrong)}),
			ExpectError: regexp.MustCompile(`(?s)Checksum mismatch.*expected sha256 ` + wrong + `.*actual\s+sha256 ` + digest),
		}, {
			// The plan failed, so not even the pool was created.
			Config: testConfig(),
			Check: func(*terraform.State) error {
				if _, err := acctest.MustClient(t).ReadPool(context.Background(), pool); !hypervisor.IsNotFound(err) {
					return fmt.Errorf("pool created despite the failed plan: %v", err)
				}
				return nil
			},
		}},
	})
}

// A new build of a local file is a replacement in the plan; so are a new
// source path and a new sha256. Pinning the current sha256 changes nothing.
func TestAccImageResource_rollout(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	src := filepath.Join(t.TempDir(), "kernel.elf")
	other := filepath.Join(t.TempDir(), "kernel-copy.elf")
	acctest.CopyFile(t, guests.MultibootKernel, src)
	config := func(source, extra string) string {
		img := testImage("kernel.elf", source)
		img.Extra = extra
		return pooledConfig(pool, dir, img)
	}
	replace := planAction(testImageAddr, plancheck.ResourceActionDestroyBeforeCreate)
	digestChanged := statecheck.CompareValue(compare.ValuesDiffer())
	var newDigest string
	// rebuilt is a new build of src made by rebuild: the image is replaced
	// and holds the new bytes.
	rebuilt := func(rebuild func([]byte) []byte) resource.TestStep {
		return resource.TestStep{
			PreConfig: func() {
				b, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(src, rebuild(b), 0o644); err != nil {
					t.Fatal(err)
				}
				newDigest, _ = fileDigest(t, src)
			},
			Config:           config(src, ""),
			ConfigPlanChecks: replace,
			ConfigStateChecks: []statecheck.StateCheck{
				digestChanged.AddStateValue(testImageAddr, tfjsonpath.New("sha256")),
				acctest.Expect(testImageAddr, "sha256", strVar(&newDigest)),
			},
			Check: testAccCheckVolumeHolds(pool, "kernel.elf", src),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config:            config(src, ""),
				ConfigStateChecks: []statecheck.StateCheck{digestChanged.AddStateValue(testImageAddr, tfjsonpath.New("sha256"))},
			},
			// A new build: same path, new bytes (a trailing section appended).
			rebuilt(func(b []byte) []byte { return append(b, "build 2\n"...) }),
			{
				// Pinning the current digest is no change at all.
				Config:           config(src, ""),
				ConfigPlanChecks: planAction(testImageAddr, plancheck.ResourceActionNoop),
			},
			// A rebuild that keeps the size: the file's stamp changes, so the plan
			// reads it again instead of trusting the digest recorded at upload.
			rebuilt(func(b []byte) []byte { copy(b[len(b)-len("build 3\n"):], "build 3\n"); return b }),
			{
				// Another source path with the same bytes still replaces.
				PreConfig:        func() { acctest.CopyFile(t, src, other) },
				Config:           config(other, ""),
				ConfigPlanChecks: replace,
				Check:            testAccCheckVolumeHolds(pool, "kernel.elf", other),
			},
			{
				// An explicit format replaces too: multiboot is what it was detected as, raw is not.
				Config:           config(other, `format = "raw"`),
				ConfigPlanChecks: replace,
				ConfigStateChecks: expectAttrs(testImageAddr, map[string]knownvalue.Check{
					"format": str("raw"), "boot": str("disk"),
				}),
			},
		},
	})
}

// A volume deleted out of band is created again; one whose size changed
// out of band is replaced.
func TestAccImageResource_drift(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := pooledConfig(pool, dir, testImage("kernel.elf", guests.MultibootKernel))
	_, size := fileDigest(t, guests.MultibootKernel)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					if err := c.DeleteVolume(ctx, pool, "kernel.elf"); err != nil {
						t.Fatal(err)
					}
				},
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:           config,
				ConfigPlanChecks: planAction(testImageAddr, plancheck.ResourceActionCreate),
				Check:            testAccCheckVolumeHolds(pool, "kernel.elf", guests.MultibootKernel),
			},
			{
				// Someone appends to the volume's file on the host.
				PreConfig: func() {
					f, err := os.OpenFile(filepath.Join(dir, "kernel.elf"), os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = f.Write(make([]byte, 512))
					_ = f.Close()
				},
				Config:            config,
				ConfigPlanChecks:  planAction(testImageAddr, plancheck.ResourceActionDestroyBeforeCreate),
				ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(testImageAddr, "size", knownvalue.Int64Exact(size))},
				Check:             testAccCheckVolumeHolds(pool, "kernel.elf", guests.MultibootKernel),
			},
			{
				// The pool stopped out of band: the image is kept unchecked (a
				// warning), and the apply starts the pool again.
				PreConfig: func() {
					if err := c.StopPool(ctx, pool); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: planActions(map[string]plancheck.ResourceActionType{
					"unikernel_pool.p": plancheck.ResourceActionUpdate,
					testImageAddr:      plancheck.ResourceActionNoop,
				}),
				Check: testAccCheckVolumeHolds(pool, "kernel.elf", guests.MultibootKernel),
			},
			{
				// Same-size content changes are not detected (documented): the plan stays empty.
				PreConfig: func() {
					f, err := os.OpenFile(filepath.Join(dir, "kernel.elf"), os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					_, _ = f.WriteAt([]byte{0xff}, size-1)
					_ = f.Close()
				},
				Config:   config,
				PlanOnly: true,
			},
		},
	})
}

// A volume uploaded outside Terraform is imported with an import block:
// its sha256 is computed once from the volume, and the first apply only
// records the source (an in-place update) after checking that the source
// holds the volume's bytes. A URL is checked at apply time, so a URL whose
// bytes differ fails that update and changes nothing. (A local file with
// other bytes is a replacement at plan time, like any new build.)
func TestAccImageResource_importAdopt(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	c := acctest.MustClient(t)
	pool, dir := acctest.TestPool(t, c)
	digest, _ := fileDigest(t, guests.MicroVMInitrd)
	f, err := os.Open(guests.MicroVMInitrd)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	_, err = c.CreateVolumeFrom(context.Background(), pool, hypervisor.VolumeSpec{Name: "initrd.cpio", Size: uint64(st.Size())}, f, nil)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(guests.MicroVMKernel))))
	t.Cleanup(srv.Close)
	config := func(source, extra string) string {
		img := testImage("initrd.cpio", source)
		img.Pool, img.Extra = poolNamed(pool), extra
		return testConfig(importBlock{To: testImageAddr, ID: pool + "/initrd.cpio"}, img)
	}
	adopted := expectAttrs(testImageAddr, map[string]knownvalue.Check{
		"sha256": str(digest), "format": str("raw"), "boot": str("disk"),
		"id": str(filepath.Join(dir, "initrd.cpio")), "source": str(guests.MicroVMInitrd),
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				// The URL serves the kernel, not the imported initrd.
				Config:      config(srv.URL+"/vmlinuz", "sha256 = "+tfconfig.Quote(digest)),
				ExpectError: regexp.MustCompile(`(?s)are not the\s+volume's.*volume sha256 ` + digest + `.*Nothing was changed`),
			},
			{
				Config:            config(guests.MicroVMInitrd, ""),
				ConfigPlanChecks:  planAction(testImageAddr, plancheck.ResourceActionUpdate),
				ConfigStateChecks: adopted,
				Check:             testAccCheckVolumeHolds(pool, "initrd.cpio", guests.MicroVMInitrd),
			},
		},
	})
}
