package hypervisor

import (
	"context"
	"fmt"
	"sort"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// DataVolumeSpec is the plain description of a data volume: a blank disk of
// Capacity bytes that guests write to (unlike an image, which receives an
// upload of exactly its bytes).
type DataVolumeSpec struct {
	Name     string
	Capacity uint64 // bytes the guest sees
	Format   string // "raw" (default) or "qcow2"
}

// DataVolumeXML maps spec to a libvirt volume definition. Pure.
//
// Both formats are created sparse (allocation 0): a raw volume is a sparse
// file of Capacity bytes, a qcow2 volume an empty qcow2 of that virtual size.
// Space on the host is used as the guest writes.
func DataVolumeXML(spec DataVolumeSpec) (*libvirtxml.StorageVolume, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("a volume needs a name")
	}
	if spec.Capacity == 0 {
		return nil, fmt.Errorf("volume %q would be empty", spec.Name)
	}
	format := orDefault(spec.Format, "raw")
	if format != "raw" && format != "qcow2" {
		return nil, fmt.Errorf("volume format %q is not raw or qcow2", spec.Format)
	}
	return &libvirtxml.StorageVolume{
		Name:       spec.Name,
		Capacity:   &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: spec.Capacity},
		Allocation: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Target:     &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}},
	}, nil
}

// CreateDataVolume creates a blank data volume in a running pool.
func (c *Client) CreateDataVolume(ctx context.Context, poolName string, spec DataVolumeSpec) (VolumeInfo, error) {
	return call(ctx, c, callOnce.on("create", kindVolume, poolName+"/"+spec.Name), func(s *session) (VolumeInfo, error) {
		x, err := DataVolumeXML(spec)
		return s.createVolume(poolName, spec.Name, x, err)
	})
}

// CloneVolume creates a data volume in poolName as a full copy of the volume
// whose key is sourceKey (in any pool of the host), converted to spec.Format
// by libvirt (qemu-img convert) where the formats differ. The copy has the
// source's capacity; spec.Capacity is ignored (grow it with ResizeVolume).
// Nothing links the copy to its source afterwards: the source may be deleted.
func (c *Client) CloneVolume(ctx context.Context, poolName string, spec DataVolumeSpec, sourceKey string) (VolumeInfo, error) {
	return call(ctx, c, callOnce.on("create", kindVolume, poolName+"/"+spec.Name), func(s *session) (VolumeInfo, error) {
		src, err := s.conn().LookupStorageVolByKey(sourceKey)
		if err != nil {
			return VolumeInfo{}, wrap(err, "look up", kindVolume, sourceKey)
		}
		defer func() { _ = src.Free() }()
		srcInfo, err := volumeInfo(src, "", sourceKey)
		if err != nil {
			return VolumeInfo{}, err
		}
		spec.Capacity = srcInfo.Capacity
		x, err := DataVolumeXML(spec)
		return s.createVolumeFrom(poolName, spec.Name, x, err, src, sourceKey)
	})
}

// ResizeVolume grows a volume that no running domain uses to capacity bytes.
// libvirt refuses to shrink (data past the new end would be lost).
func (c *Client) ResizeVolume(ctx context.Context, poolName, name string, capacity uint64) error {
	return c.do(ctx, retryMain.on("resize", kindVolume, poolName+"/"+name), func(s *session) error {
		vol, err := s.lookupVolume(poolName, name)
		if err != nil {
			return err
		}
		defer func() { _ = vol.Free() }()
		lock := s.poolLock(poolName)
		lock.Lock()
		defer lock.Unlock()
		return wrap(vol.Resize(capacity, 0), "resize", kindVolume, poolName+"/"+name)
	})
}

// VolumeUser is a domain whose definition has a disk on a volume.
type VolumeUser struct {
	Domain   string
	Running  bool // the domain runs (or is paused)
	ReadOnly bool
	Target   string // the disk's target device in the guest, for example vdb
}

// VolumeUsers lists the defined domains that have a disk whose source is the
// host path p, sorted by name. A running domain counts with its persistent
// and its live definition (a disk attached to it live only counts too).
func (c *Client) VolumeUsers(ctx context.Context, p string) ([]VolumeUser, error) {
	return call(ctx, c, retryRead.on("list the domains that use", kindVolume, p), func(s *session) ([]VolumeUser, error) {
		return s.volumeUsers(p)
	})
}

func (s *session) volumeUsers(p string) ([]VolumeUser, error) {
	doms, err := s.conn().ListAllDomains(0)
	if err != nil {
		return nil, wrap(err, "list", "domains on", s.uri)
	}
	defer func() {
		for i := range doms {
			_ = doms[i].Free()
		}
	}()
	var out []VolumeUser
	for i := range doms {
		dom := &doms[i]
		name, err := dom.GetName()
		if err != nil {
			continue // undefined meanwhile
		}
		st, _, err := dom.GetState()
		if codeOf(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return nil, wrap(err, "read the state of", kindDomain, name)
		}
		running := mapState(st) == StateRunning || mapState(st) == StatePaused
		flags := []libvirt.DomainXMLFlags{libvirt.DOMAIN_XML_INACTIVE}
		if running {
			flags = append(flags, 0)
		}
		var found *VolumeUser
		for _, f := range flags {
			doc, err := dom.GetXMLDesc(f)
			if codeOf(err) == ErrNotFound {
				break
			}
			if err != nil {
				return nil, wrap(err, "read the definition of", kindDomain, name)
			}
			var x libvirtxml.Domain
			if err := x.Unmarshal(doc); err != nil {
				return nil, &Error{Op: "parse the definition of", Kind: kindDomain, Name: name, Message: err.Error()}
			}
			if u, ok := diskUsing(&x, p); ok && (found == nil || (found.ReadOnly && !u.ReadOnly)) {
				found = &u
			}
		}
		if found != nil {
			found.Domain, found.Running = name, running
			out = append(out, *found)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Domain < out[j].Domain })
	return out, nil
}

// diskUsing finds the disk of x whose source file or volume path is p. Pure.
func diskUsing(x *libvirtxml.Domain, p string) (VolumeUser, bool) {
	if x.Devices == nil {
		return VolumeUser{}, false
	}
	for _, d := range x.Devices.Disks {
		if d.Source == nil || d.Source.File == nil || d.Source.File.File != p {
			continue
		}
		u := VolumeUser{ReadOnly: d.ReadOnly != nil}
		if d.Target != nil {
			u.Target = d.Target.Dev
		}
		return u, true
	}
	return VolumeUser{}, false
}

// BlockResize tells a running domain that its disk on the host path p now
// has capacity bytes (virDomainBlockResize): QEMU grows the image itself
// (raw or qcow2, even while the guest writes to it) and the guest sees the
// new size at once, without a restart.
func (c *Client) BlockResize(ctx context.Context, domain, p string, capacity uint64) error {
	return c.do(ctx, retryChange.on("resize the disk "+p+" of", kindDomain, domain), func(s *session) error {
		return s.withDomain(domain, func(dom *libvirt.Domain) error {
			return wrap(dom.BlockResize(p, capacity, libvirt.DOMAIN_BLOCK_RESIZE_BYTES), "resize the disk "+p+" of", kindDomain, domain)
		})
	})
}

// BlockCapacity is the size in bytes of a running domain's disk on the host
// path p as QEMU sees it (virDomainGetBlockInfo, `virsh domblkinfo`).
func (c *Client) BlockCapacity(ctx context.Context, domain, p string) (uint64, error) {
	return call(ctx, c, retryRead.on("read the disk "+p+" of", kindDomain, domain), func(s *session) (uint64, error) {
		dom, err := s.lookupDomain(domain)
		if err != nil {
			return 0, err
		}
		defer func() { _ = dom.Free() }()
		info, err := dom.GetBlockInfo(p, 0)
		if err != nil {
			return 0, wrap(err, "read the disk "+p+" of", kindDomain, domain)
		}
		return info.Capacity, nil
	})
}
