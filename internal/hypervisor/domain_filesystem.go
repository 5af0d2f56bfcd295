package hypervisor

import (
	"fmt"
	"slices"

	"libvirt.org/go/libvirtxml"
)

// FilesystemSpec shares a host directory with the guest.
type FilesystemSpec struct {
	Source   string // host directory
	Tag      string // the mount tag the guest uses (Unikraft's root: "fs0")
	ReadOnly bool
	Driver   string // "9p" (default, virtio-9p) or "virtiofs"
}

// filesystemXML maps a share to libvirt's <filesystem>: virtio-9p in
// mapped mode (files are owned by the QEMU user on the host, and the
// guest's ownership is kept in extended attributes), or virtiofs, which
// libvirt serves with a virtiofsd of its own.
func filesystemXML(f FilesystemSpec) (libvirtxml.DomainFilesystem, error) {
	x := libvirtxml.DomainFilesystem{
		Source: &libvirtxml.DomainFilesystemSource{Mount: &libvirtxml.DomainFilesystemSourceMount{Dir: f.Source}},
		Target: &libvirtxml.DomainFilesystemTarget{Dir: f.Tag},
	}
	switch orDefault(f.Driver, "9p") {
	case "9p":
		x.AccessMode = "mapped"
		x.Driver = &libvirtxml.DomainFilesystemDriver{Type: "path"}
	case "virtiofs":
		x.AccessMode = "passthrough"
		x.Driver = &libvirtxml.DomainFilesystemDriver{Type: "virtiofs"}
	default:
		return x, fmt.Errorf("filesystem driver %q is not one of 9p, virtiofs", f.Driver)
	}
	if f.ReadOnly {
		x.ReadOnly = &libvirtxml.DomainFilesystemReadOnly{}
	}
	return x, nil
}

// applyFilesystems adds the shares of spec to d. virtiofs needs the guest's
// memory shared with virtiofsd.
func applyFilesystems(d *libvirtxml.Domain, spec DomainSpec) error {
	for _, f := range spec.Filesystems {
		x, err := filesystemXML(f)
		if err != nil {
			return err
		}
		d.Devices.Filesystems = append(d.Devices.Filesystems, x)
		if f.Driver == "virtiofs" {
			d.MemoryBacking = &libvirtxml.DomainMemoryBacking{
				MemorySource: &libvirtxml.DomainMemorySource{Type: "memfd"},
				MemoryAccess: &libvirtxml.DomainMemoryAccess{Mode: "shared"},
			}
		}
	}
	return nil
}

// readFilesystems fills the shares of s from d.
func readFilesystems(d *libvirtxml.Domain, s *DomainSpec) {
	if d.Devices == nil {
		return
	}
	for _, x := range d.Devices.Filesystems {
		if x.Source == nil || x.Source.Mount == nil || x.Target == nil {
			continue
		}
		f := FilesystemSpec{Source: x.Source.Mount.Dir, Tag: x.Target.Dir, ReadOnly: x.ReadOnly != nil, Driver: "9p"}
		if x.Driver != nil && x.Driver.Type == "virtiofs" {
			f.Driver = "virtiofs"
		}
		s.Filesystems = append(s.Filesystems, f)
	}
}

// FilesystemDriversOf is the pure part of FilesystemDrivers.
func FilesystemDriversOf(caps *libvirtxml.DomainCaps) []string {
	var out []string
	if caps.Devices == nil || caps.Devices.FileSystem == nil || caps.Devices.FileSystem.Supported != "yes" {
		return out
	}
	for _, e := range caps.Devices.FileSystem.Enums {
		if e.Name != "driverType" {
			continue
		}
		if slices.Contains(e.Values, "path") {
			out = append(out, "9p")
		}
		if slices.Contains(e.Values, "virtiofs") {
			out = append(out, "virtiofs")
		}
	}
	return out
}
