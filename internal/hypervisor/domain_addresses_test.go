package hypervisor

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

func TestParseNeighbourTable(t *testing.T) {
	table := `IP address       HW type     Flags       HW address            Mask     Device
10.218.1.10      0x1         0x2         52:54:00:AA:BB:01     *        virbr5
10.218.1.11      0x1         0x0         00:00:00:00:00:00     *        virbr5
10.218.1.12      0x1         0x2         52:54:00:aa:bb:01     *        virbr5
10.218.2.5       0x1         0x6         52:54:00:aa:bb:02     *        virbr6
`
	got, err := ParseNeighbourTable(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"52:54:00:aa:bb:01": {"10.218.1.10", "10.218.1.12"},
		"52:54:00:aa:bb:02": {"10.218.2.5"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestARPSourceRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{libvirt.Error{Code: libvirt.ERR_ARGUMENT_UNSUPPORTED, Message: "Unsupported IP address data source 2"}, true},
		{libvirt.Error{Code: libvirt.ERR_NO_SUPPORT}, true},
		{libvirt.Error{Code: libvirt.ERR_OPERATION_UNSUPPORTED}, true},
		{libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "wrong nlmsg len"}, false},
		{libvirt.Error{Code: libvirt.ERR_NO_DOMAIN}, false},
		{errors.New("connection lost"), false},
	} {
		if got := arpSourceRefused(tc.err); got != tc.want {
			t.Errorf("arpSourceRefused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Once the driver refused the ARP source, the client answers with that
// refusal without asking again: even for a domain that does not exist.
func TestARPAddressesKeepsTheDriversRefusal(t *testing.T) {
	c := testClient(t)
	if _, err := c.ARPAddresses(t.Context(), "unit-no-such-domain"); !IsNotFound(err) {
		t.Fatalf("before a refusal: want not-found, got %v", err)
	}
	refusal := &Error{Op: "read the ARP addresses of", Kind: kindDomain, Name: "x", Message: "Unsupported IP address data source 2"}
	c.refusals.keep(refusalARPSource, refusal)
	if _, err := c.ARPAddresses(t.Context(), "unit-no-such-domain"); err != refusal {
		t.Fatalf("after a refusal: got %v, want the kept refusal", err)
	}
}
