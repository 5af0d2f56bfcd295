package hypervisor

import (
	"fmt"
	"path/filepath"

	"libvirt.org/go/libvirtxml"
)

// PoolSpec is the plain description of a libvirt storage pool of type dir.
type PoolSpec struct {
	Name string
	UUID string // empty: libvirt assigns one
	Path string // absolute directory that holds the volumes
}

// PoolXML maps spec to a libvirt storage pool definition. Pure.
func PoolXML(spec PoolSpec) (*libvirtxml.StoragePool, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("a storage pool needs a name")
	}
	if !filepath.IsAbs(spec.Path) || filepath.Clean(spec.Path) != spec.Path {
		return nil, fmt.Errorf("path %q is not a clean absolute path", spec.Path)
	}
	return &libvirtxml.StoragePool{
		Type:   "dir",
		Name:   spec.Name,
		UUID:   spec.UUID,
		Target: &libvirtxml.StoragePoolTarget{Path: spec.Path},
	}, nil
}

// PoolSpecFromXML is the inverse of PoolXML. Pure.
func PoolSpecFromXML(x *libvirtxml.StoragePool) PoolSpec {
	s := PoolSpec{Name: x.Name, UUID: x.UUID}
	if x.Target != nil {
		s.Path = x.Target.Path
	}
	return s
}
