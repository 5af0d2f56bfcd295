package oci

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Layouts, as Package.Layout names them.
const (
	LayoutKraftkit = "kraftkit"
	LayoutUrunc    = "urunc"
	LayoutArtifact = "artifact"
)

// kraftkit's media types, annotations and well-known paths, as its oci
// package defines them (unikraft/kraftkit oci/mediatypes.go, annotations.go,
// wellknown.go, pack.go). Current kraftkit packs each file as a one-file
// uncompressed tar layer whose descriptor carries the file's path in an
// annotation; earlier releases pushed the kernel as a raw blob of the
// kernel media type.
const (
	kraftMediaPrefix    = "application/vnd.unikraft."
	kraftMediaKernel    = "application/vnd.unikraft.image.v1"
	kraftMediaInitrd    = "application/vnd.unikraft.initrd.v1"
	kraftMediaRootfs    = "application/vnd.unikraft.rootfs.diff"
	kraftAnnKernel      = "org.unikraft.kernel.image"
	kraftAnnInitrd      = "org.unikraft.kernel.initrd"
	kraftAnnKernelVer   = "org.unikraft.kernel.version"
	kraftAnnImageVer    = "org.unikraft.image.version"
	kraftAnnToolVersion = "sh.kraftkit.version"
	kraftAnnPrefix      = "org.unikraft."
	kraftKernelPath     = "/unikraft/bin/kernel"
	kraftInitrdPath     = "/unikraft/bin/initrd"
)

// urunc's annotations (urunc-dev/urunc pkg/unikontainers/config.go). bima
// base64-encodes their values, bunny does not; urunc.json in the root file
// system holds the same keys, base64-encoded.
const (
	uruncPrefix     = "com.urunc.unikernel."
	uruncType       = uruncPrefix + "unikernelType"
	uruncVersion    = uruncPrefix + "unikernelVersion"
	uruncBinary     = uruncPrefix + "binary"
	uruncCmdline    = uruncPrefix + "cmdline"
	uruncHypervisor = uruncPrefix + "hypervisor"
	uruncInitrd     = uruncPrefix + "initrd"
	uruncBlock      = uruncPrefix + "block"
	uruncJSONPath   = "/urunc.json"
)

const ociAnnVersion = "org.opencontainers.image.version"

type layout interface {
	name() string
	annotations() map[string]string
	describe(pkg *Package, m *manifestDoc, cfg *imageConfig)
	take(ctx context.Context, c *Client, ref Reference, m *manifestDoc, sel Selection) (File, string, error)
}

// detectLayout tells the layout from media types and annotations only:
// layers of kraftkit's own media types, then urunc's annotations (on the
// manifest or as configuration labels), then kraftkit's annotations, and
// anything else is a plain artifact.
func detectLayout(m *manifestDoc, cfg *imageConfig) layout {
	for _, l := range m.Layers {
		if strings.HasPrefix(l.MediaType, kraftMediaPrefix) {
			return &kraftkitLayout{legacy: true, ann: m.Annotations}
		}
	}
	if u := uruncValues(m.Annotations); len(u) > 0 {
		return &uruncLayout{vals: u, ann: m.Annotations}
	}
	if u := uruncValues(cfg.Config.Labels); len(u) > 0 {
		return &uruncLayout{vals: u, ann: m.Annotations}
	}
	kraft := m.Annotations[kraftAnnToolVersion] != ""
	for k := range m.Annotations {
		kraft = kraft || strings.HasPrefix(k, kraftAnnPrefix)
	}
	for _, l := range m.Layers {
		kraft = kraft || l.Annotations[kraftAnnKernel] != ""
	}
	if kraft {
		return &kraftkitLayout{ann: m.Annotations}
	}
	if hasLayerTypes(m, isTarLayer) {
		for _, l := range m.Layers {
			if l.Annotations[ocispec.AnnotationTitle] == "" {
				// A container image without urunc's annotations: they may
				// sit in /urunc.json of its root file system.
				return &uruncLayout{fromFile: true, ann: m.Annotations}
			}
		}
	}
	return &artifactLayout{ann: m.Annotations}
}

func hasLayerTypes(m *manifestDoc, f func(string) bool) bool {
	for _, l := range m.Layers {
		if !f(l.MediaType) {
			return false
		}
	}
	return true
}

// cachedLayers fetches the tar layers of m into the cache.
func cachedLayers(ctx context.Context, c *Client, ref Reference, m *manifestDoc) ([]blobLayer, error) {
	var out []blobLayer
	for _, d := range m.Layers {
		if !isTarLayer(d.MediaType) {
			continue
		}
		p, err := c.fetchBlob(ctx, ref, d)
		if err != nil {
			return nil, err
		}
		out = append(out, blobLayer{desc: d, path: p})
	}
	return out, nil
}

// member takes the file at path p from the tar layers of m.
func member(ctx context.Context, c *Client, ref Reference, m *manifestDoc, p string) (File, error) {
	layers, err := cachedLayers(ctx, c, ref, m)
	if err != nil {
		return File{}, err
	}
	if len(layers) == 0 {
		return File{}, contentError(ref, "the manifest has no file system (tar) layers to find %s in", p)
	}
	// The same layers and path always give the same file: the cache is
	// asked first, and the layers are read only to make it.
	id := p
	for _, l := range layers {
		id += "\x00" + l.desc.Digest.String()
	}
	return c.cache.extracted(ctx, "member-"+shortHash(id), func(w io.Writer) error {
		l, name, err := findMember(layers, p)
		if err != nil {
			return contentError(ref, "%s", err)
		}
		return copyMember(l, name, w)
	})
}

// blobFile takes one layer's bytes as the file, gunzipped when its media
// type says +gzip.
func blobFile(ctx context.Context, c *Client, ref Reference, d ocispec.Descriptor) (File, error) {
	p, err := c.fetchBlob(ctx, ref, d)
	if err != nil {
		return File{}, err
	}
	if !strings.HasSuffix(d.MediaType, "+gzip") {
		return fileFromBlob(p, d), nil
	}
	l := blobLayer{desc: d, path: p}
	return c.cache.extracted(ctx, d.Digest.Encoded()+"-gunzip", func(w io.Writer) error { return gunzipBlob(l, w) })
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func partOf(sel Selection) string {
	if sel.Part == "" {
		return PartKernel
	}
	return sel.Part
}

// --- kraftkit ---

type kraftkitLayout struct {
	legacy bool
	ann    map[string]string
}

func (l *kraftkitLayout) name() string                   { return LayoutKraftkit }
func (l *kraftkitLayout) annotations() map[string]string { return l.ann }

func (l *kraftkitLayout) describe(pkg *Package, m *manifestDoc, cfg *imageConfig) {
	pkg.UnikernelType = "unikraft"
	pkg.Cmdline = strings.Join(cfg.Config.Cmd, " ")
	if o, _, ok := strings.Cut(pkg.Platform, "/"); ok {
		pkg.Hypervisor = o // kraftkit's platform: qemu, xen, fc
	}
	pkg.Version = firstOf(m.Annotations, kraftAnnImageVer, ociAnnVersion, kraftAnnKernelVer)
}

func (l *kraftkitLayout) take(ctx context.Context, c *Client, ref Reference, m *manifestDoc, sel Selection) (File, string, error) {
	if l.legacy {
		return l.takeLegacy(ctx, c, ref, m, sel)
	}
	if sel.File != "" {
		f, err := member(ctx, c, ref, m, sel.File)
		return f, "file " + sel.File, err
	}
	ann := kraftAnnKernel
	def := kraftKernelPath
	switch partOf(sel) {
	case PartKernel:
	case PartInitrd, PartRootfs: // kraftkit packs the root file system as the initrd
		ann, def = kraftAnnInitrd, kraftInitrdPath
	default:
		return File{}, "", contentError(ref, "a kraftkit package holds a kernel and an initrd (its root file system), "+
			"not a %s", sel.Part)
	}
	p := def
	for _, d := range m.Layers {
		if v := d.Annotations[ann]; v != "" {
			p = v
			break
		}
	}
	f, err := member(ctx, c, ref, m, p)
	if err != nil && partOf(sel) != PartKernel {
		return File{}, "", contentError(ref, "the kraftkit package has no %s (looked for %s): %v", partOf(sel), p, err)
	}
	return f, partOf(sel) + " (" + p + ")", err
}

func (l *kraftkitLayout) takeLegacy(ctx context.Context, c *Client, ref Reference, m *manifestDoc, sel Selection) (File, string, error) {
	if sel.File != "" {
		d, err := layerByTitle(ref, m, sel.File)
		if err != nil {
			return File{}, "", err
		}
		f, err := blobFile(ctx, c, ref, d)
		return f, "file " + sel.File, err
	}
	want := map[string][]string{
		PartKernel: {kraftMediaKernel},
		PartInitrd: {kraftMediaInitrd},
		PartRootfs: {kraftMediaRootfs, kraftMediaInitrd},
	}[partOf(sel)]
	for _, mt := range want {
		for _, d := range m.Layers {
			if d.MediaType == mt || d.MediaType == mt+"+gzip" {
				f, err := blobFile(ctx, c, ref, d)
				return f, partOf(sel) + " (layer " + d.MediaType + ")", err
			}
		}
	}
	return File{}, "", contentError(ref, "the kraftkit package has no %s layer; its layers are %s", partOf(sel), layerList(m))
}

// --- urunc ---

type uruncLayout struct {
	vals     map[string]string
	fromFile bool // read vals from /urunc.json when take runs
	ann      map[string]string
}

func (l *uruncLayout) name() string { return LayoutUrunc }

func (l *uruncLayout) annotations() map[string]string {
	out := map[string]string{}
	for k, v := range l.ann {
		out[k] = v
	}
	for k, v := range l.vals {
		out[k] = v
	}
	return out
}

func (l *uruncLayout) describe(pkg *Package, m *manifestDoc, cfg *imageConfig) {
	pkg.Cmdline = l.vals[uruncCmdline]
	if pkg.Cmdline == "" && !l.fromFile {
		pkg.Cmdline = strings.Join(append(append([]string{}, cfg.Config.Entrypoint...), cfg.Config.Cmd...), " ")
	}
	pkg.UnikernelType = l.vals[uruncType]
	pkg.Hypervisor = l.vals[uruncHypervisor]
	pkg.Version = firstOf(l.vals, uruncVersion)
	if pkg.Version == "" {
		pkg.Version = m.Annotations[ociAnnVersion]
	}
}

func (l *uruncLayout) take(ctx context.Context, c *Client, ref Reference, m *manifestDoc, sel Selection) (File, string, error) {
	if l.fromFile {
		f, err := member(ctx, c, ref, m, uruncJSONPath)
		if err != nil {
			return File{}, "", contentError(ref, "the image has file system layers but no urunc annotations "+
				"(%s*) on its manifest or configuration, nor a %s: it is not a unikernel package this provider "+
				"knows (kraftkit, urunc, or an artifact of plain files)", uruncPrefix, uruncJSONPath)
		}
		b, err := os.ReadFile(f.Path)
		if err != nil {
			return File{}, "", err
		}
		raw := map[string]string{}
		if err := json.Unmarshal(b, &raw); err != nil {
			return File{}, "", contentError(ref, "%s is not a JSON object of strings: %v", uruncJSONPath, err)
		}
		l.vals = uruncValues(raw)
	}
	if sel.File != "" {
		f, err := member(ctx, c, ref, m, sel.File)
		return f, "file " + sel.File, err
	}
	key := map[string]string{PartKernel: uruncBinary, PartInitrd: uruncInitrd, PartDisk: uruncBlock, PartRootfs: uruncBlock}[partOf(sel)]
	p := l.vals[key]
	if p == "" {
		return File{}, "", contentError(ref, "the urunc image does not name a %s (annotation %s)", partOf(sel), key)
	}
	f, err := member(ctx, c, ref, m, p)
	return f, partOf(sel) + " (" + p + ")", err
}

// uruncValues returns the urunc annotations of a map, each value decoded
// from base64 when it is base64 of printable text (bima's form), else as it
// is (bunny's form).
func uruncValues(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		if strings.HasPrefix(k, uruncPrefix) {
			out[k] = maybeBase64(v)
		}
	}
	return out
}

func maybeBase64(v string) string {
	if len(v) < 4 || len(v)%4 != 0 {
		return v
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !utf8.Valid(b) {
		return v
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return v
		}
	}
	return string(b)
}

// --- plain artifacts (oras push) ---

type artifactLayout struct {
	ann map[string]string
}

func (l *artifactLayout) name() string                   { return LayoutArtifact }
func (l *artifactLayout) annotations() map[string]string { return l.ann }

func (l *artifactLayout) describe(pkg *Package, m *manifestDoc, _ *imageConfig) {
	pkg.Version = m.Annotations[ociAnnVersion]
}

// partWord matches a part's name as a word of a media type, such as
// application/vnd.example.kernel.v1 or application/x-initrd.
var partWord = map[string]*regexp.Regexp{}

func init() {
	for _, p := range Parts() {
		partWord[p] = regexp.MustCompile(`(^|[./+-])` + p + `($|[./+-])`)
	}
}

func (l *artifactLayout) take(ctx context.Context, c *Client, ref Reference, m *manifestDoc, sel Selection) (File, string, error) {
	var d ocispec.Descriptor
	var taken string
	switch {
	case sel.File != "":
		var err error
		if d, err = layerByTitle(ref, m, sel.File); err != nil {
			return File{}, "", err
		}
		taken = "file " + sel.File
	case len(m.Layers) == 1:
		d = m.Layers[0]
		taken = partOf(sel) + " (the only file, " + titleOf(d) + ")"
	default:
		var found []ocispec.Descriptor
		for _, x := range m.Layers {
			if partWord[partOf(sel)].MatchString(x.MediaType) {
				found = append(found, x)
			}
		}
		if len(found) != 1 {
			return File{}, "", contentError(ref, "the artifact holds %d files (%s) and %d of them have a media type that "+
				"names the %s; set oci.file to the file's name", len(m.Layers), layerList(m), len(found), partOf(sel))
		}
		d = found[0]
		taken = partOf(sel) + " (" + titleOf(d) + ", " + d.MediaType + ")"
	}
	if isTarLayer(d.MediaType) || d.Annotations["io.deis.oras.content.unpack"] == "true" {
		return File{}, "", contentError(ref, "%s is a directory archive (%s), not a file; push the file itself", titleOf(d), d.MediaType)
	}
	f, err := blobFile(ctx, c, ref, d)
	return f, taken, err
}

func titleOf(d ocispec.Descriptor) string {
	if t := d.Annotations[ocispec.AnnotationTitle]; t != "" {
		return t
	}
	return d.Digest.String()
}

func layerByTitle(ref Reference, m *manifestDoc, title string) (ocispec.Descriptor, error) {
	for _, d := range m.Layers {
		if d.Annotations[ocispec.AnnotationTitle] == title {
			return d, nil
		}
	}
	return ocispec.Descriptor{}, contentError(ref, "no file named %q; the package holds %s", title, layerList(m))
}

// layerList names every layer: its title (or digest) and media type.
func layerList(m *manifestDoc) string {
	var s []string
	for _, d := range m.Layers {
		s = append(s, fmt.Sprintf("%s (%s)", titleOf(d), d.MediaType))
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}
