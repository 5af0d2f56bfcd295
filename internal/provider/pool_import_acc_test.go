package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// defineForeignPool defines a dir pool at dir as `virsh pool-define-as NAME
// dir --target DIR` does, builds it, and starts it and sets autostart as
// asked; the test's end removes it with its volumes.
func defineForeignPool(t *testing.T, name, dir string, start, autostart bool) {
	t.Helper()
	conn := foreignConn(t)
	x := &libvirtxml.StoragePool{Type: "dir", Name: name, Target: &libvirtxml.StoragePoolTarget{Path: dir}}
	doc, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p, err := conn.StoragePoolDefineXML(doc, 0)
	if err != nil {
		t.Fatalf("define pool: %v", err)
	}
	defer func() { _ = p.Free() }()
	t.Cleanup(func() {
		c := acctest.MustClient(t)
		if err := c.PurgePool(context.Background(), name); err != nil && !hypervisor.IsNotFound(err) {
			t.Errorf("remove pool %s: %v", name, err)
		}
	})
	if err := p.Build(0); err != nil {
		t.Fatalf("build pool: %v", err)
	}
	if autostart {
		if err := p.SetAutostart(true); err != nil {
			t.Fatal(err)
		}
	}
	if start {
		if err := p.Create(0); err != nil {
			t.Fatalf("start pool: %v", err)
		}
	}
}

// importCase runs an import block with the docs' configuration and then the
// configuration `-generate-config-out` writes, both with an empty first plan
// and the same state and libvirt checks, and lets go of the object with a
// removed block.
func importCase(t *testing.T, addr, id string, minimal, generated tfconfig.Block, states []statecheck.StateCheck, check resource.TestCheckFunc) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            testConfig(importBlock{To: addr, ID: id}, minimal),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: firstPlanEmpty()},
				ConfigStateChecks: states,
				Check:             check,
			},
			{
				Config:            testConfig(generated),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: firstPlanEmpty()},
				ConfigStateChecks: states,
				Check:             check,
			},
			{
				// Let go of the object without destroying it: it belongs to
				// the fixture, which removes it.
				Config: testConfig(removedBlock{From: addr}),
			},
		},
	})
}

// foreignPool is unikernel_pool.test for a pool made outside Terraform, with
// the lines -generate-config-out adds in generated.
func foreignPool(name, dir, generated string) tfconfig.Pool {
	return tfconfig.Pool{Label: "test", Name: name, Path: dir, Extra: generated}
}

func poolIs(name string, running, autostart bool) resource.TestCheckFunc {
	return acctest.CheckPool(name, func(info hypervisor.PoolInfo) error {
		if info.Active != running || info.Autostart != autostart {
			return fmt.Errorf("pool running=%v autostart=%v, want %v and %v", info.Active, info.Autostart, running, autostart)
		}
		return nil
	})
}

// `virsh pool-define-as NAME dir --target DIR`, pool-build and pool-start,
// without pool-autostart.
func TestAccPoolImport_virshDefineAs(t *testing.T) {
	testAccPreCheck(t)
	name, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, name, dir, true, false)
	importCase(t, testPoolAddr, name, foreignPool(name, dir, ""), foreignPool(name, dir, "autostart = false\nrunning   = true"),
		nil, poolIs(name, true, false))
}

// A pool defined but never built or started (`virsh pool-define-as` alone)
// stays stopped.
func TestAccPoolImport_virshDefinedOnly(t *testing.T) {
	testAccPreCheck(t)
	name, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, name, dir, false, false)
	importCase(t, testPoolAddr, name, foreignPool(name, dir, ""), foreignPool(name, dir, ""), nil, poolIs(name, false, false))
}

// The libvirt provider's `libvirt_pool` (type = "dir", path) defines,
// builds, sets autostart and starts the pool (libvirt/resource_libvirt_pool.go
// at v0.8.3).
func TestAccPoolImport_libvirtProvider(t *testing.T) {
	testAccPreCheck(t)
	name, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, name, dir, true, true)
	importCase(t, testPoolAddr, name, foreignPool(name, dir, ""), foreignPool(name, dir, "autostart = true\nrunning   = true"),
		nil, poolIs(name, true, true))
}

// createForeignVolume creates a volume from x in pool, as virsh vol-create-as
// and the libvirt provider do (StorageVolCreateXML).
func createForeignVolume(t *testing.T, pool string, x *libvirtxml.StorageVolume) string {
	t.Helper()
	conn := foreignConn(t)
	p, err := conn.LookupStoragePoolByName(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Free() }()
	doc, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.StorageVolCreateXML(doc, 0)
	if err != nil {
		t.Fatalf("create volume: %v\n%s", err, doc)
	}
	defer func() { _ = v.Free() }()
	path, err := v.GetPath()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// `virsh vol-create-as POOL NAME 64M`: a raw volume without a format element.
func TestAccVolumeImport_virshCreateAs(t *testing.T) {
	testAccPreCheck(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, pool, dir, true, false)
	createForeignVolume(t, pool, &libvirtxml.StorageVolume{Name: "data.img",
		Capacity: &libvirtxml.StorageVolumeSize{Value: 64 << 20}})
	minimal := tfconfig.Volume{Label: "test", Name: "data.img", Pool: poolNamed(pool)}
	generated := minimal
	generated.Format, generated.Size = "raw", "64MiB"
	importCase(t, minimal.Addr(), pool+"/data.img", minimal, generated, expectAttrs(minimal.Addr(), map[string]knownvalue.Check{
		"format": str("raw"), "capacity": knownvalue.Int64Exact(64 << 20),
	}), nil)
}

// The libvirt provider's copy-on-write layout: a qcow2 base volume, and a
// `libvirt_volume` with base_volume_id, which is a qcow2 overlay (mode 644,
// the base's capacity) whose backing store is the base's path and format
// (libvirt/volume_def.go and resource_libvirt_volume.go at v0.8.3). Both
// import as volumes; the overlay's backing file is left alone.
func TestAccVolumeImport_libvirtProviderOverlay(t *testing.T) {
	testAccPreCheck(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	defineForeignPool(t, pool, dir, true, true)
	qcow2 := func(name string, backing *libvirtxml.StorageVolumeBackingStore) *libvirtxml.StorageVolume {
		return &libvirtxml.StorageVolume{Name: name, Capacity: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 32 << 20},
			Target: &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"},
				Permissions: &libvirtxml.StorageVolumeTargetPermissions{Mode: "644"}},
			BackingStore: backing}
	}
	base := createForeignVolume(t, pool, qcow2("base.qcow2", nil))
	createForeignVolume(t, pool, qcow2("vm-disk.qcow2", &libvirtxml.StorageVolumeBackingStore{Path: base,
		Format: &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"}}))
	minimal := tfconfig.Volume{Label: "test", Name: "vm-disk.qcow2", Pool: poolNamed(pool)}
	generated := minimal
	generated.Format, generated.Size = "qcow2", "32MiB"
	importCase(t, minimal.Addr(), pool+"/vm-disk.qcow2", minimal, generated, expectAttrs(minimal.Addr(), map[string]knownvalue.Check{
		"format": str("qcow2"), "capacity": knownvalue.Int64Exact(32 << 20),
	}), acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
		info, err := c.ReadVolume(ctx, pool, "vm-disk.qcow2")
		if err != nil {
			return err
		}
		if info.Format != "qcow2" {
			return fmt.Errorf("overlay format %q", info.Format)
		}
		return nil
	}),
	)
}
