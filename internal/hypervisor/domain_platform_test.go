package hypervisor

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func init() {
	domainCases["filesystems"] = DomainSpec{
		Name: "unikraft-1", Type: "qemu", MemoryMiB: 64, VCPUs: 1,
		Kernel: "/k/app_qemu-x86_64", Cmdline: "vfs.fstab=[ \"fs0:/:9pfs:::\" ] --",
		Filesystems: []FilesystemSpec{
			{Source: "/srv/rootfs", Tag: "fs0", Driver: "9p"},
			{Source: "/srv/static", Tag: "static", ReadOnly: true, Driver: "9p"},
			{Source: "/srv/data", Tag: "data", Driver: "virtiofs"},
		},
		ConsoleLog: "/var/log/unikernel/unikraft-1.log",
	}
	// The default Xen guest mode reads back by its name.
	x := domainCases["xen"]
	x.XenMode = "pvh"
	domainCases["xen"] = x
	// Xen guest modes: Unikraft's x86 Xen platform is PV, OSv on Xen is HVM.
	domainCases["xen_pv"] = DomainSpec{
		Name: "unikraft-xen-1", Type: "xen", XenMode: "pv", MemoryMiB: 32, VCPUs: 1,
		Kernel: "/k/helloworld_xen-x86_64", Cmdline: "netdev.ip=10.0.0.2/24:10.0.0.1 --",
		Interfaces: []InterfaceSpec{{Network: "default", MAC: "00:16:3e:00:00:02"}},
		ConsoleLog: "/var/log/unikernel/unikraft-xen-1.log",
	}
	domainCases["xen_hvm"] = DomainSpec{
		Name: "osv-xen-1", Type: "xen", XenMode: "hvm", MemoryMiB: 256, VCPUs: 2,
		Disks:      []DiskSpec{{Path: "/d/osv.qcow2", Format: "qcow2"}},
		Interfaces: []InterfaceSpec{{Network: "default", MAC: "00:16:3e:00:00:03"}},
		ConsoleLog: "/var/log/unikernel/osv-xen-1.log",
	}
	// Golden, round-trip and schema checks of the platform settings.
	domainCases["platform_named_cpu"] = DomainSpec{
		Name: "osv-1", Type: "kvm", MemoryMiB: 256, VCPUs: 2, Machine: "q35", RNG: true,
		CPU:   &CPUSpec{Mode: "Westmere", Features: map[string]string{"x2apic": "require", "rdrand": "require", "avx": "disable"}},
		Disks: []DiskSpec{{Path: "/d/osv.qcow2", Format: "qcow2"}}, ConsoleLog: "/var/log/unikernel/osv-1.log",
	}
	domainCases["platform_maximum"] = DomainSpec{
		Name: "job-1", Type: "qemu", MemoryMiB: 16, VCPUs: 1, Machine: "pc-i440fx-7.2",
		CPU:    &CPUSpec{Mode: CPUMaximum},
		Kernel: "/k/kernel.elf", Cmdline: "poweroff", ConsoleLog: "/var/log/unikernel/job-1.log",
	}
}

var testDomainCaps = &libvirtxml.DomainCaps{CPU: &libvirtxml.DomainCapsCPU{Modes: []libvirtxml.DomainCapsCPUMode{
	{Name: "host-passthrough", Supported: "no"},
	{Name: "maximum", Supported: "yes"},
	{Name: "host-model", Supported: "yes"},
	{Name: "custom", Supported: "yes", Models: []libvirtxml.DomainCapsCPUModel{
		{Name: "qemu64", Usable: "yes"}, {Name: "Westmere", Usable: "yes"}, {Name: "Skylake-Server", Usable: "no"},
	}},
}}}

func TestCheckCPUCaps(t *testing.T) {
	for mode, want := range map[string]string{
		"maximum":          "",
		"host-model":       "",
		"Westmere":         "",
		"host-passthrough": "not supported by domain type qemu on this host; it offers maximum, host-model",
		"Skylake-Server":   "not usable with domain type qemu on this host",
		"Pentium9000":      `CPU model "Pentium9000" is not known`,
	} {
		err := CheckCPUCaps(testDomainCaps, "qemu", CPUSpec{Mode: mode})
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", mode, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want one containing %q", mode, err, want)
		}
	}
}

func TestMachinesOf(t *testing.T) {
	caps := &libvirtxml.Caps{
		Host: libvirtxml.CapsHost{CPU: &libvirtxml.CapsHostCPU{Arch: "x86_64"}},
		Guests: []libvirtxml.CapsGuest{{OSType: "hvm", Arch: libvirtxml.CapsGuestArch{
			Name:     "x86_64",
			Machines: []libvirtxml.CapsGuestMachine{{Name: "pc-i440fx-7.2"}, {Name: "pc", Canonical: "pc-i440fx-7.2"}, {Name: "q35", Canonical: "pc-q35-7.2"}},
			Domains:  []libvirtxml.CapsGuestDomain{{Type: "qemu"}, {Type: "kvm", Machines: []libvirtxml.CapsGuestMachine{{Name: "microvm"}}}},
		}}},
	}
	q := MachinesOf(caps, "qemu")
	if q["pc"] != "pc-i440fx-7.2" || q["pc-i440fx-7.2"] != "pc-i440fx-7.2" || q["q35"] != "pc-q35-7.2" || len(q) != 3 {
		t.Errorf("qemu machines = %v", q)
	}
	if k := MachinesOf(caps, "kvm"); len(k) != 1 || k["microvm"] != "microvm" {
		t.Errorf("kvm machines = %v", k)
	}
	if x := MachinesOf(caps, "xen"); len(x) != 0 {
		t.Errorf("xen machines = %v", x)
	}
}

func TestCPUXMLNamedModel(t *testing.T) {
	x := cpuXML(&CPUSpec{Mode: "Westmere", Features: map[string]string{"rdrand": "require"}})
	if x.Mode != "custom" || x.Model == nil || x.Model.Value != "Westmere" || x.Model.Fallback != "forbid" {
		t.Errorf("named model maps to %+v", x)
	}
	back := cpuFromXML(x)
	if back.Mode != "Westmere" || back.Features["rdrand"] != "require" {
		t.Errorf("read back %+v", back)
	}
	if cpuFromXML(&libvirtxml.DomainCPU{Mode: "custom"}) != nil {
		t.Error("a custom CPU without a model reads back as no CPU setting")
	}
}
