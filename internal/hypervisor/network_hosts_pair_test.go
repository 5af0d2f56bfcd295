package hypervisor

import (
	"reflect"
	"testing"
)

func TestPairByMAC(t *testing.T) {
	a := DHCPHost{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.10"}
	a2 := DHCPHost{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.20"}
	b := DHCPHost{MAC: "52:54:00:00:00:02", IPv4: "10.0.0.11"}
	b2 := DHCPHost{MAC: "52:54:00:00:00:02", IPv4: "10.0.0.10"} // takes a's old address
	c := DHCPHost{MAC: "52:54:00:00:00:03", IPv4: "10.0.0.12"}
	cases := map[string]struct {
		current, remove, add  []DHCPHost
		modify, rRemove, rAdd []DHCPHost
	}{
		"address change":                  {[]DHCPHost{a, b}, []DHCPHost{a}, []DHCPHost{a2}, []DHCPHost{a2}, nil, nil},
		"unrelated":                       {[]DHCPHost{a}, []DHCPHost{a}, []DHCPHost{c}, nil, []DHCPHost{a}, []DHCPHost{c}},
		"mac case":                        {[]DHCPHost{a}, []DHCPHost{{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.10"}}, []DHCPHost{{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.30"}}, []DHCPHost{{MAC: "52:54:00:00:00:01", IPv4: "10.0.0.30"}}, nil, nil},
		"address of another, freed first": {[]DHCPHost{a, b}, []DHCPHost{a, b}, []DHCPHost{a2, b2}, []DHCPHost{a2}, []DHCPHost{b}, []DHCPHost{b2}},
		"hostname-only entries":           {[]DHCPHost{{Hostname: "x", IPv4: "10.0.0.5"}}, []DHCPHost{{Hostname: "x", IPv4: "10.0.0.5"}}, []DHCPHost{{Hostname: "x", IPv4: "10.0.0.6"}}, nil, []DHCPHost{{Hostname: "x", IPv4: "10.0.0.5"}}, []DHCPHost{{Hostname: "x", IPv4: "10.0.0.6"}}},
	}
	for name, c := range cases {
		m, r, a := pairByMAC(c.current, c.remove, c.add)
		if !reflect.DeepEqual(m, c.modify) || !reflect.DeepEqual(r, c.rRemove) || !reflect.DeepEqual(a, c.rAdd) {
			t.Errorf("%s: got modify %v remove %v add %v, want %v %v %v", name, m, r, a, c.modify, c.rRemove, c.rAdd)
		}
	}
}
