package hypervisor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
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

// NetworkInfo is what Read needs: the persistent configuration, whether the
// network runs, and autostart, each from its own source.
type NetworkInfo struct {
	Spec      NetworkSpec
	Active    bool
	Autostart bool
}

// OverlapError says that an address range of a network about to be defined
// overlaps a range of another network on the host. Nothing was created.
type OverlapError struct {
	Network     string       // the network that was to be defined
	Prefix      netip.Prefix // its range that overlaps
	Other       string       // the network defined already
	OtherPrefix netip.Prefix // the other network's range
}

func (e *OverlapError) Error() string {
	return fmt.Sprintf("unable to define network %q: %s overlaps %s of network %q", e.Network, e.Prefix, e.OtherPrefix, e.Other)
}

// Locks of this process. defineMu makes the overlap check and the define one
// step, so that two networks created in parallel cannot both pass the check.
// networkLocks serialises the read-check-update sequences on one network.
var (
	defineMu     sync.Mutex
	networkLocks sync.Map // uri + "\x00" + network name -> *sync.Mutex
)

func (s *session) networkLock(name string) *sync.Mutex {
	m, _ := networkLocks.LoadOrStore(s.uri+"\x00"+name, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// DefineNetwork defines spec.Name without starting it and returns its UUID,
// after checking that its address ranges overlap no other network's. When
// the connection was lost during a define without a UUID (a create), the
// repeat first looks for the network: the lost call may have defined it.
func (c *Client) DefineNetwork(ctx context.Context, spec NetworkSpec) (string, error) {
	first := true
	return call(ctx, c, retryMain.on("define", kindNetwork, spec.Name), func(s *session) (string, error) {
		if !first && spec.UUID == "" {
			if info, rerr := s.readNetwork(ctx, spec.Name); rerr == nil {
				return info.Spec.UUID, nil
			}
		}
		first = false
		return s.defineNetwork(ctx, spec)
	})
}

// ReadNetwork returns the persistent definition and state of a network.
func (c *Client) ReadNetwork(ctx context.Context, name string) (NetworkInfo, error) {
	return call(ctx, c, retryRead.on("read", kindNetwork, name), func(s *session) (NetworkInfo, error) {
		return s.readNetwork(ctx, name)
	})
}

// Leases returns the DHCP leases of a network.
func (c *Client) Leases(ctx context.Context, network string) ([]Lease, error) {
	return call(ctx, c, retryRead.on("read the leases of", kindNetwork, network), func(s *session) ([]Lease, error) {
		return s.leases(ctx, network)
	})
}

// defineNetwork defines spec.Name without starting it and returns its UUID.
// Before anything is created it compares spec's address ranges with the
// persistent definitions of all other networks, and returns an *OverlapError
// naming the first one that overlaps.
func (s *session) defineNetwork(_ context.Context, spec NetworkSpec) (string, error) {
	x, err := NetworkXML(spec)
	if err != nil {
		return "", &Error{Op: "define", Kind: kindNetwork, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
	}
	doc, err := x.Marshal()
	if err != nil {
		return "", &Error{Op: "define", Kind: kindNetwork, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
	}
	defineMu.Lock()
	defer defineMu.Unlock()
	if err := s.checkOverlap(spec.Name, networkPrefixes(x)); err != nil {
		return "", err
	}
	net, err := s.conn().NetworkDefineXMLFlags(doc, libvirt.NETWORK_DEFINE_VALIDATE)
	if err != nil {
		return "", wrap(err, "define", kindNetwork, spec.Name)
	}
	defer func() { _ = net.Free() }()
	uuid, err := net.GetUUIDString()
	return uuid, wrap(err, "read the UUID of", kindNetwork, spec.Name)
}

// checkOverlap returns an *OverlapError when one of prefixes overlaps a range
// of another network's persistent definition.
func (s *session) checkOverlap(name string, prefixes []netip.Prefix) error {
	if len(prefixes) == 0 {
		return nil
	}
	nets, err := s.conn().ListAllNetworks(0)
	if err != nil {
		return wrap(err, "list", "networks on", s.uri)
	}
	defer func() {
		for i := range nets {
			_ = nets[i].Free()
		}
	}()
	for i := range nets {
		other, err := nets[i].GetName()
		if err != nil {
			return wrap(err, "read the name of", kindNetwork, "")
		}
		if other == name {
			continue
		}
		x, err := persistentNetworkXML(&nets[i], other)
		if err != nil {
			if IsNotFound(err) {
				continue // undefined meanwhile
			}
			return err
		}
		for _, theirs := range networkPrefixes(x) {
			for _, ours := range prefixes {
				if ours.Overlaps(theirs) {
					return &OverlapError{Network: name, Prefix: ours, Other: other, OtherPrefix: theirs}
				}
			}
		}
	}
	return nil
}

// CreateNetwork defines, starts and (optionally) autostarts a network. If a
// later step fails, the definition is removed again.
func (c *Client) CreateNetwork(ctx context.Context, spec NetworkSpec, autostart bool) (string, error) {
	uuid, err := c.DefineNetwork(ctx, spec)
	if err != nil {
		return "", err
	}
	undo := func(err error) (string, error) {
		_ = c.DeleteNetwork(ctx, spec.Name)
		return "", err
	}
	if err := c.StartNetwork(ctx, spec.Name); err != nil {
		return undo(err)
	}
	if autostart {
		if err := c.SetNetworkAutostart(ctx, spec.Name, true); err != nil {
			return undo(err)
		}
	}
	return uuid, nil
}

func (s *session) lookupNetwork(name string) (*libvirt.Network, error) {
	net, err := s.conn().LookupNetworkByName(name)
	return net, wrap(err, "look up", kindNetwork, name)
}

// LookupNetworkName resolves a name or UUID to the network's name.
func (c *Client) LookupNetworkName(ctx context.Context, nameOrUUID string) (string, error) {
	return call(ctx, c, callOnce.on("look up", kindNetwork, nameOrUUID), func(s *session) (string, error) {
		net, err := s.conn().LookupNetworkByName(nameOrUUID)
		if err != nil && codeOf(err) == ErrNotFound {
			if net2, err2 := s.conn().LookupNetworkByUUIDString(nameOrUUID); err2 == nil {
				net, err = net2, nil
			}
		}
		if err != nil {
			return "", wrap(err, "look up", kindNetwork, nameOrUUID)
		}
		defer func() { _ = net.Free() }()
		name, err := net.GetName()
		return name, wrap(err, "read the name of", kindNetwork, nameOrUUID)
	})
}

// persistentNetworkXML reads and parses the persistent definition. Drivers
// that keep a single definition and refuse the flag (libvirt's test driver)
// give that one.
func persistentNetworkXML(net *libvirt.Network, name string) (*libvirtxml.Network, error) {
	doc, err := net.GetXMLDesc(libvirt.NETWORK_XML_INACTIVE)
	var lv libvirt.Error
	if errors.As(err, &lv) && lv.Code == libvirt.ERR_INVALID_ARG {
		doc, err = net.GetXMLDesc(0)
	}
	if err != nil {
		return nil, wrap(err, "read the definition of", kindNetwork, name)
	}
	var x libvirtxml.Network
	if err := x.Unmarshal(doc); err != nil {
		return nil, &Error{Op: "parse the definition of", Kind: kindNetwork, Name: name, Message: err.Error()}
	}
	return &x, nil
}

// readNetwork returns the persistent definition, run state and autostart of
// name. Spec.Hosts holds every reservation, including those that instances
// added (see AddDHCPHost).
func (s *session) readNetwork(_ context.Context, name string) (NetworkInfo, error) {
	net, err := s.lookupNetwork(name)
	if err != nil {
		return NetworkInfo{}, err
	}
	defer func() { _ = net.Free() }()
	x, err := persistentNetworkXML(net, name)
	if err != nil {
		return NetworkInfo{}, err
	}
	info := NetworkInfo{Spec: SpecFromNetworkXML(x)}
	if info.Active, err = net.IsActive(); err != nil {
		return NetworkInfo{}, wrap(err, "read the state of", kindNetwork, name)
	}
	if info.Autostart, err = net.GetAutostart(); err != nil {
		return NetworkInfo{}, wrap(err, "read autostart of", kindNetwork, name)
	}
	return info, nil
}

// StartNetwork starts a defined network. Starting a running network is not
// an error.
func (c *Client) StartNetwork(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("start", kindNetwork, name), func(s *session) error {
		return s.withNetwork(name, func(net *libvirt.Network) error {
			if active, err := net.IsActive(); err == nil && active {
				return nil
			}
			return wrap(net.Create(), "start", kindNetwork, name)
		})
	})
}

// StopNetwork stops a running network; its definition stays. Guests attached
// to it lose their link. Stopping a stopped network is not an error.
func (c *Client) StopNetwork(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("stop", kindNetwork, name), func(s *session) error {
		return s.withNetwork(name, func(net *libvirt.Network) error {
			if active, err := net.IsActive(); err == nil && !active {
				return nil
			}
			return wrap(net.Destroy(), "stop", kindNetwork, name)
		})
	})
}

// SetNetworkAutostart sets whether the network starts with the host.
func (c *Client) SetNetworkAutostart(ctx context.Context, name string, on bool) error {
	return c.do(ctx, callOnce.on("set autostart of", kindNetwork, name), func(s *session) error {
		return s.withNetwork(name, func(net *libvirt.Network) error {
			return wrap(net.SetAutostart(on), "set autostart of", kindNetwork, name)
		})
	})
}

// DeleteNetwork stops and undefines a network. A missing network is not an error.
func (c *Client) DeleteNetwork(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("delete", kindNetwork, name), func(s *session) error {
		net, err := s.conn().LookupNetworkByName(name)
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
	})
}

// leases returns the network's current IPv4 DHCP leases. A stopped network
// has none.
func (s *session) leases(_ context.Context, network string) ([]Lease, error) {
	net, err := s.lookupNetwork(network)
	if err != nil {
		return nil, err
	}
	defer func() { _ = net.Free() }()
	if active, err := net.IsActive(); err == nil && !active {
		return nil, nil
	}
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
	return call(ctx, c, callOnce.on("list", "networks on", c.uri), func(s *session) ([]string, error) {
		names, err := s.networkNames()
		return names, wrap(err, "list", "networks on", s.uri)
	})
}

// withNetwork looks the network name up on s, runs fn on it and frees it.
func (s *session) withNetwork(name string, fn func(net *libvirt.Network) error) error {
	net, err := s.lookupNetwork(name)
	if err != nil {
		return err
	}
	defer func() { _ = net.Free() }()
	return fn(net)
}
