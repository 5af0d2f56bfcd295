package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestCheckMAC(t *testing.T) {
	for _, ok := range []string{"52:54:00:ab:cd:ef", "00:16:3e:00:00:01", "fe:ff:ff:ff:ff:ff"} {
		if err := CheckMAC(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	bad := map[string]string{
		"52:54:00:AB:CD:EF":    "lowercase",
		"52-54-00-ab-cd-ef":    "not a MAC",
		"52:54:00:ab:cd":       "not a MAC",
		"52:54:00:ab:cd:ef:00": "not a MAC",
		"01:00:5e:00:00:01":    "multicast",
		"":                     "not a MAC",
	}
	for in, want := range bad {
		err := CheckMAC(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want an error containing %q, got %v", in, want, err)
		}
	}
}

func TestCheckIPv4(t *testing.T) {
	if a, err := CheckIPv4("10.214.0.5"); err != nil || a.String() != "10.214.0.5" {
		t.Errorf("got %v %v", a, err)
	}
	for _, bad := range []string{"10.214.0", "10.214.0.256", "010.1.1.1", "fd00::1", "::ffff:10.0.0.1", "", "host"} {
		if _, err := CheckIPv4(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}

func TestCheckCIDR(t *testing.T) {
	good := []struct {
		s    string
		ipv6 bool
	}{{"10.214.0.0/24", false}, {"10.0.0.0/8", false}, {"10.214.0.4/30", false}, {"fd00:214::/64", true}, {"fd00::/48", true}}
	for _, g := range good {
		if _, err := CheckCIDR(g.s, g.ipv6, map[bool]int{false: 30, true: 64}[g.ipv6]); err != nil {
			t.Errorf("%s: %v", g.s, err)
		}
	}
	bad := []struct {
		s, want string
		ipv6    bool
	}{
		{"10.214.0.5/24", "write 10.214.0.0/24", false},
		{"10.214.0.0/31", "at most /30", false},
		{"10.214.0.0", "not an IPv4 CIDR", false},
		{"fd00::/64", "not an IPv4 CIDR", false},
		{"10.0.0.0/8", "not an IPv6 CIDR", true},
		{"FD00::/64", "write fd00::/64", true},
		{"fd00:0::/64", "write fd00::/64", true},
		{"fd00::/96", "at most /64", true},
		{"::ffff:10.0.0.0/120", "not an IPv6 CIDR", true},
	}
	for _, b := range bad {
		maxBits := 30
		if b.ipv6 {
			maxBits = 64
		}
		_, err := CheckCIDR(b.s, b.ipv6, maxBits)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: want an error containing %q, got %v", b.s, b.want, err)
		}
	}
}

func TestCheckInterfaceName(t *testing.T) {
	for _, ok := range []string{"br0", "tf-acc-br12345a", "virbr-web"} {
		if err := CheckInterfaceName(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "tf-acc-br123456a", "a/b", "br:0", "br 0", ".", ".."} {
		if err := CheckInterfaceName(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}

func TestCheckDNSName(t *testing.T) {
	for _, ok := range []string{"web", "web-1", "a.b.internal", "X1", strings.Repeat("a", 63)} {
		if err := CheckDNSName(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-web", "web-", "a..b", "a_b", "a b", "a&b", strings.Repeat("a", 64), ".web"} {
		if err := CheckDNSName(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}

func TestStringValidators(t *testing.T) {
	cases := []struct {
		v       validator.String
		value   types.String
		wantErr bool
	}{
		{MAC(), types.StringValue("52:54:00:ab:cd:ef"), false},
		{MAC(), types.StringValue("nope"), true},
		{MAC(), types.StringNull(), false},
		{MAC(), types.StringUnknown(), false},
		{IPv4Address(), types.StringValue("10.0.0.1"), false},
		{IPv4Address(), types.StringValue("10.0.0"), true},
		{IPv4CIDR(30), types.StringValue("10.0.0.0/24"), false},
		{IPv4CIDR(30), types.StringValue("10.0.0.1/24"), true},
		{IPv6CIDR(64), types.StringValue("fd00::/64"), false},
		{IPv6CIDR(64), types.StringValue("10.0.0.0/24"), true},
		{InterfaceName(), types.StringValue("averyveryverylongbridge"), true},
		{DNSName(), types.StringValue("ok.internal"), false},
		{DNSName(), types.StringValue("not ok"), true},
	}
	for i, c := range cases {
		resp := &validator.StringResponse{}
		c.v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: c.value}, resp)
		if resp.Diagnostics.HasError() != c.wantErr {
			t.Errorf("case %d (%s %s): error = %v, want %v", i, c.v.Description(context.Background()), c.value, resp.Diagnostics, c.wantErr)
		}
		if c.v.MarkdownDescription(context.Background()) == "" {
			t.Errorf("case %d: empty description", i)
		}
	}
}
