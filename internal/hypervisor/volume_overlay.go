package hypervisor

import (
	"context"
	"fmt"

	"libvirt.org/go/libvirtxml"
)

// OverlaySpec is a copy-on-write qcow2 volume over a base image: reads come
// from the base until the guest writes, and writes go to the overlay only.
type OverlaySpec struct {
	Name       string
	BasePath   string // host path of the base image
	BaseFormat string // "raw" or "qcow2": recorded in the overlay, never probed
	Capacity   uint64 // virtual size in bytes: the base's
}

// OverlayXML maps spec to a volume definition with a backing store. Pure.
// libvirt writes the backing format into the qcow2 header (qemu-img -F), so
// QEMU never probes the base's format.
func OverlayXML(spec OverlaySpec) (*libvirtxml.StorageVolume, error) {
	if spec.Name == "" || spec.BasePath == "" {
		return nil, fmt.Errorf("an overlay needs a name and a base image")
	}
	if spec.BaseFormat != "raw" && spec.BaseFormat != "qcow2" {
		return nil, fmt.Errorf("base image format %q is not raw or qcow2", spec.BaseFormat)
	}
	if spec.Capacity == 0 {
		return nil, fmt.Errorf("overlay %q needs the base image's size", spec.Name)
	}
	return &libvirtxml.StorageVolume{
		Name:       spec.Name,
		Capacity:   &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: spec.Capacity},
		Allocation: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Target:     &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"}},
		BackingStore: &libvirtxml.StorageVolumeBackingStore{
			Path:   spec.BasePath,
			Format: &libvirtxml.StorageVolumeTargetFormat{Type: spec.BaseFormat},
		},
	}, nil
}

// CreateOverlay creates the overlay volume in pool (an instance's create
// skips overlays that a create which failed midway already made).
func (c *Client) CreateOverlay(ctx context.Context, poolName string, spec OverlaySpec) (VolumeInfo, error) {
	return call(ctx, c, callOnce.on("create", kindVolume, poolName+"/"+spec.Name), func(s *session) (VolumeInfo, error) {
		x, err := OverlayXML(spec)
		return s.createVolume(poolName, spec.Name, x, err)
	})
}
