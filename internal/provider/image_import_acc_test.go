package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// expectOnlyChanged asserts that addr's planned update changes exactly the
// attributes named (their values before and after differ) and nothing else.
type expectOnlyChanged struct {
	addr  string
	attrs []string
}

func (e expectOnlyChanged) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != e.addr {
			continue
		}
		var got []string
		for _, d := range planDiff("", rc.Change.Before, rc.Change.After, rc.Change.AfterUnknown) {
			attr, _, _ := strings.Cut(d, ":")
			got = append(got, attr)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(e.attrs, ",") {
			resp.Error = fmt.Errorf("%s %v changes %s, want only %v", e.addr, rc.Change.Actions,
				strings.Join(planDiff("", rc.Change.Before, rc.Change.After, rc.Change.AfterUnknown), "; "), e.attrs)
		}
		return
	}
	resp.Error = fmt.Errorf("no planned change of %s", e.addr)
}

// fileID is what tells that a file was written or replaced.
type fileID struct {
	ino   uint64
	mtime time.Time
	size  int64
}

func statID(t *testing.T, p string) fileID {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fileID{ino: fi.Sys().(*syscall.Stat_t).Ino, mtime: fi.ModTime(), size: fi.Size()}
}

// foreignImage is unikernel_image.test for the volume initrd.cpio of a pool
// made outside the configuration.
func foreignImage(pool, source, extra string) tfconfig.Image {
	return tfconfig.Image{Label: "test", Name: "initrd.cpio", Pool: poolNamed(pool), Source: source, Extra: extra}
}

// foreignInitrd creates the volume initrd.cpio in pool as virsh vol-create-as
// does (with a target format when format is set) and writes src into it as
// vol-upload does; it returns the volume's path.
func foreignInitrd(t *testing.T, pool, src, format string) string {
	t.Helper()
	_, size := fileDigest(t, src)
	x := &libvirtxml.StorageVolume{Name: "initrd.cpio", Capacity: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: uint64(size)}}
	if format != "" {
		x.Target = &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}}
	}
	vol := createForeignVolume(t, pool, x)
	acctest.CopyFile(t, src, vol)
	return vol
}

// A volume uploaded by another tool (the libvirt provider's libvirt_volume
// with source, or virsh vol-create-as plus vol-upload) whose bytes are those
// of the configuration's source: the first plan is an update that only
// records source, and the apply leaves the volume's file alone (same inode,
// modification time, size and key). The next plan is empty.
func TestAccImageImport_sameBytesRecordsOnly(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, pool, dir, true, true)
	src := guests.MicroVMInitrd
	digest, _ := fileDigest(t, src)
	vol := foreignInitrd(t, pool, src, "raw")
	before := statID(t, vol)
	config := testConfig(importBlock{To: testImageAddr, ID: pool + "/initrd.cpio"}, foreignImage(pool, src, ""))
	untouched := func(*terraform.State) error {
		if now := statID(t, vol); now != before {
			return fmt.Errorf("the volume's file changed: %+v, was %+v", now, before)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionUpdate),
					expectOnlyChanged{addr: testImageAddr, attrs: []string{"source"}},
				}},
				ConfigStateChecks: expectAttrs(testImageAddr, map[string]knownvalue.Check{
					"source": str(src), "sha256": str(digest), "id": str(filepath.Join(dir, "initrd.cpio")),
				}),
				Check: untouched,
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: firstPlanEmpty()},
				Check:            untouched,
			},
			{
				Config: testConfig(removedBlock{From: testImageAddr}),
				Check:  untouched,
			},
		},
	})
}

// A source whose bytes differ from the imported volume's is a replacement
// in the plan (the volume is uploaded again), as for any new build.
func TestAccImageImport_otherBytesReplaces(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, pool, dir, true, true)
	foreignInitrd(t, pool, guests.MicroVMInitrd, "")
	other := filepath.Join(t.TempDir(), "other.img")
	acctest.RandomFile(t, other, 1<<20)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             testConfig(importBlock{To: testImageAddr, ID: pool + "/initrd.cpio"}, foreignImage(pool, other, `format = "raw"`)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testImageAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
		},
	})
}

// The configuration `-generate-config-out` writes for an imported image has
// neither source nor oci: it plans nothing and keeps the volume as it is.
// A new image without either is still refused at plan.
func TestAccImageImport_generatedConfig(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, pool, dir, true, false)
	digest, _ := fileDigest(t, guests.MicroVMInitrd)
	vol := foreignInitrd(t, pool, guests.MicroVMInitrd, "")
	before := statID(t, vol)
	// What -generate-config-out writes.
	generated := tfconfig.Image{Label: "test", Name: "initrd.cpio", Pool: poolNamed(pool), Extra: `format            = "raw"
oci               = null
sha256            = ` + tfconfig.Quote(digest) + `
source            = null
source_headers_wo = null # sensitive`}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:           testConfig(importBlock{To: testImageAddr, ID: pool + "/initrd.cpio"}, generated),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: firstPlanEmpty()},
				Check: func(*terraform.State) error {
					if now := statID(t, vol); now != before {
						return fmt.Errorf("the volume's file changed: %+v, was %+v", now, before)
					}
					return nil
				},
			},
			{
				Config:      testConfig(generated, tfconfig.Image{Label: "new", Name: "other.img", Pool: poolNamed(pool)}),
				ExpectError: regexp.MustCompile("(?s)Invalid image source.*Set `source` to a local file"),
			},
			{
				Config: testConfig(removedBlock{From: testImageAddr}),
			},
		},
	})
}
