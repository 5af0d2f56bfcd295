package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// reserve makes the networks' static DHCP reservations match the planned
// interfaces: reservations of the prior interfaces that are no longer wanted
// are released, new ones added. defined carries the MACs libvirt chose.
func (r *InstanceResource) reserve(ctx context.Context, planned []nicModel, defined []hypervisor.InterfaceSpec, prior []nicModel) error {
	want := map[string]hypervisor.DHCPHost{} // network/mac -> host
	for i, n := range planned {
		if n.IPv4Address.IsNull() || n.IPv4Address.ValueString() == "" || i >= len(defined) {
			continue
		}
		mac := defined[i].MAC
		want[n.Network.ValueString()+"/"+mac] = hypervisor.DHCPHost{MAC: mac, IPv4: n.IPv4Address.ValueString()}
	}
	changed := map[string]bool{} // an interface that keeps its MAC and network but gets another address
	for _, n := range prior {
		if n.IPv4Address.IsNull() || n.MAC.ValueString() == "" {
			continue
		}
		key := n.Network.ValueString() + "/" + n.MAC.ValueString()
		if h, ok := want[key]; ok {
			changed[key] = h.IPv4 != n.IPv4Address.ValueString()
			continue
		}
		tflog.Debug(ctx, "releasing reservation", map[string]any{"network": n.Network.ValueString(), "mac": n.MAC.ValueString()})
		if err := r.data.Client.RemoveDHCPHost(ctx, n.Network.ValueString(), n.MAC.ValueString()); err != nil {
			return err
		}
	}
	for key, h := range want {
		network := key[:len(key)-len(h.MAC)-1]
		tflog.Debug(ctx, "reserving address", map[string]any{"network": network, "mac": h.MAC, "ipv4": h.IPv4})
		add := r.data.Client.AddDHCPHost
		if changed[key] {
			add = r.data.Client.ChangeDHCPHost // one network update instead of a remove and an add
		}
		if err := add(ctx, network, h); err != nil {
			return err
		}
	}
	return nil
}

// releaseReservations removes the interfaces' static DHCP reservations.
func (r *InstanceResource) releaseReservations(ctx context.Context, name string, nics []nicModel) {
	for _, n := range nics {
		if n.IPv4Address.IsNull() || n.MAC.IsUnknown() || n.MAC.ValueString() == "" {
			continue
		}
		if err := r.data.Client.RemoveDHCPHost(ctx, n.Network.ValueString(), n.MAC.ValueString()); err != nil {
			tflog.Warn(ctx, "cannot release reservation", map[string]any{"instance": name, "network": n.Network.ValueString(), "error": err.Error()})
		}
	}
}
