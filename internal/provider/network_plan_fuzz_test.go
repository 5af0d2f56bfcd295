package provider

import (
	"context"
	"net/netip"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// FuzzNetworkPlanValidation feeds the network's plan-time validation with
// arbitrary CIDRs, DHCP ranges and reservations. It must never panic, and a
// configuration it accepts (together with the attributes' own validators)
// must build valid libvirt XML with every address inside the network and
// the DHCP range in order: whatever passes the plan, the apply can define.
//
//	go test -fuzz FuzzNetworkPlanValidation ./internal/provider
func FuzzNetworkPlanValidation(f *testing.F) {
	f.Add("isolated", "10.221.4.0/24", true, "10.221.4.100", "10.221.4.200", "52:54:00:22:04:01", "10.221.4.10", "")
	f.Add("nat", "10.221.4.0/24", true, "10.221.3.100", "10.221.4.200", "52:54:00:22:04:01", "10.221.4.10", "x.internal")
	f.Add("route", "10.221.4.0/30", false, "", "", "52:54:00:22:04:01", "10.221.4.2", "")
	f.Add("nat", "10.221.4.5/24", true, "10.221.4.1", "10.221.4.255", "01:00:5e:00:00:01", "10.221.5.1", "a b")
	f.Fuzz(func(t *testing.T, mode, cidr string, dhcp bool, start, end, mac, ipv4, domain string) {
		ctx := context.Background()
		str := func(s string) types.String {
			if s == "" {
				return types.StringNull()
			}
			return types.StringValue(s)
		}
		var diags diag.Diagnostics
		// The attributes' own validators run first, as Terraform does.
		if cidr != "" {
			if _, err := validators.CheckCIDR(cidr, false, 30); err != nil {
				return
			}
		}
		if err := validators.CheckMAC(mac); err != nil {
			return
		}
		if _, err := validators.CheckIPv4(ipv4); err != nil {
			return
		}
		for _, a := range []string{start, end} {
			if a != "" {
				if _, err := validators.CheckIPv4(a); err != nil {
					return
				}
			}
		}
		if domain != "" && validators.CheckDNSName(domain) != nil {
			return
		}
		switch mode {
		case "nat", "route", "open", "isolated":
		default:
			return
		}
		dhcpObj, d := types.ObjectValueFrom(ctx, networkDHCPAttrTypes, networkDHCPModel{
			Enabled: types.BoolValue(dhcp), Start: str(start), End: str(end), NoPing: types.BoolValue(true)})
		diags.Append(d...)
		hosts, d := types.SetValueFrom(ctx, networkHostType, []networkHostModel{{MAC: str(mac), IPv4: str(ipv4), Hostname: types.StringNull()}})
		diags.Append(d...)
		dnsObj, d := types.ObjectValueFrom(ctx, networkDNSAttrTypes, networkDNSModel{Domain: str(domain),
			Hosts: types.SetNull(networkDNSHostType)})
		diags.Append(d...)
		if diags.HasError() {
			t.Fatal(diags)
		}
		m := NetworkResourceModel{ID: types.StringUnknown(), Name: types.StringValue("fz"), Mode: types.StringValue(mode),
			Bridge: types.StringNull(), IPv4CIDR: str(cidr), IPv6CIDR: types.StringNull(), Gateway: types.StringUnknown(),
			MTU: types.Int64Null(), DHCP: dhcpObj, Hosts: hosts, DNS: dnsObj, Autostart: types.BoolValue(false), Running: types.BoolValue(true)}
		validateNetworkConfig(ctx, &m, &diags)
		if diags.HasError() {
			return // refused at plan time: nothing to check
		}
		m.DHCP, _ = types.ObjectValueFrom(ctx, networkDHCPAttrTypes, plannedDHCP(networkDHCPModel{
			Enabled: types.BoolValue(dhcp), Start: str(start), End: str(end), NoPing: types.BoolValue(true)}, m.Mode, m.IPv4CIDR))
		spec, d := m.toSpec(ctx)
		if d.HasError() {
			t.Fatalf("accepted configuration does not convert: %v", d)
		}
		if _, err := hypervisor.NetworkXML(spec); err != nil {
			t.Fatalf("accepted configuration does not build XML: %v\n%+v", err, spec)
		}
		if spec.IPv4CIDR == "" {
			return
		}
		p := netip.MustParsePrefix(spec.IPv4CIDR)
		for _, h := range spec.Hosts {
			if !p.Contains(netip.MustParseAddr(h.IPv4)) {
				t.Fatalf("accepted reservation %s outside %s", h.IPv4, p)
			}
		}
		if spec.DHCPStart != "" {
			s, e := netip.MustParseAddr(spec.DHCPStart), netip.MustParseAddr(spec.DHCPEnd)
			if !p.Contains(s) || !p.Contains(e) || e.Less(s) {
				t.Fatalf("accepted DHCP range %s-%s in %s", s, e, p)
			}
		}
	})
}
