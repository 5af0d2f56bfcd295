package hypervisor

import (
	"reflect"
	"strings"
	"testing"
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
