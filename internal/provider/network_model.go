package provider

import (
	"context"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// NetworkResourceModel is the state of unikernel_network.
type NetworkResourceModel struct {
	ID       types.String `tfsdk:"id"`
	Name     types.String `tfsdk:"name"`
	Mode     types.String `tfsdk:"mode"`
	Bridge   types.String `tfsdk:"bridge"`
	IPv4CIDR types.String `tfsdk:"ipv4_cidr"`
	IPv6CIDR types.String `tfsdk:"ipv6_cidr"`
	Gateway  types.String `tfsdk:"gateway"`
	MTU      types.Int64  `tfsdk:"mtu"`
	// dhcp, hosts and dns are Optional+Computed. They stay framework values,
	// not a struct pointer or a slice, because they can be unknown: in the
	// configuration (set from values known only at apply), and dhcp in every
	// plan until ModifyPlan fills it in. Their one definition is the struct of
	// each (networkDHCPModel, networkHostModel, networkDNSModel): they are read
	// with As and ElementsAs and written with ObjectValueFrom and SetValueFrom.
	DHCP      types.Object `tfsdk:"dhcp"`
	Hosts     types.Set    `tfsdk:"hosts"`
	DNS       types.Object `tfsdk:"dns"`
	Autostart types.Bool   `tfsdk:"autostart"`
	Running   types.Bool   `tfsdk:"running"`
}

// networkDHCPModel is the `dhcp` attribute.
type networkDHCPModel struct {
	Enabled types.Bool   `tfsdk:"enabled"`
	Start   types.String `tfsdk:"start"`
	End     types.String `tfsdk:"end"`
	NoPing  types.Bool   `tfsdk:"no_ping"`
}

// networkHostModel is one element of `hosts`.
type networkHostModel struct {
	MAC      types.String `tfsdk:"mac"`
	IPv4     types.String `tfsdk:"ipv4"`
	Hostname types.String `tfsdk:"hostname"`
}

// networkDNSModel is the `dns` attribute.
type networkDNSModel struct {
	Domain types.String `tfsdk:"domain"`
	// Hosts can be unknown in the configuration.
	Hosts types.Set `tfsdk:"hosts"`
}

// networkDNSHostModel is one element of `dns.hosts`.
type networkDNSHostModel struct {
	IPv4 types.String `tfsdk:"ipv4"`
	// Hostnames can be unknown in the configuration.
	Hostnames types.List `tfsdk:"hostnames"`
}

// The object types of the nested attributes, for the framework values above.
// They are taken from the resource schema, so that an attribute name is
// written only in the schema and in the tfsdk tag of its struct field.
var (
	networkDHCPAttrTypes = networkDHCPSchema().GetType().(types.ObjectType).AttrTypes
	networkHostType      = networkHostsSchema().NestedObject.Type().(types.ObjectType)
	networkDNSAttrTypes  = networkDNSSchema().GetType().(types.ObjectType).AttrTypes
	networkDNSHostType   = networkDNSHostsSchema().NestedObject.Type().(types.ObjectType)
)

// emptyNetworkDNS is the `dns` value of a network without DNS settings.
func emptyNetworkDNS() types.Object {
	return emptyDNSValue(networkDNSAttrTypes, networkDNSHostType)
}

// emptyDNSValue is emptyNetworkDNS for the given types: the schema builds its
// default with it from the types of its own attributes.
func emptyDNSValue(dnsTypes map[string]attr.Type, hostType types.ObjectType) types.Object {
	return mustObjectFrom(dnsTypes, networkDNSModel{Domain: types.StringNull(), Hosts: types.SetValueMust(hostType, nil)})
}

// toSpec maps a fully known plan to the adapter's spec.
func (m *NetworkResourceModel) toSpec(ctx context.Context) (hypervisor.NetworkSpec, diag.Diagnostics) {
	var diags diag.Diagnostics
	spec := hypervisor.NetworkSpec{
		Name:     m.Name.ValueString(),
		UUID:     m.ID.ValueString(),
		Mode:     m.Mode.ValueString(),
		IPv4CIDR: m.IPv4CIDR.ValueString(),
		IPv6CIDR: m.IPv6CIDR.ValueString(),
		MTU:      uint(m.MTU.ValueInt64()),
	}
	if !m.Bridge.IsUnknown() {
		spec.Bridge = m.Bridge.ValueString()
	}
	if m.ID.IsUnknown() {
		spec.UUID = ""
	}
	var dhcp networkDHCPModel
	diags.Append(m.DHCP.As(ctx, &dhcp, basetypes.ObjectAsOptions{})...)
	spec.DHCP = dhcp.Enabled.ValueBool()
	spec.DHCPStart, spec.DHCPEnd = dhcp.Start.ValueString(), dhcp.End.ValueString()
	spec.NoPing = dhcp.NoPing.ValueBool()
	hosts, d := networkHosts(ctx, m.Hosts)
	diags.Append(d...)
	spec.Hosts = hosts
	var dns networkDNSModel
	diags.Append(m.DNS.As(ctx, &dns, basetypes.ObjectAsOptions{})...)
	spec.DNSDomain = dns.Domain.ValueString()
	dnsHosts, d := networkDNSHosts(ctx, dns.Hosts)
	diags.Append(d...)
	spec.DNSHosts = dnsHosts
	return spec, diags
}

// networkHosts converts a `hosts` set. Null and unknown give none.
func networkHosts(ctx context.Context, set types.Set) ([]hypervisor.DHCPHost, diag.Diagnostics) {
	if set.IsNull() || set.IsUnknown() {
		return nil, nil
	}
	var ms []networkHostModel
	diags := set.ElementsAs(ctx, &ms, false)
	out := make([]hypervisor.DHCPHost, 0, len(ms))
	for _, h := range ms {
		out = append(out, hypervisor.DHCPHost{MAC: h.MAC.ValueString(), IPv4: h.IPv4.ValueString(), Hostname: h.Hostname.ValueString()})
	}
	return out, diags
}

// networkDNSHosts converts a `dns.hosts` set. Null and unknown give none.
func networkDNSHosts(ctx context.Context, set types.Set) ([]hypervisor.DNSHost, diag.Diagnostics) {
	if set.IsNull() || set.IsUnknown() {
		return nil, nil
	}
	var ms []networkDNSHostModel
	diags := set.ElementsAs(ctx, &ms, false)
	out := make([]hypervisor.DNSHost, 0, len(ms))
	for _, h := range ms {
		dh := hypervisor.DNSHost{IP: h.IPv4.ValueString()}
		if !h.Hostnames.IsNull() && !h.Hostnames.IsUnknown() {
			diags.Append(h.Hostnames.ElementsAs(ctx, &dh.Hostnames, false)...)
		}
		out = append(out, dh)
	}
	return out, diags
}

func hostsSetValue(hosts []hypervisor.DHCPHost) (types.Set, diag.Diagnostics) {
	ms := make([]networkHostModel, 0, len(hosts))
	for _, h := range hosts {
		ms = append(ms, networkHostModel{MAC: types.StringValue(h.MAC), IPv4: types.StringValue(h.IPv4), Hostname: nullIfEmpty(h.Hostname)})
	}
	return types.SetValueFrom(context.Background(), networkHostType, ms)
}

func dnsObjectValue(spec hypervisor.NetworkSpec) (types.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	ms := make([]networkDNSHostModel, 0, len(spec.DNSHosts))
	for _, h := range spec.DNSHosts {
		names, d := stringList(h.Hostnames)
		diags.Append(d...)
		ms = append(ms, networkDNSHostModel{IPv4: types.StringValue(h.IP), Hostnames: names})
	}
	set, d := types.SetValueFrom(context.Background(), networkDNSHostType, ms)
	diags.Append(d...)
	obj, d := types.ObjectValueFrom(context.Background(), networkDNSAttrTypes, networkDNSModel{Domain: nullIfEmpty(spec.DNSDomain), Hosts: set})
	diags.Append(d...)
	return obj, diags
}

func dhcpObjectValue(spec hypervisor.NetworkSpec) (types.Object, diag.Diagnostics) {
	m := networkDHCPModel{Enabled: types.BoolValue(spec.DHCP), Start: types.StringNull(), End: types.StringNull(),
		NoPing: types.BoolValue(spec.NoPing)}
	if spec.DHCP {
		m.Start, m.End = nullIfEmpty(spec.DHCPStart), nullIfEmpty(spec.DHCPEnd)
	}
	return types.ObjectValueFrom(context.Background(), networkDHCPAttrTypes, m)
}

// gatewayOf is the first host address of an IPv4 CIDR, or null.
func gatewayOf(cidr string) types.String {
	gw, _, err := hypervisor.Gateway(cidr)
	if cidr == "" || err != nil {
		return types.StringNull()
	}
	return types.StringValue(gw.String())
}

// networkModelFromInfo maps what the adapter read to state. hosts are the
// reservations the resource manages (all of them for the data source).
func networkModelFromInfo(info hypervisor.NetworkInfo, hosts []hypervisor.DHCPHost) (NetworkResourceModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := info.Spec
	m := NetworkResourceModel{
		ID:        types.StringValue(s.UUID),
		Name:      types.StringValue(s.Name),
		Mode:      types.StringValue(s.Mode),
		Bridge:    nullIfEmpty(s.Bridge),
		IPv4CIDR:  nullIfEmpty(s.IPv4CIDR),
		IPv6CIDR:  nullIfEmpty(s.IPv6CIDR),
		Gateway:   gatewayOf(s.IPv4CIDR),
		MTU:       types.Int64Null(),
		Autostart: types.BoolValue(info.Autostart),
		Running:   types.BoolValue(info.Active),
	}
	if s.MTU != 0 {
		m.MTU = types.Int64Value(int64(s.MTU))
	}
	var d diag.Diagnostics
	m.DHCP, d = dhcpObjectValue(s)
	diags.Append(d...)
	m.Hosts, d = hostsSetValue(hosts)
	diags.Append(d...)
	m.DNS, d = dnsObjectValue(s)
	diags.Append(d...)
	return m, diags
}

// prefixOf parses a CIDR attribute; ok is false when it is null, unknown or
// invalid (validators report the latter).
func prefixOf(v types.String) (netip.Prefix, bool) {
	if v.IsNull() || v.IsUnknown() {
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(v.ValueString())
	return p, err == nil
}
