package hypervisor

import (
	"context"
	"path/filepath"
	"testing"

	"libvirt.org/go/libvirtxml"
)

var dataVolumeCases = map[string]DataVolumeSpec{
	"data_raw":   {Name: "data.img", Capacity: 2 << 30},
	"data_qcow2": {Name: "data.qcow2", Capacity: 64 << 20, Format: "qcow2"},
}

func TestDataVolumeXMLGolden(t *testing.T) {
	for name, spec := range dataVolumeCases {
		t.Run(name, func(t *testing.T) {
			x, err := DataVolumeXML(spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "volume_"+name+".xml")
			checkGolden(t, golden, got)
			validateXML(t, "storagevol", golden)
		})
	}
}

// Data volumes are sparse: the capacity is what the guest sees, nothing is
// reserved up front.
func TestDataVolumeXMLSparse(t *testing.T) {
	x, err := DataVolumeXML(DataVolumeSpec{Name: "d", Capacity: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if x.Capacity.Value != 1<<20 || x.Allocation.Value != 0 || x.Target.Format.Type != "raw" {
		t.Errorf("raw data volume: %+v %+v %+v", x.Capacity, x.Allocation, x.Target.Format)
	}
	for _, spec := range []DataVolumeSpec{{Name: "", Capacity: 1}, {Name: "z"}, {Name: "iso", Capacity: 1, Format: "iso"}} {
		if _, err := DataVolumeXML(spec); err == nil {
			t.Errorf("DataVolumeXML(%+v) must fail", spec)
		}
	}
}

func TestDiskUsing(t *testing.T) {
	x := &libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{
		{Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: "/p/boot.img"}},
			Target: &libvirtxml.DomainDiskTarget{Dev: "vda"}},
		{Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: "/p/data.img"}},
			Target: &libvirtxml.DomainDiskTarget{Dev: "vdb"}, ReadOnly: &libvirtxml.DomainDiskReadOnly{}},
	}}}
	if u, ok := diskUsing(x, "/p/data.img"); !ok || u.Target != "vdb" || !u.ReadOnly {
		t.Errorf("data disk: %+v %v", u, ok)
	}
	if u, ok := diskUsing(x, "/p/boot.img"); !ok || u.Target != "vda" || u.ReadOnly {
		t.Errorf("boot disk: %+v %v", u, ok)
	}
	if _, ok := diskUsing(x, "/p/other.img"); ok {
		t.Error("a disk on another path matched")
	}
	if _, ok := diskUsing(&libvirtxml.Domain{}, "/p/data.img"); ok {
		t.Error("a domain without devices matched")
	}
}

// On the test driver: a blank volume, a clone of it, the domains that use a
// volume, and delete.
func TestDataVolumeOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	pool := "unit-data-pool"
	if _, err := c.CreatePool(ctx, PoolSpec{Name: pool, Path: "/unit/data"}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.PurgePool(ctx, pool) })
	info, err := c.CreateDataVolume(ctx, pool, DataVolumeSpec{Name: "d", Capacity: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if info.Capacity != 1<<20 || info.Name != "d" || info.Pool != pool || info.Key == "" {
		t.Errorf("after create: %+v", info)
	}
	clone, err := c.CloneVolume(ctx, pool, DataVolumeSpec{Name: "copy"}, info.Key)
	if err != nil {
		t.Fatal(err)
	}
	if clone.Capacity != info.Capacity || clone.Name != "copy" || clone.Key == info.Key {
		t.Errorf("clone: %+v of %+v", clone, info)
	}
	if _, err := c.CloneVolume(ctx, pool, DataVolumeSpec{Name: "x"}, "/no/such/key"); !IsNotFound(err) {
		t.Errorf("clone of a missing volume: want not-found, got %v", err)
	}
	spec := DomainSpec{Name: "unit-vol-user", Type: "qemu", MemoryMiB: 16, VCPUs: 1, Kernel: "/k",
		Disks: []DiskSpec{{Path: info.Path, Format: "raw", Bus: "virtio"}}}
	if _, err := c.DefineDomain(ctx, spec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, spec.Name) })
	users, err := c.VolumeUsers(ctx, info.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Domain != spec.Name || users[0].Running || users[0].ReadOnly || users[0].Target == "" {
		t.Errorf("users of %s: %+v", info.Path, users)
	}
	if users, err := c.VolumeUsers(ctx, clone.Path); err != nil || len(users) != 0 {
		t.Errorf("users of the unused clone: %+v, %v", users, err)
	}
	for _, n := range []string{"d", "copy"} {
		if err := c.DeleteVolume(ctx, pool, n); err != nil {
			t.Fatal(err)
		}
	}
}
