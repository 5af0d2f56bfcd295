package hypervisor

import (
	"flag"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"libvirt.org/go/libvirtxml"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var domainCases = map[string]DomainSpec{
	"multiboot": {
		Name: "mb-1", Type: "qemu", MemoryMiB: 16, VCPUs: 1,
		Kernel: "/var/lib/unikernel/pool/kernel.elf", Cmdline: `hello <&> "world"`,
		ConsoleLog: "/var/log/unikernel/mb-1.log",
	},
	"multiboot_no_acpi": {
		Name: "mb-2", Type: "qemu", MemoryMiB: 16, VCPUs: 1, NoACPI: true,
		Kernel: "/var/lib/unikernel/pool/kernel.elf", Cmdline: "service",
		ConsoleLog: "/var/log/unikernel/mb-2.log",
	},
	"microvm": {
		Name: "vm-1", Type: "kvm", MemoryMiB: 128, VCPUs: 2, Description: "web tier",
		Kernel: "/k/vmlinuz", Initrd: "/k/initramfs.cpio", Cmdline: "console=ttyS0 panic=-1",
		Interfaces: []InterfaceSpec{{Network: "net-a", MAC: "52:54:00:aa:bb:cc"}, {Network: "net-b", Model: "e1000"}},
		Disks:      []DiskSpec{{Path: "/d/data.qcow2", Format: "qcow2"}, {Path: "/d/ro.raw", ReadOnly: true, Bus: "sata"}},
		ConsoleLog: "/var/log/unikernel/vm-1.log", OnCrash: "restart", OnPoweroff: "preserve",
	},
	"diskboot": {
		Name: "nanos-1", Type: "qemu", MemoryMiB: 64, VCPUs: 1,
		Disks:      []DiskSpec{{Path: "/d/nanos.img", Format: "raw"}, {Path: "/d/seed.iso", Format: "iso"}},
		Interfaces: []InterfaceSpec{{Network: "default", MAC: "52:54:00:00:00:01"}},
		ConsoleLog: "/var/log/unikernel/nanos-1.log",
	},
	"family": {
		Name: "osv-1", Type: "qemu", MemoryMiB: 64, VCPUs: 1, Family: "osv",
		Kernel: "/k/loader.elf", Cmdline: "--ip=eth0,10.0.0.2,255.255.255.0 /hello",
		ConsoleLog: "/var/log/unikernel/osv-1.log",
	},
	"xen": {
		Name: "mirage-1", Type: "xen", MemoryMiB: 32, VCPUs: 1,
		Kernel: "/k/mirage.xen", Cmdline: "--ipv4=10.0.0.2/24",
		Interfaces: []InterfaceSpec{{Network: "default", MAC: "00:16:3e:00:00:01"}},
		ConsoleLog: "/var/log/unikernel/mirage-1.log",
	},
}

func TestDomainXMLGolden(t *testing.T) {
	for name, spec := range domainCases {
		t.Run(name, func(t *testing.T) {
			x, err := DomainXML(spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "domain_"+name+".xml")
			checkGolden(t, golden, got)
			validateXML(t, "domain", golden)
		})
	}
}

// validateXML checks a document against libvirt's RNG schemas. With TF_ACC
// set (the README's test command) virt-xml-validate must be present.
func validateXML(t *testing.T, schema, file string) {
	t.Helper()
	bin, err := exec.LookPath("virt-xml-validate")
	if err != nil {
		// The golden files are only proved valid by libvirt's own schemas: no tool, no pass.
		t.Fatalf("virt-xml-validate not found (Debian packages libvirt-clients and libxml2-utils; `make deps` installs them): %v", err)
	}
	if out, err := exec.Command(bin, file, schema).CombinedOutput(); err != nil {
		t.Errorf("%s does not validate against libvirt's %s schema: %v\n%s", file, schema, err, out)
	}
}

func TestDomainSpecRoundTrip(t *testing.T) {
	for name, spec := range domainCases {
		t.Run(name, func(t *testing.T) {
			x, err := DomainXML(spec)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := x.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var back libvirtxml.Domain
			if err := back.Unmarshal(doc); err != nil {
				t.Fatal(err)
			}
			got := SpecFromDomainXML(&back)
			if !reflect.DeepEqual(got, normalize(spec)) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, normalize(spec))
			}
		})
	}
}

// normalize fills in the defaults that DomainXML applies, as Read reports them.
func normalize(s DomainSpec) DomainSpec {
	s.OnCrash = orDefault(s.OnCrash, "destroy")
	s.OnPoweroff = orDefault(s.OnPoweroff, "destroy")
	if s.VCPUs == 0 {
		s.VCPUs = 1
	}
	disks := make([]DiskSpec, len(s.Disks))
	for i, d := range s.Disks {
		d.Format = orDefault(d.Format, "raw")
		d.Bus = orDefault(d.Bus, "virtio")
		if s.Type == "xen" && d.Bus == "virtio" {
			d.Bus = "xen"
		}
		if d.Format == "iso" {
			d.ReadOnly = false
			if d.Bus == "virtio" {
				d.Bus = "sata"
			}
		}
		disks[i] = d
	}
	if len(disks) > 0 {
		s.Disks = disks
	}
	nics := make([]InterfaceSpec, len(s.Interfaces))
	for i, n := range s.Interfaces {
		n.Model = orDefault(n.Model, defaultNICModel(s.Type))
		nics[i] = n
	}
	if len(nics) > 0 {
		s.Interfaces = nics
	}
	return s
}

func TestDomainXMLLean(t *testing.T) {
	x, err := DomainXML(domainCases["multiboot"])
	if err != nil {
		t.Fatal(err)
	}
	if x.OnReboot != "destroy" {
		t.Errorf("on_reboot = %q, want destroy so that a panicking guest stops", x.OnReboot)
	}
	if x.Devices.MemBalloon == nil || x.Devices.MemBalloon.Model != "none" {
		t.Error("memballoon must be disabled")
	}
	if len(x.Devices.Controllers) != 1 || x.Devices.Controllers[0].Type != "usb" || x.Devices.Controllers[0].Model != "none" {
		t.Errorf("USB controller must be disabled: %+v", x.Devices.Controllers)
	}
	if len(x.Devices.Graphics) != 0 || len(x.Devices.Videos) != 0 || len(x.Devices.Inputs) != 0 {
		t.Error("no graphics, video or input devices expected")
	}
}

func TestDomainXMLRejects(t *testing.T) {
	cases := map[string]DomainSpec{
		"no name":    {Type: "qemu"},
		"bad type":   {Name: "x", Type: "lxc"},
		"bad bus":    {Name: "x", Disks: []DiskSpec{{Path: "/a", Bus: "floppy"}}},
		"bad fmt":    {Name: "x", Disks: []DiskSpec{{Path: "/a", Format: "vmdk"}}},
		"nic no net": {Name: "x", Interfaces: []InterfaceSpec{{MAC: "52:54:00:00:00:01"}}},
	}
	for name, spec := range cases {
		if _, err := DomainXML(spec); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

func TestKernelBootTypes(t *testing.T) {
	caps := &libvirtxml.Caps{
		Host: libvirtxml.CapsHost{CPU: &libvirtxml.CapsHostCPU{Arch: "x86_64"}},
		Guests: []libvirtxml.CapsGuest{
			{OSType: "hvm", Arch: libvirtxml.CapsGuestArch{Name: "i686", Domains: []libvirtxml.CapsGuestDomain{{Type: "qemu"}}}},
			{OSType: "hvm", Arch: libvirtxml.CapsGuestArch{Name: "x86_64", Domains: []libvirtxml.CapsGuestDomain{{Type: "qemu"}, {Type: "kvm"}}}},
			{OSType: "exe", Arch: libvirtxml.CapsGuestArch{Name: "x86_64", Domains: []libvirtxml.CapsGuestDomain{{Type: "lxc"}}}},
		},
	}
	if got := KernelBootTypes(caps); !reflect.DeepEqual(got, []string{"kvm", "qemu"}) {
		t.Errorf("KernelBootTypes = %v, want [kvm qemu]", got)
	}
	caps.Guests = caps.Guests[:1]
	if got := KernelBootTypes(caps); len(got) != 0 {
		t.Errorf("KernelBootTypes for another arch only = %v, want none", got)
	}
}

func TestVersionString(t *testing.T) {
	if got := versionString(9000000); got != "9.0.0" {
		t.Errorf("got %s", got)
	}
	if got := versionString(7002022); got != "7.2.22" {
		t.Errorf("got %s", got)
	}
}
