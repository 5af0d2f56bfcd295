package provider

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/family"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// staticAddresses reads the network of every interface with an ipv4_address,
// checks the address against it (inside the range, not the gateway, the
// network or broadcast address, not reserved for another MAC; and the same
// address cmdline gives, if it gives one), and returns what the family
// encodes. known is false while an address or network is unknown, or the
// network does not exist yet at plan time.
func (r *InstanceResource) staticAddresses(ctx context.Context, m, state *instanceModel, rules *family.Rules, atApply bool, diags *diag.Diagnostics) ([]family.Static, bool) {
	var out []family.Static
	known := true
	for i, n := range m.NetworkInterfaces {
		at := path.Root("network_interfaces").AtListIndex(i).AtName("ipv4_address")
		if n.IPv4Address.IsUnknown() || n.Network.IsUnknown() {
			known = false
			continue
		}
		if n.IPv4Address.IsNull() {
			continue
		}
		addr, err := netip.ParseAddr(n.IPv4Address.ValueString())
		if err != nil {
			continue // the schema validator reports it
		}
		network := n.Network.ValueString()
		info, err := r.data.Client.ReadNetwork(ctx, network)
		if err != nil {
			if hypervisor.IsNotFound(err) && !atApply {
				known = false // created in this apply: checked when Terraform plans again with it
				continue
			}
			if atApply {
				diags.AddAttributeError(at, "Unable to read the interface's network", err.Error())
			} else {
				tflog.Warn(ctx, "cannot read network for the address checks", map[string]any{"network": network, "error": err.Error()})
				known = false
			}
			continue
		}
		if info.Spec.IPv4CIDR == "" {
			if encodesAddress(rules, m) {
				diags.AddAttributeError(at, "Network without an IPv4 range",
					fmt.Sprintf("Network %q has no IPv4 range, so the prefix and gateway of %s are unknown. Remove ipv4_address and "+
						"give the address in cmdline as the guest reads it, or put the interface on a network with ipv4_cidr.", network, addr))
			}
			continue
		}
		gw, prefix, err := hypervisor.Gateway(info.Spec.IPv4CIDR)
		if err != nil {
			continue
		}
		if !checkAddressInNetwork(at, addr, gw, prefix, network, diags) {
			continue
		}
		mac := strings.ToLower(n.MAC.ValueString())
		if n.MAC.IsUnknown() && state != nil && i < len(state.NetworkInterfaces) && state.NetworkInterfaces[i].Network.Equal(n.Network) {
			mac = strings.ToLower(state.NetworkInterfaces[i].MAC.ValueString())
		}
		for _, h := range info.Spec.Hosts {
			if h.IPv4 == addr.String() && !strings.EqualFold(h.MAC, mac) && !r.ownMAC(ctx, m, h.MAC) {
				diags.AddAttributeError(at, "Address reserved already",
					fmt.Sprintf("ipv4_address = %q is reserved on network %q for MAC %s, another guest. Choose a free address.", addr, network, h.MAC))
			}
		}
		out = append(out, family.Static{Index: i, Address: netip.PrefixFrom(addr, prefix.Bits()), Gateway: gw})
	}
	checkCmdlineAddress(m, rules, diags)
	return out, known
}

// ownMAC reports whether mac belongs to the domain of this instance's name:
// the instance being replaced (tainted, or a change that forces a new one)
// still holds its reservation until it is destroyed.
func (r *InstanceResource) ownMAC(ctx context.Context, m *instanceModel, mac string) bool {
	if m.Name.IsUnknown() {
		return true
	}
	info, err := r.data.Client.ReadDomain(ctx, m.Name.ValueString())
	if err != nil {
		return false
	}
	for _, n := range info.Spec.Interfaces {
		if strings.EqualFold(n.MAC, mac) {
			return true
		}
	}
	return false
}

// encodesAddress reports whether the family writes static addresses into the
// command line for this instance.
func encodesAddress(rules *family.Rules, m *instanceModel) bool {
	return rules.Address.Encoded && (rules.Name != family.OSv || !m.Kernel.IsNull())
}

// checkAddressInNetwork checks that addr is a host address of the network's
// range (prefix) other than its gateway; false after an error.
func checkAddressInNetwork(at path.Path, addr, gw netip.Addr, prefix netip.Prefix, network string, diags *diag.Diagnostics) bool {
	last := prefix.Addr()
	for range 1<<(32-prefix.Bits()) - 1 {
		last = last.Next()
	}
	switch {
	case !prefix.Contains(addr):
		diags.AddAttributeError(at, "Address outside the network",
			fmt.Sprintf("ipv4_address = %q is outside %s, the range of network %q. Use an address inside it.", addr, prefix, network))
		return false
	case addr == gw:
		diags.AddAttributeError(at, "Address of the gateway",
			fmt.Sprintf("ipv4_address = %q is the address of the host on network %q, its gateway. Use another address in %s.", addr, network, prefix))
		return false
	case addr == prefix.Addr() || (prefix.Bits() < 31 && addr == last):
		diags.AddAttributeError(at, "Network or broadcast address",
			fmt.Sprintf("ipv4_address = %q is the network or broadcast address of %s (network %q). Use a host address.", addr, prefix, network))
		return false
	}
	return true
}

// checkCmdlineAddress refuses an address in cmdline that disagrees with the
// first interface's ipv4_address, or that the family already writes.
func checkCmdlineAddress(m *instanceModel, rules *family.Rules, diags *diag.Diagnostics) {
	if len(m.NetworkInterfaces) == 0 || m.Cmdline.IsUnknown() {
		return
	}
	first := m.NetworkInterfaces[0].IPv4Address
	if given := family.AddressesIn(m.Cmdline.ValueString()); len(given) > 0 && !first.IsNull() && !first.IsUnknown() {
		switch {
		case given[0].String() != first.ValueString():
			diags.AddAttributeError(path.Root("cmdline"), "Address differs from the interface's",
				fmt.Sprintf("cmdline gives the address %s, but network_interfaces[0].ipv4_address is %q. The guest would "+
					"configure one and the network reserve the other. Remove the address from cmdline and set family, so "+
					"that the provider writes it, or make the two agree.", given[0], first.ValueString()))
		case encodesAddress(rules, m):
			diags.AddAttributeError(path.Root("cmdline"), "Address given twice",
				fmt.Sprintf("cmdline gives the address %s, which family = %q already writes from network_interfaces[0]."+
					"ipv4_address. Remove it from cmdline.", given[0], rules.Name))
		}
	}
}
