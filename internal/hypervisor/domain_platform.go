package hypervisor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// CPU modes that are not a named model.
const (
	CPUHostPassthrough = "host-passthrough"
	CPUHostModel       = "host-model"
	CPUMaximum         = "maximum"
)

// CPUSpec is the guest CPU: Mode is host-passthrough, host-model, maximum,
// or the name of a CPU model (libvirt's custom mode). Features maps a CPUID
// feature name (libvirt's spelling, e.g. "rdrand") to its policy: require,
// disable, force, forbid or optional.
type CPUSpec struct {
	Mode     string
	Features map[string]string
}

// CPUFeaturePolicies are the policies a feature may have.
var CPUFeaturePolicies = []string{"require", "disable", "force", "forbid", "optional"}

// isNamedModel reports whether mode names a CPU model rather than a mode.
func isNamedModel(mode string) bool {
	switch mode {
	case CPUHostPassthrough, CPUHostModel, CPUMaximum:
		return false
	}
	return mode != ""
}

// cpuXML maps a CPU spec to libvirt's <cpu>. Features are sorted by name so
// that the document is stable.
func cpuXML(c *CPUSpec) *libvirtxml.DomainCPU {
	if c == nil || c.Mode == "" {
		return nil
	}
	x := &libvirtxml.DomainCPU{Mode: c.Mode}
	if isNamedModel(c.Mode) {
		x.Mode, x.Match = "custom", "exact"
		x.Model = &libvirtxml.DomainCPUModel{Value: c.Mode, Fallback: "forbid"}
	}
	names := make([]string, 0, len(c.Features))
	for n := range c.Features {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		x.Features = append(x.Features, libvirtxml.DomainCPUFeature{Name: n, Policy: c.Features[n]})
	}
	return x
}

// cpuFromXML maps a persistent <cpu> back; nil when there is none.
func cpuFromXML(x *libvirtxml.DomainCPU) *CPUSpec {
	if x == nil {
		return nil
	}
	c := &CPUSpec{Mode: x.Mode}
	if x.Mode == "" || x.Mode == "custom" {
		if x.Model == nil || x.Model.Value == "" {
			return nil
		}
		c.Mode = x.Model.Value
	}
	if len(x.Features) > 0 {
		c.Features = map[string]string{}
		for _, f := range x.Features {
			c.Features[f.Name] = orDefault(f.Policy, "require")
		}
	}
	return c
}

// rngXML is a virtio-rng device fed from the host's /dev/urandom.
func rngXML() libvirtxml.DomainRNG {
	return libvirtxml.DomainRNG{
		Model:   "virtio",
		Backend: &libvirtxml.DomainRNGBackend{Random: &libvirtxml.DomainRNGBackendRandom{Device: "/dev/urandom"}},
	}
}

// Xen guest modes and libvirt's OS types for them.
var xenOSTypes = map[string]string{"pvh": "xenpvh", "pv": "xen", "hvm": "hvm"}

func xenOSType(mode string) (string, error) {
	t, ok := xenOSTypes[orDefault(mode, "pvh")]
	if !ok {
		return "", fmt.Errorf("xen guest mode %q is not one of pvh, pv, hvm", mode)
	}
	return t, nil
}

// applyPlatform adds the CPU, machine type and RNG of spec to d, and for a
// Xen HVM guest the ACPI and APIC that its firmware-less boot expects.
func applyPlatform(d *libvirtxml.Domain, spec DomainSpec) {
	if d.Type == "xen" && d.OS.Type.Type == "hvm" {
		d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}}
	}
	d.CPU = cpuXML(spec.CPU)
	if spec.Machine != "" {
		d.OS.Type.Machine = spec.Machine
	}
	if spec.RNG {
		d.Devices.RNGs = []libvirtxml.DomainRNG{rngXML()}
	}
}

// readPlatform fills the CPU, machine type and RNG of s from d.
func readPlatform(d *libvirtxml.Domain, s *DomainSpec) {
	s.CPU = cpuFromXML(d.CPU)
	if d.OS != nil && d.OS.Type != nil {
		s.Machine = d.OS.Type.Machine
		if d.Type == "xen" {
			for mode, t := range xenOSTypes {
				if t == d.OS.Type.Type {
					s.XenMode = mode
				}
			}
			if d.OS.Type.Type == "linux" {
				s.XenMode = "pv" // libvirt's libxl driver reports PV guests as "linux"
			}
		}
	}
	if d.Devices != nil {
		for _, r := range d.Devices.RNGs {
			if isOurRNG(r) {
				s.RNG = true
			}
		}
	}
}

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

// MachinesOf is the pure part of Machines.
func MachinesOf(caps *libvirtxml.Caps, typ string) map[string]string {
	out := map[string]string{}
	add := func(ms []CapsMachine) {
		for _, m := range ms {
			out[m.Name] = orDefault(m.Canonical, m.Name)
		}
	}
	for _, g := range caps.Guests {
		if g.Arch.Name != caps.Host.CPU.Arch {
			continue
		}
		for _, d := range g.Arch.Domains {
			if d.Type != typ {
				continue
			}
			// Machines listed under the domain override the arch's; the arch's
			// apply to every domain type that lists none of its own.
			if len(d.Machines) > 0 {
				add(d.Machines)
			} else {
				add(g.Arch.Machines)
			}
		}
	}
	return out
}

// CapsMachine is libvirt's capabilities <machine> element.
type CapsMachine = libvirtxml.CapsGuestMachine

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

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// CheckCPUCaps checks the mode or model of cpu against domain capabilities.
// Pure.
func CheckCPUCaps(caps *libvirtxml.DomainCaps, typ string, cpu CPUSpec) error {
	if caps.CPU == nil {
		return fmt.Errorf("the host does not report CPU modes for domain type %s", typ)
	}
	modes := map[string]libvirtxml.DomainCapsCPUMode{}
	var offered []string
	for _, m := range caps.CPU.Modes {
		modes[m.Name] = m
		if m.Supported == "yes" && m.Name != "custom" {
			offered = append(offered, m.Name)
		}
	}
	if !isNamedModel(cpu.Mode) {
		if m, ok := modes[cpu.Mode]; !ok || m.Supported != "yes" {
			return fmt.Errorf("CPU mode %s is not supported by domain type %s on this host; it offers %s, or a named model",
				cpu.Mode, typ, strings.Join(offered, ", "))
		}
		return nil
	}
	custom, ok := modes["custom"]
	if !ok || custom.Supported != "yes" {
		return fmt.Errorf("domain type %s on this host offers no named CPU models; use one of %s", typ, strings.Join(offered, ", "))
	}
	var usable []string
	for _, m := range custom.Models {
		if m.Usable == "yes" {
			usable = append(usable, m.Name)
		}
	}
	sort.Strings(usable)
	for _, m := range custom.Models {
		if m.Name != cpu.Mode {
			continue
		}
		if m.Usable == "no" {
			return fmt.Errorf("CPU model %s is known but not usable with domain type %s on this host (it lacks some of the "+
				"model's features); usable models: %s", cpu.Mode, typ, strings.Join(usable, ", "))
		}
		return nil
	}
	return fmt.Errorf("CPU model %q is not known to domain type %s on this host; use %s, %s, %s or one of: %s",
		cpu.Mode, typ, CPUHostPassthrough, CPUHostModel, CPUMaximum, strings.Join(usable, ", "))
}

// DomainStopReason tells why a shut-off domain stopped: "shutdown" when the
// guest powered itself off, "crashed", "destroyed", "failed" or "other".
// Empty while it runs.
func (c *Client) DomainStopReason(ctx context.Context, name string) (string, error) {
	return call(ctx, c, callOnce.on("read the state of", kindDomain, name), func(s *session) (string, error) {
		dom, err := s.lookupDomain(name)
		if err != nil {
			return "", err
		}
		defer func() { _ = dom.Free() }()
		st, reason, err := dom.GetState()
		if err != nil {
			return "", wrap(err, "read the state of", kindDomain, name)
		}
		if st != libvirt.DOMAIN_SHUTOFF {
			if st == libvirt.DOMAIN_CRASHED {
				return "crashed", nil
			}
			return "", nil
		}
		switch libvirt.DomainShutoffReason(reason) {
		case libvirt.DOMAIN_SHUTOFF_SHUTDOWN:
			return "shutdown", nil
		case libvirt.DOMAIN_SHUTOFF_CRASHED:
			return "crashed", nil
		case libvirt.DOMAIN_SHUTOFF_DESTROYED:
			return "destroyed", nil
		case libvirt.DOMAIN_SHUTOFF_FAILED:
			return "failed", nil
		}
		return "other", nil
	})
}
