package hypervisor

import "context"

// The operations below run again on a reopened connection when the daemon
// went away while they ran (see Client.retry). Each is safe to repeat: a
// read, an idempotent change, or one that checks the current state first.
// Appending to a console log twice at worst repeats a boot marker line.
// Reads and console log deletes are spread over the client's connections
// (see Client.spread).

// EnsureConsolePool creates, builds and starts the console log pool when it
// is missing or inactive.
func (c *Client) EnsureConsolePool(ctx context.Context, p ConsolePool) error {
	// Every create asks; almost always the pool is there, active and
	// autostarted, which three reads on any connection tell.
	if ready, err := spreadRead(ctx, c, "look up", "storage pool", p.Name, func(rc *Client) (bool, error) {
		return rc.consolePoolReady(p), nil
	}); err == nil && ready {
		return nil
	}
	return c.retry(ctx, "prepare", "storage pool", p.Name, func() error { return c.ensureConsolePool(ctx, p) })
}

// ConsoleSize returns the size in bytes of domain's console log.
func (c *Client) ConsoleSize(ctx context.Context, p ConsolePool, domain string) (uint64, error) {
	if file, ok := c.consoleFile(p, domain); ok {
		if n, ok := localConsoleSize(file); ok {
			return n, nil
		}
	}
	return spreadRead(ctx, c, "read the size of", "console log of", domain, func(rc *Client) (uint64, error) {
		return rc.consoleSize(ctx, p, domain)
	})
}

// ReadConsole reads domain's console log from offset, at most limit bytes
// (all when limit is 0).
func (c *Client) ReadConsole(ctx context.Context, p ConsolePool, domain string, offset uint64, limit int) (b []byte, err error) {
	if file, ok := c.consoleFile(p, domain); ok {
		if b, ok := readLocalConsole(file, offset, limit); ok {
			return b, nil
		}
	}
	err = c.retry(ctx, "read", "console log of", domain, func() error {
		b, err = c.readConsole(ctx, p, domain, offset, limit)
		return err
	})
	return b, err
}

// AppendConsole appends text to domain's console log, creating it when missing.
func (c *Client) AppendConsole(ctx context.Context, p ConsolePool, domain, text string) error {
	if file, ok := c.consoleFile(p, domain); ok {
		if appendLocalConsole(file, text, true) {
			return nil
		}
	}
	return c.retry(ctx, "append to", "console log of", domain, func() error { return c.appendConsole(ctx, p, domain, text) })
}

// DeleteConsole removes the console log of domain and virtlogd's rotated copies.
func (c *Client) DeleteConsole(ctx context.Context, p ConsolePool, domain string) error {
	return c.spread(ctx, "delete", "console log of", domain, func(rc *Client) error { return rc.deleteConsole(ctx, p, domain) })
}

// AddDHCPHost adds a static DHCP reservation; adding an identical one again
// is not an error.
func (c *Client) AddDHCPHost(ctx context.Context, network string, h DHCPHost) error {
	return c.retry(ctx, "add a DHCP reservation to", kindNetwork, network, func() error { return c.addDHCPHost(ctx, network, h) })
}

// ChangeDHCPHost changes the reservation of h.MAC in one update, or adds it.
// Setting the same reservation again is not an error.
func (c *Client) ChangeDHCPHost(ctx context.Context, network string, h DHCPHost) error {
	return c.retry(ctx, "change a DHCP reservation of", kindNetwork, network, func() error { return c.changeDHCPHost(ctx, network, h) })
}

// RemoveDHCPHost removes the static DHCP reservation of mac; a missing one is
// not an error.
func (c *Client) RemoveDHCPHost(ctx context.Context, network, mac string) error {
	return c.retry(ctx, "remove a DHCP reservation from", kindNetwork, network, func() error { return c.removeDHCPHost(ctx, network, mac) })
}

// ReadNetwork returns the persistent definition and state of a network.
func (c *Client) ReadNetwork(ctx context.Context, name string) (NetworkInfo, error) {
	return spreadRead(ctx, c, "read", kindNetwork, name, func(rc *Client) (NetworkInfo, error) {
		return rc.readNetwork(ctx, name)
	})
}

// Leases returns the DHCP leases of a network.
func (c *Client) Leases(ctx context.Context, network string) ([]Lease, error) {
	return spreadRead(ctx, c, "read the leases of", kindNetwork, network, func(rc *Client) ([]Lease, error) {
		return rc.leases(ctx, network)
	})
}

// ReadVolume returns a volume's facts.
func (c *Client) ReadVolume(ctx context.Context, poolName, name string) (VolumeInfo, error) {
	return spreadRead(ctx, c, "read", kindVolume, poolName+"/"+name, func(rc *Client) (VolumeInfo, error) {
		return rc.readVolume(ctx, poolName, name)
	})
}

// DeleteVolume deletes a volume; a missing one is not an error.
func (c *Client) DeleteVolume(ctx context.Context, poolName, name string) error {
	return c.retry(ctx, "delete", kindVolume, poolName+"/"+name, func() error { return c.deleteVolume(ctx, poolName, name) })
}

// ReadPool returns a pool's definition and state.
func (c *Client) ReadPool(ctx context.Context, name string) (PoolInfo, error) {
	return spreadRead(ctx, c, "read", kindPool, name, func(rc *Client) (PoolInfo, error) {
		return rc.readPool(ctx, name)
	})
}

// DefineNetwork defines spec.Name without starting it and returns its UUID,
// after checking that its address ranges overlap no other network's. When
// the connection was lost during a define without a UUID (a create), the
// repeat first looks for the network: the lost call may have defined it.
func (c *Client) DefineNetwork(ctx context.Context, spec NetworkSpec) (uuid string, err error) {
	first := true
	err = c.retry(ctx, "define", kindNetwork, spec.Name, func() error {
		if !first && spec.UUID == "" {
			if info, rerr := c.readNetwork(ctx, spec.Name); rerr == nil {
				uuid = info.Spec.UUID
				return nil
			}
		}
		first = false
		uuid, err = c.defineNetwork(ctx, spec)
		return err
	})
	return uuid, err
}
