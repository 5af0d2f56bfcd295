package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func nic(network, mac string) nicModel {
	m := types.StringUnknown()
	if mac != "" {
		m = types.StringValue(mac)
	}
	return nicModel{Network: types.StringValue(network), MAC: m, Model: types.StringUnknown()}
}

func TestKeepInterfaceIdentity(t *testing.T) {
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

func TestDefaultShutdownTimeout(t *testing.T) {
	for format, want := range map[string]string{
		"multiboot": "0s", "multiboot2": "0s", "pvh": "0s",
		"linux": "10s", "disk": "10s", "unknown": "10s", "": "10s",
	} {
		if got := defaultShutdownTimeout(format); got != want {
			t.Errorf("defaultShutdownTimeout(%q) = %q, want %q", format, got, want)
		}
	}
}
