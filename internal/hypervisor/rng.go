package hypervisor

import (
	"context"

	"libvirt.org/go/libvirtxml"
)

// RNGBackends lists the virtio-rng backend models ("random", "egd",
// "builtin") that domain type typ offers on the host, from its domain
// capabilities. The provider's `rng` uses "random" (the host's /dev/urandom).
func (c *Client) RNGBackends(ctx context.Context, typ string) ([]string, error) {
	return call(ctx, c, retryMain.on("read the domain capabilities of", "host", c.uri), func(s *session) ([]string, error) {
		caps, err := s.domainCaps(typ, "")
		if err != nil {
			return nil, err
		}
		return RNGBackendsOf(caps), nil
	})
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
