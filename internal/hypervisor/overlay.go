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

// CreateOverlay creates the overlay volume in pool. An overlay of that name
// that already has this base is kept (a create that failed midway left it),
// so that the next apply repairs.
func (c *Client) CreateOverlay(ctx context.Context, poolName string, spec OverlaySpec) (VolumeInfo, error) {
	id := poolName + "/" + spec.Name
	x, err := OverlayXML(spec)
	if err != nil {
		return VolumeInfo{}, &Error{Op: "create", Kind: kindVolume, Name: id, Code: ErrInvalid, Message: err.Error()}
	}
	doc, err := x.Marshal()
	if err != nil {
		return VolumeInfo{}, &Error{Op: "create", Kind: kindVolume, Name: id, Code: ErrInvalid, Message: err.Error()}
	}
	pool, err := c.activePool(poolName)
	if err != nil {
		return VolumeInfo{}, err
	}
	defer func() { _ = pool.Free() }()
	lock := c.poolLock(poolName)
	lock.Lock()
	vol, err := pool.StorageVolCreateXML(doc, 0)
	lock.Unlock()
	if err != nil {
		return VolumeInfo{}, wrap(err, "create", kindVolume, id)
	}
	defer func() { _ = vol.Free() }()
	return volumeInfo(vol, poolName, id)
}
