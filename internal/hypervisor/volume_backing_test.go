package hypervisor

import (
	"context"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// The backing store of an overlay as libvirt describes a qcow2 file in a dir
// pool: the libvirt provider's overlay and ours read the same way.
func TestBackingFromVolumeXML(t *testing.T) {
	const doc = `<volume type='file'>
  <name>osv-overlay.qcow2</name>
  <key>/var/lib/libvirt/images/osv-overlay.qcow2</key>
  <capacity unit='bytes'>1073741824</capacity>
  <target>
    <path>/var/lib/libvirt/images/osv-overlay.qcow2</path>
    <format type='qcow2'/>
  </target>
  <backingStore>
    <path>/var/lib/libvirt/images/osv-base.qcow2</path>
    <format type='qcow2'/>
  </backingStore>
</volume>`
	var x libvirtxml.StorageVolume
	if err := x.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	p, f, ok := BackingFromVolumeXML(&x)
	if !ok || p != "/var/lib/libvirt/images/osv-base.qcow2" || f != "qcow2" {
		t.Fatalf("got %q %q %v", p, f, ok)
	}
	x.BackingStore = nil
	if _, _, ok := BackingFromVolumeXML(&x); ok {
		t.Fatal("a volume without a backing store has one")
	}
	x.BackingStore = &libvirtxml.StorageVolumeBackingStore{}
	if _, _, ok := BackingFromVolumeXML(&x); ok {
		t.Fatal("an empty backing store is one")
	}
	// Our own overlays' definitions (OverlayXML) read back the same.
	ov, err := OverlayXML(OverlaySpec{Name: "i-disk0.qcow2", BasePath: "/p/base.raw", BaseFormat: "raw", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p, f, ok := BackingFromVolumeXML(ov); !ok || p != "/p/base.raw" || f != "raw" {
		t.Fatalf("overlay: got %q %q %v", p, f, ok)
	}
}

// A path that no pool holds has no backing store to report.
func TestVolumeBackingNotAVolume(t *testing.T) {
	c := testClient(t)
	_, found, err := c.VolumeBacking(context.Background(), "/nonexistent/disk.qcow2")
	if err != nil || found {
		t.Fatalf("found=%v err=%v, want not found and no error", found, err)
	}
}
