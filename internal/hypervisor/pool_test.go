package hypervisor

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

var poolCases = map[string]PoolSpec{
	"dir":     {Name: "images", Path: "/var/lib/unikernel/images"},
	"escaped": {Name: `a<&>"b`, UUID: "6a1c8a8e-5c1c-4b8e-9b8a-2f1f5e0c9d01", Path: "/srv/pools/a&b"},
}

func TestPoolXMLGolden(t *testing.T) {
	for name, spec := range poolCases {
		t.Run(name, func(t *testing.T) {
			x, err := PoolXML(spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "pool_"+name+".xml")
			checkGolden(t, golden, got)
			validateXML(t, "storagepool", golden)

			var back libvirtxml.StoragePool
			if err := back.Unmarshal(got); err != nil {
				t.Fatal(err)
			}
			if rt := PoolSpecFromXML(&back); !reflect.DeepEqual(rt, spec) {
				t.Errorf("round trip: got %+v, want %+v", rt, spec)
			}
		})
	}
}

// checkGolden compares got with a golden file, rewriting it with -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(got) {
		t.Errorf("XML differs from %s (run go test -update):\n%s", golden, got)
	}
}

func TestPoolXMLRejects(t *testing.T) {
	for _, spec := range []PoolSpec{
		{Name: "", Path: "/a"},
		{Name: "p", Path: "relative/dir"},
		{Name: "p", Path: "/a/../b"},
		{Name: "p", Path: "/a/"},
	} {
		if _, err := PoolXML(spec); err == nil {
			t.Errorf("PoolXML(%+v) must fail", spec)
		}
	}
}

func TestPoolLifecycleOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	name := "unit-pool-1"
	if _, err := c.ReadPool(ctx, name); !IsNotFound(err) {
		t.Fatalf("ReadPool of a missing pool: want not-found, got %v", err)
	}
	info, err := c.CreatePool(ctx, PoolSpec{Name: name, Path: "/unit/pool1"}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.PurgePool(ctx, name) })
	if !info.Active || !info.Autostart || info.Spec.Path != "/unit/pool1" || info.Spec.UUID == "" || info.Type != "dir" {
		t.Errorf("after create: %+v", info)
	}
	if _, err := c.CreatePool(ctx, PoolSpec{Name: name, Path: "/unit/pool1"}, true); err == nil {
		t.Error("creating the same pool twice must fail")
	}
	if err := c.SetPoolAutostart(ctx, name, false); err != nil {
		t.Fatal(err)
	}
	if err := c.StopPool(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := c.StopPool(ctx, name); err != nil {
		t.Errorf("stopping a stopped pool: %v", err)
	}
	info, err = c.ReadPool(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Active || info.Autostart || info.Capacity != 0 {
		t.Errorf("after stop: %+v", info)
	}
	if _, err := c.ReadVolume(ctx, name, "x"); !IsPoolInactive(err) {
		t.Errorf("ReadVolume in a stopped pool: want PoolInactiveError, got %v", err)
	}
	if err := c.StartPool(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := c.StartPool(ctx, name); err != nil {
		t.Errorf("starting a running pool: %v", err)
	}
	names, err := c.PoolNames(ctx)
	if err != nil || !contains(names, name) {
		t.Errorf("PoolNames = %v, %v", names, err)
	}

	// A pool that holds a volume is refused, and keeps running with the volume.
	if _, err := c.CreateVolume(ctx, name, VolumeSpec{Name: "kernel.elf", Size: 4096}); err != nil {
		t.Fatal(err)
	}
	err = c.DeletePool(ctx, name)
	if !IsPoolNotEmpty(err) || !strings.Contains(err.Error(), "kernel.elf") {
		t.Fatalf("DeletePool of a pool with a volume: want PoolNotEmptyError naming it, got %v", err)
	}
	if info, err := c.ReadPool(ctx, name); err != nil || !info.Active {
		t.Errorf("the refused pool must stay running: %+v %v", info, err)
	}
	if v, err := c.VolumeNames(ctx, name); err != nil || !reflect.DeepEqual(v, []string{"kernel.elf"}) {
		t.Errorf("the volume must stay: %v %v", v, err)
	}
	if err := c.DeleteVolume(ctx, name, "kernel.elf"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePool(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePool(ctx, name); err != nil {
		t.Errorf("deleting a missing pool: %v", err)
	}
	if _, err := c.ReadPool(ctx, name); !IsNotFound(err) {
		t.Errorf("pool still there after delete: %v", err)
	}
}

// A stopped pool is started to look inside before it is deleted.
func TestDeleteStoppedPoolOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	name := "unit-pool-2"
	if _, err := c.CreatePool(ctx, PoolSpec{Name: name, Path: "/unit/pool2"}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.PurgePool(ctx, name) })
	if _, err := c.CreateVolume(ctx, name, VolumeSpec{Name: "a", Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.StopPool(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePool(ctx, name); !IsPoolNotEmpty(err) {
		t.Fatalf("want PoolNotEmptyError, got %v", err)
	}
	if info, err := c.ReadPool(ctx, name); err != nil || info.Active {
		t.Errorf("a pool started only to look inside must be stopped again: %+v %v", info, err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
