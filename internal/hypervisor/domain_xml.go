package hypervisor

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// DomainSpec is the plain description of an instance. DomainXML maps it to
// libvirt's domain definition and SpecFromDomainXML maps a persistent
// definition back; both are pure.
type DomainSpec struct {
	Name        string
	UUID        string // empty: libvirt assigns one
	Type        string // "kvm", "qemu" or "xen"
	Description string
	MemoryMiB   uint
	VCPUs       uint

	// Direct kernel boot. When Kernel is empty, the first disk boots.
	Kernel  string
	Initrd  string
	Cmdline string

	Disks      []DiskSpec
	Interfaces []InterfaceSpec

	// ConsoleLog is the host path that the serial console is logged to.
	ConsoleLog string

	OnPoweroff string // "destroy" (default), "restart" or "preserve"
	OnCrash    string // "destroy" (default), "restart" or "preserve"

	// Platform (domain_platform.go): the guest CPU (nil: the hypervisor's
	// default), the machine type (empty: libvirt's default) and a virtio-rng
	// device fed from the host's /dev/urandom.
	CPU     *CPUSpec
	Machine string
	RNG     bool
	// XenMode is the Xen guest type: "pvh" (default), "pv" or "hvm".
	XenMode string
	// Filesystems are host directories shared with the guest (domain_filesystem.go).
	Filesystems []FilesystemSpec
	// NoACPI leaves ACPI out of a kvm or qemu domain: about 2.4 MiB less host
	// memory per guest, but the guest can neither be asked to shut down nor
	// power itself off through ACPI.
	NoACPI bool
	// Firmware (domain_firmware.go) is "" for the hypervisor's default (SeaBIOS
	// with kvm and qemu, none for Xen PV and PVH guests) or "efi": UEFI chosen by
	// libvirt from the host's firmware descriptors, with an NVRAM file of the
	// domain's own. SecureBoot asks for UEFI that enforces Secure Boot.
	Firmware   string
	SecureBoot bool
	// Family is the guest's unikernel family, kept in the domain's <metadata>
	// (domain_metadata.go) so that lists of instances can show and filter it.
	// Empty: not recorded (a domain defined outside the provider or before it
	// recorded families).
	Family string
	// Create is the marker of the create that made the domain (marker.go),
	// kept in <metadata>; nil for a domain made outside the provider. A
	// redefinition without one keeps the current definition's.
	Create *CreateMarker
}

// DiskSpec is one block device.
type DiskSpec struct {
	Path     string
	Format   string // "raw" (default), "qcow2" or "iso"
	ReadOnly bool
	Bus      string // "virtio" (default), "sata", "ide", "scsi", "xen"
}

// InterfaceSpec is one network interface attached to a libvirt network.
type InterfaceSpec struct {
	Network string
	MAC     string
	Model   string // "virtio" (default), "e1000", "rtl8139", "netfront"
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// DomainXML maps spec to a lean libvirt domain: no USB controller, no
// memory balloon, no graphics or video, and on_reboot=destroy so that a
// guest that panics (with panic=-1) stops instead of looping.
func DomainXML(spec DomainSpec) (*libvirtxml.Domain, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("domain name is empty")
	}
	typ := orDefault(spec.Type, "qemu")
	osType := "hvm"
	switch typ {
	case "kvm", "qemu":
	case "xen":
		var err error
		if osType, err = xenOSType(spec.XenMode); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("hypervisor %q is not one of kvm, qemu, xen", typ)
	}
	memKiB := spec.MemoryMiB * 1024
	vcpus := spec.VCPUs
	if vcpus == 0 {
		vcpus = 1
	}
	d := &libvirtxml.Domain{
		Type:          typ,
		Name:          spec.Name,
		UUID:          spec.UUID,
		Description:   spec.Description,
		Memory:        &libvirtxml.DomainMemory{Value: memKiB, Unit: "KiB"},
		CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: memKiB, Unit: "KiB"},
		VCPU:          &libvirtxml.DomainVCPU{Placement: "static", Value: vcpus},
		OS: &libvirtxml.DomainOS{
			Type:    &libvirtxml.DomainOSType{Arch: hostArch, Type: osType},
			Kernel:  spec.Kernel,
			Initrd:  spec.Initrd,
			Cmdline: spec.Cmdline,
		},
		OnPoweroff: orDefault(spec.OnPoweroff, "destroy"),
		OnReboot:   "destroy",
		OnCrash:    orDefault(spec.OnCrash, "destroy"),
		Devices:    &libvirtxml.DomainDeviceList{},
	}
	meta, err := metadataXML(spec)
	if err != nil {
		return nil, err
	}
	d.Metadata = meta
	if spec.Kernel == "" && len(spec.Disks) > 0 {
		d.OS.BootDevices = []libvirtxml.DomainBootDevice{{Dev: bootDev(spec.Disks[0])}}
	}
	if typ != "xen" {
		if !spec.NoACPI {
			d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}}
		}
		zero := uint(0)
		d.Devices.Controllers = []libvirtxml.DomainController{{Type: "usb", Index: &zero, Model: "none"}}
		d.Devices.MemBalloon = &libvirtxml.DomainMemBalloon{Model: "none"}
	}
	for i, disk := range spec.Disks {
		x, err := diskXML(disk, i, typ)
		if err != nil {
			return nil, err
		}
		d.Devices.Disks = append(d.Devices.Disks, x)
	}
	for _, nic := range spec.Interfaces {
		x, err := interfaceXML(nic, typ)
		if err != nil {
			return nil, err
		}
		d.Devices.Interfaces = append(d.Devices.Interfaces, x)
	}
	d.Devices.Serials = []libvirtxml.DomainSerial{serialXML(spec.ConsoleLog, typ)}
	applyPlatform(d, spec)
	if err := applyFirmware(d, spec); err != nil {
		return nil, err
	}
	if err := applyFilesystems(d, spec); err != nil {
		return nil, err
	}
	return d, nil
}

// interfaceXML is the interface of nic on a domain of type typ.
func interfaceXML(nic InterfaceSpec, typ string) (libvirtxml.DomainInterface, error) {
	if nic.Network == "" {
		return libvirtxml.DomainInterface{}, fmt.Errorf("interface has no network")
	}
	x := libvirtxml.DomainInterface{
		Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: nic.Network}},
		Model:  &libvirtxml.DomainInterfaceModel{Type: orDefault(nic.Model, defaultNICModel(typ))},
	}
	if typ != "xen" {
		// No PXE option ROM: guests boot a kernel or a disk, never the network.
		x.ROM = &libvirtxml.DomainROM{Enabled: "no"}
	}
	if nic.MAC != "" {
		x.MAC = &libvirtxml.DomainInterfaceMAC{Address: strings.ToLower(nic.MAC)}
	}
	return x, nil
}

// serialXML is the serial console of a domain of type typ, logged to
// consoleLog when it is set.
func serialXML(consoleLog, typ string) libvirtxml.DomainSerial {
	serial := libvirtxml.DomainSerial{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
	}
	if typ != "xen" {
		port := uint(0)
		serial.Target = &libvirtxml.DomainSerialTarget{Type: "isa-serial", Port: &port}
	}
	if consoleLog != "" {
		// virtlogd writes this file (mode 0600) and keeps it across restarts.
		serial.Log = &libvirtxml.DomainChardevLog{File: consoleLog, Append: "on"}
	}
	return serial
}

func defaultNICModel(typ string) string {
	if typ == "xen" {
		return "netfront"
	}
	return "virtio"
}

func bootDev(d DiskSpec) string {
	if d.Format == "iso" {
		return "cdrom"
	}
	return "hd"
}

var busPrefix = map[string]string{"virtio": "vd", "sata": "sd", "scsi": "sd", "ide": "hd", "xen": "xvd"}

func diskXML(disk DiskSpec, index int, typ string) (libvirtxml.DomainDisk, error) {
	bus := orDefault(disk.Bus, "virtio")
	if typ == "xen" && disk.Bus == "" {
		bus = "xen"
	}
	prefix, ok := busPrefix[bus]
	if !ok {
		return libvirtxml.DomainDisk{}, fmt.Errorf("disk bus %q is not one of virtio, sata, scsi, ide, xen", bus)
	}
	if index >= 26 {
		return libvirtxml.DomainDisk{}, fmt.Errorf("at most 26 disks are supported")
	}
	format := orDefault(disk.Format, "raw")
	device, driverType := "disk", format
	switch format {
	case "raw", "qcow2":
	case "iso":
		device, driverType = "cdrom", "raw"
		if bus == "virtio" {
			bus, prefix = "sata", "sd"
		}
	default:
		return libvirtxml.DomainDisk{}, fmt.Errorf("disk format %q is not one of raw, qcow2, iso", format)
	}
	x := libvirtxml.DomainDisk{
		Device: device,
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: driverType},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: disk.Path}},
		Target: &libvirtxml.DomainDiskTarget{Dev: prefix + string(rune('a'+index)), Bus: bus},
	}
	if typ == "xen" && driverType != "qcow2" {
		x.Driver = nil // libxl picks the backend; qcow2 needs QEMU's (qdisk)
	}
	if disk.ReadOnly || format == "iso" {
		x.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
	}
	return x, nil
}

// SpecFromDomainXML maps a persistent (inactive) definition back to a spec.
// Devices the provider does not manage are ignored (disks without a file
// source, interfaces that are not on a libvirt network: MergeDomainXML keeps
// them); runtime-only values such as tap names, aliases and pty paths are
// never read.
func SpecFromDomainXML(d *libvirtxml.Domain) DomainSpec { return SpecFromDomainXMLVolumes(d, nil) }

// PoolVolume names a storage volume by its pool's name and its own, as a
// disk of type volume does (<source pool='...' volume='...'/>).
type PoolVolume struct{ Pool, Volume string }

// VolumePaths maps the volumes of a domain's volume disks to their host
// paths (Client.volumePaths resolves them).
type VolumePaths map[PoolVolume]string

// SpecFromDomainXMLVolumes is SpecFromDomainXML that also reads disks of
// type volume (as the libvirt provider defines a disk { volume_id }), by
// their volume's path in vols; a volume disk whose path vols does not know is
// not modelled.
func SpecFromDomainXMLVolumes(d *libvirtxml.Domain, vols VolumePaths) DomainSpec {
	s := DomainSpec{
		Name:        d.Name,
		UUID:        d.UUID,
		Type:        d.Type,
		Description: d.Description,
		OnPoweroff:  orDefault(d.OnPoweroff, "destroy"),
		OnCrash:     orDefault(d.OnCrash, "destroy"),
	}
	if d.Memory != nil {
		s.MemoryMiB = toKiB(d.Memory.Value, d.Memory.Unit) / 1024
	}
	if d.VCPU != nil {
		s.VCPUs = d.VCPU.Value
	}
	if d.OS != nil {
		s.Kernel, s.Initrd, s.Cmdline = d.OS.Kernel, d.OS.Initrd, d.OS.Cmdline
	}
	readPlatform(d, &s)
	readFirmware(d, &s)
	readMetadata(d, &s)
	s.NoACPI = d.Type != "xen" && (d.Features == nil || d.Features.ACPI == nil)
	readFilesystems(d, &s)
	if d.Devices == nil {
		return s
	}
	for _, disk := range d.Devices.Disks {
		if ds, ok := diskFromXML(disk, vols); ok {
			s.Disks = append(s.Disks, ds)
		}
	}
	for _, nic := range d.Devices.Interfaces {
		if is, ok := interfaceFromXML(nic); ok {
			s.Interfaces = append(s.Interfaces, is)
		}
	}
	s.ConsoleLog = consoleLogOf(d.Devices)
	return s
}

// consoleLogOf is the host file that the domain's console is written to: the
// log of a pty serial port (as DomainXML defines it), or the file of a serial
// port of type file (as virsh users and the libvirt provider's XSLT define
// it). A Xen PV or PVH guest's definition may carry the serial port as its
// console instead (libvirt's console compatibility), with the same log. Empty
// when the console is written nowhere.
func consoleLogOf(devs *libvirtxml.DomainDeviceList) string {
	file := func(src *libvirtxml.DomainChardevSource, log *libvirtxml.DomainChardevLog) string {
		if log != nil && log.File != "" {
			return log.File
		}
		if src != nil && src.File != nil {
			return src.File.Path
		}
		return ""
	}
	for _, serial := range devs.Serials {
		if f := file(serial.Source, serial.Log); f != "" {
			return f
		}
	}
	for _, console := range devs.Consoles {
		if f := file(console.Source, console.Log); f != "" {
			return f
		}
	}
	return ""
}

func toKiB(v uint, unit string) uint {
	switch strings.ToLower(unit) {
	case "b", "bytes":
		return v / 1024
	case "", "k", "kib":
		return v
	case "kb":
		return v * 1000 / 1024
	case "m", "mib":
		return v * 1024
	case "mb":
		return v * 1000 * 1000 / 1024
	case "g", "gib":
		return v * 1024 * 1024
	case "gb":
		return v * 1000 * 1000 * 1000 / 1024
	}
	return v
}
