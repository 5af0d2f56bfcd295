package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

// reservedPort names the address to dial for a static guest over a remote
// URI only when the interface has a reserved address and the gate a port.
func TestReservedPort_onlyWithReservationAndPort(t *testing.T) {
	nic := func(ip string) nicModel {
		return nicModel{IPv4Address: types.StringValue(ip)}
	}
	gate := func(port int64) *waitForModel { return &waitForModel{TCPPort: types.Int64Value(port)} }
	cases := []struct {
		name     string
		prior    *instanceModel
		i        int
		ip, addr string
	}{
		{"no prior (import)", nil, 0, "", ""},
		{"no wait_for", &instanceModel{NetworkInterfaces: []nicModel{nic("10.0.0.5")}}, 0, "", ""},
		{"no tcp_port", &instanceModel{NetworkInterfaces: []nicModel{nic("10.0.0.5")}, WaitFor: &waitForModel{TCPPort: types.Int64Null()}}, 0, "", ""},
		{"no reserved address", &instanceModel{NetworkInterfaces: []nicModel{{IPv4Address: types.StringNull()}}, WaitFor: gate(80)}, 0, "", ""},
		{"index past the interfaces", &instanceModel{NetworkInterfaces: []nicModel{nic("10.0.0.5")}, WaitFor: gate(80)}, 1, "", ""},
		{"second interface", &instanceModel{NetworkInterfaces: []nicModel{nic(""), nic("10.0.1.7")}, WaitFor: gate(8080)}, 1, "10.0.1.7", "10.0.1.7:8080"},
	}
	for _, c := range cases {
		ip, addr := reservedPort(c.prior, c.i)
		if ip != c.ip || addr != c.addr {
			t.Errorf("%s: reservedPort = %q, %q; want %q, %q", c.name, ip, addr, c.ip, c.addr)
		}
	}
}
