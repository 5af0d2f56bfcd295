package provider

import (
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

func nic(network, mac string) nicModel {
	m := types.StringUnknown()
	if mac != "" {
		m = types.StringValue(mac)
	}
	return nicModel{Network: types.StringValue(network), MAC: m, Model: types.StringUnknown()}
}

func TestInterfaceIdentity_kept(t *testing.T) {
	state := []nicModel{nic("a", "52:54:00:00:00:0a"), nic("b", "52:54:00:00:00:0b")}
	for i := range state {
		state[i].Model = types.StringValue("virtio")
	}
	cases := map[string]struct {
		plan []nicModel
		want []string // "" = stays unknown
	}{
		"unchanged":              {[]nicModel{nic("a", ""), nic("b", "")}, []string{"52:54:00:00:00:0a", "52:54:00:00:00:0b"}},
		"first removed":          {[]nicModel{nic("b", "")}, []string{"52:54:00:00:00:0b"}},
		"reordered":              {[]nicModel{nic("b", ""), nic("a", "")}, []string{"52:54:00:00:00:0b", "52:54:00:00:00:0a"}},
		"added":                  {[]nicModel{nic("a", ""), nic("b", ""), nic("c", "")}, []string{"52:54:00:00:00:0a", "52:54:00:00:00:0b", ""}},
		"network changed":        {[]nicModel{nic("c", ""), nic("b", "")}, []string{"52:54:00:00:00:0a", "52:54:00:00:00:0b"}},
		"explicit mac wins":      {[]nicModel{nic("a", "52:54:00:00:00:0b"), nic("a", "")}, []string{"52:54:00:00:00:0b", "52:54:00:00:00:0a"}},
		"second on same network": {[]nicModel{nic("a", ""), nic("a", "")}, []string{"52:54:00:00:00:0a", "52:54:00:00:00:0b"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			plan := &instanceModel{NetworkInterfaces: c.plan}
			keepInterfaceIdentity(plan, &instanceModel{NetworkInterfaces: state})
			for i, want := range c.want {
				got := plan.NetworkInterfaces[i]
				if want == "" {
					if !got.MAC.IsUnknown() || !got.Model.IsUnknown() {
						t.Errorf("interface %d: want unknown MAC and model, got %s %s", i, got.MAC, got.Model)
					}
					continue
				}
				if got.MAC.ValueString() != want || got.Model.ValueString() != "virtio" {
					t.Errorf("interface %d: MAC %s model %s, want %s virtio", i, got.MAC, got.Model, want)
				}
			}
		})
	}
}

func TestDefaultShutdownTimeout_byBootFormat(t *testing.T) {
	for format, want := range map[string]string{
		"multiboot": "0s", "multiboot2": "0s", "pvh": "0s",
		"linux": "10s", "disk": "10s", "unknown": "10s", "": "10s",
	} {
		if got := defaultShutdownTimeout(format); got != want {
			t.Errorf("defaultShutdownTimeout(%q) = %q, want %q", format, got, want)
		}
	}
}

// TestInstanceModel_roundTrip maps models to the domain spec, through
// libvirt's XML, and back with fromInfo: every attribute libvirt holds must
// come back as it went in, so that no attribute is mapped one way only.
func TestInstanceModel_roundTrip(t *testing.T) {
	console := hypervisor.ConsolePool{Name: "unikernel-console", Path: "/var/lib/unikernel/console"}
	diskBoot := restartBaseModel()
	diskBoot.Kernel, diskBoot.Initrd, diskBoot.Cmdline = types.StringNull(), types.StringNull(), types.StringNull()
	diskBoot.BootFormat = types.StringValue("disk")
	diskBoot.Description = types.StringNull()
	diskBoot.CPUFeatures = types.MapNull(types.StringType)
	diskBoot.Machine = types.StringNull()
	diskBoot.Filesystems = nil
	diskBoot.RNG = types.BoolValue(false)
	diskBoot.ACPI = types.BoolValue(false)

	images := restartBaseModel()
	images.Disks = []diskModel{
		{Image: types.StringValue("/var/lib/unikernel/images/root.img"), Path: types.StringNull(), BaseImage: types.StringNull(),
			Format: types.StringValue("raw"), ReadOnly: types.BoolValue(false), Bus: types.StringValue("virtio")},
		{Image: types.StringNull(), Path: types.StringNull(), BaseImage: types.StringValue("/var/lib/unikernel/images/base.qcow2"),
			Format: types.StringValue("qcow2"), ReadOnly: types.BoolValue(false), Bus: types.StringValue("sata"),
			Overlay: types.StringValue("/var/lib/unikernel/images/web-disk1.qcow2")},
		{Image: types.StringNull(), Path: types.StringValue("/srv/seed.iso"), BaseImage: types.StringNull(),
			Format: types.StringValue("iso"), ReadOnly: types.BoolValue(true), Bus: types.StringValue("sata")},
	}
	images.Mode = types.StringValue(modeJob)
	images.NetworkInterfaces = append(images.NetworkInterfaces, nicModel{Network: types.StringValue("second"),
		MAC: types.StringValue("52:54:00:00:00:02"), Model: types.StringValue("e1000"), IPv4Address: types.StringNull(),
		IPv4Addresses: types.ListValueMust(types.StringType, []attr.Value{})})

	secure := restartBaseModel()
	secure.Firmware, secure.SecureBoot, secure.Machine = types.StringValue(firmwareEFI), types.BoolValue(true), types.StringValue("q35")

	for name, m := range map[string]*instanceModel{"kernel boot": restartBaseModel(), "disk boot": diskBoot, "images": images,
		"uefi secure boot": secure} {
		t.Run(name, func(t *testing.T) {
			m.ConsoleLog = types.StringValue(console.LogPath(m.Name.ValueString()))
			x, err := hypervisor.DomainXML(m.toSpec(console))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back libvirtxml.Domain
			if err := back.Unmarshal(doc); err != nil {
				t.Fatal(err)
			}
			leases := map[string][]string{}
			for _, n := range m.NetworkInterfaces {
				var addrs []string
				for _, a := range n.IPv4Addresses.Elements() {
					addrs = append(addrs, a.(types.String).ValueString())
				}
				leases[n.MAC.ValueString()] = addrs
			}
			info := hypervisor.DomainInfo{Spec: hypervisor.SpecFromDomainXML(&back), State: hypervisor.StateRunning, Autostart: m.Autostart.ValueBool()}
			var got instanceModel
			if diags := got.fromInfo(context.Background(), info, leases, m); diags.HasError() {
				t.Fatal(diags)
			}
			if !reflect.DeepEqual(&got, m) {
				gv, wv := reflect.ValueOf(got), reflect.ValueOf(*m)
				for i := range gv.NumField() {
					if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
						t.Errorf("%s: got %v, want %v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
					}
				}
			}
		})
	}
}
