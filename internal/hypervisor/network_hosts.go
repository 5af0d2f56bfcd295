package hypervisor

// Live changes to a network's static DHCP reservations and DNS hosts,
// through libvirt's network update API: the resource's updates of `hosts`
// and `dns.hosts`, and the reservations instances add for their interfaces.

import (
	"context"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// NetworkHostsChange is a batch of live changes to a network's static DHCP
// reservations and DNS hosts. Removals run first, so that an entry can be
// replaced by one with the same MAC, address or hostname.
type NetworkHostsChange struct {
	RemoveDHCP []DHCPHost // matched on every field that is not empty
	AddDHCP    []DHCPHost
	RemoveDNS  []DNSHost // matched on the address and hostnames
	AddDNS     []DNSHost
}

// Empty reports whether the change does nothing.
func (ch NetworkHostsChange) Empty() bool {
	return len(ch.RemoveDHCP)+len(ch.AddDHCP)+len(ch.RemoveDNS)+len(ch.AddDNS) == 0
}

// UpdateNetworkHosts applies ch through libvirt's network update API, without
// restarting the network: to the persistent definition, and to the running
// network too when it is active. It stops at the first failure; the changes
// made before it stay.
func (c *Client) UpdateNetworkHosts(ctx context.Context, name string, ch NetworkHostsChange) error {
	return c.do(ctx, callOnce.on("update the hosts of", kindNetwork, name), func(s *session) error {
		if ch.Empty() {
			return nil
		}
		return s.withUpdate(name, func(u *networkUpdate) error {
			modify, removeDHCP, addDHCP := pairByMAC(u.spec.Hosts, ch.RemoveDHCP, ch.AddDHCP)
			ch.RemoveDHCP, ch.AddDHCP = removeDHCP, addDHCP
			for _, h := range ch.RemoveDHCP {
				if err := u.dhcp(libvirt.NETWORK_UPDATE_COMMAND_DELETE, h); err != nil {
					return err
				}
			}
			for _, h := range modify {
				if err := u.dhcp(libvirt.NETWORK_UPDATE_COMMAND_MODIFY, h); err != nil {
					return err
				}
			}
			for _, h := range ch.RemoveDNS {
				if err := u.dns(libvirt.NETWORK_UPDATE_COMMAND_DELETE, h); err != nil {
					return err
				}
			}
			for _, h := range ch.AddDHCP {
				if err := u.dhcp(libvirt.NETWORK_UPDATE_COMMAND_ADD_LAST, h); err != nil {
					return err
				}
			}
			for _, h := range ch.AddDNS {
				if err := u.dns(libvirt.NETWORK_UPDATE_COMMAND_ADD_LAST, h); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// AddDHCPHost adds a static DHCP reservation; adding an identical one again
// is not an error.
func (c *Client) AddDHCPHost(ctx context.Context, network string, h DHCPHost) error {
	return c.do(ctx, retryMain.on("add a DHCP reservation to", kindNetwork, network), func(s *session) error { return s.addDHCPHost(ctx, network, h) })
}

// ChangeDHCPHost changes the reservation of h.MAC in one update, or adds it.
// Setting the same reservation again is not an error.
func (c *Client) ChangeDHCPHost(ctx context.Context, network string, h DHCPHost) error {
	return c.do(ctx, retryMain.on("change a DHCP reservation of", kindNetwork, network), func(s *session) error { return s.changeDHCPHost(ctx, network, h) })
}

// RemoveDHCPHost removes the static DHCP reservation of mac; a missing one is
// not an error.
func (c *Client) RemoveDHCPHost(ctx context.Context, network, mac string) error {
	return c.do(ctx, retryMain.on("remove a DHCP reservation from", kindNetwork, network), func(s *session) error { return s.removeDHCPHost(ctx, network, mac) })
}

// pairByMAC turns a removal and an addition of the same MAC into one
// modification: a single network update (and dnsmasq reload) instead of two.
// A pair stays a removal and an addition when the new address or hostname is
// held by another current reservation, so that the removals that run first
// can free it.
func pairByMAC(current, remove, add []DHCPHost) (modify, restRemove, restAdd []DHCPHost) {
	paired := map[int]bool{}
	for _, r := range remove {
		j := -1
		if r.MAC != "" {
			for k, a := range add {
				if !paired[k] && strings.EqualFold(a.MAC, r.MAC) && !heldByOther(current, r, a) {
					j = k
					break
				}
			}
		}
		if j < 0 {
			restRemove = append(restRemove, r)
			continue
		}
		paired[j] = true
		modify = append(modify, add[j])
	}
	for k, a := range add {
		if !paired[k] {
			restAdd = append(restAdd, a)
		}
	}
	return modify, restRemove, restAdd
}

// heldByOther reports whether a's address or hostname belongs to a current
// reservation other than the one (old) it replaces.
func heldByOther(current []DHCPHost, old, a DHCPHost) bool {
	for _, h := range current {
		if strings.EqualFold(h.MAC, old.MAC) {
			continue
		}
		if (a.IPv4 != "" && h.IPv4 == a.IPv4) || (a.Hostname != "" && h.Hostname == a.Hostname) {
			return true
		}
	}
	return false
}

// addDHCPHost adds a static DHCP reservation to a network, live (no network
// restart) and to its persistent definition. It is how an instance reserves
// an address for one of its interfaces.
//
// Contract with the unikernel_network resource: a reservation whose MAC
// belongs to an interface of a defined domain attached to this network (see
// NetworkMACOwners) is owned by that instance. The network resource neither
// shows it as drift nor removes it. Define the domain with that interface
// (or call this right after defining it, in the same apply); a reservation
// whose MAC no domain on the network has is treated as added by hand and
// removed by the network resource's next apply.
//
// Adding an identical entry again is not an error. An entry that has the
// same MAC, address or hostname as a different reservation is refused with
// an error of class ErrConflict. A network without IPv4 DHCP refuses with
// ErrInvalid.
func (s *session) addDHCPHost(_ context.Context, network string, h DHCPHost) error {
	h.MAC = strings.ToLower(h.MAC)
	return s.withUpdate(network, func(u *networkUpdate) error {
		for _, old := range u.spec.Hosts {
			if old == h {
				return nil
			}
			if old.MAC == h.MAC || old.IPv4 == h.IPv4 || (h.Hostname != "" && old.Hostname == h.Hostname) {
				return reservationConflict("add a DHCP reservation to", network, h, old)
			}
		}
		return u.dhcp(libvirt.NETWORK_UPDATE_COMMAND_ADD_LAST, h)
	})
}

// reservationConflict is the ErrConflict error for a reservation h that
// clashes with the existing reservation old.
func reservationConflict(op, network string, h, old DHCPHost) error {
	return &Error{Op: op, Kind: kindNetwork, Name: network, Code: ErrConflict,
		Message: fmt.Sprintf("the reservation mac=%s ipv4=%s hostname=%q conflicts with mac=%s ipv4=%s hostname=%q",
			h.MAC, h.IPv4, h.Hostname, old.MAC, old.IPv4, old.Hostname)}
}

// changeDHCPHost changes the address (or hostname) of the reservation that
// h.MAC already has, in one live update (libvirt's modify, a single dnsmasq
// reload instead of the two that a remove and an add take). Without a
// reservation for h.MAC it adds one, as addDHCPHost does. An address or
// hostname that another reservation holds is refused with ErrConflict.
func (s *session) changeDHCPHost(_ context.Context, network string, h DHCPHost) error {
	h.MAC = strings.ToLower(h.MAC)
	return s.withUpdate(network, func(u *networkUpdate) error {
		cmd := libvirt.NETWORK_UPDATE_COMMAND_ADD_LAST
		for _, old := range u.spec.Hosts {
			switch {
			case old == h:
				return nil
			case old.MAC == h.MAC:
				cmd = libvirt.NETWORK_UPDATE_COMMAND_MODIFY
			case old.IPv4 == h.IPv4 || (h.Hostname != "" && old.Hostname == h.Hostname):
				return reservationConflict("change a DHCP reservation of", network, h, old)
			}
		}
		return u.dhcp(cmd, h)
	})
}

// removeDHCPHost removes the static DHCP reservation of mac from a network,
// live and from its persistent definition. A missing reservation or network
// is not an error, so an instance can call it on every delete.
func (s *session) removeDHCPHost(_ context.Context, network, mac string) error {
	mac = strings.ToLower(mac)
	err := s.withUpdate(network, func(u *networkUpdate) error {
		for _, old := range u.spec.Hosts {
			if old.MAC == mac {
				return u.dhcp(libvirt.NETWORK_UPDATE_COMMAND_DELETE, DHCPHost{MAC: mac})
			}
		}
		return nil
	})
	if IsNotFound(err) {
		return nil
	}
	return err
}

// DHCPHostByMAC returns the static DHCP reservation of mac in the network's
// persistent definition, and whether there is one.
func (c *Client) DHCPHostByMAC(ctx context.Context, network, mac string) (DHCPHost, bool, error) {
	info, err := c.ReadNetwork(ctx, network)
	if err != nil {
		return DHCPHost{}, false, err
	}
	mac = strings.ToLower(mac)
	for _, h := range info.Spec.Hosts {
		if h.MAC == mac {
			return h, true, nil
		}
	}
	return DHCPHost{}, false, nil
}

// NetworkMACOwners maps the MAC of every interface of a defined domain
// (running or not) that is attached to network to the domain's name. A
// static reservation for one of these MACs belongs to that instance.
func (c *Client) NetworkMACOwners(ctx context.Context, network string) (map[string]string, error) {
	return call(ctx, c, callOnce.on("list", "domains on", c.uri), func(s *session) (map[string]string, error) {
		doms, err := s.conn().ListAllDomains(0)
		if err != nil {
			return nil, wrap(err, "list", "domains on", s.uri)
		}
		defer func() {
			for i := range doms {
				_ = doms[i].Free()
			}
		}()
		owners := map[string]string{}
		for i := range doms {
			doc, err := doms[i].GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
			if err != nil {
				if codeOf(err) == ErrNotFound {
					continue // undefined meanwhile
				}
				return nil, wrap(err, "read the definition of", kindDomain, "")
			}
			var d libvirtxml.Domain
			if err := d.Unmarshal(doc); err != nil {
				return nil, &Error{Op: "parse the definition of", Kind: kindDomain, Name: "", Message: err.Error()}
			}
			if d.Devices == nil {
				continue
			}
			for _, nic := range d.Devices.Interfaces {
				if nic.MAC == nil || nic.Source == nil || nic.Source.Network == nil || nic.Source.Network.Network != network {
					continue
				}
				owners[strings.ToLower(nic.MAC.Address)] = d.Name
			}
		}
		return owners, nil
	})
}

// networkUpdate is one open network with what a sequence of updates needs:
// the flags (live too when it runs), the parent <ip> index of DHCP hosts, and
// the persistent spec as it was when opened.
type networkUpdate struct {
	net       *libvirt.Network
	name      string
	flags     libvirt.NetworkUpdateFlags
	dhcpIndex int
	spec      NetworkSpec
}

// withUpdate runs fn on the open network name, holding the network's lock,
// so that the changes of one caller are not interleaved with another's.
func (s *session) withUpdate(name string, fn func(u *networkUpdate) error) error {
	lock := s.networkLock(name)
	lock.Lock()
	defer lock.Unlock()
	u, err := s.openUpdate(name)
	if err != nil {
		return err
	}
	defer u.close()
	return fn(u)
}

func (s *session) openUpdate(name string) (*networkUpdate, error) {
	net, err := s.lookupNetwork(name)
	if err != nil {
		return nil, err
	}
	x, err := persistentNetworkXML(net, name)
	if err != nil {
		_ = net.Free()
		return nil, err
	}
	active, err := net.IsActive()
	if err != nil {
		_ = net.Free()
		return nil, wrap(err, "read the state of", kindNetwork, name)
	}
	u := &networkUpdate{net: net, name: name, flags: libvirt.NETWORK_UPDATE_AFFECT_CONFIG,
		dhcpIndex: dhcpIPIndex(x), spec: SpecFromNetworkXML(x)}
	if active {
		u.flags |= libvirt.NETWORK_UPDATE_AFFECT_LIVE
	}
	return u, nil
}

func (u *networkUpdate) close() { _ = u.net.Free() }

func (u *networkUpdate) dhcp(cmd libvirt.NetworkUpdateCommand, h DHCPHost) error {
	op := updateOp(cmd, "DHCP reservation")
	if u.dhcpIndex < 0 {
		return &Error{Op: op, Kind: kindNetwork, Name: u.name, Code: ErrInvalid,
			Message: "the network serves no IPv4 DHCP, so it has no static reservations"}
	}
	x := dhcpHostXML(h)
	doc, err := x.Marshal()
	if err != nil {
		return &Error{Op: op, Kind: kindNetwork, Name: u.name, Code: ErrInvalid, Message: err.Error()}
	}
	return wrap(u.net.Update(cmd, libvirt.NETWORK_SECTION_IP_DHCP_HOST, u.dhcpIndex, doc, u.flags), op, kindNetwork, u.name)
}

func (u *networkUpdate) dns(cmd libvirt.NetworkUpdateCommand, h DNSHost) error {
	op := updateOp(cmd, "DNS host")
	x := dnsHostXML(h)
	doc, err := x.Marshal()
	if err != nil {
		return &Error{Op: op, Kind: kindNetwork, Name: u.name, Code: ErrInvalid, Message: err.Error()}
	}
	return wrap(u.net.Update(cmd, libvirt.NETWORK_SECTION_DNS_HOST, -1, doc, u.flags), op, kindNetwork, u.name)
}

func updateOp(cmd libvirt.NetworkUpdateCommand, what string) string {
	switch cmd {
	case libvirt.NETWORK_UPDATE_COMMAND_DELETE:
		return "remove a " + what + " from"
	case libvirt.NETWORK_UPDATE_COMMAND_MODIFY:
		return "change a " + what + " of"
	}
	return "add a " + what + " to"
}
