package hypervisor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Sidecar create markers, for objects that libvirt 9.0 keeps no metadata
// of (networks, storage volumes). Before such an object is created, a small
// JSON volume named after it is written into the provider's console pool:
//
//	create-<kind>-<first 16 hex digits of sha256("<kind>/<pool>/<name>")>.json
//	{"kind":"network","pool":"","name":"web","marker":{"id":...,"state":"in-flight",...}}
//
// The last step of a successful create deletes it, and so does a failed
// create once the object is removed again. A sidecar therefore exists only
// while a create is in flight, or after one was killed: an object of the
// planned name with a sidecar whose create is abandoned is taken over, and
// one without a sidecar is treated as not the provider's to take (made
// outside it, or by a create that finished and so belongs to some state).
// Only the volume API is used, so the scheme works over remote URIs too.

// Sidecar kinds.
const (
	SidecarNetwork = "network"
	SidecarImage   = "image"
	SidecarVolume  = "volume"
)

// sidecar is the content of a sidecar volume.
type sidecar struct {
	Kind   string       `json:"kind"`
	Pool   string       `json:"pool"`
	Name   string       `json:"name"`
	Marker CreateMarker `json:"marker"`
}

// SidecarName is the volume name of the sidecar marker of object name of
// kind (in pool, "" for networks).
func SidecarName(kind, pool, name string) string {
	h := sha256.Sum256([]byte(kind + "/" + pool + "/" + name))
	return fmt.Sprintf("create-%s-%s.json", kind, hex.EncodeToString(h[:])[:16])
}

// WriteCreateSidecar records that a create of object name (of kind, in
// pool) is in flight, replacing a sidecar a killed create left.
func (c *Client) WriteCreateSidecar(ctx context.Context, p ConsolePool, kind, pool, name string, m *CreateMarker) error {
	b, err := json.Marshal(sidecar{Kind: kind, Pool: pool, Name: name, Marker: *m})
	if err != nil {
		return err
	}
	vol := SidecarName(kind, pool, name)
	if err := c.DeleteVolume(ctx, p.Name, vol); err != nil {
		return err
	}
	_, err = c.CreateVolumeFrom(ctx, p.Name, VolumeSpec{Name: vol, Size: uint64(len(b))}, bytes.NewReader(b), nil)
	return err
}

// ReadCreateSidecar returns the marker of an in-flight (or killed) create
// of object name, nil when there is none. A sidecar that cannot be parsed,
// or that names another object, counts as none.
func (c *Client) ReadCreateSidecar(ctx context.Context, p ConsolePool, kind, pool, name string) (*CreateMarker, error) {
	var buf bytes.Buffer
	if _, err := c.DownloadVolume(ctx, p.Name, SidecarName(kind, pool, name), &buf); err != nil {
		if IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var s sidecar
	if json.Unmarshal(buf.Bytes(), &s) == nil && s.Kind == kind && s.Pool == pool && s.Name == name {
		return &s.Marker, nil
	}
	return nil, nil // not a marker of this object: none, and the object is refused
}

// DeleteCreateSidecar removes the sidecar of object name; a missing one is
// not an error.
func (c *Client) DeleteCreateSidecar(ctx context.Context, p ConsolePool, kind, pool, name string) error {
	return c.DeleteVolume(ctx, p.Name, SidecarName(kind, pool, name))
}
