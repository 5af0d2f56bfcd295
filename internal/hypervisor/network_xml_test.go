package hypervisor

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

var networkCases = map[string]NetworkSpec{
	"nat": {Name: "net-a", Mode: "nat", IPv4CIDR: "10.213.5.0/24", DHCP: true, DHCPStart: "10.213.5.100",
		DHCPEnd: "10.213.5.200", NoPing: true, Hosts: []DHCPHost{{MAC: "52:54:00:AA:00:01", IPv4: "10.213.5.10", Hostname: "web"}}},
	"isolated": {Name: "net-b", Mode: "isolated", IPv4CIDR: "10.213.6.0/24"},
	"bridge":   {Name: "net-c", Mode: "bridge", Bridge: "br0"},
	"full": {
		Name: "net-d", UUID: "6a3c1b8e-3f0e-4c1e-9d7a-1b2c3d4e5f60", Mode: "nat", Bridge: "virbr-d", MTU: 1400,
		IPv4CIDR: "10.214.9.0/24", IPv6CIDR: "fd00:214:9::/64", DHCP: true, NoPing: true,
		Hosts: []DHCPHost{
			{MAC: "52:54:00:00:09:01", IPv4: "10.214.9.10", Hostname: "db"},
			{MAC: "52:54:00:00:09:02", IPv4: "10.214.9.11"},
		},
		DNSDomain: "svc.internal",
		DNSHosts: []DNSHost{
			{IP: "10.214.9.10", Hostnames: []string{"db", "postgres"}},
			{IP: "10.214.9.20", Hostnames: []string{"www"}},
		},
	},
	"route": {Name: "net-e", Mode: "route", IPv4CIDR: "10.214.10.0/25", DHCP: true},
	"open":  {Name: "net-f", Mode: "open", IPv6CIDR: "fd00:214:11::/64"},
}

func TestNetworkXMLGolden(t *testing.T) {
	for name, spec := range networkCases {
		t.Run(name, func(t *testing.T) {
			x, err := NetworkXML(spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "network_"+name+".xml")
			checkGolden(t, golden, got)
			validateXML(t, "network", golden)
		})
	}
}

// normalizeNetwork fills in what NetworkXML derives, as Read reports it.
func normalizeNetwork(s NetworkSpec) NetworkSpec {
	s.Mode = orDefault(s.Mode, NetworkModeNAT)
	if s.DHCP && s.DHCPStart == "" {
		start, end, _ := DefaultDHCPRange(s.IPv4CIDR)
		s.DHCPStart, s.DHCPEnd = start.String(), end.String()
	}
	hosts := make([]DHCPHost, len(s.Hosts))
	for i, h := range s.Hosts {
		h.MAC = strings.ToLower(h.MAC)
		hosts[i] = h
	}
	if len(hosts) > 0 {
		s.Hosts = hosts
	}
	return s
}

func TestNetworkSpecRoundTrip(t *testing.T) {
	for name, spec := range networkCases {
		t.Run(name, func(t *testing.T) {
			x, err := NetworkXML(spec)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back libvirtxml.Network
			if err := back.Unmarshal(doc); err != nil {
				t.Fatal(err)
			}
			got := SpecFromNetworkXML(&back)
			if want := normalizeNetwork(spec); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// A definition as libvirt writes it back (and as other tools write it):
// default forward mode, netmask instead of prefix, stp and mac on the
// bridge, several ranges.
func TestSpecFromForeignNetworkXML(t *testing.T) {
	doc := `<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>
  <name>default</name>
  <uuid>0f8a1c3e-2c4b-4d7e-8f9a-0b1c2d3e4f50</uuid>
  <forward/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:0a:0b:0c'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.99'/>
      <range start='192.168.122.150' end='192.168.122.254'/>
      <host mac='52:54:00:AB:CD:EF' ip='192.168.122.5'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:1:2::1' prefix='64'/>
  <ip family='ipv6' address='fd00:9::1' prefix='64'/>
  <dnsmasq:options>
    <dnsmasq:option value='log-queries'/>
  </dnsmasq:options>
</network>`
	var x libvirtxml.Network
	if err := x.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	got := SpecFromNetworkXML(&x)
	want := NetworkSpec{
		Name: "default", UUID: "0f8a1c3e-2c4b-4d7e-8f9a-0b1c2d3e4f50", Mode: "nat", Bridge: "virbr0",
		IPv4CIDR: "192.168.122.0/24", IPv6CIDR: "fd00:1:2::/64", DHCP: true,
		DHCPStart: "192.168.122.2", DHCPEnd: "192.168.122.99",
		Hosts: []DHCPHost{{MAC: "52:54:00:ab:cd:ef", IPv4: "192.168.122.5"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if idx := dhcpIPIndex(&x); idx != 0 {
		t.Errorf("dhcpIPIndex = %d, want 0", idx)
	}
	if ps := networkPrefixes(&x); len(ps) != 3 {
		t.Errorf("networkPrefixes = %v, want all three", ps)
	}
}

func TestNetworkXMLRejects(t *testing.T) {
	cases := map[string]NetworkSpec{
		"no name":          {Mode: "nat"},
		"bad mode":         {Name: "x", Mode: "vepa"},
		"bridge no name":   {Name: "x", Mode: "bridge"},
		"bridge with cidr": {Name: "x", Mode: "bridge", Bridge: "br0", IPv4CIDR: "10.0.0.0/24"},
		"bridge with mtu":  {Name: "x", Mode: "bridge", Bridge: "br0", MTU: 1400},
		"bad cidr":         {Name: "x", IPv4CIDR: "10.0.0.0/33"},
		"v6 as v4":         {Name: "x", IPv4CIDR: "fd00::/64"},
		"v4 as v6":         {Name: "x", IPv6CIDR: "10.0.0.0/24"},
		"dhcp no cidr":     {Name: "x", DHCP: true},
		"hosts no dhcp":    {Name: "x", IPv4CIDR: "10.0.0.0/24", Hosts: []DHCPHost{{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.5"}}},
		"range of a /31":   {Name: "x", IPv4CIDR: "10.0.0.0/31", DHCP: true},
	}
	for name, spec := range cases {
		if _, err := NetworkXML(spec); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

func TestDefaultDHCPRange(t *testing.T) {
	cases := []struct{ cidr, start, end string }{
		{"10.214.0.0/24", "10.214.0.128", "10.214.0.254"},
		{"10.214.0.0/25", "10.214.0.64", "10.214.0.126"},
		{"10.214.0.128/25", "10.214.0.192", "10.214.0.254"},
		{"10.214.0.0/16", "10.214.128.0", "10.214.255.254"},
		{"10.0.0.0/8", "10.128.0.0", "10.255.255.254"},
		{"10.214.0.4/30", "10.214.0.6", "10.214.0.6"},
	}
	for _, c := range cases {
		start, end, err := DefaultDHCPRange(c.cidr)
		if err != nil {
			t.Errorf("%s: %v", c.cidr, err)
			continue
		}
		if start.String() != c.start || end.String() != c.end {
			t.Errorf("%s: got %s-%s, want %s-%s", c.cidr, start, end, c.start, c.end)
		}
		gw, _, _ := Gateway(c.cidr)
		if !gw.Less(start) {
			t.Errorf("%s: range %s-%s must leave the gateway %s out", c.cidr, start, end, gw)
		}
	}
	for _, bad := range []string{"10.0.0.0/31", "10.0.0.0/32", "fd00::/64", "nonsense"} {
		if _, _, err := DefaultDHCPRange(bad); err == nil {
			t.Errorf("%s: expected an error", bad)
		}
	}
}

func TestLastAddr(t *testing.T) {
	cases := map[string]string{
		"10.214.0.0/24":  "10.214.0.255",
		"10.214.0.0/23":  "10.214.1.255",
		"10.214.0.64/26": "10.214.0.127",
		"0.0.0.0/0":      "255.255.255.255",
		"fd00::/64":      "fd00::ffff:ffff:ffff:ffff",
		"10.1.2.3/32":    "10.1.2.3",
	}
	for cidr, want := range cases {
		if got := LastAddr(netip.MustParsePrefix(cidr)); got.String() != want {
			t.Errorf("LastAddr(%s) = %s, want %s", cidr, got, want)
		}
	}
}

func TestIPPrefix(t *testing.T) {
	cases := []struct {
		ip   libvirtxml.NetworkIP
		want string
	}{
		{libvirtxml.NetworkIP{Address: "10.1.2.1", Prefix: 24}, "10.1.2.0/24"},
		{libvirtxml.NetworkIP{Address: "10.1.2.1", Netmask: "255.255.254.0"}, "10.1.2.0/23"},
		{libvirtxml.NetworkIP{Address: "10.1.2.1"}, "10.0.0.0/8"},
		{libvirtxml.NetworkIP{Address: "172.16.5.1"}, "172.16.0.0/16"},
		{libvirtxml.NetworkIP{Address: "192.168.3.1"}, "192.168.3.0/24"},
		{libvirtxml.NetworkIP{Family: "ipv6", Address: "fd00:1::1"}, "fd00:1::/64"},
	}
	for _, c := range cases {
		p, ok := ipPrefix(c.ip)
		if !ok || p.String() != c.want {
			t.Errorf("ipPrefix(%+v) = %s %v, want %s", c.ip, p, ok, c.want)
		}
	}
	if _, ok := ipPrefix(libvirtxml.NetworkIP{Address: "nonsense"}); ok {
		t.Error("a bad address must not give a prefix")
	}
}

// Names, hostnames and domains with XML metacharacters stay data.
func TestNetworkXMLEscapes(t *testing.T) {
	spec := NetworkSpec{Name: `n<&>"'`, Mode: "isolated", IPv4CIDR: "10.214.1.0/24", DHCP: true,
		Hosts:     []DHCPHost{{MAC: "52:54:00:00:00:01", IPv4: "10.214.1.5", Hostname: `h<&>`}},
		DNSDomain: `d&<`, DNSHosts: []DNSHost{{IP: "10.214.1.6", Hostnames: []string{`x</hostname><y>`}}}}
	x, err := NetworkXML(spec)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back libvirtxml.Network
	if err := back.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	if got := SpecFromNetworkXML(&back); !reflect.DeepEqual(got, normalizeNetwork(spec)) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, normalizeNetwork(spec))
	}
}

func FuzzSpecFromNetworkXML(f *testing.F) {
	for _, name := range []string{"nat", "full", "bridge"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "network_"+name+".xml")); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var x libvirtxml.Network
		if err := x.Unmarshal(doc); err != nil {
			return
		}
		_ = SpecFromNetworkXML(&x) // must not panic
		_ = networkPrefixes(&x)
		_ = dhcpIPIndex(&x)
	})
}
