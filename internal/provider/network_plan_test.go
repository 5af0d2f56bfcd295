package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Unit tests of the plan-time logic; the acceptance tests drive it through
// Terraform.

func TestPlannedDHCP_ranges(t *testing.T) {
	null := networkDHCPModel{Enabled: types.BoolNull(), Start: types.StringNull(), End: types.StringNull(), NoPing: types.BoolNull()}
	nat, bridge := types.StringValue("nat"), types.StringValue("bridge")
	cases := []struct {
		name string
		cfg  networkDHCPModel
		mode types.String
		cidr types.String
		want networkDHCPModel
	}{
		{"defaults from the CIDR", null, nat, types.StringValue("10.214.0.0/24"),
			networkDHCPModel{types.BoolValue(true), types.StringValue("10.214.0.128"), types.StringValue("10.214.0.254"), types.BoolValue(true)}},
		{"no CIDR, no DHCP", null, types.StringValue("isolated"), types.StringNull(),
			networkDHCPModel{types.BoolValue(false), types.StringNull(), types.StringNull(), types.BoolValue(true)}},
		{"bridge", null, bridge, types.StringNull(),
			networkDHCPModel{types.BoolValue(false), types.StringNull(), types.StringNull(), types.BoolValue(true)}},
		{"unknown CIDR", null, nat, types.StringUnknown(),
			networkDHCPModel{types.BoolUnknown(), types.StringUnknown(), types.StringUnknown(), types.BoolValue(true)}},
		{"explicit range and no_ping", networkDHCPModel{types.BoolNull(), types.StringValue("10.214.0.10"), types.StringValue("10.214.0.20"), types.BoolValue(false)},
			nat, types.StringValue("10.214.0.0/24"),
			networkDHCPModel{types.BoolValue(true), types.StringValue("10.214.0.10"), types.StringValue("10.214.0.20"), types.BoolValue(false)}},
		{"disabled", networkDHCPModel{types.BoolValue(false), types.StringNull(), types.StringNull(), types.BoolNull()},
			nat, types.StringValue("10.214.0.0/24"),
			networkDHCPModel{types.BoolValue(false), types.StringNull(), types.StringNull(), types.BoolValue(true)}},
	}
	for _, c := range cases {
		if got := plannedDHCP(c.cfg, c.mode, c.cidr); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func hostsSet(t *testing.T, hosts ...hypervisor.DHCPHost) types.Set {
	t.Helper()
	s, d := hostsSetValue(hosts)
	if d.HasError() {
		t.Fatal(d)
	}
	return s
}

func baseNetworkModel() NetworkResourceModel {
	return NetworkResourceModel{
		Name: types.StringValue("n"), Mode: types.StringNull(), Bridge: types.StringNull(),
		IPv4CIDR: types.StringValue("10.214.0.0/24"), IPv6CIDR: types.StringNull(), MTU: types.Int64Null(),
		DHCP: types.ObjectNull(networkDHCPAttrTypes), Hosts: types.SetNull(networkHostType), DNS: types.ObjectNull(networkDNSAttrTypes),
	}
}

func TestNetworkConfig_validation(t *testing.T) {
	ctx := context.Background()
	dhcp := func(start, end string) types.Object {
		return types.ObjectValueMust(networkDHCPAttrTypes, map[string]attr.Value{
			"enabled": types.BoolNull(), "start": types.StringValue(start), "end": types.StringValue(end), "no_ping": types.BoolNull(),
		})
	}
	cases := map[string]struct {
		edit func(*NetworkResourceModel)
		want string // "" for valid
	}{
		"minimal":          {func(*NetworkResourceModel) {}, ""},
		"range ok":         {func(m *NetworkResourceModel) { m.DHCP = dhcp("10.214.0.2", "10.214.0.254") }, ""},
		"range unknown":    {func(m *NetworkResourceModel) { m.DHCP = types.ObjectUnknown(networkDHCPAttrTypes) }, ""},
		"cidr unknown":     {func(m *NetworkResourceModel) { m.IPv4CIDR = types.StringUnknown(); m.DHCP = dhcp("1.2.3.4", "1.2.3.5") }, ""},
		"range on network": {func(m *NetworkResourceModel) { m.DHCP = dhcp("10.214.0.0", "10.214.0.9") }, "network address"},
		"hosts ok": {func(m *NetworkResourceModel) {
			m.Hosts = hostsSet(t, hypervisor.DHCPHost{MAC: "52:54:00:00:00:01", IPv4: "10.214.0.5", Hostname: "a"},
				hypervisor.DHCPHost{MAC: "52:54:00:00:00:02", IPv4: "10.214.0.6"})
		}, ""},
		"host on gateway": {func(m *NetworkResourceModel) {
			m.Hosts = hostsSet(t, hypervisor.DHCPHost{MAC: "52:54:00:00:00:01", IPv4: "10.214.0.1"})
		}, "is the gateway"},
		"hosts unknown": {func(m *NetworkResourceModel) { m.Hosts = types.SetUnknown(networkHostType) }, ""},
		"route v6 only": {func(m *NetworkResourceModel) {
			m.Mode, m.IPv4CIDR, m.IPv6CIDR = types.StringValue("route"), types.StringNull(), types.StringValue("fd00::/64")
		}, ""},
		"open no addresses": {func(m *NetworkResourceModel) { m.Mode, m.IPv4CIDR = types.StringValue("open"), types.StringNull() }, ""},
		"bridge ok": {func(m *NetworkResourceModel) {
			m.Mode, m.Bridge, m.IPv4CIDR = types.StringValue("bridge"), types.StringValue("br0"), types.StringNull()
		}, ""},
		"mode unknown": {func(m *NetworkResourceModel) { m.Mode, m.IPv4CIDR = types.StringUnknown(), types.StringNull() }, ""},
	}
	for name, c := range cases {
		m := baseNetworkModel()
		c.edit(&m)
		var diags diag.Diagnostics
		validateNetworkConfig(ctx, &m, &diags)
		switch {
		case c.want == "" && diags.HasError():
			t.Errorf("%s: unexpected errors %v", name, diags)
		case c.want != "" && !strings.Contains(diagText(diags), c.want):
			t.Errorf("%s: want an error containing %q, got %v", name, c.want, diags)
		}
	}
}

func diagText(d diag.Diagnostics) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.Summary() + ": " + x.Detail() + "\n")
	}
	return b.String()
}

func TestHostsMissing_dhcpAndDNS(t *testing.T) {
	a := hypervisor.DHCPHost{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.5"}
	a2 := hypervisor.DHCPHost{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.6"}
	b := hypervisor.DHCPHost{MAC: "52:54:00:00:00:02", IPv4: "10.0.0.7", Hostname: "b"}
	if got := dhcpHostsMissing([]hypervisor.DHCPHost{a, b}, []hypervisor.DHCPHost{a2, b}); !reflect.DeepEqual(got, []hypervisor.DHCPHost{a}) {
		t.Errorf("dhcpHostsMissing = %+v", got)
	}
	x := hypervisor.DNSHost{IP: "10.0.0.5", Hostnames: []string{"a", "b"}}
	y := hypervisor.DNSHost{IP: "10.0.0.5", Hostnames: []string{"b", "a"}}
	if got := dnsHostsMissing([]hypervisor.DNSHost{x}, []hypervisor.DNSHost{y}); !reflect.DeepEqual(got, []hypervisor.DNSHost{x}) {
		t.Errorf("reordered hostnames are a different record: %+v", got)
	}
	if got := dnsHostsMissing([]hypervisor.DNSHost{x}, []hypervisor.DNSHost{x}); len(got) != 0 {
		t.Errorf("dnsHostsMissing of equal sets = %+v", got)
	}
}

// State built from what libvirt reports matches what the plan produces for
// the same network, so an apply is followed by an empty plan.
func TestNetworkModel_fromInfoMatchesPlan(t *testing.T) {
	spec := hypervisor.NetworkSpec{Name: "n", UUID: "u", Mode: "nat", Bridge: "virbr1", IPv4CIDR: "10.214.0.0/24", DHCP: true,
		DHCPStart: "10.214.0.128", DHCPEnd: "10.214.0.254", NoPing: true,
		Hosts:    []hypervisor.DHCPHost{{MAC: "52:54:00:00:00:01", IPv4: "10.214.0.5"}},
		DNSHosts: []hypervisor.DNSHost{{IP: "10.214.0.5", Hostnames: []string{"a"}}}}
	m, diags := networkModelFromInfo(hypervisor.NetworkInfo{Spec: spec, Active: true, Autostart: true}, spec.Hosts)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if m.Gateway.ValueString() != "10.214.0.1" || !m.MTU.IsNull() || !m.IPv6CIDR.IsNull() || !m.Running.ValueBool() {
		t.Errorf("model %+v", m)
	}
	back, diags := m.toSpec(context.Background())
	if diags.HasError() {
		t.Fatal(diags)
	}
	if !reflect.DeepEqual(back, spec) {
		t.Errorf("round trip through the model:\n got %+v\nwant %+v", back, spec)
	}
	empty, _ := networkModelFromInfo(hypervisor.NetworkInfo{Spec: hypervisor.NetworkSpec{Name: "b", Mode: "bridge", Bridge: "br0"}}, nil)
	if !empty.DNS.Equal(emptyNetworkDNS()) || len(empty.Hosts.Elements()) != 0 || empty.Hosts.IsNull() || !empty.Gateway.IsNull() {
		t.Errorf("a bare network must read as the schema defaults: %+v", empty)
	}
}
