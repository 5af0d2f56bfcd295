package oci

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layer media types read as tar archives (file system layers).
var tarLayerTypes = map[string]string{ // media type -> compression
	ocispec.MediaTypeImageLayer:                                 "",
	ocispec.MediaTypeImageLayerGzip:                             "gzip",
	ocispec.MediaTypeImageLayerNonDistributable:                 "",     //nolint:staticcheck // still found in registries
	ocispec.MediaTypeImageLayerNonDistributableGzip:             "gzip", //nolint:staticcheck // still found in registries
	"application/vnd.docker.image.rootfs.diff.tar":              "",
	"application/vnd.docker.image.rootfs.diff.tar.gzip":         "gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "gzip",
}

// isTarLayer reports whether a layer of this media type is a tar archive.
func isTarLayer(mediaType string) bool {
	_, ok := tarLayerTypes[mediaType]
	return ok
}

// cleanMember turns a path inside the layers into tar's form: no leading
// slash or "./", cleaned. "" means the path leaves the root.
func cleanMember(p string) string {
	c := path.Clean("/" + p)
	if c == "/" {
		return ""
	}
	return strings.TrimPrefix(c, "/")
}

// blobLayer is a layer that is in the cache.
type blobLayer struct {
	desc ocispec.Descriptor
	path string
}

// open opens a cached layer for reading, decompressed as its media type says,
// and hashes the compressed bytes as they are read: check tells whether they
// had the layer's digest, once the reader was drained.
func (l blobLayer) open(compression string) (r io.Reader, check func() error, closeFn func(), err error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, nil, nil, err
	}
	h := sha256.New()
	tee := io.TeeReader(f, h)
	r = tee
	closeFn = func() { _ = f.Close() }
	if compression == "gzip" {
		zr, err := gzip.NewReader(tee)
		if err != nil {
			closeFn()
			return nil, nil, nil, fmt.Errorf("layer %s is not gzip as its media type %s says: %w", l.desc.Digest, l.desc.MediaType, err)
		}
		r = zr
	}
	check = func() error {
		if _, err := io.Copy(io.Discard, tee); err != nil {
			return err
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != l.desc.Digest.String() {
			_ = os.Remove(l.path)
			return &DigestMismatchError{Want: l.desc.Digest, Got: got, Size: l.desc.Size}
		}
		return nil
	}
	return r, check, closeFn, nil
}

// errMemberNotFound is a path that no layer holds.
var errMemberNotFound = errors.New("not found in the layers")

// maxLinkHops bounds how many symbolic or hard links a lookup follows.
const maxLinkHops = 8

// findMember looks for member in tar layers, the last layer first (it wins,
// as in an unpacked root file system), honours whiteouts, and follows links
// within the layers. It returns the layer and the regular file's name.
func findMember(layers []blobLayer, member string) (blobLayer, string, error) {
	want := cleanMember(member)
	if want == "" {
		return blobLayer{}, "", fmt.Errorf("%q is not a file path", member)
	}
	for hop := 0; hop <= maxLinkHops; hop++ {
		l, hdr, err := lookup(layers, want)
		if err != nil {
			return blobLayer{}, "", err
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives use TypeRegA
			return l, hdr.Name, nil
		case tar.TypeSymlink:
			target := hdr.Linkname
			if !path.IsAbs(target) {
				target = path.Join(path.Dir("/"+want), target)
			}
			want = cleanMember(target)
		case tar.TypeLink:
			want = cleanMember(hdr.Linkname)
		default:
			return blobLayer{}, "", fmt.Errorf("/%s in the layers is not a regular file (tar type %q)", want, hdr.Typeflag)
		}
		if want == "" {
			return blobLayer{}, "", fmt.Errorf("a link in the layers points outside them")
		}
	}
	return blobLayer{}, "", fmt.Errorf("/%s: more than %d links", member, maxLinkHops)
}

// lookup finds the entry named want in the topmost layer that has it, or
// that hides it with a whiteout.
func lookup(layers []blobLayer, want string) (blobLayer, *tar.Header, error) {
	dir, base := path.Split(want)
	for i := len(layers) - 1; i >= 0; i-- {
		l := layers[i]
		hdr, hidden, err := scanLayer(l, want, dir, base)
		if err != nil {
			return blobLayer{}, nil, err
		}
		if hdr != nil {
			return l, hdr, nil
		}
		if hidden {
			break
		}
	}
	return blobLayer{}, nil, fmt.Errorf("/%s: %w", want, errMemberNotFound)
}

// scanLayer reads one layer for want's entry, or a whiteout that hides it.
func scanLayer(l blobLayer, want, dir, base string) (*tar.Header, bool, error) {
	r, check, closeFn, err := l.open(tarLayerTypes[l.desc.MediaType])
	if err != nil {
		return nil, false, err
	}
	defer closeFn()
	tr := tar.NewReader(r)
	var found *tar.Header
	hidden := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("layer %s is not a readable tar archive: %w", l.desc.Digest, err)
		}
		name := cleanMember(hdr.Name)
		switch {
		case name == want && found == nil:
			h := *hdr
			h.Name = name
			found = &h
		case name == cleanMember(dir+".wh."+base), name == cleanMember(dir+".wh..wh..opq"):
			hidden = true
		case strings.HasPrefix(want, name+"/") && strings.HasPrefix(path.Base(name), ".wh."):
			hidden = true
		}
	}
	if err := check(); err != nil {
		return nil, false, err
	}
	if found != nil {
		return found, false, nil
	}
	return nil, hidden, nil
}

// copyMember writes the regular file name of layer l to w, and checks the
// layer's digest over all of its bytes.
func copyMember(l blobLayer, name string, w io.Writer) error {
	r, check, closeFn, err := l.open(tarLayerTypes[l.desc.MediaType])
	if err != nil {
		return err
	}
	defer closeFn()
	tr := tar.NewReader(r)
	copied := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("layer %s is not a readable tar archive: %w", l.desc.Digest, err)
		}
		if !copied && cleanMember(hdr.Name) == name {
			if _, err := io.Copy(w, tr); err != nil {
				return err
			}
			copied = true
		}
	}
	if err := check(); err != nil {
		return err
	}
	if !copied {
		return fmt.Errorf("/%s: %w", name, errMemberNotFound)
	}
	return nil
}

// gunzipBlob writes the decompressed bytes of a gzip layer to w, and checks
// the layer's digest.
func gunzipBlob(l blobLayer, w io.Writer) error {
	r, check, closeFn, err := l.open("gzip")
	if err != nil {
		return err
	}
	defer closeFn()
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("layer %s: %w", l.desc.Digest, err)
	}
	return check()
}
