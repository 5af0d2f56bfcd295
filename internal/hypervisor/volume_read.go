package hypervisor

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// VolumeReader gives random read access to a storage volume through libvirt's
// volume download API, so that image headers can be inspected on remote hosts
// too. It reads only the ranges asked for.
type VolumeReader struct {
	c    *Client
	vol  *libvirt.StorageVol
	pool string
	name string
	path string
	size int64
}

// OpenVolumeByPath opens the storage volume at a host path. A path that is
// not a volume of any active pool gives an error of class ErrNotFound.
func (c *Client) OpenVolumeByPath(ctx context.Context, path string) (*VolumeReader, error) {
	// The lookup is a read that may run on any connection; the reader's
	// downloads use this client's transfer connections.
	v, err := call(ctx, c, retryRead.on("look up", "storage volume", path), func(s *session) (*VolumeReader, error) {
		return s.openVolumeByPath(path)
	})
	if v != nil {
		v.c = c
	}
	return v, err
}

func (s *session) openVolumeByPath(path string) (*VolumeReader, error) {
	vol, err := s.conn().LookupStorageVolByPath(path)
	if err != nil {
		return nil, wrap(err, "look up", "storage volume", path)
	}
	// The file's size on the host: for qcow2 the capacity is the virtual size.
	info, err := vol.GetInfoFlags(libvirt.STORAGE_VOL_GET_PHYSICAL)
	if err != nil {
		_ = vol.Free()
		return nil, wrap(err, "read the size of", "storage volume", path)
	}
	pool, err := vol.LookupPoolByVolume()
	if err != nil {
		_ = vol.Free()
		return nil, wrap(err, "look up the pool of", "storage volume", path)
	}
	defer func() { _ = pool.Free() }()
	poolName, err := pool.GetName()
	if err != nil {
		_ = vol.Free()
		return nil, wrap(err, "look up the pool of", "storage volume", path)
	}
	name, err := vol.GetName()
	if err != nil {
		_ = vol.Free()
		return nil, wrap(err, "read the name of", "storage volume", path)
	}
	return &VolumeReader{vol: vol, pool: poolName, name: name, path: path, size: int64(info.Allocation)}, nil
}

// Size is the volume's size in bytes.
func (v *VolumeReader) Size() int64 { return v.size }

// Pool is the name of the storage pool that holds the volume.
func (v *VolumeReader) Pool() string { return v.pool }

// Close releases the volume handle.
func (v *VolumeReader) Close() error { return v.vol.Free() }

// ReadAt implements io.ReaderAt with one download per call.
func (v *VolumeReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= v.size {
		return 0, io.EOF
	}
	want := int64(len(p))
	if off+want > v.size {
		want = v.size - off
	}
	w := bytes.NewBuffer(p[:0])
	ctx := context.Background()
	n, err := call(ctx, v.c, callOnce.on("download", kindVolume, v.pool+"/"+v.name), func(s *session) (int64, error) {
		return s.download(ctx, v.pool, v.name, uint64(off), uint64(want), w)
	})
	if err != nil {
		return int(n), err
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// VolumeFingerprint identifies the current content of the storage volume at
// a host path without reading it: its key, size and modification time. A
// volume that is deleted and uploaded again gets a new fingerprint. (The
// change time is left out: starting a domain relabels its images.) For a
// volume a guest writes to (writable), the modification time is left out
// too: the guest's writes change it, and they are no new build. found is
// false for a host path outside any pool.
func (c *Client) VolumeFingerprint(ctx context.Context, path string, writable bool) (fp string, found bool, err error) {
	type fingerprint struct {
		fp    string
		found bool
	}
	p, err := call(ctx, c, retryRead.on("look up", "storage volume", path), func(s *session) (fingerprint, error) {
		fp, found, err := s.volumeFingerprint(path, writable)
		return fingerprint{fp, found}, err
	})
	return p.fp, p.found, err
}

func (s *session) volumeFingerprint(path string, writable bool) (fp string, found bool, err error) {
	vol, err := s.conn().LookupStorageVolByPath(path)
	if codeOf(err) == ErrNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap(err, "look up", "storage volume", path)
	}
	defer func() { _ = vol.Free() }()
	doc, err := vol.GetXMLDesc(0)
	if err != nil {
		return "", false, wrap(err, "read the definition of", "storage volume", path)
	}
	var x libvirtxml.StorageVolume
	if err := x.Unmarshal(doc); err != nil {
		return "", false, &Error{Op: "parse the definition of", Kind: "storage volume", Name: path, Message: err.Error()}
	}
	fp = x.Key
	if x.Capacity != nil {
		fp += fmt.Sprintf(" size=%d", x.Capacity.Value)
	}
	if !writable && x.Target != nil && x.Target.Timestamps != nil {
		fp += " mtime=" + x.Target.Timestamps.Mtime
	}
	return fp, true, nil
}
