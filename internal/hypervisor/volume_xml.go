package hypervisor

import (
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// VolumeSpec is the plain description of a storage volume that will receive
// an image of exactly Size bytes.
type VolumeSpec struct {
	Name   string
	Size   uint64 // bytes the image has, and that the volume file will have
	Format string // libvirt target format: "raw" (default) or "qcow2"

	// For qcow2: the image's virtual disk size and cluster size from its
	// header. libvirt first creates an empty qcow2 with the same geometry (whose
	// file is never larger than the image), and the upload overwrites it.
	VirtualSize uint64
	ClusterSize uint64
	Compat      string // "0.10" for qcow2 version 2, "1.1" for version 3
}

// VolumeXML maps spec to a libvirt volume definition. Pure.
//
// A raw volume is created with capacity = allocation = Size: the exact size,
// with the space reserved before the upload starts. A qcow2 volume is created
// with the image's virtual size as capacity and no preallocation.
func VolumeXML(spec VolumeSpec) (*libvirtxml.StorageVolume, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("a volume needs a name")
	}
	if spec.Size == 0 {
		return nil, fmt.Errorf("volume %q would be empty", spec.Name)
	}
	v := &libvirtxml.StorageVolume{Name: spec.Name}
	switch orDefault(spec.Format, "raw") {
	case "raw":
		v.Capacity = &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: spec.Size}
		v.Allocation = &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: spec.Size}
		v.Target = &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "raw"}}
	case "qcow2":
		if spec.VirtualSize == 0 {
			return nil, fmt.Errorf("qcow2 volume %q needs the image's virtual size", spec.Name)
		}
		v.Capacity = &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: spec.VirtualSize}
		v.Allocation = &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0}
		v.Target = &libvirtxml.StorageVolumeTarget{
			Format: &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"},
			Compat: spec.Compat,
		}
		if spec.ClusterSize != 0 {
			v.Target.ClusterSize = &libvirtxml.StorageVolumeTargetClusterSize{Unit: "B", Value: spec.ClusterSize}
		}
	default:
		return nil, fmt.Errorf("volume format %q is not raw or qcow2", spec.Format)
	}
	return v, nil
}

// VolumeInfo is what the provider reads back from a volume.
type VolumeInfo struct {
	Pool     string
	Name     string
	Key      string // for dir pools the path
	Path     string
	Size     uint64 // bytes of the file on the host (physical size)
	Capacity uint64 // the virtual size for qcow2, the size for raw
	Format   string // the target format libvirt reports (probed from the file in dir pools)
}

// VolumeInfoFromXML reads a volume definition. Pure.
func VolumeInfoFromXML(pool string, x *libvirtxml.StorageVolume) VolumeInfo {
	info := VolumeInfo{Pool: pool, Name: x.Name, Key: x.Key}
	if x.Target != nil {
		info.Path = x.Target.Path
		if x.Target.Format != nil {
			info.Format = x.Target.Format.Type
		}
	}
	if x.Capacity != nil {
		info.Capacity = toBytes(x.Capacity.Value, x.Capacity.Unit)
	}
	switch {
	case x.Physical != nil:
		info.Size = toBytes(x.Physical.Value, x.Physical.Unit)
	default:
		info.Size = info.Capacity
	}
	return info
}

// toBytes converts libvirt's scaled sizes (unit "bytes", "B", "KiB", ...) to bytes.
func toBytes(v uint64, unit string) uint64 {
	switch unit {
	case "", "b", "B", "bytes":
		return v
	case "k", "K", "KiB":
		return v << 10
	case "KB":
		return v * 1000
	case "M", "MiB":
		return v << 20
	case "MB":
		return v * 1000 * 1000
	case "G", "GiB":
		return v << 30
	case "GB":
		return v * 1000 * 1000 * 1000
	case "T", "TiB":
		return v << 40
	case "TB":
		return v * 1000 * 1000 * 1000 * 1000
	}
	return v
}
