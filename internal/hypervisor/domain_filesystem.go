package hypervisor

import (
	"context"
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
