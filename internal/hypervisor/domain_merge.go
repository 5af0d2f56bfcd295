package hypervisor

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// MergeDomainXML is the definition that a redefinition of an existing domain
// saves: the domain's current persistent definition old, with what the spec
// owns set from spec and everything else kept as libvirt holds it. A domain
// made by another tool (the libvirt provider, virt-install, virsh) keeps its
// serial and console devices, on_reboot, controllers, memory balloon, inputs,
// graphics, video, channels, other tools' metadata, device addresses and disk
// driver options; an update changes only what it changes.
//
// What the spec owns: name, UUID, domain type, description, memory, vCPU
// count, the OS type, direct kernel boot and the boot device, firmware,
// on_poweroff and on_crash, the ACPI feature, the CPU (replaced only when the
// spec's differs from what the domain's maps back to), the machine type, the
// RNG device, filesystems, the provider's own metadata element, and the disks
// and interfaces that SpecFromDomainXMLVolumes reads (vols resolves volume
// disks to their volumes' paths; nil: none is modelled). A disk or interface that maps
// back to what the spec asks for is kept verbatim (address, driver options,
// backing store, boot order); one that differs has only its owned fields
// edited; one the spec adds is built as DomainXML builds it. Other disks
// (block, network, unresolved volumes) and interfaces that are not on a
// libvirt network are not modelled and are kept. Serial and console devices are kept when the domain
// has any; a domain with none gets the console that DomainXML gives.
//
// old is not changed. Pure.
func MergeDomainXML(old *libvirtxml.Domain, spec DomainSpec, vols VolumePaths) (*libvirtxml.Domain, error) {
	fresh, err := DomainXML(spec)
	if err != nil {
		return nil, err
	}
	if (old.Type == "xen") != (fresh.Type == "xen") {
		// Nothing of a QEMU definition fits a Xen one or the other way round.
		return fresh, nil
	}
	d, err := copyDomain(old)
	if err != nil {
		return nil, err
	}
	prev := SpecFromDomainXMLVolumes(old, vols)
	if spec.Create == nil {
		spec.Create = prev.Create
	}

	d.Type, d.Name, d.Description = fresh.Type, fresh.Name, fresh.Description
	if spec.UUID != "" {
		d.UUID = spec.UUID
	}
	if prev.MemoryMiB != spec.MemoryMiB || d.Memory == nil {
		d.Memory, d.CurrentMemory = fresh.Memory, fresh.CurrentMemory
	}
	mergeVCPU(d, fresh)
	d.OnPoweroff, d.OnCrash = fresh.OnPoweroff, fresh.OnCrash
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	mergeOS(d, fresh, prev, spec)
	mergeFeatures(d, fresh, prev, spec)
	if !cpuEqual(prev.CPU, spec.CPU) && (spec.CPU != nil || !isDefaultCPU(d.CPU)) {
		d.CPU = fresh.CPU
	}
	mergeRNG(d, prev, spec)
	mergeFilesystems(d, fresh, prev, spec)
	if err := mergeMetadata(d, prev, spec); err != nil {
		return nil, err
	}
	if err := mergeDisks(d, fresh, spec, vols); err != nil {
		return nil, err
	}
	mergeInterfaces(d, fresh, spec)
	if len(d.Devices.Serials) == 0 && len(d.Devices.Consoles) == 0 {
		d.Devices.Serials = fresh.Devices.Serials
	}
	return d, nil
}

// copyDomain is a deep copy of d, through its XML.
func copyDomain(d *libvirtxml.Domain) (*libvirtxml.Domain, error) {
	doc, err := d.Marshal()
	if err != nil {
		return nil, err
	}
	var c libvirtxml.Domain
	if err := c.Unmarshal(doc); err != nil {
		return nil, err
	}
	return &c, nil
}

func mergeVCPU(d, fresh *libvirtxml.Domain) {
	if d.VCPU == nil {
		d.VCPU = fresh.VCPU
		return
	}
	if d.VCPU.Value == fresh.VCPU.Value {
		return
	}
	d.VCPU.Value = fresh.VCPU.Value
	// All of them online, and no per-vCPU list of the old count.
	d.VCPU.Current = 0
	d.VCPUs = nil
}

// mergeOS sets the OS type, kernel boot, machine type, boot device and
// firmware; the rest of <os> (SMBIOS, boot menu, BIOS settings) is kept.
func mergeOS(d, fresh *libvirtxml.Domain, prev, spec DomainSpec) {
	if d.OS == nil {
		d.OS = &libvirtxml.DomainOS{}
	}
	if d.OS.Type == nil {
		d.OS.Type = &libvirtxml.DomainOSType{}
	}
	d.OS.Type.Type = fresh.OS.Type.Type
	if d.OS.Type.Arch == "" {
		d.OS.Type.Arch = fresh.OS.Type.Arch
	}
	if spec.Machine != "" && spec.Machine != prev.Machine {
		d.OS.Type.Machine = spec.Machine
	}
	d.OS.Kernel, d.OS.Initrd, d.OS.Cmdline = fresh.OS.Kernel, fresh.OS.Initrd, fresh.OS.Cmdline
	if bootOf(prev) != bootOf(spec) && len(fresh.OS.BootDevices) > 0 {
		d.OS.BootDevices = fresh.OS.BootDevices
		// libvirt refuses <os><boot> beside per-device boot orders.
		for i := range d.Devices.Disks {
			d.Devices.Disks[i].Boot = nil
		}
		for i := range d.Devices.Interfaces {
			d.Devices.Interfaces[i].Boot = nil
		}
		for i := range d.Devices.Hostdevs {
			d.Devices.Hostdevs[i].Boot = nil
		}
	}
	if firmwareDiffers(prev, spec) {
		d.OS.Firmware, d.OS.FirmwareInfo = fresh.OS.Firmware, fresh.OS.FirmwareInfo
		// libvirt chooses the loader and NVRAM of the new firmware itself.
		d.OS.Loader, d.OS.NVRam = nil, nil
	}
}

// bootOf is what a spec boots: its kernel, else its first disk.
func bootOf(s DomainSpec) string {
	if s.Kernel != "" {
		return "kernel " + s.Kernel
	}
	if len(s.Disks) == 0 {
		return ""
	}
	return bootDev(s.Disks[0]) + " " + s.Disks[0].Path
}

// mergeFeatures sets ACPI (and SMM for Secure Boot) and keeps the other
// features. A Xen guest's features follow its mode, as DomainXML sets them.
func mergeFeatures(d, fresh *libvirtxml.Domain, prev, spec DomainSpec) {
	if d.Type == "xen" {
		if orDefault(prev.XenMode, "pvh") != orDefault(spec.XenMode, "pvh") {
			d.Features = fresh.Features
		}
		return
	}
	switch {
	case spec.NoACPI && d.Features != nil:
		d.Features.ACPI = nil
	case !spec.NoACPI && d.Features == nil:
		d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}}
	case !spec.NoACPI && d.Features.ACPI == nil:
		d.Features.ACPI = &libvirtxml.DomainFeature{}
	}
	if prev.SecureBoot == spec.SecureBoot {
		return
	}
	if spec.SecureBoot {
		if d.Features == nil {
			d.Features = &libvirtxml.DomainFeatureList{}
		}
		d.Features.SMM = fresh.Features.SMM
	} else if d.Features != nil {
		d.Features.SMM = nil
	}
}

// cpuEqual reports whether two CPU specs ask for the same CPU.
func cpuEqual(a, b *CPUSpec) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Mode != b.Mode || len(a.Features) != len(b.Features) {
		return false
	}
	for n, p := range a.Features {
		if q, ok := b.Features[n]; !ok || orDefault(q, "require") != p {
			return false
		}
	}
	return true
}

// isDefaultCPU reports whether x is the CPU that libvirt writes into a
// definition that names none (on x86, qemu64 with check='none'): what a spec
// without a CPU stands for.
func isDefaultCPU(x *libvirtxml.DomainCPU) bool {
	return x != nil && x.Mode == "custom" && x.Check == "none" && x.Model != nil && x.Model.Fallback == "forbid" &&
		x.Model.VendorID == "" && len(x.Features) == 0 && x.Topology == nil && x.Numa == nil && x.Vendor == "" && x.Cache == nil
}

// isOurRNG reports whether r is the RNG device that DomainSpec.RNG stands for.
func isOurRNG(r libvirtxml.DomainRNG) bool {
	return r.Model == "virtio" && r.Backend != nil && r.Backend.Random != nil && r.Backend.Random.Device == "/dev/urandom"
}

func mergeRNG(d *libvirtxml.Domain, prev, spec DomainSpec) {
	if prev.RNG == spec.RNG {
		return
	}
	if spec.RNG {
		d.Devices.RNGs = append(d.Devices.RNGs, rngXML())
		return
	}
	kept := d.Devices.RNGs[:0]
	for _, r := range d.Devices.RNGs {
		if !isOurRNG(r) {
			kept = append(kept, r)
		}
	}
	d.Devices.RNGs = kept
}

func filesystemsEqual(a, b []FilesystemSpec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Driver, y.Driver = orDefault(x.Driver, "9p"), orDefault(y.Driver, "9p")
		if x != y {
			return false
		}
	}
	return true
}

// mergeFilesystems replaces the shares the spec models (a host directory
// with a tag) when they differ, and keeps other filesystems.
func mergeFilesystems(d, fresh *libvirtxml.Domain, prev, spec DomainSpec) {
	if filesystemsEqual(prev.Filesystems, spec.Filesystems) {
		return
	}
	var out []libvirtxml.DomainFilesystem
	for _, x := range d.Devices.Filesystems {
		if x.Source == nil || x.Source.Mount == nil || x.Target == nil {
			out = append(out, x)
		}
	}
	out = append(out, fresh.Devices.Filesystems...)
	d.Devices.Filesystems = out
	switch {
	case fresh.MemoryBacking != nil && d.MemoryBacking == nil:
		d.MemoryBacking = fresh.MemoryBacking
	case fresh.MemoryBacking != nil:
		d.MemoryBacking.MemorySource = fresh.MemoryBacking.MemorySource
		d.MemoryBacking.MemoryAccess = fresh.MemoryBacking.MemoryAccess
	case d.MemoryBacking != nil && *d.MemoryBacking == (libvirtxml.DomainMemoryBacking{
		MemorySource: d.MemoryBacking.MemorySource, MemoryAccess: d.MemoryBacking.MemoryAccess}) &&
		d.MemoryBacking.MemorySource != nil && d.MemoryBacking.MemorySource.Type == "memfd" &&
		d.MemoryBacking.MemoryAccess != nil && d.MemoryBacking.MemoryAccess.Mode == "shared":
		// Exactly what virtiofs needed, and no virtiofs share is left.
		d.MemoryBacking = nil
	}
}

// mergeMetadata replaces the provider's element of <metadata> and keeps the
// elements of other namespaces as they are.
func mergeMetadata(d *libvirtxml.Domain, prev, spec DomainSpec) error {
	was, err := metadataElement(prev)
	if err != nil {
		return err
	}
	want, err := metadataElement(spec)
	if err != nil {
		return err
	}
	if was == want {
		return nil
	}
	var others []string
	if d.Metadata != nil {
		if others, err = foreignMetadata(d.Metadata.XML); err != nil {
			return fmt.Errorf("the domain's <metadata> cannot be read: %w", err)
		}
	}
	if want != "" {
		others = append(others, want)
	}
	d.Metadata = nil
	if len(others) > 0 {
		d.Metadata = &libvirtxml.DomainMetadata{XML: strings.Join(others, "")}
	}
	return nil
}

// foreignMetadata returns, verbatim, the top-level elements of a <metadata>
// body that are not the provider's.
func foreignMetadata(body string) ([]string, error) {
	var out []string
	dec := xml.NewDecoder(strings.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if err := dec.Skip(); err != nil {
			return nil, err
		}
		if el.Name.Space != MetadataNamespace {
			out = append(out, body[start:dec.InputOffset()])
		}
	}
}

// diskFromXML maps a disk back to a spec; false for a disk the spec does not
// model (a block device or network disk, or a volume disk whose volume's path
// vols does not know).
func diskFromXML(disk libvirtxml.DomainDisk, vols VolumePaths) (DiskSpec, bool) {
	if disk.Source == nil {
		return DiskSpec{}, false
	}
	var path string
	switch {
	case disk.Source.File != nil:
		path = disk.Source.File.File
	case disk.Source.Volume != nil && vols[PoolVolume{disk.Source.Volume.Pool, disk.Source.Volume.Volume}] != "":
		path = vols[PoolVolume{disk.Source.Volume.Pool, disk.Source.Volume.Volume}]
	default:
		return DiskSpec{}, false
	}
	ds := DiskSpec{Path: path, ReadOnly: disk.ReadOnly != nil, Format: "raw"}
	if disk.Driver != nil && disk.Driver.Type != "" {
		ds.Format = disk.Driver.Type
	}
	if disk.Device == "cdrom" {
		ds.Format = "iso"
		ds.ReadOnly = false // implied by the format
	}
	if disk.Target != nil {
		ds.Bus = disk.Target.Bus
	}
	return ds, true
}

// normDisk fills a disk spec's defaults as diskXML applies them.
func normDisk(d DiskSpec, typ string) DiskSpec {
	d.Format = orDefault(d.Format, "raw")
	def := "virtio"
	if typ == "xen" {
		def = "xen"
	}
	d.Bus = orDefault(d.Bus, def)
	if d.Format == "iso" {
		d.ReadOnly = false
		if d.Bus == "virtio" {
			d.Bus = "sata"
		}
	}
	return d
}

// mergeDisks matches the spec's disks with the domain's modelled ones (by
// source path, else by target device) and keeps unmodelled disks in place.
func mergeDisks(d, fresh *libvirtxml.Domain, spec DomainSpec, vols VolumePaths) error {
	old := d.Devices.Disks
	type modelled struct {
		spec DiskSpec
		used bool
	}
	have := make([]*modelled, len(old))
	for i, x := range old {
		if s, ok := diskFromXML(x, vols); ok {
			have[i] = &modelled{spec: s}
		}
	}
	find := func(ok func(i int) bool) int {
		for i, m := range have {
			if m != nil && !m.used && ok(i) {
				m.used = true
				return i
			}
		}
		return -1
	}
	// By path first for every disk, so that a disk inserted before another
	// does not take over that one's device by its target name.
	match := make([]int, len(spec.Disks))
	for i, sd := range spec.Disks {
		match[i] = find(func(j int) bool { return have[j].spec.Path == sd.Path })
	}
	for i := range spec.Disks {
		if match[i] < 0 {
			dev := fresh.Devices.Disks[i].Target.Dev
			match[i] = find(func(j int) bool { return old[j].Target != nil && old[j].Target.Dev == dev })
		}
	}
	merged := make([]libvirtxml.DomainDisk, len(spec.Disks))
	retarget := make([]bool, len(spec.Disks))
	for i, sd := range spec.Disks {
		want, j := fresh.Devices.Disks[i], match[i]
		if j < 0 {
			merged[i], retarget[i] = want, true
			continue
		}
		merged[i] = old[j]
		was, now := normDisk(have[j].spec, d.Type), normDisk(sd, d.Type)
		if was != now {
			retarget[i] = editDisk(&merged[i], want, was, now)
		}
	}
	// Modelled disks take the spec's order in the slots that modelled disks
	// held; unmodelled disks stay where they were; new disks go last.
	var out []libvirtxml.DomainDisk
	next := 0
	var fresher []bool
	for i, x := range old {
		if have[i] == nil {
			out, fresher = append(out, x), append(fresher, false)
			continue
		}
		if next < len(merged) {
			out, fresher = append(out, merged[next]), append(fresher, retarget[next])
			next++
		}
	}
	for ; next < len(merged); next++ {
		out, fresher = append(out, merged[next]), append(fresher, retarget[next])
	}
	if err := uniqueTargets(out, fresher); err != nil {
		return err
	}
	d.Devices.Disks = out
	return nil
}

// editDisk changes the owned fields of an existing disk x to those of want,
// the disk DomainXML builds for the spec; it reports whether the target was
// replaced (and may need another device name).
func editDisk(x *libvirtxml.DomainDisk, want libvirtxml.DomainDisk, was, now DiskSpec) bool {
	if was.Path != now.Path {
		x.Source = want.Source
		x.BackingStore = nil // libvirt reads the new image's chain itself
	}
	x.Device = want.Device
	if was.Format != now.Format {
		switch {
		case want.Driver == nil:
			x.Driver = nil
		case x.Driver == nil:
			x.Driver = want.Driver
		default:
			x.Driver.Type = want.Driver.Type
			x.Driver.Name = orDefault(x.Driver.Name, want.Driver.Name)
		}
	}
	x.ReadOnly = want.ReadOnly
	if x.Target == nil || x.Target.Bus != want.Target.Bus {
		// Another bus: another device name and address.
		x.Target, x.Address = want.Target, nil
		return true
	}
	return false
}

// uniqueTargets gives each disk whose target was replaced (retarget) a
// device name that no other disk uses, keeping its bus's prefix.
func uniqueTargets(disks []libvirtxml.DomainDisk, retarget []bool) error {
	used := map[string]bool{}
	for i, x := range disks {
		if !retarget[i] && x.Target != nil {
			used[x.Target.Dev] = true
		}
	}
	for i := range disks {
		if !retarget[i] {
			continue
		}
		t := *disks[i].Target
		if used[t.Dev] {
			prefix := busPrefix[t.Bus]
			t.Dev = ""
			for l := 'a'; l <= 'z'; l++ {
				if !used[prefix+string(l)] {
					t.Dev = prefix + string(l)
					break
				}
			}
			if t.Dev == "" {
				return fmt.Errorf("no free device name for a %s disk", t.Bus)
			}
		}
		used[t.Dev] = true
		disks[i].Target = &t
	}
	return nil
}

// interfaceFromXML maps an interface back to a spec; false for one the spec
// does not model (one that is not on a libvirt network: bridge, direct, user).
func interfaceFromXML(nic libvirtxml.DomainInterface) (InterfaceSpec, bool) {
	if nic.Source == nil || nic.Source.Network == nil {
		return InterfaceSpec{}, false
	}
	is := InterfaceSpec{Network: nic.Source.Network.Network}
	if nic.MAC != nil {
		is.MAC = nic.MAC.Address
	}
	if nic.Model != nil {
		is.Model = nic.Model.Type
	}
	return is, true
}

// mergeInterfaces matches the spec's interfaces with the domain's modelled
// ones (by MAC, else by position on the same network) and keeps unmodelled
// interfaces in place. An empty MAC or model in the spec keeps what the
// interface has.
func mergeInterfaces(d, fresh *libvirtxml.Domain, spec DomainSpec) {
	old := d.Devices.Interfaces
	var have []InterfaceSpec
	var at []int // index in old of each modelled interface
	for i, x := range old {
		if s, ok := interfaceFromXML(x); ok {
			have, at = append(have, s), append(at, i)
		}
	}
	used := make([]bool, len(have))
	match := make([]int, len(spec.Interfaces))
	for i, sn := range spec.Interfaces {
		match[i] = -1
		if sn.MAC == "" {
			continue
		}
		for k, h := range have {
			if !used[k] && strings.EqualFold(h.MAC, sn.MAC) {
				match[i], used[k] = k, true
				break
			}
		}
	}
	for i, sn := range spec.Interfaces {
		if match[i] < 0 && i < len(have) && !used[i] && have[i].Network == sn.Network &&
			(sn.MAC == "" || have[i].MAC == "" || !macInSpec(have[i].MAC, spec.Interfaces)) {
			match[i], used[i] = i, true
		}
	}
	merged := make([]libvirtxml.DomainInterface, len(spec.Interfaces))
	for i, sn := range spec.Interfaces {
		k := match[i]
		if k < 0 {
			merged[i] = fresh.Devices.Interfaces[i]
			continue
		}
		x, h := old[at[k]], have[k]
		if h.Network != sn.Network {
			x.Source = fresh.Devices.Interfaces[i].Source
		}
		if sn.MAC != "" && !strings.EqualFold(h.MAC, sn.MAC) {
			x.MAC = &libvirtxml.DomainInterfaceMAC{Address: strings.ToLower(sn.MAC)}
		}
		if sn.Model != "" && sn.Model != h.Model {
			x.Model = &libvirtxml.DomainInterfaceModel{Type: sn.Model}
		}
		merged[i] = x
	}
	var out []libvirtxml.DomainInterface
	next := 0
	for _, x := range old {
		if _, ok := interfaceFromXML(x); !ok {
			out = append(out, x)
			continue
		}
		if next < len(merged) {
			out = append(out, merged[next])
			next++
		}
	}
	out = append(out, merged[next:]...)
	d.Devices.Interfaces = out
}

// macInSpec reports whether another interface of the spec asks for mac.
func macInSpec(mac string, nics []InterfaceSpec) bool {
	for _, n := range nics {
		if strings.EqualFold(n.MAC, mac) {
			return true
		}
	}
	return false
}
