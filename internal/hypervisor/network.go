package hypervisor

import (
	"context"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
)

const kindNetwork = "network"

// Lease is a DHCP lease handed out by a libvirt network.
type Lease struct {
	MAC      string
	IPv4     string
	Prefix   uint
	Hostname string
	Expiry   time.Time
}

// CreateNetwork defines, starts and (optionally) autostarts a network. If a
// later step fails, the definition is removed again.
func (c *Client) CreateNetwork(ctx context.Context, spec NetworkSpec, autostart bool) (string, error) {
	x, err := NetworkXML(spec)
	if err != nil {
		return "", &Error{Op: "define", Kind: kindNetwork, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
	}
	doc, err := x.Marshal()
	if err != nil {
		return "", &Error{Op: "define", Kind: kindNetwork, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
	}
	net, err := c.conn.NetworkDefineXMLFlags(doc, libvirt.NETWORK_DEFINE_VALIDATE)
	if err != nil {
		return "", wrap(err, "define", kindNetwork, spec.Name)
	}
	defer func() { _ = net.Free() }()
	undo := func(op string, err error) (string, error) {
		_ = net.Undefine()
		return "", wrap(err, op, kindNetwork, spec.Name)
	}
	if err := net.Create(); err != nil {
		return undo("start", err)
	}
	if autostart {
		if err := net.SetAutostart(true); err != nil {
			_ = net.Destroy()
			return undo("set autostart of", err)
		}
	}
	uuid, err := net.GetUUIDString()
	return uuid, wrap(err, "read the UUID of", kindNetwork, spec.Name)
}

// DeleteNetwork stops and undefines a network. A missing network is not an error.
func (c *Client) DeleteNetwork(ctx context.Context, name string) error {
	net, err := c.conn.LookupNetworkByName(name)
	if err != nil {
		if codeOf(err) == ErrNotFound {
			return nil
		}
		return wrap(err, "look up", kindNetwork, name)
	}
	defer func() { _ = net.Free() }()
	if active, err := net.IsActive(); err == nil && active {
		if err := net.Destroy(); err != nil {
			return wrap(err, "stop", kindNetwork, name)
		}
	}
	return wrap(net.Undefine(), "undefine", kindNetwork, name)
}

// Leases returns the network's current DHCP leases (IPv4 and IPv6).
func (c *Client) Leases(ctx context.Context, network string) ([]Lease, error) {
	net, err := c.conn.LookupNetworkByName(network)
	if err != nil {
		return nil, wrap(err, "look up", kindNetwork, network)
	}
	defer func() { _ = net.Free() }()
	ls, err := net.GetDHCPLeases()
	if err != nil {
		return nil, wrap(err, "read the DHCP leases of", kindNetwork, network)
	}
	out := make([]Lease, 0, len(ls))
	for _, l := range ls {
		if l.Type != libvirt.IP_ADDR_TYPE_IPV4 {
			continue
		}
		out = append(out, Lease{MAC: strings.ToLower(l.Mac), IPv4: l.IPaddr, Prefix: l.Prefix, Hostname: l.Hostname, Expiry: l.ExpiryTime})
	}
	return out, nil
}

// NetworkNames lists the names of all defined networks, sorted.
func (c *Client) NetworkNames(ctx context.Context) ([]string, error) {
	names, err := c.networkNames()
	return names, wrap(err, "list", "networks on", c.uri)
}
