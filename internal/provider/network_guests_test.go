package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The plan warning and the restart of the guests of a replaced network, on
// libvirt's test driver: a running domain with an interface on the network is
// named in the warning and restarted, and runs afterwards; a stopped one and a
// domain on another network are left alone. (The acceptance test
// TestAccNetworkResource_replaceRestartsInstances checks the tap and the
// address on a real daemon.)
func TestNetworkGuests_warnAndRestart(t *testing.T) {
	ctx := context.Background()
	c, err := hypervisor.Open(ctx, "test:///default", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	net := "tf-unit-guests-net"
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: net, Mode: "nat", IPv4CIDR: "10.244.40.0/24", DHCP: true}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, net) })
	define := func(name, network string, start bool) {
		spec := hypervisor.DomainSpec{Name: name, Type: "qemu", MemoryMiB: 16, Kernel: "/k"}
		if network != "" {
			spec.Interfaces = []hypervisor.InterfaceSpec{{Network: network}}
		}
		if _, err := c.DefineDomain(ctx, spec); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = c.StopDomain(ctx, name, 0)
			_ = c.UndefineDomain(ctx, name)
		})
		if start {
			if err := c.StartDomain(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	define("tf-unit-guests-a", net, true)
	define("tf-unit-guests-b", net, false)
	define("tf-unit-guests-c", "default", true)

	guests, err := c.RunningNetworkGuests(ctx, net)
	if err != nil {
		t.Fatal(err)
	}
	if len(guests) != 1 || guests[0].Domain != "tf-unit-guests-a" || !guests[0].Persistent {
		t.Fatalf("running guests %+v, want only the persistent tf-unit-guests-a", guests)
	}

	r := &NetworkResource{data: &Data{Client: c}}
	var diags diag.Diagnostics
	r.warnGuests(ctx, net, types.StringValue(net), "is replaced", &diags)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail(), "Restarted: tf-unit-guests-a.") ||
		strings.Contains(diags[0].Detail(), "guests-b") || strings.Contains(diags[0].Detail(), "guests-c") {
		t.Errorf("plan warning: %v", diags)
	}
	diags = nil
	r.warnGuests(ctx, net, types.StringValue("tf-unit-guests-net2"), "is replaced", &diags)
	if len(diags) != 1 || !strings.Contains(diags[0].Summary(), "new name") || !strings.Contains(diags[0].Detail(), "tf-unit-guests-a") {
		t.Errorf("plan warning of a rename: %v", diags)
	}

	before, _ := c.DomainState(ctx, "tf-unit-guests-a")
	diags = nil
	if errs := r.restartGuests(ctx, net, &diags); len(errs) != 0 || diags.HasError() {
		t.Fatalf("restart: %v %v", errs, diags)
	}
	after, _ := c.DomainState(ctx, "tf-unit-guests-a")
	if after != before {
		t.Errorf("state after the restart %v, was %v", after, before)
	}
	if st, _ := c.DomainState(ctx, "tf-unit-guests-b"); st == before {
		t.Errorf("the stopped domain was started")
	}
}
