package provider

import (
	"context"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// addresses maps each interface MAC of a domain to the IPv4 addresses the
// guest holds, from these sources in order:
//
//  1. the network's DHCP leases (local and remote);
//  2. libvirt's ARP source (local and remote, where libvirt's works; libvirt
//     9.0 on recent kernels fails with "wrong nlmsg len");
//  3. on a local daemon only, the neighbour table of the provider's network
//     namespace. A guest with a static address takes no lease, and the kernel
//     learns a neighbour only after the host has talked to it, so a reserved
//     address (ipv4_address) without a lease is first probed with one UDP
//     datagram. An address counts only when the neighbour's MAC is the
//     interface's.
//  4. on a remote daemon only, where the host's neighbour table is out of
//     reach: a reserved address (ipv4_address) counts once it accepts a TCP
//     connection, from where Terraform runs, on the wait_for.tcp_port of the
//     instance. Without tcp_port nothing is dialled.
//
// Sources 2 to 4 are asked only for running domains with an interface that
// has no lease. The prior model gives the reserved addresses by position.
func (r *InstanceResource) addresses(ctx context.Context, info hypervisor.DomainInfo, prior *instanceModel) map[string][]string {
	c := r.data.Client
	nics := info.Spec.Interfaces
	out := leasesByMAC(ctx, c, nics)
	if info.State != hypervisor.StateRunning {
		return out
	}
	var missing []int
	for i, n := range nics {
		if len(out[n.MAC]) == 0 {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out
	}
	add := func(mac string, ips []string, source string) {
		for _, ip := range ips {
			if !slices.Contains(out[mac], ip) {
				tflog.Debug(ctx, "address found", map[string]any{"mac": mac, "ipv4": ip, "source": source})
				out[mac] = append(out[mac], ip)
			}
		}
	}
	if arp, err := c.ARPAddresses(ctx, info.Spec.Name); err == nil {
		for _, i := range missing {
			add(nics[i].MAC, arp[nics[i].MAC], "libvirt-arp")
		}
	} else {
		tflog.Trace(ctx, "libvirt's ARP address source failed", map[string]any{"error": err.Error()})
	}
	if !c.Local() {
		for _, i := range missing {
			if ip, addr := reservedPort(prior, i); addr != "" {
				if ok, err := dialOK(ctx, addr); ok {
					add(nics[i].MAC, []string{ip}, "tcp-connect")
				} else {
					tflog.Trace(ctx, "the reserved address does not accept connections", map[string]any{"address": addr, "error": err.Error()})
				}
			}
		}
		return out
	}
	probed := false
	for _, i := range missing {
		if len(out[nics[i].MAC]) > 0 || prior == nil || i >= len(prior.NetworkInterfaces) {
			continue
		}
		if ip := prior.NetworkInterfaces[i].IPv4Address.ValueString(); ip != "" {
			hypervisor.ProbeNeighbour(ip)
			probed = true
		}
	}
	// The answer to a probe takes a round trip; look a few times.
	for attempt := 0; ; attempt++ {
		table, err := hypervisor.NeighbourTable()
		if err != nil {
			tflog.Debug(ctx, "cannot read the neighbour table", map[string]any{"error": err.Error()})
			return out
		}
		found := true
		for _, i := range missing {
			add(nics[i].MAC, table[nics[i].MAC], "neighbour-table")
			found = found && len(out[nics[i].MAC]) > 0
		}
		if found || !probed || attempt >= 5 || ctx.Err() != nil {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reservedPort returns interface i's reserved address and, as addr, that
// address with the wait_for.tcp_port to dial; addr is "" when the interface
// has no reserved address or the gate no TCP port.
func reservedPort(prior *instanceModel, i int) (ip, addr string) {
	if prior == nil || i >= len(prior.NetworkInterfaces) || prior.WaitFor == nil {
		return "", ""
	}
	ip, port := prior.NetworkInterfaces[i].IPv4Address.ValueString(), prior.WaitFor.TCPPort.ValueInt64()
	if ip == "" || port <= 0 {
		return "", ""
	}
	return ip, net.JoinHostPort(ip, strconv.FormatInt(port, 10))
}

// leasesByMAC maps each interface MAC to the IPv4 addresses its network
// leased to it. Leases of destroyed domains linger, so only unexpired leases
// of the interface's own MAC count.
func leasesByMAC(ctx context.Context, c *hypervisor.Client, nics []hypervisor.InterfaceSpec) map[string][]string {
	out := map[string][]string{}
	seen := map[string][]hypervisor.Lease{}
	for _, n := range nics {
		ls, ok := seen[n.Network]
		if !ok {
			var err error
			ls, err = c.Leases(ctx, n.Network)
			if err != nil {
				tflog.Debug(ctx, "cannot read leases", map[string]any{"network": n.Network, "error": err.Error()})
			}
			seen[n.Network] = ls
		}
		for _, l := range ls {
			if l.MAC == n.MAC && (l.Expiry.IsZero() || l.Expiry.After(time.Now())) {
				out[n.MAC] = append(out[n.MAC], l.IPv4)
			}
		}
	}
	return out
}
