package provider

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"golang.org/x/sys/unix"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// A new base image of a copy-on-write disk is an update that restarts the
// instance: in the same pool the overlay keeps its path, so the definition
// alone does not differ.
func TestRestartDiffers_newBaseImage(t *testing.T) {
	state, plan := restartBaseModel(), restartBaseModel()
	state.Disks[0].Path, state.Disks[0].BaseImage = types.StringNull(), types.StringValue("/srv/pool/app-1.img")
	plan.Disks[0].Path, plan.Disks[0].BaseImage = types.StringNull(), types.StringValue("/srv/pool/app-2.img")
	a, b := plan.toSpec(hypervisor.ConsolePool{}).Disks, state.toSpec(hypervisor.ConsolePool{}).Disks
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("the overlay moved: %+v, was %+v", a, b)
	}
	if !restartDiffers(plan, state) {
		t.Error("restartDiffers = false for a new base image")
	}
	var resp fwresource.SchemaResponse
	(&InstanceResource{}).Schema(context.Background(), fwresource.SchemaRequest{}, &resp)
	base := resp.Schema.Attributes["disks"].(schema.ListNestedAttribute).NestedObject.Attributes["base_image"]
	if requiresReplace(base) {
		t.Error("disks[*].base_image forces a new instance")
	}
}

// An instance boots a disk image attached writable (disks[].image), and the
// guest writes to it on boot. The guest's writes are no new build of the
// image: the create is consistent with its plan, and the next plan is empty.
func TestAccInstanceRollout_writableImage(t *testing.T) {
	g := testAccInstancePreCheck(t)
	disk := filepath.Join(t.TempDir(), "disk.raw")
	acctest.CopyFile(t, g.BootDiskRaw, disk)
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	name := acctest.RandName("wr")
	p, image := poolWithImage(pool, poolDir, "d", "disk.raw", disk)
	vm := diskWriter(name)
	vm.Disks = []tfconfig.Disk{{Image: image.ID()}}
	config := testConfig(p, image, vm)
	var uuid string
	testAccInstances(t, []resource.TestStep{
		{
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				captureAttr("unikernel_instance.test", "id", &uuid),
				func(*terraform.State) error {
					// The boot sector holds the marker once; the sector the guest wrote adds one.
					b, err := os.ReadFile(filepath.Join(poolDir, "disk.raw"))
					if err != nil {
						return err
					}
					if n := bytes.Count(b, []byte("UNIKERNEL-DISK-DATA tick=")); n < 2 {
						return fmt.Errorf("the guest did not write to its disk (marker found %d times)", n)
					}
					return nil
				},
			),
		},
		{
			// A refresh and a plan later: still nothing to do.
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectEmptyPlan(),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameAttr("unikernel_instance.test", "id", &uuid),
				expectBoots(t, name, 1),
			),
		},
	})
}

// TestStaleOverlays_byBaseImageBuild decides which overlays an update deletes: those of a
// disk whose base image is another one or was rebuilt under the same id
// since its overlay was made, or that is no longer copy-on-write; without
// a record of the build, any change of the images counts.
func TestStaleOverlays_byBaseImageBuild(t *testing.T) {
	const one, two = "/srv/pool/app-1.img", "/srv/pool/app-2.img"
	const overlay = "/srv/pool/web-disk0.qcow2"
	model := func(base string) *instanceModel {
		m := restartBaseModel()
		m.Disks[0].Path, m.Disks[0].BaseImage = types.StringNull(), types.StringValue(base)
		return m
	}
	plain := restartBaseModel()
	built := map[string]string{overlay: "build 1"}
	rebuilt := map[string]string{overlay: "build 2"}
	for label, c := range map[string]struct {
		plan, state   *instanceModel
		made, now     map[string]string
		imagesChanged bool
		want          []string
	}{
		"same build":                  {model(one), model(one), built, built, false, nil},
		"same build, kernel rebuilt":  {model(one), model(one), built, built, true, nil},
		"rebuilt under the same id":   {model(one), model(one), built, rebuilt, true, []string{overlay}},
		"another image":               {model(two), model(one), built, rebuilt, true, []string{overlay}},
		"no record, nothing changed":  {model(one), model(one), nil, built, false, nil},
		"no record, an image changed": {model(one), model(one), nil, built, true, []string{overlay}},
		"no longer copy-on-write":     {plain, model(one), built, nil, false, []string{overlay}},
		"disk removed": {func() *instanceModel { m := model(one); m.Disks = nil; return m }(), model(one), built, nil, false,
			[]string{overlay}},
		"drift (state without base)": {model(one), plain, built, built, true, nil},
	} {
		if got := staleOverlays(c.plan, c.state, c.made, c.now, c.imagesChanged); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", label, got, c.want)
		}
	}
}

// rolloutConfig is a pool, a NAT network, the image name built from source,
// and a Nanos server booting copy-on-write from that image with a reserved
// address (host 20 of lan).
func rolloutConfig(pool, poolDir, network string, lan acctest.Subnet, name, imageName, source string) string {
	p, image := poolWithImage(pool, poolDir, "v", imageName, source)
	n := tfconfig.Network{Name: network, Mode: "nat", IPv4CIDR: lan.CIDR()}
	return testConfig(p, n, image, tfconfig.Instance{
		Name: name, Memory: 256, Extra: `hypervisor = "qemu"` + "\n" + `rng        = true`,
		BaseImages: []tfconfig.Expr{image.ID()},
		NICs:       []tfconfig.NIC{{NetworkRef: n.Ref(), IPv4: lan.Host(20)}},
		WaitFor:    &tfconfig.WaitFor{Console: "hellod: listening", IPv4: true, TCPPort: 8080, Timeout: "3m"},
	})
}

// diskWriter is the disk test guest as unikernel_instance.test, ready once
// it wrote to its disk; its disks are the test's.
func diskWriter(name string) tfconfig.Instance {
	return tfconfig.Instance{Label: "test", Name: name, Memory: 16, ShutdownTimeout: "0s",
		WaitFor: &tfconfig.WaitFor{Console: "^DISK-WRITTEN", Timeout: "90s"}}
}

// Rollout of a new build of a Nanos server's boot disk: first a new image
// (another name), then the same image rebuilt in place (same name, same
// id). Each is an update that restarts the instance on a fresh overlay of
// the new build, with the UUID, the MAC and the reserved address kept, and
// the server answers again.
func TestAccInstanceRollout_nanosDisk(t *testing.T) {
	testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	tp := acctest.ThirdPartyGuests(t)
	dir := t.TempDir()
	builds := make([]string, 3)
	for i := range builds {
		builds[i] = filepath.Join(dir, fmt.Sprintf("hellod-build%d.img", i+1))
		acctest.CopyFile(t, tp.NanosHellod, builds[i])
		if i > 0 {
			// Whole MiBs after the file system: another build that boots the same way.
			pad := make([]byte, i<<20)
			copy(pad, fmt.Sprintf("unikernel rollout build %d\n", i+1))
			f, err := os.OpenFile(builds[i], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(pad); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	network, name := acctest.RandName("net"), acctest.RandName("roll")
	lan := acctest.CIDR(t)
	ip := lan.Host(20)
	overlay := filepath.Join(poolDir, name+"-disk0.qcow2")
	const vm = "unikernel_instance.vm"
	var born [3]time.Time
	sameID, sameMAC := statecheck.CompareValue(compare.ValuesSame()), statecheck.CompareValue(compare.ValuesSame())
	updateInPlace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(vm, plancheck.ResourceActionUpdate),
		plancheck.ExpectUnknownValue(vm, tfjsonpath.New("disks").AtSliceIndex(0).AtMapKey("base_image")),
	}}
	// same checks the state after a rollout to the base image file base:
	// the same UUID, MAC and address.
	same := func(base string) []statecheck.StateCheck {
		return checks(
			[]statecheck.StateCheck{
				sameID.AddStateValue(vm, acctest.Path("id")),
				sameMAC.AddStateValue(vm, acctest.Path("network_interfaces.0.mac")),
				acctest.Expect(vm, "network_interfaces.0.ipv4_addresses", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(ip)})),
			},
			expectStrings(vm, "network_interfaces.0.ipv4_address", ip, "disks.0.base_image", filepath.Join(poolDir, base), "state", "running"),
		)
	}
	// serves checks the guest after a rollout to the base image file base
	// (step, 0-based): booted once more, on a fresh overlay of base.
	serves := func(step int, base string) resource.TestCheckFunc {
		return resource.ComposeAggregateTestCheckFunc(
			expectBoots(t, name, step+1),
			checkHello(ip+":8080"),
			checkOverlay(overlay, filepath.Join(poolDir, base), step, &born),
		)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, checkFileGone("overlay", overlay)),
		Steps: []resource.TestStep{
			{
				Config:            rolloutConfig(pool, poolDir, network, lan, name, "hellod-1.img", builds[0]),
				ConfigStateChecks: same("hellod-1.img"),
				Check:             serves(0, "hellod-1.img"),
			},
			{
				// A new image: the old one is deleted, the instance is updated.
				Config:            rolloutConfig(pool, poolDir, network, lan, name, "hellod-2.img", builds[1]),
				ConfigPlanChecks:  updateInPlace,
				ConfigStateChecks: same("hellod-2.img"),
				Check: resource.ComposeAggregateTestCheckFunc(
					serves(1, "hellod-2.img"),
					func(*terraform.State) error {
						if _, err := os.Stat(filepath.Join(poolDir, "hellod-1.img")); !os.IsNotExist(err) {
							return fmt.Errorf("the old image is still there (%v)", err)
						}
						return nil
					},
				),
			},
			{
				// The same image rebuilt: same name and id, another build.
				Config:            rolloutConfig(pool, poolDir, network, lan, name, "hellod-2.img", builds[2]),
				ConfigPlanChecks:  updateInPlace,
				ConfigStateChecks: same("hellod-2.img"),
				Check:             serves(2, "hellod-2.img"),
			},
		},
	})
}

// A rollout whose new overlay cannot be made (the new base_image is no
// volume of a pool) fails with the instance stopped and its old overlay
// deleted; the next apply, with a good build, creates the overlay and starts
// the same instance again.
func TestAccInstanceRollout_overlayFails(t *testing.T) {
	g := testAccInstancePreCheck(t)
	dir := t.TempDir()
	raw, qcow, loose := filepath.Join(dir, "disk.raw"), filepath.Join(dir, "disk.qcow2"), filepath.Join(dir, "loose.raw")
	acctest.CopyFile(t, g.BootDiskRaw, raw)
	acctest.CopyFile(t, g.BootDiskQCOW2, qcow)
	acctest.CopyFile(t, g.BootDiskRaw, loose)
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	name := acctest.RandName("rollf")
	config := func(imageName, source string, base tfconfig.Expr) string {
		p, image := poolWithImage(pool, poolDir, "d", imageName, source)
		vm := diskWriter(name)
		vm.BaseImages = []tfconfig.Expr{base}
		return testConfig(p, image, vm)
	}
	imageID, loosePath := tfconfig.Expr("unikernel_image.d.id"), tfconfig.Expr(tfconfig.Quote(loose))
	const vm = "unikernel_instance.test"
	overlay := filepath.Join(poolDir, name+"-disk0.qcow2")
	var uuid string
	testAccInstances(t, []resource.TestStep{
		{
			Config: config("disk-1.raw", raw, imageID),
			Check:  captureAttr(vm, "id", &uuid),
		},
		{
			Config:      config("disk-1.raw", raw, loosePath),
			ExpectError: regexp.MustCompile(`(?s)Creating the copy-on-write disks failed: disks\[0\]\.base_image.*must be a\s+volume of a storage pool.*stopped.*next\s+apply creates`),
		},
		{
			// Stopped, without an overlay, nothing left over beside the loose file.
			Config:   config("disk-1.raw", raw, loosePath),
			PlanOnly: true, ExpectNonEmptyPlan: true,
			Check: func(*terraform.State) error {
				for _, p := range []string{overlay, filepath.Join(dir, name+"-disk0.qcow2")} {
					if _, err := os.Stat(p); !os.IsNotExist(err) {
						return fmt.Errorf("overlay %s is there (%v)", p, err)
					}
				}
				return nil
			},
		},
		{
			Config: config("disk-2.qcow2", qcow, imageID),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(vm, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: expectStrings(vm, "state", "running"),
			Check: resource.ComposeAggregateTestCheckFunc(
				sameAttr(vm, "id", &uuid),
				expectBoots(t, name, 2),
				checkOverlay(overlay, filepath.Join(poolDir, "disk-2.qcow2"), 0, &[3]time.Time{}),
			),
		},
	})
}

// checkHello connects to the Nanos server at addr, which says "hello".
func checkHello(addr string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "hello" {
			return fmt.Errorf("%s answered %q (%v), want \"hello\"", addr, line, err)
		}
		return nil
	}
}

// checkOverlay checks that the overlay at path is backed by base and, after
// step 0, that it is a new file, born after the one of the step before.
func checkOverlay(path, base string, step int, born *[3]time.Time) resource.TestCheckFunc {
	return func(*terraform.State) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(b) < 20 || !bytes.HasPrefix(b, []byte("QFI\xfb")) {
			return fmt.Errorf("%s is not a qcow2 file", path)
		}
		off, n := binary.BigEndian.Uint64(b[8:16]), uint64(binary.BigEndian.Uint32(b[16:20]))
		if off+n > uint64(len(b)) || string(b[off:off+n]) != base {
			return fmt.Errorf("%s is not backed by %s", path, base)
		}
		var st unix.Statx_t
		if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &st); err != nil {
			return fmt.Errorf("statx %s: %w", path, err)
		}
		if st.Mask&unix.STATX_BTIME == 0 {
			return nil // no birth times on this file system
		}
		born[step] = time.Unix(st.Btime.Sec, int64(st.Btime.Nsec))
		if step > 0 && !born[step].After(born[step-1]) {
			return fmt.Errorf("%s is the overlay of before (born %s)", path, born[step])
		}
		return nil
	}
}
