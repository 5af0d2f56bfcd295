package provider

import (
	"context"
	"slices"
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
//
// Sources 2 and 3 are asked only for running domains with an interface that
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
