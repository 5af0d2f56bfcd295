package hypervisor

import (
	"context"
	"sync/atomic"
	"time"
)

// The domain operations below run again on a reopened connection when the
// daemon went away while they ran (see Client.retry). Each is safe to repeat:
// reads, and changes that check the current state first. They are spread
// over the client's connections (see Client.spread): libvirt orders the
// calls on one domain itself, and a destroy or a start keeps one of the
// daemon's per-connection request slots busy while QEMU stops or starts.

// DefineDomain creates or replaces the persistent definition of spec.Name
// and returns the domain's UUID. When the connection was lost during a define
// without a UUID (a create), the repeat first looks for the domain: the lost
// call may have defined it, and a second define would then be refused.
func (c *Client) DefineDomain(ctx context.Context, spec DomainSpec) (string, error) {
	var tried atomic.Bool
	return spreadWait(ctx, c, c.stallFor(RemoteChangeStall), "define", kindDomain, spec.Name, func(rc *Client) (string, error) {
		if tried.Swap(true) && spec.UUID == "" {
			if info, rerr := rc.readDomain(ctx, spec.Name); rerr == nil {
				return info.Spec.UUID, nil
			}
		}
		return rc.defineDomain(ctx, spec)
	})
}

// LookupDomainName resolves a name or UUID to the domain's name.
func (c *Client) LookupDomainName(ctx context.Context, nameOrUUID string) (string, error) {
	return spreadRead(ctx, c, "look up", kindDomain, nameOrUUID, func(rc *Client) (string, error) {
		return rc.lookupDomainName(ctx, nameOrUUID)
	})
}

// ReadDomain returns the persistent definition, state and autostart of name.
func (c *Client) ReadDomain(ctx context.Context, name string) (DomainInfo, error) {
	return spreadRead(ctx, c, "read", kindDomain, name, func(rc *Client) (DomainInfo, error) {
		return rc.readDomain(ctx, name)
	})
}

// StartDomain starts a defined domain. Starting a running domain is not an error.
func (c *Client) StartDomain(ctx context.Context, name string) error {
	return c.spread(ctx, "start", kindDomain, name, func(rc *Client) error { return rc.startDomain(ctx, name) })
}

// StopDomain asks the guest to shut down, waits up to grace, then destroys it.
// Many unikernels ignore ACPI, so a zero grace destroys at once. Stopping a
// domain that is not running is not an error.
func (c *Client) StopDomain(ctx context.Context, name string, grace time.Duration) error {
	// The call itself waits for the guest up to grace.
	stall := c.stallFor(RemoteChangeStall)
	if stall > 0 {
		stall += grace
	}
	return c.spreadFor(ctx, stall, "stop", kindDomain, name, func(rc *Client) error { return rc.stopDomain(ctx, name, grace) })
}

// UndefineDomain removes the persistent definition. A missing domain is not an error.
func (c *Client) UndefineDomain(ctx context.Context, name string) error {
	return c.spread(ctx, "undefine", kindDomain, name, func(rc *Client) error { return rc.undefineDomain(ctx, name) })
}

// SetDomainAutostart sets whether the domain starts with the host.
func (c *Client) SetDomainAutostart(ctx context.Context, name string, on bool) error {
	return c.spread(ctx, "set autostart of", kindDomain, name, func(rc *Client) error { return rc.setDomainAutostart(ctx, name, on) })
}

// DomainNames lists the names of all defined domains, sorted.
func (c *Client) DomainNames(ctx context.Context) (names []string, err error) {
	err = c.retry(ctx, "list", "domains on", c.uri, func() error {
		names, err = c.domainNames(ctx)
		return err
	})
	return names, err
}

// DomainState returns the run state of name.
func (c *Client) DomainState(ctx context.Context, name string) (DomainState, error) {
	return spreadRead(ctx, c, "read the state of", kindDomain, name, func(rc *Client) (DomainState, error) {
		return rc.domainState(ctx, name)
	})
}

// MarkDomainCreated records in the domain's metadata that the create that
// made it finished (marker.go). Call it as the last step of a create.
func (c *Client) MarkDomainCreated(ctx context.Context, name string) error {
	return c.spread(ctx, "mark the create of", kindDomain, name, func(rc *Client) error { return rc.markDomainCreated(ctx, name) })
}
