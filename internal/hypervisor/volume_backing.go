package hypervisor

import (
	"context"

	"libvirt.org/go/libvirtxml"
)

// Backing is the backing store of a copy-on-write volume: the file its
// reads fall through to until the guest writes.
type Backing struct {
	// Path is the backing file's host path as the volume names it.
	Path string
	// Format is the backing file's format recorded in the volume ("raw",
	// "qcow2"; empty when the volume does not pin it).
	Format string
	// Key is the key of the storage volume at Path (for dir pools its path),
	// empty when no pool holds the backing file.
	Key string
	// Pool is the pool holding the backing volume, empty when none does.
	Pool string
}

// BackingFromVolumeXML returns the backing file and its format of a volume
// definition; ok is false when the volume has no backing store. libvirt
// reports the backing store of a qcow2 file in a dir pool from its header, so
// overlays made outside the pool (qemu-img, the libvirt provider) count too.
// Pure.
func BackingFromVolumeXML(x *libvirtxml.StorageVolume) (path, format string, ok bool) {
	if x == nil || x.BackingStore == nil || x.BackingStore.Path == "" {
		return "", "", false
	}
	if x.BackingStore.Format != nil {
		format = x.BackingStore.Format.Type
	}
	return x.BackingStore.Path, format, true
}

// VolumeBacking returns the backing store of the storage volume at a host
// path, and whether a pool holds the backing file. found is false when the
// path is no volume of an active pool, or the volume has no backing store.
func (c *Client) VolumeBacking(ctx context.Context, path string) (b Backing, found bool, err error) {
	type result struct {
		b     Backing
		found bool
	}
	r, err := call(ctx, c, retryRead.on("look up", "storage volume", path), func(s *session) (result, error) {
		b, found, err := s.volumeBacking(path)
		return result{b, found}, err
	})
	return r.b, r.found, err
}

func (s *session) volumeBacking(path string) (Backing, bool, error) {
	vol, err := s.conn().LookupStorageVolByPath(path)
	if codeOf(err) == ErrNotFound {
		return Backing{}, false, nil
	}
	if err != nil {
		return Backing{}, false, wrap(err, "look up", "storage volume", path)
	}
	defer func() { _ = vol.Free() }()
	doc, err := vol.GetXMLDesc(0)
	if err != nil {
		return Backing{}, false, wrap(err, "read the definition of", "storage volume", path)
	}
	var x libvirtxml.StorageVolume
	if err := x.Unmarshal(doc); err != nil {
		return Backing{}, false, &Error{Op: "parse the definition of", Kind: "storage volume", Name: path, Message: err.Error()}
	}
	p, format, ok := BackingFromVolumeXML(&x)
	if !ok {
		return Backing{}, false, nil
	}
	b := Backing{Path: p, Format: format}
	base, err := s.conn().LookupStorageVolByPath(p)
	if codeOf(err) == ErrNotFound {
		return b, true, nil
	}
	if err != nil {
		return Backing{}, false, wrap(err, "look up", "storage volume", p)
	}
	defer func() { _ = base.Free() }()
	if b.Key, err = base.GetKey(); err != nil {
		return Backing{}, false, wrap(err, "read the key of", "storage volume", p)
	}
	pool, err := base.LookupPoolByVolume()
	if err != nil {
		return Backing{}, false, wrap(err, "look up the pool of", "storage volume", p)
	}
	defer func() { _ = pool.Free() }()
	if b.Pool, err = pool.GetName(); err != nil {
		return Backing{}, false, wrap(err, "look up the pool of", "storage volume", p)
	}
	return b, true, nil
}
