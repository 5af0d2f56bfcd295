package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// Cache keeps verified blobs on the machine that runs Terraform, keyed by
// digest: blobs/sha256/<hex>. A blob enters the cache only after its bytes
// were hashed and matched its descriptor's digest and size, by a rename of a
// temporary file in the same directory, so concurrent providers (or
// workspaces) never see a partial blob, and concurrent calls within one
// provider share one download. Files taken out of layers (a tar member, or a
// gunzipped blob) are kept beside them under files/, named by a hash of the
// layers' digests and the member's path (or the blob's digest), each with a
// record of the SHA-256 of its bytes.
type Cache struct {
	dir     string
	max     int64
	fetches flight[digest.Digest, string]
	files   flight[string, File]
	// Downloads counts blobs fetched from a registry (not from the cache),
	// for tests and benchmarks.
	downloads atomic.Int64
}

// NewCache returns a cache rooted at dir; max caps one blob (0: no cap).
func NewCache(dir string, maxBlob int64) *Cache { return &Cache{dir: dir, max: maxBlob} }

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// Downloads is how many blobs this cache fetched from registries.
func (c *Cache) Downloads() int64 { return c.downloads.Load() }

// DigestMismatchError is a blob whose bytes do not have its digest.
type DigestMismatchError struct {
	Want digest.Digest
	Got  string // "sha256:<hex>"
	Size int64
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("the registry sent bytes that do not match their digest: expected %s, got %s (%d bytes)",
		e.Want, e.Got, e.Size)
}

// TransferError is a blob download that broke off.
type TransferError struct {
	Digest    digest.Digest
	Got, Size int64
	Err       error
}

func (e *TransferError) Error() string {
	return fmt.Sprintf("the download of blob %s broke off after %d of %d bytes: %s", e.Digest, e.Got, e.Size, e.Err)
}

func (e *TransferError) Unwrap() error { return e.Err }

func (c *Cache) blobPath(d digest.Digest) string {
	return filepath.Join(c.dir, "blobs", d.Algorithm().String(), d.Encoded())
}

// blob returns the path of a verified copy of desc's bytes, fetching them
// with fetch when the cache does not hold them.
func (c *Cache) blob(ctx context.Context, desc ocispec.Descriptor, fetch func(context.Context, ocispec.Descriptor) (io.ReadCloser, error)) (string, error) {
	if err := desc.Digest.Validate(); err != nil {
		return "", fmt.Errorf("descriptor digest %q: %w", desc.Digest, err)
	}
	if desc.Digest.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("blob %s: only sha256 digests are supported", desc.Digest)
	}
	if c.max > 0 && desc.Size > c.max {
		return "", fmt.Errorf("blob %s has %d bytes, more than the limit of %d (UNIKERNEL_MAX_IMAGE_BYTES)", desc.Digest, desc.Size, c.max)
	}
	p := c.blobPath(desc.Digest)
	if st, err := os.Stat(p); err == nil && st.Size() == desc.Size {
		return p, nil
	}
	return c.fetches.do(ctx, desc.Digest, func() (string, error) {
		if st, err := os.Stat(p); err == nil && st.Size() == desc.Size {
			return p, nil
		}
		rc, err := fetch(ctx, desc)
		if err != nil {
			return "", err
		}
		defer func() { _ = rc.Close() }()
		c.downloads.Add(1)
		err = c.write(p, func(w io.Writer) error {
			h := sha256.New()
			n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(rc, desc.Size+1))
			if err != nil {
				return &TransferError{Digest: desc.Digest, Got: n, Size: desc.Size, Err: err}
			}
			got := "sha256:" + hex.EncodeToString(h.Sum(nil))
			if n != desc.Size || got != desc.Digest.String() {
				return &DigestMismatchError{Want: desc.Digest, Got: got, Size: n}
			}
			return nil
		})
		return p, err
	})
}

// write creates path through a temporary file in its directory that fill
// writes; the file is renamed into place only when fill succeeds.
func (c *Cache) write(path string, fill func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("OCI blob cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("OCI blob cache: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("OCI blob cache: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("OCI blob cache: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("OCI blob cache: %w", err)
	}
	return nil
}

// File is one file of a package, ready to upload: a path in the cache, its
// size and the SHA-256 of its bytes (hex).
type File struct {
	Path   string
	Size   int64
	SHA256 string
}

// Drop removes f from the cache when its bytes no longer have its SHA-256
// (a cache changed on disk), so that the next pull fetches it again. It
// reports whether it dropped it.
func (c *Cache) Drop(f File) bool {
	got, _, err := imageformat.HashFile(f.Path)
	if err != nil || got == f.SHA256 {
		return false
	}
	_ = os.Remove(f.Path)
	_ = os.Remove(f.Path + ".sha256")
	return true
}

// fileFromBlob is a blob used as it is: its digest is the file's SHA-256.
func fileFromBlob(p string, desc ocispec.Descriptor) File {
	return File{Path: p, Size: desc.Size, SHA256: desc.Digest.Encoded()}
}

// extracted returns the cached file named key, making it with make when it
// is missing. A cached file's recorded SHA-256 sits in key+".sha256"; the
// upload hashes the bytes again as they stream and refuses a mismatch.
func (c *Cache) extracted(ctx context.Context, key string, fill func(w io.Writer) error) (File, error) {
	p := filepath.Join(c.dir, "files", key)
	if f, err := readExtracted(p); err == nil {
		return f, nil
	}
	return c.files.do(ctx, key, func() (File, error) {
		if f, err := readExtracted(p); err == nil {
			return f, nil
		}
		var sum string
		var size int64
		err := c.write(p, func(w io.Writer) error {
			h := sha256.New()
			cw := &countWriter{w: io.MultiWriter(w, h), max: c.max}
			if err := fill(cw); err != nil {
				return err
			}
			sum, size = hex.EncodeToString(h.Sum(nil)), cw.n
			return nil
		})
		if err != nil {
			return File{}, err
		}
		if err := c.write(p+".sha256", func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s %d\n", sum, size)
			return err
		}); err != nil {
			return File{}, err
		}
		return File{Path: p, Size: size, SHA256: sum}, nil
	})
}

func readExtracted(p string) (File, error) {
	b, err := os.ReadFile(p + ".sha256")
	if err != nil {
		return File{}, err
	}
	var sum string
	var size int64
	if _, err := fmt.Sscanf(string(b), "%64s %d", &sum, &size); err != nil || len(sum) != 64 {
		return File{}, errors.New("bad digest record")
	}
	st, err := os.Stat(p)
	if err != nil || st.Size() != size {
		return File{}, errors.New("cached file missing or changed")
	}
	return File{Path: p, Size: size, SHA256: sum}, nil
}

// countWriter counts what passes, and refuses more than max bytes (0: no
// cap), so that a compressed layer cannot fill the disk when unpacked.
type countWriter struct {
	w   io.Writer
	n   int64
	max int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	if c.max > 0 && c.n+int64(len(b)) > c.max {
		return 0, fmt.Errorf("the file unpacks to more than the limit of %d bytes (UNIKERNEL_MAX_IMAGE_BYTES)", c.max)
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
