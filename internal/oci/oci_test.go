package oci

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseReference(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for _, c := range []struct{ in, want, err string }{
		{in: "registry.example.com/team/app:1.4", want: "registry.example.com/team/app:1.4"},
		{in: "registry.example.com/team/app", want: "registry.example.com/team/app:latest"},
		{in: "127.0.0.1:5000/app@" + d, want: "127.0.0.1:5000/app@" + d},
		{in: "localhost/app:v1", want: "localhost/app:v1"},
		{in: "reg.io/app:1.0@" + d, want: "reg.io/app@" + d},
		{in: "unikraft/nginx:1.25", err: "does not start with a registry host"},
		{in: "nginx", err: "does not start with a registry host"},
		{in: "https://reg.io/app:1", err: "URL scheme"},
		{in: "reg.io/App:1", err: "not a valid OCI reference"},
		{in: "reg.io/app@sha256:abc", err: "not a valid OCI reference"},
		{in: "reg.io/app:1 ", err: "white space"},
		{in: "", err: "empty"},
	} {
		r, err := ParseReference(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseReference(%q) = %v, %v; want an error with %q", c.in, r, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("ParseReference(%q): %v", c.in, err)
		case c.err == "" && r.String() != c.want:
			t.Errorf("ParseReference(%q) = %s, want %s", c.in, r, c.want)
		}
	}
}

func TestMaybeBase64(t *testing.T) {
	for in, want := range map[string]string{
		"L3VuaWtlcm5lbC9rZXJuZWw=": "/unikernel/kernel", // bima
		"/unikernel/kernel":        "/unikernel/kernel", // bunny
		"unikraft":                 "unikraft",          // valid base64, but not of text
		"qemu":                     "qemu",
		"hvt":                      "hvt",
		"c29sbzU=":                 "solo5",
	} {
		if got := maybeBase64(in); got != want {
			t.Errorf("maybeBase64(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPickPlatform(t *testing.T) {
	ref := Reference{Registry: "r.io", Repository: "a", Tag: "1"}
	ms := []ocispec.Descriptor{
		{Digest: "sha256:1", Platform: &ocispec.Platform{OS: "qemu", Architecture: "x86_64"}},
		{Digest: "sha256:2", Platform: &ocispec.Platform{OS: "xen", Architecture: "x86_64"}},
		{Digest: "sha256:3", Platform: &ocispec.Platform{OS: "qemu", Architecture: "arm64"}},
		{Digest: "sha256:4", Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64"}},
	}
	for _, c := range []struct {
		sel  Selection
		want string
		err  string
	}{
		{sel: Selection{HostArch: "x86_64", PreferOS: []string{"qemu", "kvm", "linux"}}, want: "sha256:1"},
		{sel: Selection{HostArch: "x86_64", PreferOS: []string{"xen", "linux"}}, want: "sha256:2"},
		{sel: Selection{HostArch: "aarch64", PreferOS: []string{"xen", "linux"}}, want: "sha256:4"},
		{sel: Selection{HostArch: "x86_64", Platform: "arm64", PreferOS: []string{"qemu"}}, want: "sha256:3"},
		{sel: Selection{HostArch: "x86_64", Platform: "xen/amd64"}, want: "sha256:2"},
		{sel: Selection{HostArch: "x86_64"}, err: "several manifests"},
		{sel: Selection{HostArch: "riscv64"}, err: "none for the host's architecture riscv64"},
	} {
		got, err := pickPlatform(ref, ms, c.sel)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%+v: got %v, %v; want an error with %q", c.sel, got.Digest, err, c.err)
		case c.err == "" && (err != nil || got.Digest.String() != c.want):
			t.Errorf("%+v: got %v, %v; want %s", c.sel, got.Digest, err, c.want)
		}
	}
}

// One package of each layout, pulled through the fake registry: the kernel,
// the initrd and a file by path, and what each layout says about itself.
func TestPullLayouts(t *testing.T) {
	reg := newFakeRegistry(t)
	kernel, initrd := "KERNEL-BYTES", "INITRD-BYTES"

	kt := reg.blob(tarOf(t, false, [2]string{"unikraft/bin/kernel", kernel}), ocispec.MediaTypeImageLayer)
	kt.Annotations = map[string]string{kraftAnnKernel: kraftKernelPath}
	it := reg.blob(tarOf(t, false, [2]string{"unikraft/bin/initrd", initrd}), ocispec.MediaTypeImageLayer)
	it.Annotations = map[string]string{kraftAnnInitrd: kraftInitrdPath}
	cfg := reg.config(map[string]any{"os": "qemu", "architecture": "x86_64", "config": map[string]any{"Cmd": []string{"one", "two"}}})
	reg.manifest("kraft", imageManifest(cfg, map[string]string{kraftAnnToolVersion: "0.11.6", kraftAnnKernelVer: "0.17.0"}, kt, it))

	legacy := reg.blob([]byte(kernel), kraftMediaKernel)
	reg.manifest("legacy", imageManifest(reg.config(map[string]any{}), nil, legacy))

	var gz strings.Builder
	gz.Write(tarOf(t, true, [2]string{"unikernel/", ""}, [2]string{"unikernel/app.virtio", kernel},
		[2]string{"unikernel/link", "->app.virtio"}))
	ul := reg.blob([]byte(gz.String()), ocispec.MediaTypeImageLayerGzip)
	reg.manifest("urunc", imageManifest(reg.config(map[string]any{"os": "linux", "architecture": "amd64"}), map[string]string{
		uruncBinary: "L3VuaWtlcm5lbC9saW5r", uruncType: "c29sbzU=", uruncHypervisor: "qemu", uruncCmdline: "--solo5:quiet"}, ul))

	json := `{"com.urunc.unikernel.binary":"L3VuaWtlcm5lbC9hcHAudmlydGlv","com.urunc.unikernel.unikernelType":"bWlyYWdl"}`
	uj := reg.blob(tarOf(t, true, [2]string{"unikernel/app.virtio", kernel}, [2]string{"urunc.json", json}), ocispec.MediaTypeImageLayerGzip)
	reg.manifest("urunc-json", imageManifest(reg.config(map[string]any{}), nil, uj))

	a1 := reg.blob([]byte(kernel), "application/vnd.example.kernel.v1")
	a1.Annotations = map[string]string{ocispec.AnnotationTitle: "app.elf"}
	a2 := reg.blob([]byte(initrd), "application/vnd.example.initrd.v1")
	a2.Annotations = map[string]string{ocispec.AnnotationTitle: "root.cpio"}
	empty := reg.blob([]byte("{}"), "application/vnd.oci.empty.v1+json")
	reg.manifest("artifact", map[string]any{"schemaVersion": 2, "mediaType": ocispec.MediaTypeImageManifest,
		"artifactType": "application/vnd.example", "config": empty, "layers": []ocispec.Descriptor{a1, a2},
		"annotations": map[string]string{ociAnnVersion: "1.4"}})

	c := reg.client(t, nil)
	ctx := context.Background()
	pull := func(tag string, sel Selection) (*Package, string) {
		t.Helper()
		sel.Reference = Reference{Registry: reg.host(), Repository: "app", Tag: tag}
		sel.HostArch = "x86_64"
		pkg, err := c.Pull(ctx, sel, "")
		if err != nil {
			t.Fatalf("pull %s %+v: %v", tag, sel, err)
		}
		b, err := os.ReadFile(pkg.File.Path)
		if err != nil {
			t.Fatal(err)
		}
		if d := digest.FromBytes(b).Encoded(); d != pkg.File.SHA256 || int64(len(b)) != pkg.File.Size {
			t.Errorf("%s: file has sha256 %s and %d bytes, the package says %s and %d", tag, d, len(b), pkg.File.SHA256, pkg.File.Size)
		}
		return pkg, string(b)
	}
	for _, c := range []struct {
		tag, part, file, want, layout, selected string
	}{
		{tag: "kraft", want: kernel, layout: LayoutKraftkit, selected: "kernel (/unikraft/bin/kernel)"},
		{tag: "kraft", part: PartInitrd, want: initrd, layout: LayoutKraftkit, selected: "initrd (/unikraft/bin/initrd)"},
		{tag: "kraft", file: "/unikraft/bin/initrd", want: initrd, layout: LayoutKraftkit, selected: "file /unikraft/bin/initrd"},
		{tag: "legacy", want: kernel, layout: LayoutKraftkit, selected: "kernel (layer application/vnd.unikraft.image.v1)"},
		{tag: "urunc", want: kernel, layout: LayoutUrunc, selected: "kernel (/unikernel/link)"},
		{tag: "urunc-json", want: kernel, layout: LayoutUrunc, selected: "kernel (/unikernel/app.virtio)"},
		{tag: "artifact", want: kernel, layout: LayoutArtifact, selected: "kernel (app.elf, application/vnd.example.kernel.v1)"},
		{tag: "artifact", part: PartInitrd, want: initrd, layout: LayoutArtifact},
		{tag: "artifact", file: "root.cpio", want: initrd, layout: LayoutArtifact, selected: "file root.cpio"},
	} {
		pkg, got := pull(c.tag, Selection{Part: c.part, File: c.file})
		if got != c.want || pkg.Layout != c.layout || (c.selected != "" && pkg.Taken != c.selected) {
			t.Errorf("%s part %q file %q: got %q from layout %s (%s), want %q from %s (%s)", c.tag, c.part, c.file,
				got, pkg.Layout, pkg.Taken, c.want, c.layout, c.selected)
		}
	}
	kp, _ := pull("kraft", Selection{})
	if kp.Cmdline != "one two" || kp.UnikernelType != "unikraft" || kp.Hypervisor != "qemu" || kp.Platform != "qemu/x86_64" ||
		kp.Version != "0.17.0" || kp.Annotations[kraftAnnToolVersion] != "0.11.6" {
		t.Errorf("kraftkit package described as %+v", kp)
	}
	up, _ := pull("urunc", Selection{})
	if up.Cmdline != "--solo5:quiet" || up.UnikernelType != "solo5" || up.Hypervisor != "qemu" || up.Annotations[uruncBinary] != "/unikernel/link" {
		t.Errorf("urunc package described as %+v", up)
	}
	jp, _ := pull("urunc-json", Selection{})
	if jp.UnikernelType != "mirage" {
		t.Errorf("urunc.json package described as %+v", jp)
	}
	ap, _ := pull("artifact", Selection{})
	if ap.Version != "1.4" {
		t.Errorf("artifact described as %+v", ap)
	}

	for _, c := range []struct{ tag, part, file, err string }{
		{tag: "kraft", part: PartDisk, err: "holds a kernel and an initrd"},
		{tag: "kraft", file: "/etc/passwd", err: "/etc/passwd: not found in the layers"},
		{tag: "legacy", part: PartInitrd, err: "has no initrd layer"},
		{tag: "urunc", part: PartInitrd, err: "does not name a initrd"},
		{tag: "artifact", part: PartDisk, err: "set oci.file"},
		{tag: "artifact", file: "nope", err: `no file named "nope"`},
		{tag: "missing", err: "not found"},
	} {
		sel := Selection{Reference: Reference{Registry: reg.host(), Repository: "app", Tag: c.tag}, Part: c.part, File: c.file, HostArch: "x86_64"}
		pkg, err := reg.client(t, nil).Pull(ctx, sel, "")
		var pe *Error
		if err == nil || !strings.Contains(err.Error(), c.err) || !errors.As(err, &pe) || !strings.Contains(err.Error(), sel.Reference.String()) {
			t.Errorf("%s part %q file %q: got %v, %v; want an error naming the reference with %q", c.tag, c.part, c.file, pkg, err, c.err)
		}
	}
}

// An index: the host's architecture picks its manifest, oci.platform
// another; a tag resolves once per client, a digest without a request.
func TestPullIndexAndResolve(t *testing.T) {
	reg := newFakeRegistry(t)
	var ms []ocispec.Descriptor
	for _, p := range []struct{ arch, body string }{{"x86_64", "AMD64-KERNEL"}, {"arm64", "ARM64-KERNEL"}} {
		l := reg.blob([]byte(p.body), kraftMediaKernel)
		cfg := reg.config(map[string]any{"os": "qemu", "architecture": p.arch})
		d := reg.manifest("", imageManifest(cfg, nil, l))
		d.Platform = &ocispec.Platform{OS: "qemu", Architecture: p.arch}
		ms = append(ms, d)
	}
	idx := reg.manifest("multi", map[string]any{"schemaVersion": 2, "mediaType": ocispec.MediaTypeImageIndex, "manifests": ms})
	c := reg.client(t, nil)
	ctx := context.Background()
	ref := Reference{Registry: reg.host(), Repository: "app", Tag: "multi"}
	for i := 0; i < 5; i++ {
		d, err := c.Resolve(ctx, ref)
		if err != nil || d != idx.Digest {
			t.Fatalf("resolve: %v, %v; want %s", d, err, idx.Digest)
		}
	}
	if n := reg.manifestHits.Load(); n != 1 {
		t.Errorf("5 resolves of one tag made %d manifest requests, want 1", n)
	}
	pinned := Reference{Registry: reg.host(), Repository: "app", Digest: idx.Digest}
	if d, err := c.Resolve(ctx, pinned); err != nil || d != idx.Digest {
		t.Errorf("resolve by digest: %v, %v", d, err)
	}
	if n := reg.manifestHits.Load(); n != 1 {
		t.Errorf("resolving a digest asked the registry (%d manifest requests)", n)
	}
	for _, c2 := range []struct{ platform, want, manifest string }{
		{"", "AMD64-KERNEL", ms[0].Digest.String()},
		{"arm64", "ARM64-KERNEL", ms[1].Digest.String()},
		{"qemu/aarch64", "ARM64-KERNEL", ms[1].Digest.String()},
	} {
		pkg, err := c.Pull(ctx, Selection{Reference: pinned, HostArch: "x86_64", Platform: c2.platform}, "")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(pkg.File.Path)
		if string(b) != c2.want || pkg.Manifest.String() != c2.manifest || pkg.Digest != idx.Digest {
			t.Errorf("platform %q: got %q from %s (index %s)", c2.platform, b, pkg.Manifest, pkg.Digest)
		}
	}
	if _, err := c.Pull(ctx, Selection{Reference: pinned, HostArch: "riscv64"}, ""); err == nil ||
		!strings.Contains(err.Error(), "qemu/arm64, qemu/x86_64") {
		t.Errorf("no platform for the host: %v", err)
	}
}

// A blob whose bytes do not match its digest is refused and never cached;
// 503 answers are retried; concurrent pulls of one blob download it once.
func TestPullVerifiesRetriesAndShares(t *testing.T) {
	reg := newFakeRegistry(t)
	l := reg.blob([]byte(strings.Repeat("K", 1<<20)), kraftMediaKernel)
	reg.manifest("v1", imageManifest(reg.config(map[string]any{}), nil, l))
	ref := Reference{Registry: reg.host(), Repository: "app", Tag: "v1"}
	ctx := context.Background()

	reg.tamper = true
	c := reg.client(t, nil)
	_, err := c.Pull(ctx, Selection{Reference: ref}, "")
	var pe *Error
	var mm *DigestMismatchError
	if !errors.As(err, &pe) || pe.Kind != ErrDigest || !errors.As(err, &mm) || !strings.Contains(err.Error(), ref.String()) {
		t.Fatalf("tampered blob: %v", err)
	}
	if m, _ := os.ReadDir(c.cache.Dir() + "/blobs/sha256"); len(m) != 0 {
		t.Errorf("the cache holds %d files after refused blobs, want none", len(m))
	}
	reg.tamper = false

	c = reg.client(t, nil)
	hits := reg.blobHits.Load()

	reg.fail503.Store(2)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Pull(ctx, Selection{Reference: ref}, ""); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		return
	}
	// The configuration and the kernel, once each, after two 503 answers.
	if n, h := c.Cache().Downloads(), reg.blobHits.Load()-hits; n != 2 || h != 2 {
		t.Errorf("50 concurrent pulls of one package downloaded %d blobs in %d requests, want 2 and 2", n, h)
	}
	if reg.fail503.Load() != 0 {
		t.Errorf("the registry's 503 answers were not all met: %d left", reg.fail503.Load())
	}
}

// Bearer tokens from the registry's token service, with the configured
// credentials; wrong credentials are an auth error naming the reference.
func TestPullTokenAuth(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.token, reg.user, reg.pass = "tok-123", "alice", "s3cret"
	l := reg.blob([]byte("KERNEL"), kraftMediaKernel)
	reg.manifest("v1", imageManifest(reg.config(map[string]any{}), nil, l))
	ref := Reference{Registry: reg.host(), Repository: "app", Tag: "v1"}
	ctx := context.Background()

	c := reg.client(t, func(r *Registry) { r.Username, r.Password = "alice", "s3cret" })
	if _, err := c.Pull(ctx, Selection{Reference: ref}, ""); err != nil {
		t.Fatalf("pull with a token: %v", err)
	}
	if n := reg.tokenHits.Load(); n < 1 {
		t.Errorf("the token service was asked %d times", n)
	}
	bad := reg.client(t, func(r *Registry) { r.Username, r.Password = "alice", "wrong" })
	_, err := bad.Pull(ctx, Selection{Reference: ref}, "")
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != ErrAuth || !strings.Contains(err.Error(), ref.String()) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v (kind %v)", err, pe)
	}
	anon := reg.client(t, nil)
	if _, err := anon.Pull(ctx, Selection{Reference: ref}, ""); !errors.As(err, &pe) || pe.Kind != ErrAuth {
		t.Errorf("anonymous pull from a registry that wants a token: %v", err)
	}
}

// Credentials from the Docker configuration: an auths entry, and a
// credential helper that the configuration names for the registry.
func TestPullDockerConfigCredentials(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.token, reg.user, reg.pass = "tok-456", "bob", "from-docker-config"
	l := reg.blob([]byte("KERNEL"), kraftMediaKernel)
	reg.manifest("v1", imageManifest(reg.config(map[string]any{}), nil, l))
	ref := Reference{Registry: reg.host(), Repository: "app", Tag: "v1"}
	ctx := context.Background()
	newClient := func() *Client {
		c, err := NewClient(Options{Registries: []Registry{{Address: reg.host(), PlainHTTP: true}},
			CacheDir: t.TempDir(), DockerConfig: true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	auth := base64.StdEncoding.EncodeToString([]byte("bob:from-docker-config"))
	write := func(name, body string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("config.json", `{"auths": {"`+reg.host()+`": {"auth": "`+auth+`"}}}`, 0o600)
	if _, err := newClient().Pull(ctx, Selection{Reference: ref}, ""); err != nil {
		t.Fatalf("pull with credentials from config.json: %v", err)
	}

	// A credential helper: docker-credential-<name> on PATH answers `get`.
	write("docker-credential-unikerneltest", "#!/bin/sh\nread server\n"+
		`printf '{"ServerURL":"%s","Username":"bob","Secret":"from-docker-config"}' "$server"`+"\n", 0o755)
	write("config.json", `{"credHelpers": {"`+reg.host()+`": "unikerneltest"}}`, 0o600)
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	hits := reg.tokenHits.Load()
	if _, err := newClient().Pull(ctx, Selection{Reference: ref}, ""); err != nil {
		t.Fatalf("pull with credentials from a credential helper: %v", err)
	}
	if reg.tokenHits.Load() == hits {
		t.Error("the pull with the credential helper did not ask the token service")
	}

	// Without usable credentials the registry refuses.
	write("config.json", `{}`, 0o600)
	var pe *Error
	if _, err := newClient().Pull(ctx, Selection{Reference: ref}, ""); !errors.As(err, &pe) || pe.Kind != ErrAuth {
		t.Errorf("pull without credentials: %v", err)
	}
}

// A layer that unpacks to more than the size limit is refused, and nothing
// stays in the cache.
func TestPullUnpackLimit(t *testing.T) {
	reg := newFakeRegistry(t)
	big := strings.Repeat("\x00", 1<<20)
	l := reg.blob(tarOf(t, true, [2]string{"unikernel/app", big}), ocispec.MediaTypeImageLayerGzip)
	reg.manifest("v1", imageManifest(reg.config(map[string]any{}), map[string]string{uruncBinary: "/unikernel/app"}, l))
	c, err := NewClient(Options{Registries: []Registry{{Address: reg.host(), PlainHTTP: true}}, CacheDir: t.TempDir(),
		MaxBlobBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ref := Reference{Registry: reg.host(), Repository: "app", Tag: "v1"}
	if _, err := c.Pull(context.Background(), Selection{Reference: ref}, ""); err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("a layer that unpacks to 1 MiB with a limit of 64 KiB: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(c.Cache().Dir(), "files", "*")); len(m) != 0 {
		t.Errorf("files left in the cache: %v", m)
	}
}

// Layers as an unpacked root file system: the last layer wins, whiteouts
// (one file, or a whole directory) hide earlier layers, links are followed
// within the layers and never out of them, and a link loop ends.
func TestFindMember(t *testing.T) {
	dir := t.TempDir()
	layer := func(files ...[2]string) blobLayer {
		b := tarOf(t, false, files...)
		p := filepath.Join(dir, digest.FromBytes(b).Encoded())
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return blobLayer{desc: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(b), Size: int64(len(b))}, path: p}
	}
	base := layer([2]string{"boot/kernel", "OLD"}, [2]string{"boot/initrd", "INITRD"}, [2]string{"etc/x", "X"})
	top := layer([2]string{"boot/kernel", "NEW"}, [2]string{"boot/.wh.initrd", ""}, [2]string{"etc/.wh..wh..opq", ""},
		[2]string{"k", "->/boot/kernel"}, [2]string{"up", "->../../../etc/passwd"}, [2]string{"loop", "->loop"})
	layers := []blobLayer{base, top}
	read := func(p string) (string, error) {
		l, name, err := findMember(layers, p)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		err = copyMember(l, name, &b)
		return b.String(), err
	}
	for p, want := range map[string]string{"/boot/kernel": "NEW", "boot/kernel": "NEW", "/k": "NEW", "./boot/../k": "NEW"} {
		if got, err := read(p); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", p, got, err, want)
		}
	}
	for p, want := range map[string]string{"/boot/initrd": "not found", "/etc/x": "not found", "/up": "not found",
		"/loop": "more than 8 links", "/": "not a file path", "/boot": "not found"} {
		if _, err := read(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error with %q", p, err, want)
		}
	}
}

// A cached blob that changed on disk is noticed: a configuration is fetched
// again, and Drop removes a file whose bytes lost their digest.
func TestCacheChangedOnDisk(t *testing.T) {
	reg := newFakeRegistry(t)
	l := reg.blob([]byte("KERNEL-BYTES"), kraftMediaKernel)
	cfg := reg.config(map[string]any{"os": "qemu", "architecture": "x86_64"})
	reg.manifest("v1", imageManifest(cfg, nil, l))
	c := reg.client(t, nil)
	ref := Reference{Registry: reg.host(), Repository: "app", Tag: "v1"}
	ctx := context.Background()
	pkg, err := c.Pull(ctx, Selection{Reference: ref}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Cache().Drop(pkg.File) {
		t.Fatal("Drop removed an intact file")
	}
	for _, p := range []string{pkg.File.Path, c.cache.blobPath(cfg.Digest)} {
		b, _ := os.ReadFile(p)
		b[0] ^= 0xff
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	again, err := c.Pull(ctx, Selection{Reference: ref}, "")
	if err != nil || again.Platform != "qemu/x86_64" {
		t.Fatalf("pull with a changed cached configuration: %+v, %v", again, err)
	}
	if !c.Cache().Drop(again.File) {
		t.Fatal("Drop kept a file whose bytes changed")
	}
	final, err := c.Pull(ctx, Selection{Reference: ref}, "")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(final.File.Path); string(b) != "KERNEL-BYTES" {
		t.Errorf("after Drop the pull gave %q", b)
	}
}
