package hypervisor_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// On the real libvirtd: each adoption fixture, defined as its tool defined
// it, and updated through DefineDomain with a memory and a description
// change, reads back (virsh dumpxml --inactive) as before except those two:
// libvirt accepts the merged definition and keeps its serial ports,
// on_reboot, controllers, balloon, graphics and addresses.
func TestAccRedefineAdoptedFixtures(t *testing.T) {
	c := accClient(t)
	ctx := context.Background()
	for _, fixture := range []string{
		"dmacvicar08_overlay", "dmacvicar08_file_disk", "dmacvicar08_kernel", "dmacvicar09", "virtinstall",
		"virsh_file_serial", "ours_diskboot", "ours_filesystems",
	} {
		t.Run(fixture, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("testdata", "adopt", fixture+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			var x libvirtxml.Domain
			if err := x.Unmarshal(string(doc)); err != nil {
				t.Fatal(err)
			}
			x.Name, x.UUID = acctest.RandName("merge"), ""
			raw, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			uuid, err := c.DefineXMLForTest(x.Name, raw)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.UndefineDomain(ctx, x.Name) })
			before, err := hypervisor.InactiveDefinitionForTest(c, x.Name)
			if err != nil {
				t.Fatal(err)
			}
			info, err := c.ReadDomain(ctx, x.Name)
			if err != nil {
				t.Fatal(err)
			}
			spec := info.Spec
			spec.MemoryMiB += 32
			spec.Description = "adopted"
			if got, err := c.DefineDomain(ctx, spec); err != nil || got != uuid {
				t.Fatalf("redefine: %s, %v", got, err)
			}
			after, err := hypervisor.InactiveDefinitionForTest(c, x.Name)
			if err != nil {
				t.Fatal(err)
			}
			if after.Memory.Value != spec.MemoryMiB*1024 || after.Description != "adopted" {
				t.Errorf("memory %+v, description %q", after.Memory, after.Description)
			}
			after.Memory, after.CurrentMemory, after.Description = before.Memory, before.CurrentMemory, before.Description
			b, _ := before.Marshal()
			a, _ := after.Marshal()
			if a != b {
				t.Errorf("libvirt holds more changes than memory and description:\n--- before\n%s\n--- after\n%s", b, a)
			}
			back, err := c.ReadDomain(ctx, x.Name)
			if err != nil || back.Spec.ConsoleLog != info.Spec.ConsoleLog {
				t.Errorf("console log %q after the update, was %q (%v)", back.Spec.ConsoleLog, info.Spec.ConsoleLog, err)
			}
		})
	}
}

// The libvirt provider's copy-on-write layout on the real daemon: a base
// volume and a qcow2 overlay in a pool, the domain's disk by pool and volume
// name. Read shows the overlay's path; an update that keeps the disk keeps
// it a volume disk, with its address, and changes only what it changes.
func TestAccRedefineAdoptedVolumeOverlay(t *testing.T) {
	c := accClient(t)
	ctx := context.Background()
	pool, dir := acctest.RandName("merge-pool"), acctest.PoolDir(t)
	if _, err := c.CreatePool(ctx, hypervisor.PoolSpec{Name: pool, Path: dir}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.PurgePool(ctx, pool) })
	base, err := c.CreateVolume(ctx, pool, hypervisor.VolumeSpec{Name: "base.raw", Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	overlay, err := c.CreateOverlay(ctx, pool, hypervisor.OverlaySpec{Name: "overlay.qcow2", BasePath: base.Path, BaseFormat: "raw", Capacity: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("testdata", "adopt", "dmacvicar08_overlay.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(string(doc)); err != nil {
		t.Fatal(err)
	}
	x.Name, x.UUID = acctest.RandName("merge"), ""
	x.Devices.Disks[0].Source.Volume.Pool, x.Devices.Disks[0].Source.Volume.Volume = pool, overlay.Name
	raw, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DefineXMLForTest(x.Name, raw); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, x.Name) })
	before, err := hypervisor.InactiveDefinitionForTest(c, x.Name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ReadDomain(ctx, x.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Spec.Disks) != 1 || info.Spec.Disks[0].Path != overlay.Path || info.Spec.Disks[0].Format != "qcow2" {
		t.Fatalf("read back %+v, want the overlay %s", info.Spec.Disks, overlay.Path)
	}
	spec := info.Spec
	spec.VCPUs = 2
	if _, err := c.DefineDomain(ctx, spec); err != nil {
		t.Fatal(err)
	}
	after, err := hypervisor.InactiveDefinitionForTest(c, x.Name)
	if err != nil {
		t.Fatal(err)
	}
	if after.VCPU.Value != 2 || after.Devices.Disks[0].Source.Volume == nil {
		t.Errorf("vcpu %+v, disk source %+v", after.VCPU, after.Devices.Disks[0].Source)
	}
	after.VCPU = before.VCPU
	b, _ := before.Marshal()
	a, _ := after.Marshal()
	if a != b {
		t.Errorf("libvirt holds more changes than the vCPU count:\n--- before\n%s\n--- after\n%s", b, a)
	}
}
