package hypervisor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// What the host offers: machine types, CPU models, firmware, share drivers,
// RNG backends, security models and its driver, read from its capabilities
// and domain capabilities. All are reads; each states its retry class
// (conn_retry.go). The pure parts (MachinesOf, FirmwareSupportOf, ...) live
// beside the domain XML they serve.

// Machines lists the machine types the host offers for domain type typ on
// its architecture, mapping each name (aliases such as "pc" included) to its
// canonical name (itself when it has none).
func (c *Client) Machines(ctx context.Context, typ string) (map[string]string, error) {
	return call(ctx, c, callOnce.on("read the capabilities of", "host", c.uri), func(s *session) (map[string]string, error) {
		return s.machines(typ)
	})
}

// machines is Machines on s.
func (s *session) machines(typ string) (map[string]string, error) {
	caps, err := s.capabilities()
	if err != nil {
		return nil, wrap(err, "read the capabilities of", "host", s.uri)
	}
	return MachinesOf(caps, typ), nil
}

// CheckCPU asks the host whether domain type typ can give guests the CPU c:
// the mode must be supported, a named model must be known and usable, and
// every feature must be known, every required one available. The error says
// what is wrong in words a user can act on.
func (c *Client) CheckCPU(ctx context.Context, typ string, cpu CPUSpec) error {
	return c.do(ctx, retryMain.on("check the CPU against", "host", c.uri), func(s *session) error { return s.checkCPU(typ, cpu) })
}

func (s *session) checkCPU(typ string, cpu CPUSpec) error {
	caps, err := s.domainCaps(typ, "")
	if IsUnsupported(err) {
		return nil // a driver that cannot describe its CPUs (the test driver): libvirt checks at start
	}
	if err != nil {
		return err
	}
	if err := CheckCPUCaps(caps, typ, cpu); err != nil {
		return err
	}
	// Feature names and availability: libvirt compares a CPU of a plain base
	// model plus the features with what the hypervisor offers.
	base := "qemu64"
	if isNamedModel(cpu.Mode) {
		base = cpu.Mode
	}
	names := make([]string, 0, len(cpu.Features))
	for n := range cpu.Features {
		names = append(names, n)
	}
	sort.Strings(names)
	var missing []string
	for _, n := range names {
		policy := cpu.Features[n]
		probe := &libvirtxml.DomainCPU{Mode: "custom", Match: "minimum", Model: &libvirtxml.DomainCPUModel{Value: base},
			Features: []libvirtxml.DomainCPUFeature{{Name: n, Policy: "require"}}}
		x, err := probe.Marshal()
		if err != nil {
			return err
		}
		res, err := s.conn().CompareHypervisorCPU("", hostArch, "", typ, x, 0)
		if err != nil {
			if strings.Contains(strings.ToLower(err.Error()), "unknown cpu feature") || codeOf(err) == ErrInvalid {
				return fmt.Errorf("libvirt does not know the CPU feature %q (%s)", n, lastLine(err.Error()))
			}
			return wrap(err, "compare the CPU with", "host", s.uri)
		}
		if (policy == "require" || policy == "force") && res == libvirt.CPU_COMPARE_INCOMPATIBLE {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("domain type %s on this host cannot provide the CPU feature(s) %s (with TCG, type qemu, QEMU does not emulate every "+
			"feature: RDSEED for example needs kvm)", typ, strings.Join(missing, ", "))
	}
	return nil
}

// FilesystemDrivers lists the share drivers ("9p", "virtiofs") that domain
// type typ offers on the host, from its domain capabilities.
func (c *Client) FilesystemDrivers(ctx context.Context, typ string) ([]string, error) {
	return call(ctx, c, retryMain.on("read the domain capabilities of", "host", c.uri), func(s *session) ([]string, error) {
		caps, err := s.domainCaps(typ, "")
		if err != nil {
			return nil, err
		}
		return FilesystemDriversOf(caps), nil
	})
}

// domainCaps reads and parses the domain capabilities of domain type typ with
// machine (empty: the hypervisor's default machine) on the host. A driver that
// cannot describe them (libvirt's test driver) gives an error IsUnsupported
// reports.
func (s *session) domainCaps(typ, machine string) (*libvirtxml.DomainCaps, error) {
	doc, err := s.conn().GetDomainCapabilities("", hostArch, machine, typ, 0)
	if err != nil {
		return nil, wrap(err, "read the domain capabilities of", "host", s.uri)
	}
	var caps libvirtxml.DomainCaps
	if err := caps.Unmarshal(doc); err != nil {
		return nil, &Error{Op: "parse the domain capabilities of", Kind: "host", Name: s.uri, Message: err.Error()}
	}
	return &caps, nil
}

// Firmware reads from the host's domain capabilities which firmware domain
// type typ offers with machine (empty: the hypervisor's default machine).
func (c *Client) Firmware(ctx context.Context, typ, machine string) (FirmwareSupport, error) {
	return call(ctx, c, retryMain.on("read the domain capabilities of", "host", c.uri), func(s *session) (FirmwareSupport, error) {
		caps, err := s.domainCaps(typ, machine)
		if IsUnsupported(err) {
			return FirmwareSupport{}, nil
		}
		if err != nil {
			return FirmwareSupport{}, err
		}
		fw := FirmwareSupportOf(caps)
		fw.Host, _ = s.conn().GetHostname()
		return fw, nil
	})
}

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

// Security reads how the host confines QEMU processes of domain type typ
// ("kvm", "qemu"); an empty typ takes the first DAC label.
func (c *Client) Security(ctx context.Context, typ string) (Security, error) {
	return call(ctx, c, callOnce.on("read the capabilities of", "host", c.uri), func(s *session) (Security, error) {
		caps, err := s.capabilities()
		if err != nil {
			return Security{}, wrap(err, "read the capabilities of", "host", s.uri)
		}
		return SecurityFromCaps(caps, typ), nil
	})
}

// IsXen reports whether the connection's driver is Xen (libvirt's libxl driver).
func (c *Client) IsXen(ctx context.Context) (bool, error) {
	return call(ctx, c, retryMain.on("read the driver of", "host", redactURI(c.uri)), func(s *session) (bool, error) {
		t, err := s.conn().GetType()
		return t == "Xen", wrap(err, "read the driver of", "host", redactURI(s.uri))
	})
}

func (s *session) capabilities() (*libvirtxml.Caps, error) {
	doc, err := s.conn().GetCapabilities()
	if err != nil {
		return nil, err
	}
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(doc); err != nil {
		return nil, err
	}
	return &caps, nil
}
