package hypervisor

import (
	"path/filepath"
	"testing"
)

func TestOverlayXMLGolden(t *testing.T) {
	x, err := OverlayXML(OverlaySpec{Name: "vm-1-disk0.qcow2", BasePath: "/var/lib/unikernel/images/osv.qcow2", BaseFormat: "qcow2", Capacity: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "volume_overlay.xml")
	checkGolden(t, golden, got)
	validateXML(t, "storagevol", golden)
	for _, bad := range []OverlaySpec{
		{Name: "a", BasePath: "/b", BaseFormat: "vmdk", Capacity: 1},
		{Name: "a", BasePath: "", BaseFormat: "raw", Capacity: 1},
		{Name: "a", BasePath: "/b", BaseFormat: "raw"},
	} {
		if _, err := OverlayXML(bad); err == nil {
			t.Errorf("%+v: expected an error", bad)
		}
	}
}
