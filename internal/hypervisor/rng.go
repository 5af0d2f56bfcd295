package hypervisor

import (
	"context"

	"libvirt.org/go/libvirtxml"
)

// RNGBackends lists the virtio-rng backend models ("random", "egd",
// "builtin") that domain type typ offers on the host, from its domain
// capabilities. The provider's `rng` uses "random" (the host's /dev/urandom).
func (c *Client) RNGBackends(ctx context.Context, typ string) (models []string, err error) {
	err = c.retry(ctx, "read the domain capabilities of", "host", c.uri, func() error {
		caps, err := c.domainCaps(typ, "")
		if err != nil {
			return err
		}
		models = RNGBackendsOf(caps)
		return nil
	})
	return models, err
}

// RNGBackendsOf is the pure part of RNGBackends.
func RNGBackendsOf(caps *libvirtxml.DomainCaps) []string {
	if caps.Devices == nil || caps.Devices.RNG == nil || caps.Devices.RNG.Supported != "yes" {
		return nil
	}
	for _, e := range caps.Devices.RNG.Enums {
		if e.Name == "backendModel" {
			return e.Values
		}
	}
	return nil
}
