package oci

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Media types of Docker's manifests, which registries still serve.
const (
	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// manifestTypes are the manifest media types asked for and understood.
var manifestTypes = []string{ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest,
	mediaTypeDockerManifestList, mediaTypeDockerManifest}

// maxManifestBytes caps a manifest or an image configuration.
const maxManifestBytes = 4 << 20

// Parts a package can hold. PartFile is a path inside the layers or an
// artifact's file name, given with Selection.File.
const (
	PartKernel = "kernel"
	PartInitrd = "initrd"
	PartRootfs = "rootfs"
	PartDisk   = "disk"
)

// Parts lists the parts that Selection.Part accepts.
func Parts() []string { return []string{PartKernel, PartInitrd, PartRootfs, PartDisk} }

// Selection says which file of a package to take.
type Selection struct {
	Part string // one of Parts(); "" is the kernel
	File string // a path inside the layers, or an artifact's file name; wins over Part
	// Platform picks the manifest of an index: "os/arch", or "arch" alone.
	// "" is the host's: HostArch, preferring the operating systems in
	// PreferOS in their order.
	Platform  string
	HostArch  string
	PreferOS  []string
	Reference Reference
}

// Package is what Pull found and took.
type Package struct {
	Reference Reference
	// Digest is what the reference resolved to (an index or a manifest): the
	// pin that the state keeps.
	Digest digest.Digest
	// Manifest is the digest of the manifest used (the platform's, for an index).
	Manifest digest.Digest
	// Platform is "os/arch" of that manifest, "" when it names none.
	Platform string
	// Layout is kraftkit, urunc or artifact.
	Layout string
	// Taken says which part or file was taken, e.g. "kernel (/unikraft/bin/kernel)".
	Taken string
	// Annotations are the manifest's annotations (for urunc, with values decoded).
	Annotations map[string]string
	// Metadata of the package, "" when it does not say.
	Cmdline, UnikernelType, Hypervisor, Version string
	File                                        File
}

// Error is a failure of Pull or Resolve: it names the reference and says
// what was found.
type Error struct {
	Ref  string
	Kind ErrorKind
	Err  error
}

// ErrorKind classifies pull errors for the provider's advice.
type ErrorKind int

// Kinds of pull errors.
const (
	ErrOther ErrorKind = iota
	ErrAuth
	ErrNotFound
	ErrTLS
	ErrUnreachable
	ErrDigest
	ErrContent // the package lacks what was asked for, or is malformed
)

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Ref, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// classify wraps err with its kind.
func classify(ref Reference, err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	kind := ErrOther
	var ec *errcode.ErrorResponse
	var mm *DigestMismatchError
	var opErr *net.OpError
	var te *TransferError
	switch {
	case errors.As(err, &mm):
		kind = ErrDigest
	case errors.As(err, &ec) && (ec.StatusCode == http.StatusUnauthorized || ec.StatusCode == http.StatusForbidden):
		kind = ErrAuth
	case errors.As(err, &ec) && ec.StatusCode == http.StatusNotFound, errors.Is(err, errdef.ErrNotFound):
		kind = ErrNotFound
		if !errors.As(err, &ec) {
			// oras-go's message repeats the reference.
			err = errors.New("not found: the registry has no such repository, tag or digest")
		}
	case isTLSError(err):
		kind = ErrTLS
	case errors.As(err, &opErr), errors.As(err, &te):
		kind = ErrUnreachable
	}
	return &Error{Ref: ref.String(), Kind: kind, Err: err}
}

func contentError(ref Reference, format string, args ...any) error {
	return &Error{Ref: ref.String(), Kind: ErrContent, Err: fmt.Errorf(format, args...)}
}

type resolved struct {
	desc ocispec.Descriptor
}

// Resolve returns the digest a reference names. A digest reference needs no
// registry call. A tag is asked of the registry once per client (that is,
// once per plan or apply of a provider), however many resources use it.
func (c *Client) Resolve(ctx context.Context, ref Reference) (digest.Digest, error) {
	if ref.Pinned() {
		return ref.Digest, nil
	}
	r, err := c.resolved.do(ctx, ref.String(), func() (resolved, error) {
		desc, err := c.resolveTag(ctx, ref)
		return resolved{desc: desc}, err
	})
	if err != nil {
		return "", err
	}
	return r.desc.Digest, nil
}

// Forget drops what Resolve remembered of ref, so the next Resolve asks the
// registry again.
func (c *Client) Forget(ref Reference) {
	c.resolved.mu.Lock()
	delete(c.resolved.calls, ref.String())
	c.resolved.mu.Unlock()
}

func (c *Client) resolveTag(ctx context.Context, ref Reference) (ocispec.Descriptor, error) {
	repo, err := c.repository(ref)
	if err != nil {
		return ocispec.Descriptor{}, classify(ref, err)
	}
	repo.ManifestMediaTypes = manifestTypes
	desc, err := repo.Resolve(ctx, ref.Tag)
	if err != nil {
		return ocispec.Descriptor{}, classify(ref, err)
	}
	return desc, nil
}

// manifestDoc is the union of an index and a manifest.
type manifestDoc struct {
	MediaType    string               `json:"mediaType"`
	ArtifactType string               `json:"artifactType"`
	Config       ocispec.Descriptor   `json:"config"`
	Layers       []ocispec.Descriptor `json:"layers"`
	Manifests    []ocispec.Descriptor `json:"manifests"`
	Annotations  map[string]string    `json:"annotations"`
}

func (m *manifestDoc) isIndex() bool {
	return m.MediaType == ocispec.MediaTypeImageIndex || m.MediaType == mediaTypeDockerManifestList ||
		(m.MediaType == "" && len(m.Manifests) > 0 && len(m.Layers) == 0)
}

// fetchManifest fetches a manifest by digest and checks its bytes against
// it. A manifest is fetched once per client and repository: what a digest
// names never changes.
func (c *Client) fetchManifest(ctx context.Context, ref Reference, d digest.Digest) (*manifestDoc, error) {
	key := ref.Registry + "/" + ref.Repository + "@" + d.String()
	return c.manifests.do(ctx, key, func() (*manifestDoc, error) { return c.fetchManifestOnce(ctx, ref, d) })
}

func (c *Client) fetchManifestOnce(ctx context.Context, ref Reference, d digest.Digest) (*manifestDoc, error) {
	repo, err := c.repository(ref)
	if err != nil {
		return nil, err
	}
	repo.ManifestMediaTypes = manifestTypes
	_, rc, err := repo.Manifests().FetchReference(ctx, d.String())
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(io.LimitReader(rc, maxManifestBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxManifestBytes {
		return nil, fmt.Errorf("manifest %s is larger than %d bytes", d, maxManifestBytes)
	}
	if got := digest.FromBytes(b); got != d {
		return nil, &DigestMismatchError{Want: d, Got: got.String(), Size: int64(len(b))}
	}
	var m manifestDoc
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s is not valid JSON: %w", d, err)
	}
	return &m, nil
}

// fetchSmallBlob fetches a small blob (an image configuration) through the
// cache and reads it.
func (c *Client) fetchSmallBlob(ctx context.Context, ref Reference, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > maxManifestBytes {
		return nil, fmt.Errorf("configuration blob %s has %d bytes, more than %d", desc.Digest, desc.Size, maxManifestBytes)
	}
	p, err := c.fetchBlob(ctx, ref, desc)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err == nil && digest.FromBytes(b) != desc.Digest {
		// A cached copy that changed on disk: fetch it again, once.
		_ = os.Remove(p)
		if p, err = c.fetchBlob(ctx, ref, desc); err == nil {
			b, err = os.ReadFile(p)
		}
	}
	return b, err
}

func (c *Client) fetchBlob(ctx context.Context, ref Reference, desc ocispec.Descriptor) (string, error) {
	return c.cache.blob(ctx, desc, func(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
		repo, err := c.repository(ref)
		if err != nil {
			return nil, err
		}
		return repo.Blobs().Fetch(ctx, desc)
	})
}

// Pull resolves the reference (pinned is the digest the plan resolved it
// to, or ""), picks the platform's manifest, finds the selected file by the
// package's layout, and returns it verified and cached. Nothing is written
// anywhere but the cache.
func (c *Client) Pull(ctx context.Context, sel Selection, pinned digest.Digest) (*Package, error) {
	ref := sel.Reference
	pkg, err := c.pull(ctx, sel, pinned)
	if err != nil {
		return nil, classify(ref, err)
	}
	return pkg, nil
}

func (c *Client) pull(ctx context.Context, sel Selection, pinned digest.Digest) (*Package, error) {
	ref := sel.Reference
	top := pinned
	if top == "" {
		var err error
		if top, err = c.Resolve(ctx, ref); err != nil {
			return nil, err
		}
	}
	pkg := &Package{Reference: ref, Digest: top, Manifest: top}
	m, err := c.fetchManifest(ctx, ref, top)
	if err != nil {
		return nil, err
	}
	var platform *ocispec.Platform
	for depth := 0; m.isIndex(); depth++ {
		if depth == 2 {
			return nil, contentError(ref, "indexes nested more than two deep")
		}
		desc, err := pickPlatform(ref, m.Manifests, sel)
		if err != nil {
			return nil, err
		}
		platform = desc.Platform
		pkg.Manifest = desc.Digest
		if m, err = c.fetchManifest(ctx, ref, desc.Digest); err != nil {
			return nil, err
		}
	}
	var cfg imageConfig
	if isImageConfig(m.Config.MediaType) && m.Config.Size > 0 {
		b, err := c.fetchSmallBlob(ctx, ref, m.Config)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, contentError(ref, "the image configuration %s is not valid JSON: %v", m.Config.Digest, err)
		}
	}
	if platform == nil && m.Config.Platform != nil {
		platform = m.Config.Platform
	}
	if platform == nil && (cfg.OS != "" || cfg.Architecture != "") {
		platform = &ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture}
	}
	if platform != nil {
		pkg.Platform = strings.Trim(platform.OS+"/"+platform.Architecture, "/")
	}
	if len(m.Layers) == 0 {
		return nil, contentError(ref, "manifest %s has no layers", pkg.Manifest)
	}
	l := detectLayout(m, &cfg)
	pkg.Layout = l.name()
	pkg.File, pkg.Taken, err = l.take(ctx, c, ref, m, sel)
	if err != nil {
		return nil, err
	}
	pkg.Annotations = l.annotations()
	l.describe(pkg, m, &cfg)
	return pkg, nil
}

// normArch maps architecture names of Go, kraftkit and libvirt to one form.
func normArch(a string) string {
	switch strings.ToLower(a) {
	case "x86_64", "amd64", "x86-64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "i386", "i686", "386", "x86":
		return "386"
	}
	return strings.ToLower(a)
}

// pickPlatform chooses the manifest of an index for sel's platform.
func pickPlatform(ref Reference, manifests []ocispec.Descriptor, sel Selection) (ocispec.Descriptor, error) {
	wantOS, wantArch := "", sel.HostArch
	from := "the host's architecture " + sel.HostArch
	if sel.Platform != "" {
		from = "oci.platform " + sel.Platform
		if o, a, ok := strings.Cut(sel.Platform, "/"); ok {
			wantOS, wantArch = o, a
		} else {
			wantArch = sel.Platform
		}
	}
	var matches []ocispec.Descriptor
	var offered []string
	for _, d := range manifests {
		if d.Platform == nil {
			offered = append(offered, "(no platform)")
			continue
		}
		offered = append(offered, d.Platform.OS+"/"+d.Platform.Architecture)
		if normArch(d.Platform.Architecture) != normArch(wantArch) {
			continue
		}
		if wantOS != "" && d.Platform.OS != wantOS {
			continue
		}
		matches = append(matches, d)
	}
	sort.Strings(offered)
	switch {
	case len(matches) == 0:
		return ocispec.Descriptor{}, contentError(ref, "the index offers %s, none for %s; set oci.platform to one of them "+
			"to take it anyway", strings.Join(offered, ", "), from)
	case len(matches) == 1:
		return matches[0], nil
	}
	for _, os := range sel.PreferOS {
		for _, d := range matches {
			if d.Platform.OS == os {
				return d, nil
			}
		}
	}
	return ocispec.Descriptor{}, contentError(ref, "the index offers several manifests for %s (%s); set oci.platform "+
		"to os/arch to pick one", from, strings.Join(offered, ", "))
}

// imageConfig is the part of an OCI image configuration read here.
type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Config       struct {
		Cmd        []string          `json:"Cmd"`
		Entrypoint []string          `json:"Entrypoint"`
		Env        []string          `json:"Env"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
}

func isImageConfig(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageConfig || mediaType == "application/vnd.docker.container.image.v1+json"
}

// isTLSError reports a certificate that could not be verified, or a TLS
// handshake with a server that does not speak TLS.
func isTLSError(err error) bool {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	return errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cv) || errors.As(err, &rh) ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}
