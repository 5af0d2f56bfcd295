package hypervisor

import (
	"context"
	"errors"
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
	path string
	size int64
}

// OpenVolumeByPath opens the storage volume at a host path. A path that is
// not a volume of any active pool gives an error of class ErrNotFound.
func (c *Client) OpenVolumeByPath(ctx context.Context, path string) (*VolumeReader, error) {
	vol, err := c.conn.LookupStorageVolByPath(path)
	if err != nil {
		return nil, wrap(err, "look up", "storage volume", path)
	}
	info, err := vol.GetInfo()
	if err != nil {
		_ = vol.Free()
		return nil, wrap(err, "read the size of", "storage volume", path)
	}
	return &VolumeReader{c: c, vol: vol, path: path, size: int64(info.Capacity)}, nil
}

// Size is the volume's size in bytes.
func (v *VolumeReader) Size() int64 { return v.size }

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
	st, err := v.c.conn.NewStream(0)
	if err != nil {
		return 0, wrap(err, "open a stream for", "storage volume", v.path)
	}
	defer func() { _ = st.Free() }()
	if err := v.vol.Download(st, uint64(off), uint64(want), 0); err != nil {
		return 0, wrap(err, "download", "storage volume", v.path)
	}
	n := 0
	for int64(n) < want {
		m, err := st.Recv(p[n:want])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			_ = st.Abort()
			return n, wrap(err, "download", "storage volume", v.path)
		}
		n += m
	}
	if err := st.Finish(); err != nil {
		return n, wrap(err, "download", "storage volume", v.path)
	}
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// VolumeFingerprint identifies the current content of the storage volume at
// a host path without reading it: its key, size and change time. A volume
// that is deleted and uploaded again gets a new fingerprint. found is false
// for a host path outside any pool.
func (c *Client) VolumeFingerprint(ctx context.Context, path string) (fp string, found bool, err error) {
	vol, err := c.conn.LookupStorageVolByPath(path)
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
	if x.Target != nil && x.Target.Timestamps != nil {
		fp += " mtime=" + x.Target.Timestamps.Mtime + " ctime=" + x.Target.Timestamps.Ctime
	}
	return fp, true, nil
}
