package hypervisor

import (
	"context"
	"sort"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// NetworkGuest is a running domain with at least one interface on a libvirt
// network.
type NetworkGuest struct {
	Domain string
	// Persistent is false for a transient domain (virsh create), which a
	// destroy would remove: it cannot be restarted.
	Persistent bool
}

// RunningNetworkGuests lists the running domains whose live definition has an
// interface of type network on network, sorted by name.
//
// libvirt does not move a running guest's tap when the network under it is
// destroyed and defined again: the tap stays off the new bridge, and the
// guest has no link until the domain is started again (its interfaces are
// plugged into the network's bridge when the domain starts).
func (c *Client) RunningNetworkGuests(ctx context.Context, network string) ([]NetworkGuest, error) {
	return call(ctx, c, callOnce.on("list", "running domains on", c.uri), func(s *session) ([]NetworkGuest, error) {
		doms, err := s.conn().ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_ACTIVE)
		if err != nil {
			return nil, wrap(err, "list", "running domains on", s.uri)
		}
		defer func() {
			for i := range doms {
				_ = doms[i].Free()
			}
		}()
		var out []NetworkGuest
		for i := range doms {
			doc, err := doms[i].GetXMLDesc(0)
			if err != nil {
				if codeOf(err) == ErrNotFound {
					continue // gone meanwhile
				}
				return nil, wrap(err, "read the live definition of", kindDomain, "")
			}
			var d libvirtxml.Domain
			if err := d.Unmarshal(doc); err != nil {
				return nil, &Error{Op: "parse the live definition of", Kind: kindDomain, Message: err.Error()}
			}
			if !onNetwork(&d, network) {
				continue
			}
			persistent, err := doms[i].IsPersistent()
			if err != nil {
				return nil, wrap(err, "read whether it is persistent:", kindDomain, d.Name)
			}
			out = append(out, NetworkGuest{Domain: d.Name, Persistent: persistent})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Domain < out[j].Domain })
		return out, nil
	})
}

// onNetwork reports whether d has an interface whose source is network.
func onNetwork(d *libvirtxml.Domain, network string) bool {
	if d.Devices == nil {
		return false
	}
	for _, nic := range d.Devices.Interfaces {
		if nic.Source != nil && nic.Source.Network != nil && nic.Source.Network.Network == network {
			return true
		}
	}
	return false
}

// RestartNetworkGuest destroys the running persistent domain name and starts
// it again, so that its interfaces are plugged into the bridge of the network
// that now runs under their network's name. Its definition, autostart and
// everything else stay as they are.
func (c *Client) RestartNetworkGuest(ctx context.Context, name string) error {
	if err := c.StopDomain(ctx, name, 0); err != nil {
		return err
	}
	// The start plugs the interfaces into the (running) network's bridge.
	return c.StartDomain(ctx, name)
}
