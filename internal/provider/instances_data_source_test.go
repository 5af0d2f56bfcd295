package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// listFleet defines three domains on libvirt's test driver, two of them on
// the driver's "default" network, one running and one paused.
func listFleet(t *testing.T) (*hypervisor.Client, string) {
	t.Helper()
	ctx := context.Background()
	c, err := hypervisor.Open(ctx, "test:///default", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	prefix := fmt.Sprintf("list-%d-", time.Now().UnixNano())
	specs := []hypervisor.DomainSpec{
		{Name: prefix + "web-b", Type: "qemu", MemoryMiB: 32, VCPUs: 2, Kernel: "/k", Family: "unikraft",
			Interfaces: []hypervisor.InterfaceSpec{{Network: "default", MAC: "52:54:00:7e:00:02"}}},
		{Name: prefix + "web-a", Type: "qemu", MemoryMiB: 16, VCPUs: 1, Kernel: "/k", Family: "unikraft",
			Interfaces: []hypervisor.InterfaceSpec{{Network: "default", MAC: "52:54:00:7e:00:01"}}},
		{Name: prefix + "db", Type: "qemu", MemoryMiB: 64, VCPUs: 1, Kernel: "/k"},
	}
	for _, s := range specs {
		if _, err := c.DefineDomain(ctx, s); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = c.StopDomain(ctx, s.Name, 0)
			_ = c.UndefineDomain(ctx, s.Name)
		})
	}
	for _, n := range []string{prefix + "web-a", prefix + "web-b"} {
		if err := c.StartDomain(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	return c, prefix
}

func TestListInstances_filters(t *testing.T) {
	c, prefix := listFleet(t)
	ctx := context.Background()
	mine := regexp.MustCompile("^" + regexp.QuoteMeta(prefix))
	names := func(f instancesFilter) []string {
		t.Helper()
		infos, err := listInstances(ctx, c, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, i := range infos {
			out = append(out, i.Spec.Name[len(prefix):])
		}
		return out
	}
	cases := map[string]struct {
		f    instancesFilter
		want []string
	}{
		// Sorted by name, not by definition order.
		"name only":           {instancesFilter{name: mine}, []string{"db", "web-a", "web-b"}},
		"unanchored pattern":  {instancesFilter{name: regexp.MustCompile(regexp.QuoteMeta(prefix) + "web")}, []string{"web-a", "web-b"}},
		"state running":       {instancesFilter{name: mine, state: "running"}, []string{"web-a", "web-b"}},
		"state shutoff":       {instancesFilter{name: mine, state: "shutoff"}, []string{"db"}},
		"state paused":        {instancesFilter{name: mine, state: "paused"}, nil},
		"network":             {instancesFilter{name: mine, network: "default"}, []string{"web-a", "web-b"}},
		"other network":       {instancesFilter{name: mine, network: "nowhere"}, nil},
		"family":              {instancesFilter{name: mine, family: "unikraft"}, []string{"web-a", "web-b"}},
		"family not recorded": {instancesFilter{name: mine, family: "generic"}, nil},
		"all at once":         {instancesFilter{name: regexp.MustCompile(`-a$`), state: "running", network: "default", family: "unikraft"}, []string{"web-a"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := names(tc.f)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Without filters the host's own domains are listed too, sorted.
	all, err := listInstances(ctx, c, instancesFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var allNames []string
	for _, i := range all {
		allNames = append(allNames, i.Spec.Name)
	}
	if !slices.IsSorted(allNames) || !slices.Contains(allNames, "test") || !slices.Contains(allNames, prefix+"db") {
		t.Errorf("unfiltered list %v: want it sorted, with the test driver's domain \"test\" and %sdb", allNames, prefix)
	}
}

func TestInstancesItem_fields(t *testing.T) {
	c, prefix := listFleet(t)
	infos, err := listInstances(context.Background(), c, instancesFilter{name: regexp.MustCompile("^" + regexp.QuoteMeta(prefix))})
	if err != nil {
		t.Fatal(err)
	}
	leases := map[string][]string{"52:54:00:7e:00:01": {"192.168.122.10"}}
	want := map[string]struct {
		family, state, networks, addrs string
		memory, vcpus                  int64
		running                        bool
	}{
		"db":    {"<null>", "shutoff", "[]", "[]", 64, 1, false},
		"web-a": {`"unikraft"`, "running", `["default"]`, `["192.168.122.10"]`, 16, 1, true},
		"web-b": {`"unikraft"`, "running", `["default"]`, `[]`, 32, 2, true},
	}
	for _, info := range infos {
		it := instancesItem(info, leases)
		w := want[info.Spec.Name[len(prefix):]]
		if it.Family.String() != w.family || it.State.ValueString() != w.state ||
			fmt.Sprintf("%q", it.Networks) != w.networks || fmt.Sprintf("%q", it.IPv4Addresses) != w.addrs ||
			it.Memory.ValueInt64() != w.memory || it.VCPUs.ValueInt64() != w.vcpus ||
			it.Running.ValueBool() != w.running || it.ID.ValueString() == "" {
			t.Errorf("%s: got %+v", info.Spec.Name, it)
		}
		nics := it.NetworkInterfaces
		if len(nics) != len(info.Spec.Interfaces) {
			t.Errorf("%s: %d interfaces listed, want %d", info.Spec.Name, len(nics), len(info.Spec.Interfaces))
		}
	}
}
