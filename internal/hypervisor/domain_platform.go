package hypervisor

import (
	"fmt"
	"sort"
	"strings"

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
