package hypervisor

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// The adapter's network calls on libvirt's in-process test driver. Each test
// opens its own connection, so it starts from the driver's pristine state (one
// network "default" on 192.168.122.0/24).

func TestNetworkDefineReadStartStopOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	// The test driver drops dnsmasq options, so NoPing is not part of this round trip.
	spec := NetworkSpec{Name: "unit-net-2", Mode: "route", IPv4CIDR: "10.250.2.0/24", DHCP: true,
		Hosts: []DHCPHost{{MAC: "52:54:00:00:02:01", IPv4: "10.250.2.10", Hostname: "a"}}}
	uuid, err := c.DefineNetwork(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, spec.Name) })
	if got, err := c.LookupNetworkName(ctx, uuid); err != nil || got != spec.Name {
		t.Errorf("LookupNetworkName(uuid) = %q, %v", got, err)
	}
	if got, err := c.LookupNetworkName(ctx, spec.Name); err != nil || got != spec.Name {
		t.Errorf("LookupNetworkName(name) = %q, %v", got, err)
	}
	if _, err := c.LookupNetworkName(ctx, "no-such-net"); !IsNotFound(err) {
		t.Errorf("LookupNetworkName of a missing network: want not-found, got %v", err)
	}
	info, err := c.ReadNetwork(ctx, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Active || info.Autostart {
		t.Errorf("a defined network is neither active nor autostarted: %+v", info)
	}
	want := normalizeNetwork(spec)
	want.UUID = uuid
	info.Spec.Bridge = "" // the test driver may pick one
	if !reflect.DeepEqual(info.Spec, want) {
		t.Errorf("ReadNetwork spec:\n got %+v\nwant %+v", info.Spec, want)
	}
	if err := c.StartNetwork(ctx, spec.Name); err != nil {
		t.Fatal(err)
	}
	if err := c.StartNetwork(ctx, spec.Name); err != nil {
		t.Errorf("starting a running network: %v", err)
	}
	if err := c.SetNetworkAutostart(ctx, spec.Name, true); err != nil {
		t.Fatal(err)
	}
	if info, err = c.ReadNetwork(ctx, spec.Name); err != nil || !info.Active || !info.Autostart {
		t.Errorf("after start and autostart: %+v %v", info, err)
	}
	if err := c.StopNetwork(ctx, spec.Name); err != nil {
		t.Fatal(err)
	}
	if err := c.StopNetwork(ctx, spec.Name); err != nil {
		t.Errorf("stopping a stopped network: %v", err)
	}
	if info, err = c.ReadNetwork(ctx, spec.Name); err != nil || info.Active {
		t.Errorf("after stop: %+v %v", info, err)
	}
	if leases, err := c.Leases(ctx, spec.Name); err != nil || len(leases) != 0 {
		t.Errorf("a stopped network has no leases: %v %v", leases, err)
	}
	if err := c.DeleteNetwork(ctx, spec.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadNetwork(ctx, spec.Name); !IsNotFound(err) {
		t.Errorf("ReadNetwork of a deleted network: want not-found, got %v", err)
	}
	for name, call := range map[string]func() error{
		"start":     func() error { return c.StartNetwork(ctx, spec.Name) },
		"stop":      func() error { return c.StopNetwork(ctx, spec.Name) },
		"autostart": func() error { return c.SetNetworkAutostart(ctx, spec.Name, false) },
		"add host": func() error {
			return c.AddDHCPHost(ctx, spec.Name, DHCPHost{MAC: "52:54:00:00:00:09", IPv4: "10.250.2.9"})
		},
	} {
		if err := call(); !IsNotFound(err) {
			t.Errorf("%s on a missing network: want not-found, got %v", name, err)
		}
	}
	if err := c.RemoveDHCPHost(ctx, spec.Name, "52:54:00:00:00:09"); err != nil {
		t.Errorf("removing a reservation from a missing network: %v", err)
	}
}

func TestNetworkOverlapOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	a := NetworkSpec{Name: "unit-net-a", Mode: "isolated", IPv4CIDR: "10.250.0.0/16", IPv6CIDR: "fd00:250::/64"}
	if _, err := c.DefineNetwork(ctx, a); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, a.Name) })
	cases := map[string]struct {
		spec  NetworkSpec
		other string
	}{
		"inside":           {NetworkSpec{Name: "unit-net-b", Mode: "isolated", IPv4CIDR: "10.250.3.0/24"}, a.Name},
		"around":           {NetworkSpec{Name: "unit-net-b", Mode: "isolated", IPv4CIDR: "10.0.0.0/8"}, a.Name},
		"ipv6":             {NetworkSpec{Name: "unit-net-b", Mode: "isolated", IPv6CIDR: "fd00:250::/48"}, a.Name},
		"the test default": {NetworkSpec{Name: "unit-net-b", Mode: "isolated", IPv4CIDR: "192.168.122.0/25"}, "default"},
	}
	for name, cs := range cases {
		_, err := c.DefineNetwork(ctx, cs.spec)
		var ov *OverlapError
		if !errors.As(err, &ov) {
			t.Errorf("%s: want an *OverlapError, got %v", name, err)
			continue
		}
		if ov.Other != cs.other || ov.Network != cs.spec.Name {
			t.Errorf("%s: the error must name both networks: %+v", name, ov)
		}
		if _, err := c.ReadNetwork(ctx, cs.spec.Name); !IsNotFound(err) {
			t.Errorf("%s: nothing may be defined after an overlap: %v", name, err)
		}
	}
	// A neighbour is fine.
	b := NetworkSpec{Name: "unit-net-b", Mode: "isolated", IPv4CIDR: "10.251.0.0/24", IPv6CIDR: "fd00:251::/64"}
	if _, err := c.DefineNetwork(ctx, b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, b.Name) })
}

func TestNetworkHostUpdatesOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	spec := NetworkSpec{Name: "unit-net-3", Mode: "nat", IPv4CIDR: "10.250.3.0/24", DHCP: true,
		Hosts:    []DHCPHost{{MAC: "52:54:00:00:03:01", IPv4: "10.250.3.10", Hostname: "a"}},
		DNSHosts: []DNSHost{{IP: "10.250.3.10", Hostnames: []string{"a", "alpha"}}}}
	if _, err := c.CreateNetwork(ctx, spec, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, spec.Name) })

	// Replace a reservation and a DNS host, add one of each.
	err := c.UpdateNetworkHosts(ctx, spec.Name, NetworkHostsChange{
		RemoveDHCP: []DHCPHost{spec.Hosts[0]},
		AddDHCP: []DHCPHost{{MAC: "52:54:00:00:03:01", IPv4: "10.250.3.11", Hostname: "a"},
			{MAC: "52:54:00:00:03:02", IPv4: "10.250.3.12"}},
		RemoveDNS: spec.DNSHosts,
		AddDNS:    []DNSHost{{IP: "10.250.3.11", Hostnames: []string{"a"}}, {IP: "10.250.3.12", Hostnames: []string{"b"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ReadNetwork(ctx, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	wantHosts := []DHCPHost{{MAC: "52:54:00:00:03:01", IPv4: "10.250.3.11", Hostname: "a"}, {MAC: "52:54:00:00:03:02", IPv4: "10.250.3.12"}}
	if !reflect.DeepEqual(info.Spec.Hosts, wantHosts) {
		t.Errorf("hosts = %+v, want %+v", info.Spec.Hosts, wantHosts)
	}
	wantDNS := []DNSHost{{IP: "10.250.3.11", Hostnames: []string{"a"}}, {IP: "10.250.3.12", Hostnames: []string{"b"}}}
	if !reflect.DeepEqual(info.Spec.DNSHosts, wantDNS) {
		t.Errorf("dns hosts = %+v, want %+v", info.Spec.DNSHosts, wantDNS)
	}

	// The instance side: add is idempotent, conflicts are refused, remove is idempotent.
	inst := DHCPHost{MAC: "52:54:00:00:03:03", IPv4: "10.250.3.13", Hostname: "vm"}
	for i := 0; i < 2; i++ {
		if err := c.AddDHCPHost(ctx, spec.Name, inst); err != nil {
			t.Fatalf("AddDHCPHost #%d: %v", i+1, err)
		}
	}
	for name, h := range map[string]DHCPHost{
		"same mac":      {MAC: inst.MAC, IPv4: "10.250.3.14"},
		"same address":  {MAC: "52:54:00:00:03:04", IPv4: inst.IPv4},
		"same hostname": {MAC: "52:54:00:00:03:04", IPv4: "10.250.3.14", Hostname: "vm"},
	} {
		if err := c.AddDHCPHost(ctx, spec.Name, h); !IsConflict(err) {
			t.Errorf("%s: want a conflict, got %v", name, err)
		}
	}
	if h, ok, err := c.DHCPHostByMAC(ctx, spec.Name, "52:54:00:00:03:03"); err != nil || !ok || h != inst {
		t.Errorf("DHCPHostByMAC = %+v %v %v", h, ok, err)
	}
	for i := 0; i < 2; i++ {
		if err := c.RemoveDHCPHost(ctx, spec.Name, "52:54:00:00:03:03"); err != nil {
			t.Fatalf("RemoveDHCPHost #%d: %v", i+1, err)
		}
	}
	if _, ok, err := c.DHCPHostByMAC(ctx, spec.Name, inst.MAC); err != nil || ok {
		t.Errorf("reservation still there after remove: %v %v", ok, err)
	}

	// A network without DHCP has no reservations to add to.
	plain := NetworkSpec{Name: "unit-net-4", Mode: "isolated", IPv4CIDR: "10.250.4.0/24"}
	if _, err := c.CreateNetwork(ctx, plain, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, plain.Name) })
	var e *Error
	if err := c.AddDHCPHost(ctx, plain.Name, inst); !errors.As(err, &e) || e.Code != ErrInvalid {
		t.Errorf("AddDHCPHost without DHCP: want ErrInvalid, got %v", err)
	}
}

func TestNetworkMACOwnersOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	spec := DomainSpec{Name: "unit-dom-owner", Type: "qemu", MemoryMiB: 16, Kernel: "/k",
		Interfaces: []InterfaceSpec{{Network: "default", MAC: "52:54:00:00:05:01"}, {Network: "other", MAC: "52:54:00:00:05:02"}}}
	if _, err := c.DefineDomain(ctx, spec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, spec.Name) })
	owners, err := c.NetworkMACOwners(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if owners["52:54:00:00:05:01"] != spec.Name {
		t.Errorf("owner of the interface on default missing: %v", owners)
	}
	if _, ok := owners["52:54:00:00:05:02"]; ok {
		t.Errorf("an interface on another network must not count: %v", owners)
	}
}
