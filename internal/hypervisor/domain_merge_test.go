package hypervisor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// The fixtures in testdata/adopt are definitions as libvirt 9.0 holds them
// (virsh dumpxml --inactive) after the tools that made them defined them:
// src/ holds what each tool sent, and capture.sh defined them on the test
// harness's libvirtd and wrote what libvirt kept.
var adoptFixtures = []string{
	"dmacvicar08_overlay", "dmacvicar08_file_disk", "dmacvicar08_kernel", "dmacvicar09",
	"virtinstall", "virsh_file_serial",
}

// ourFixtures are domains that DomainXML built for domainCases, as libvirt
// holds them, under the names that capture.sh gave them.
var ourFixtures = []string{"diskboot", "family", "filesystems", "multiboot", "platform_named_cpu"}

func loadFixture(t *testing.T, name string) *libvirtxml.Domain {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "adopt", name+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(string(doc)); err != nil {
		t.Fatal(err)
	}
	return &d
}

func marshal(t *testing.T, d *libvirtxml.Domain) string {
	t.Helper()
	doc, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func merge(t *testing.T, old *libvirtxml.Domain, spec DomainSpec) *libvirtxml.Domain {
	t.Helper()
	before := marshal(t, old)
	d, err := MergeDomainXML(old, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if marshal(t, old) != before {
		t.Fatal("MergeDomainXML changed the definition it was given")
	}
	return d
}

// sameExcept checks that got equals want once revert has put back into got
// what the change was meant to change.
func sameExcept(t *testing.T, want, got *libvirtxml.Domain, revert func(got *libvirtxml.Domain)) {
	t.Helper()
	c, err := copyDomain(got)
	if err != nil {
		t.Fatal(err)
	}
	revert(c)
	if w, g := marshal(t, want), marshal(t, c); w != g {
		t.Errorf("the change altered more than it owns:\n--- held\n%s\n--- merged (owned fields put back)\n%s", w, g)
	}
}

// Redefining an adopted domain with the spec read back from it changes
// nothing at all.
func TestMergeReadBackChangesNothing(t *testing.T) {
	for _, name := range append(append([]string{}, adoptFixtures...), prefixed("ours_", ourFixtures)...) {
		t.Run(name, func(t *testing.T) {
			old := loadFixture(t, name)
			got := merge(t, old, SpecFromDomainXML(old))
			if w, g := marshal(t, old), marshal(t, got); w != g {
				t.Errorf("redefinition with the read-back spec changed the domain:\n--- held\n%s\n--- merged\n%s", w, g)
			}
		})
	}
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

// Our own domains, redefined with the spec the provider sends (defaults
// left empty as in the configuration), stay as libvirt holds them, and a
// merge of DomainXML's own output gives DomainXML's output.
func TestMergeOwnDomainsUnchanged(t *testing.T) {
	for _, name := range ourFixtures {
		t.Run(name, func(t *testing.T) {
			old := loadFixture(t, "ours_"+name)
			spec := domainCases[name]
			spec.Name, spec.UUID = old.Name, old.UUID
			if spec.Machine == "q35" {
				// Client.keepMachineVersion keeps the version that libvirt resolved the alias to.
				spec.Machine = old.OS.Type.Machine
			}
			got := merge(t, old, spec)
			if w, g := marshal(t, old), marshal(t, got); w != g {
				t.Errorf("redefinition with the same spec changed the domain:\n--- held\n%s\n--- merged\n%s", w, g)
			}
		})
	}
	for name, spec := range domainCases {
		t.Run("built_"+name, func(t *testing.T) {
			x, err := DomainXML(spec)
			if err != nil {
				t.Fatal(err)
			}
			got := merge(t, x, spec)
			if w, g := marshal(t, x), marshal(t, got); w != g {
				t.Errorf("merge of DomainXML's own output differs:\n--- built\n%s\n--- merged\n%s", w, g)
			}
		})
	}
}

// A memory change alters <memory> and <currentMemory> only: the file serial,
// on_reboot, controllers, balloon, inputs and graphics stay.
func TestMergeMemoryChange(t *testing.T) {
	for _, name := range adoptFixtures {
		t.Run(name, func(t *testing.T) {
			old := loadFixture(t, name)
			spec := SpecFromDomainXML(old)
			spec.MemoryMiB += 64
			got := merge(t, old, spec)
			if got.Memory.Value != spec.MemoryMiB*1024 || got.Memory.Unit != "KiB" ||
				got.CurrentMemory == nil || got.CurrentMemory.Value != spec.MemoryMiB*1024 || got.CurrentMemory.Unit != "KiB" {
				t.Errorf("memory %+v, current %+v; want %d KiB", got.Memory, got.CurrentMemory, spec.MemoryMiB*1024)
			}
			sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Memory, g.CurrentMemory = old.Memory, old.CurrentMemory })
			if back := SpecFromDomainXML(got); back.ConsoleLog != SpecFromDomainXML(old).ConsoleLog || got.OnReboot != old.OnReboot {
				t.Errorf("console log %q, on_reboot %q after the change", back.ConsoleLog, got.OnReboot)
			}
		})
	}
}

func TestMergeDescriptionChange(t *testing.T) {
	for _, name := range adoptFixtures {
		t.Run(name, func(t *testing.T) {
			old := loadFixture(t, name)
			spec := SpecFromDomainXML(old)
			spec.Description = "adopted <by> unikernel"
			got := merge(t, old, spec)
			if got.Description != spec.Description {
				t.Errorf("description %q", got.Description)
			}
			sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Description = old.Description })
		})
	}
}

// The console log reads back the console that the domain has: a file serial
// port's file, a pty's log, nothing for a pty without one.
func TestConsoleLogReadsTheDomainsConsole(t *testing.T) {
	for name, want := range map[string]string{
		"virsh_file_serial":   "/var/log/tf-acc-merge/virsh-serial.log",
		"dmacvicar08_kernel":  "/var/log/tf-acc-merge/dm08k-serial.log",
		"dmacvicar08_overlay": "",
		"virtinstall":         "",
		"ours_multiboot":      "/var/log/unikernel/mb-1.log",
	} {
		if got := SpecFromDomainXML(loadFixture(t, name)).ConsoleLog; got != want {
			t.Errorf("%s: console log %q, want %q", name, got, want)
		}
	}
	// A Xen guest whose serial port is read back as its console.
	d := &libvirtxml.Domain{Type: "xen", Devices: &libvirtxml.DomainDeviceList{Consoles: []libvirtxml.DomainConsole{{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
		Log:    &libvirtxml.DomainChardevLog{File: "/var/log/xen/console/guest-x.log"},
	}}}}
	if got := SpecFromDomainXML(d).ConsoleLog; got != "/var/log/xen/console/guest-x.log" {
		t.Errorf("xen console log %q", got)
	}
}

// A domain with a serial port keeps it; the spec's ConsoleLog (the
// provider's console pool) does not replace it. One with no serial port and
// no console gets the provider's.
func TestMergeSerialDevices(t *testing.T) {
	old := loadFixture(t, "virsh_file_serial")
	spec := SpecFromDomainXML(old)
	spec.ConsoleLog = "/var/lib/unikernel/console/tf-acc-merge-virsh.log"
	got := merge(t, old, spec)
	if w, g := marshal(t, old), marshal(t, got); w != g {
		t.Errorf("the serial port was replaced:\n%s", g)
	}
	bare, err := copyDomain(old)
	if err != nil {
		t.Fatal(err)
	}
	bare.Devices.Serials, bare.Devices.Consoles = nil, nil
	got = merge(t, bare, spec)
	if len(got.Devices.Serials) != 1 || got.Devices.Serials[0].Log == nil || got.Devices.Serials[0].Log.File != spec.ConsoleLog ||
		got.Devices.Serials[0].Source.Pty == nil {
		t.Errorf("a domain without a serial port gets the provider's: %+v", got.Devices.Serials)
	}
}

// A new path for the disk edits that disk's source only: its address and
// driver options (cache, discard) stay.
func TestMergeDiskPathChange(t *testing.T) {
	old := loadFixture(t, "virsh_file_serial")
	spec := SpecFromDomainXML(old)
	spec.Disks[0].Path = "/var/lib/libvirt/images/tf-acc-merge/nanos-2.img"
	got := merge(t, old, spec)
	if p := got.Devices.Disks[0].Source.File.File; p != spec.Disks[0].Path {
		t.Errorf("disk source %q", p)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Devices.Disks[0].Source = old.Devices.Disks[0].Source })
}

// A format change of a disk edits the driver type and keeps its options.
func TestMergeDiskFormatChange(t *testing.T) {
	old := loadFixture(t, "virsh_file_serial")
	spec := SpecFromDomainXML(old)
	spec.Disks[0].Format = "qcow2"
	got := merge(t, old, spec)
	drv := got.Devices.Disks[0].Driver
	if drv.Type != "qcow2" || drv.Cache != "none" || drv.Discard != "unmap" {
		t.Errorf("driver %+v", drv)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Devices.Disks[0].Driver.Type = "raw" })
}

// A bus change gives the disk the new bus's device name and lets libvirt
// choose its address.
func TestMergeDiskBusChange(t *testing.T) {
	old := loadFixture(t, "virtinstall")
	spec := SpecFromDomainXML(old)
	spec.Disks[0].Bus = "virtio"
	got := merge(t, old, spec)
	d := got.Devices.Disks[0]
	if d.Target.Bus != "virtio" || d.Target.Dev != "vda" || d.Address != nil {
		t.Errorf("target %+v, address %+v", d.Target, d.Address)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) {
		g.Devices.Disks[0].Target, g.Devices.Disks[0].Address = old.Devices.Disks[0].Target, old.Devices.Disks[0].Address
	})
}

// A disk the spec does not model (the libvirt provider's volume disk) stays;
// a disk the spec adds takes a free device name beside it.
func TestMergeKeepsVolumeDiskAndAddsOne(t *testing.T) {
	old := loadFixture(t, "dmacvicar08_overlay")
	spec := SpecFromDomainXML(old)
	if len(spec.Disks) != 0 {
		t.Fatalf("a volume disk is not modelled, read back %+v", spec.Disks)
	}
	spec.Disks = []DiskSpec{{Path: "/var/lib/libvirt/images/tf-acc-merge/seed.iso", Format: "iso"}, {Path: "/var/lib/libvirt/images/tf-acc-merge/data.raw"}}
	got := merge(t, old, spec)
	disks := got.Devices.Disks
	if len(disks) != 3 || marshalDisk(t, disks[0]) != marshalDisk(t, old.Devices.Disks[0]) {
		t.Fatalf("disks %+v", disks)
	}
	if disks[1].Target.Dev != "sda" || disks[1].Device != "cdrom" || disks[2].Target.Dev != "vdb" || disks[2].Address != nil {
		t.Errorf("new disks: %+v %+v / %+v", disks[1].Target, disks[1].Device, disks[2].Target)
	}
	back := SpecFromDomainXML(got)
	if len(back.Disks) != 2 || back.Disks[0].Path != spec.Disks[0].Path || back.Disks[1].Path != spec.Disks[1].Path {
		t.Errorf("read back %+v", back.Disks)
	}
}

func marshalDisk(t *testing.T, d libvirtxml.DomainDisk) string {
	t.Helper()
	doc, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func marshalNIC(t *testing.T, n libvirtxml.DomainInterface) string {
	t.Helper()
	doc, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// A NIC added keeps the others as they are, addresses included; a NIC
// removed takes nothing else with it.
func TestMergeInterfaces(t *testing.T) {
	old := loadFixture(t, "dmacvicar08_file_disk")
	spec := SpecFromDomainXML(old)
	spec.Interfaces = append(spec.Interfaces, InterfaceSpec{Network: "tf-acc-merge-net"})
	got := merge(t, old, spec)
	nics := got.Devices.Interfaces
	if len(nics) != 3 {
		t.Fatalf("%d interfaces", len(nics))
	}
	for i := range 2 {
		if marshalNIC(t, nics[i]) != marshalNIC(t, old.Devices.Interfaces[i]) {
			t.Errorf("interface %d changed: %s", i, marshalNIC(t, nics[i]))
		}
	}
	if nics[2].Address != nil || nics[2].MAC != nil || nics[2].Model.Type != "virtio" {
		t.Errorf("the new interface: %s", marshalNIC(t, nics[2]))
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Devices.Interfaces = g.Devices.Interfaces[:2] })

	// The first one goes: the second keeps its MAC and address.
	spec = SpecFromDomainXML(old)
	spec.Interfaces = spec.Interfaces[1:]
	got = merge(t, old, spec)
	if len(got.Devices.Interfaces) != 1 || marshalNIC(t, got.Devices.Interfaces[0]) != marshalNIC(t, old.Devices.Interfaces[1]) {
		t.Errorf("after removing the first: %+v", got.Devices.Interfaces)
	}

	// The model changes: the interface keeps its MAC and address.
	spec = SpecFromDomainXML(old)
	spec.Interfaces[1].Model = "e1000"
	got = merge(t, old, spec)
	if got.Devices.Interfaces[1].Model.Type != "e1000" {
		t.Errorf("model %+v", got.Devices.Interfaces[1].Model)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Devices.Interfaces[1].Model = old.Devices.Interfaces[1].Model })

	// Unknown MAC and model (the plan leaves them to libvirt) keep the interface's.
	spec = SpecFromDomainXML(old)
	for i := range spec.Interfaces {
		spec.Interfaces[i].MAC, spec.Interfaces[i].Model = "", ""
	}
	if w, g := marshal(t, old), marshal(t, merge(t, old, spec)); w != g {
		t.Errorf("an empty MAC and model changed the interfaces:\n%s", g)
	}
}

// An interface that is not on a libvirt network (a bridge) is not modelled
// and stays, before the network interfaces as it was.
func TestMergeKeepsBridgeInterface(t *testing.T) {
	old := loadFixture(t, "virsh_file_serial")
	spec := SpecFromDomainXML(old)
	if len(spec.Interfaces) != 1 || spec.Interfaces[0].Network != "tf-acc-merge-net" || spec.Interfaces[0].Model != "e1000" {
		t.Fatalf("read back %+v", spec.Interfaces)
	}
	spec.Interfaces = append(spec.Interfaces, InterfaceSpec{Network: "other", MAC: "52:54:00:3A:17:FF"})
	got := merge(t, old, spec)
	nics := got.Devices.Interfaces
	if len(nics) != 3 || nics[0].Source.Bridge == nil || nics[2].MAC.Address != "52:54:00:3a:17:ff" {
		t.Fatalf("interfaces %+v", nics)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Devices.Interfaces = g.Devices.Interfaces[:2] })
}

// Our metadata element is added, changed and removed beside other tools'.
func TestMergeMetadata(t *testing.T) {
	old := loadFixture(t, "virsh_file_serial")
	spec := SpecFromDomainXML(old)
	spec.Family = "nanos"
	got := merge(t, old, spec)
	if !strings.Contains(got.Metadata.XML, `xmlns:acme="https://example.com/acme/1"`) || !strings.Contains(got.Metadata.XML, "<acme:owner>ops</acme:owner>") {
		t.Errorf("the other tool's metadata went: %s", got.Metadata.XML)
	}
	if back := SpecFromDomainXML(got); back.Family != "nanos" {
		t.Errorf("family read back %q", back.Family)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Metadata = old.Metadata })
	// Round trip through libvirt's way of writing it back is not needed: the
	// element is removed again on a redefinition without a family.
	spec.Family = ""
	again := merge(t, got, spec)
	if strings.Contains(again.Metadata.XML, MetadataNamespace) || !strings.Contains(again.Metadata.XML, "<acme:owner>ops</acme:owner>") {
		t.Errorf("metadata after the family went: %s", again.Metadata.XML)
	}
	// A redefinition without a create marker keeps the domain's.
	fam := loadFixture(t, "ours_family")
	spec = SpecFromDomainXML(fam)
	m := &CreateMarker{ID: "c1", State: CreateFinished, Host: "h", PID: 1}
	spec.Create = m
	marked := merge(t, fam, spec)
	spec.Create = nil
	if back := SpecFromDomainXML(merge(t, marked, spec)); back.Create == nil || back.Create.ID != "c1" || back.Family != "osv" {
		t.Errorf("marker after a redefinition without one: %+v", back.Create)
	}
}

// ACPI off keeps the other features; the CPU is replaced only when the
// spec's differs; the RNG and machine type follow the spec; on_poweroff and
// on_crash are set and on_reboot kept.
func TestMergePlatform(t *testing.T) {
	old := loadFixture(t, "dmacvicar08_overlay")
	spec := SpecFromDomainXML(old)
	if spec.CPU == nil || spec.CPU.Mode != "qemu64" || !spec.RNG || spec.NoACPI {
		t.Fatalf("read back cpu %+v, rng %v, no acpi %v", spec.CPU, spec.RNG, spec.NoACPI)
	}
	spec.NoACPI = true
	got := merge(t, old, spec)
	if got.Features.ACPI != nil || got.Features.APIC == nil || got.Features.PAE == nil {
		t.Errorf("features %+v", got.Features)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Features.ACPI = old.Features.ACPI })

	spec = SpecFromDomainXML(old)
	spec.CPU = &CPUSpec{Mode: CPUHostPassthrough}
	spec.RNG = false
	spec.OnCrash = "restart"
	got = merge(t, old, spec)
	if got.CPU.Mode != CPUHostPassthrough || got.CPU.Model != nil || len(got.Devices.RNGs) != 0 || got.OnCrash != "restart" || got.OnReboot != "restart" {
		t.Errorf("cpu %+v, rngs %d, on_crash %q, on_reboot %q", got.CPU, len(got.Devices.RNGs), got.OnCrash, got.OnReboot)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) {
		g.CPU, g.Devices.RNGs, g.OnCrash = old.CPU, old.Devices.RNGs, old.OnCrash
	})

	spec = SpecFromDomainXML(old)
	spec.Machine = "q35"
	spec.VCPUs = 2
	got = merge(t, old, spec)
	if got.OS.Type.Machine != "q35" || got.VCPU.Value != 2 || got.VCPU.Placement != "static" {
		t.Errorf("machine %q, vcpu %+v", got.OS.Type.Machine, got.VCPU)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.OS.Type.Machine, g.VCPU.Value = old.OS.Type.Machine, old.VCPU.Value })
}

// Kernel boot to disk boot sets the boot device and clears per-device boot
// orders, which libvirt refuses beside it; the kernel's command line goes.
func TestMergeBootChange(t *testing.T) {
	old := loadFixture(t, "dmacvicar09")
	spec := SpecFromDomainXML(old)
	spec.Kernel, spec.Cmdline = "", ""
	old.Devices.Disks[0].Boot = &libvirtxml.DomainDeviceBoot{Order: 1}
	got := merge(t, old, spec)
	if got.OS.Kernel != "" || got.OS.Cmdline != "" || len(got.OS.BootDevices) != 1 || got.OS.BootDevices[0].Dev != "hd" || got.Devices.Disks[0].Boot != nil {
		t.Errorf("os %+v, disk boot %+v", got.OS, got.Devices.Disks[0].Boot)
	}
	if got.OS.Type.Machine != old.OS.Type.Machine {
		t.Errorf("machine %q", got.OS.Type.Machine)
	}
}

// A filesystem change replaces the shares and keeps their memory backing
// as virtiofs needs it; dropping the virtiofs share drops that backing.
func TestMergeFilesystems(t *testing.T) {
	old := loadFixture(t, "ours_filesystems")
	spec := SpecFromDomainXML(old)
	spec.Filesystems = spec.Filesystems[:2]
	got := merge(t, old, spec)
	if len(got.Devices.Filesystems) != 2 || got.MemoryBacking != nil {
		t.Errorf("filesystems %d, memory backing %+v", len(got.Devices.Filesystems), got.MemoryBacking)
	}
	if back := SpecFromDomainXML(got); !filesystemsEqual(back.Filesystems, spec.Filesystems) {
		t.Errorf("read back %+v", back.Filesystems)
	}
}

// Firmware changes replace the firmware selection and let libvirt choose
// the loader; Secure Boot brings SMM.
func TestMergeFirmware(t *testing.T) {
	old := loadFixture(t, "virsh_file_serial")
	old.OS.Loader = &libvirtxml.DomainLoader{Path: "/usr/share/OVMF/OVMF_CODE_4M.fd", Readonly: "yes", Type: "pflash"}
	old.OS.NVRam = &libvirtxml.DomainNVRam{NVRam: "/var/lib/libvirt/qemu/nvram/x_VARS.fd"}
	spec := SpecFromDomainXML(old)
	if spec.Firmware != FirmwareEFI {
		t.Fatalf("firmware %q", spec.Firmware)
	}
	if w, g := marshal(t, old), marshal(t, merge(t, old, spec)); w != g {
		t.Errorf("same firmware changed the definition:\n%s", g)
	}
	spec.SecureBoot = true
	got := merge(t, old, spec)
	if got.OS.Firmware != FirmwareEFI || got.OS.Loader != nil || got.OS.NVRam != nil || got.Features.SMM == nil {
		t.Errorf("os %+v, smm %+v", got.OS, got.Features.SMM)
	}
	if back := SpecFromDomainXML(got); back.Firmware != FirmwareEFI || !back.SecureBoot {
		t.Errorf("read back %q %v", back.Firmware, back.SecureBoot)
	}
}

// Through a Client on libvirt's test driver: an adopted definition
// redefined with a memory change keeps its file serial and on_reboot.
func TestRedefineAdoptedOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	old := loadFixture(t, "virsh_file_serial")
	old.Name, old.UUID = "unit-adopt-1", ""
	doc := marshal(t, old)
	uuid, err := c.DefineXMLForTest(old.Name, doc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, old.Name) })
	before, err := InactiveDefinitionForTest(c, old.Name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ReadDomain(ctx, old.Name)
	if err != nil {
		t.Fatal(err)
	}
	spec := info.Spec
	if spec.ConsoleLog != "/var/log/tf-acc-merge/virsh-serial.log" {
		t.Fatalf("console log %q", spec.ConsoleLog)
	}
	spec.MemoryMiB = 256
	spec.ConsoleLog = "/var/lib/unikernel/console/unit-adopt-1.log" // what the provider passes
	if got, err := c.DefineDomain(ctx, spec); err != nil || got != uuid {
		t.Fatalf("redefine: %s, %v", got, err)
	}
	after, err := InactiveDefinitionForTest(c, old.Name)
	if err != nil {
		t.Fatal(err)
	}
	if after.Memory.Value != 256*1024 {
		t.Errorf("memory %+v", after.Memory)
	}
	sameExcept(t, before, after, func(g *libvirtxml.Domain) { g.Memory, g.CurrentMemory = before.Memory, before.CurrentMemory })
	if back, err := c.ReadDomain(ctx, old.Name); err != nil || back.Spec.ConsoleLog != "/var/log/tf-acc-merge/virsh-serial.log" {
		t.Errorf("console log after the update %q, %v", back.Spec.ConsoleLog, err)
	}
}

// A volume disk (the libvirt provider's disk { volume_id }) whose volume's
// path is known reads back as that path and is kept verbatim when the spec
// asks for it; a new path makes it a file disk of that path.
func TestMergeVolumeDisk(t *testing.T) {
	old := loadFixture(t, "dmacvicar08_overlay")
	const path = "/var/lib/libvirt/images/tf-acc-merge/dm08-overlay.qcow2"
	vols := VolumePaths{{Pool: "tf-acc-merge-pool", Volume: "dm08-overlay.qcow2"}: path}
	spec := SpecFromDomainXMLVolumes(old, vols)
	if len(spec.Disks) != 1 || spec.Disks[0] != (DiskSpec{Path: path, Format: "qcow2", Bus: "virtio"}) {
		t.Fatalf("read back %+v", spec.Disks)
	}
	spec.Disks[0].Bus = "" // as a configuration leaves it
	spec.MemoryMiB = 512
	got, err := MergeDomainXML(old, spec, vols)
	if err != nil {
		t.Fatal(err)
	}
	sameExcept(t, old, got, func(g *libvirtxml.Domain) { g.Memory, g.CurrentMemory = old.Memory, old.CurrentMemory })

	spec.Disks[0].Path = "/var/lib/libvirt/images/tf-acc-merge/other.qcow2"
	if got, err = MergeDomainXML(old, spec, vols); err != nil {
		t.Fatal(err)
	}
	d := got.Devices.Disks[0]
	if len(got.Devices.Disks) != 1 || d.Source.File == nil || d.Source.File.File != spec.Disks[0].Path || d.Source.Volume != nil ||
		d.Address == nil || d.Driver.Type != "qcow2" {
		t.Errorf("disk %s", marshalDisk(t, d))
	}
}

// Through the test driver: ReadDomain resolves a volume disk to its volume's
// path, and an update keeps the disk as the volume disk it is.
func TestVolumeDiskOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	pool, err := c.conns.main.raw().LookupStoragePoolByName("default-pool")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pool.Free() }()
	vol, err := pool.StorageVolCreateXML(`<volume><name>unit-merge-vol.qcow2</name><capacity>1048576</capacity><target><format type='qcow2'/></target></volume>`, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vol.Delete(0); _ = vol.Free() })
	path, err := vol.GetPath()
	if err != nil {
		t.Fatal(err)
	}
	old := loadFixture(t, "dmacvicar08_overlay")
	old.Name, old.UUID = "unit-merge-volume-1", ""
	old.Devices.Disks[0].Source.Volume.Pool, old.Devices.Disks[0].Source.Volume.Volume = "default-pool", "unit-merge-vol.qcow2"
	uuid, err := c.DefineXMLForTest(old.Name, marshal(t, old))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, old.Name) })
	before, err := InactiveDefinitionForTest(c, old.Name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ReadDomain(ctx, old.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Spec.Disks) != 1 || info.Spec.Disks[0].Path != path || info.Spec.Disks[0].Format != "qcow2" {
		t.Fatalf("read back %+v, want the volume's path %s", info.Spec.Disks, path)
	}
	spec := info.Spec
	spec.Description = "adopted"
	if _, err := c.DefineDomain(ctx, spec); err != nil {
		t.Fatal(err)
	}
	after, err := InactiveDefinitionForTest(c, old.Name)
	if err != nil {
		t.Fatal(err)
	}
	if after.UUID != uuid || after.Devices.Disks[0].Source.Volume == nil {
		t.Errorf("uuid %s, disk %s", after.UUID, marshalDisk(t, after.Devices.Disks[0]))
	}
	sameExcept(t, before, after, func(g *libvirtxml.Domain) { g.Description = before.Description })
}

// A disk inserted before the existing one leaves that one as it is (matched
// by its path, not taken over by its device name) and takes a free name.
func TestMergeDiskInsertedFirst(t *testing.T) {
	old := loadFixture(t, "virsh_file_serial")
	spec := SpecFromDomainXML(old)
	spec.Disks = append([]DiskSpec{{Path: "/var/lib/libvirt/images/tf-acc-merge/first.raw"}}, spec.Disks...)
	got := merge(t, old, spec)
	disks := got.Devices.Disks
	if len(disks) != 2 || marshalDisk(t, disks[1]) != marshalDisk(t, old.Devices.Disks[0]) {
		t.Fatalf("the existing disk changed: %+v", disks)
	}
	if disks[0].Source.File.File != spec.Disks[0].Path || disks[0].Target.Dev != "vdb" || disks[0].Address != nil {
		t.Errorf("the new disk: %s", marshalDisk(t, disks[0]))
	}
	if back := SpecFromDomainXML(got); back.Disks[0].Path != spec.Disks[0].Path || back.Disks[1].Path != spec.Disks[1].Path {
		t.Errorf("read back in the spec's order: %+v", back.Disks)
	}
}
