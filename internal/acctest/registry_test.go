package acctest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The registry harness itself: every kind of registry and package, checked through the
// registry's HTTP API. Like the acceptance tests it runs only with TF_ACC=1, but it needs
// neither libvirt nor a Terraform CLI, only the binaries of `make oci-tools`.

func registryPreCheck(t *testing.T) {
	t.Helper()
	if !Enabled() {
		t.Skip("acceptance test: set TF_ACC=1 (the README's test command does)")
	}
}

func TestRegistry_plain(t *testing.T) {
	registryPreCheck(t)
	r := StartRegistry(t, RegistryOptions{})
	if !r.PlainHTTP || r.CAFile != "" || r.Username != "" || r.Password != "" {
		t.Fatalf("plain registry: %+v", r)
	}
	files := testFiles(t)
	checkAllPackages(t, r, files)

	// Stop keeps the storage and Start serves it again on the same address.
	addr := r.Addr
	r.Stop(t)
	if resp, err := r.httpClient().Get(r.URL("/v2/")); err == nil {
		resp.Body.Close()
		t.Fatal("the registry still answers after Stop")
	}
	r.Start(t)
	if r.Addr != addr {
		t.Fatalf("Start moved the registry from %s to %s", addr, r.Addr)
	}
	digest := r.PushArtifact(t, r.Ref("restart/a:v1"), ArtifactFile{Path: files.kernel, MediaType: "application/octet-stream"})
	r.Stop(t)
	r.Start(t)
	if got, _ := fetchManifest(t, r, "restart/a", "v1"); got != digest {
		t.Fatalf("after a restart restart/a:v1 is %s, pushed %s", got, digest)
	}

	// Tag adds tags and moves existing ones.
	other := r.PushArtifact(t, r.Ref("restart/a:v2"), ArtifactFile{Path: files.initrd, MediaType: "application/octet-stream"})
	if got := r.Tag(t, r.Ref("restart/a:v1"), "stable", "latest"); got != digest {
		t.Fatalf("Tag returned %s, want %s", got, digest)
	}
	r.Tag(t, r.Ref("restart/a@"+other), "stable")
	if got, _ := fetchManifest(t, r, "restart/a", "stable"); got != other {
		t.Fatalf("restart/a:stable is %s after the move, want %s", got, other)
	}
	if got, _ := fetchManifest(t, r, "restart/a", "latest"); got != digest {
		t.Fatalf("restart/a:latest is %s, want %s", got, digest)
	}
}

func TestRegistry_tlsAuth(t *testing.T) {
	registryPreCheck(t)
	r := StartRegistry(t, RegistryOptions{TLS: true, Auth: true})
	if r.PlainHTTP || r.CAFile == "" || r.Username != "tf-acc" || len(r.Password) < 16 {
		t.Fatalf("TLS registry with auth: %+v", r)
	}
	if _, err := os.Stat(r.CAFile); err != nil {
		t.Fatal(err)
	}
	// Without credentials the registry asks for basic auth; with wrong ones it refuses.
	anon := view(r, r.Addr, false, "", "")
	resp, err := anon.httpClient().Get(r.URL("/v2/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("GET /v2/ without credentials: %s, WWW-Authenticate %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	wrong := view(r, r.Addr, false, "tf-acc", "wrong")
	resp, err = wrong.httpClient().Get(r.URL("/v2/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ with a wrong password: %s", resp.Status)
	}
	// Plain http to the TLS port fails.
	plain := view(r, r.Addr, true, "", "")
	if resp, err := plain.httpClient().Get(plain.URL("/v2/")); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain http to the TLS registry: %s", resp.Status)
		}
	}
	files := testFiles(t)
	checkAllPackages(t, r, files)

	// Through a proxy (plain http in front of https), credentials pass and pushes work.
	via := proxied(r, StartProxy(t, r, ProxyOptions{}))
	via.orasBin = r.orasBin
	digest := via.PushArtifact(t, via.Ref("via/proxy:v1"), ArtifactFile{Path: files.kernel, MediaType: "application/octet-stream"})
	if got, _ := fetchManifest(t, r, "via/proxy", "v1"); got != digest {
		t.Fatalf("pushed through the proxy: via/proxy:v1 is %s, pushed %s", got, digest)
	}
}

// Basic auth over plain http: the registry accepts it and oras sends the credentials.
func TestRegistry_authPlainHTTP(t *testing.T) {
	registryPreCheck(t)
	r := StartRegistry(t, RegistryOptions{Auth: true})
	if !r.PlainHTTP || r.Username == "" {
		t.Fatalf("plain registry with auth: %+v", r)
	}
	files := testFiles(t)
	digest := r.PushArtifact(t, r.Ref("auth/a:v1"), ArtifactFile{Path: files.kernel, MediaType: "application/octet-stream"})
	if got, _ := fetchManifest(t, r, "auth/a", "v1"); got != digest {
		t.Fatalf("auth/a:v1 is %s, pushed %s", got, digest)
	}
}

func TestRegistryProxy(t *testing.T) {
	registryPreCheck(t)
	r := StartRegistry(t, RegistryOptions{})
	files := testFiles(t)
	r.PushKraftkit(t, r.Ref("proxy/k:v1"), KraftkitPackage{Kernel: files.kernel, Plat: "qemu", Arch: "x86_64", Legacy: true})
	_, manifest := fetchManifest(t, r, "proxy/k", "v1")
	kernel := manifest.Layers[0].Digest
	want := readFile(t, files.kernel)

	// Without options the proxy passes everything unchanged.
	same := proxied(r, StartProxy(t, r, ProxyOptions{}))
	if got, err := getBlob(t, same, "proxy/k", kernel); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("blob through a plain proxy: %d bytes, %v", len(got), err)
	}

	flip := proxied(r, StartProxy(t, r, ProxyOptions{Flip: true}))
	if d, m := fetchManifest(t, flip, "proxy/k", "v1"); !reflect.DeepEqual(m, manifest) || d != manifest.digest {
		t.Fatal("the tampering proxy changed the manifest")
	}
	got, err := getBlob(t, flip, "proxy/k", kernel)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("the tampering proxy changed the length: %d, want %d", len(got), len(want))
	}
	var diff []int
	for i := range got {
		if got[i] != want[i] {
			diff = append(diff, i)
		}
	}
	if len(diff) != 1 || diff[0] != len(want)/2 {
		t.Fatalf("the tampering proxy changed bytes %v, want only byte %d", diff, len(want)/2)
	}
	if digestOf(got) == kernel {
		t.Fatal("the tampered blob still has its digest")
	}

	cut := proxied(r, StartProxy(t, r, ProxyOptions{CutAfter: 100}))
	got, err = getBlob(t, cut, "proxy/k", kernel)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading a cut blob: %d bytes, error %v; want io.ErrUnexpectedEOF", len(got), err)
	}
	if !bytes.Equal(got, want[:100]) {
		t.Fatalf("the cutting proxy sent %d bytes, want the first 100", len(got))
	}
	if d, _ := fetchManifest(t, cut, "proxy/k", "v1"); d != manifest.digest {
		t.Fatal("the cutting proxy changed the manifest")
	}
}

// proxied is r as seen through the proxy at addr.
func proxied(r *Registry, addr string) *Registry { return view(r, addr, true, r.Username, r.Password) }

// view is a client's view of r: at addr, over plain http or with r's CA, with these credentials.
func view(r *Registry, addr string, plainHTTP bool, user, password string) *Registry {
	v := &Registry{Addr: addr, PlainHTTP: plainHTTP, Username: user, Password: password}
	if !plainHTTP {
		v.caPool = r.caPool
	}
	return v
}

type testFileSet struct {
	kernel, initrd, virtio string
}

func testFiles(t *testing.T) testFileSet {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, n int) string {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return testFileSet{kernel: write("kernel.elf", 64<<10+7), initrd: write("initrd.cpio", 3000), virtio: write("test_quiet.virtio", 5000)}
}

// checkAllPackages pushes one package of each kind and an index to r and checks them through the HTTP API.
func checkAllPackages(t *testing.T, r *Registry, f testFileSet) {
	t.Helper()
	kernel, initrd, virtio := readFile(t, f.kernel), readFile(t, f.initrd), readFile(t, f.virtio)

	// kraftkit, current form, with an initrd.
	kd := r.PushKraftkit(t, r.Ref("kraft/hello:v1"), KraftkitPackage{
		Kernel: f.kernel, Initrd: f.initrd, Cmd: []string{"-v", "hello"}, Plat: "qemu", Arch: "x86_64", Version: "0.18.0",
	})
	digest, m := fetchManifest(t, r, "kraft/hello", "v1")
	if digest != kd {
		t.Fatalf("PushKraftkit returned %s, the registry has %s", kd, digest)
	}
	wantAnnotations(t, "kraftkit manifest", m.Annotations, map[string]string{
		"sh.kraftkit.version": "0.11.6", "org.unikraft.image.name": "kraft/hello", "org.unikraft.kernel.version": "0.18.0",
	})
	if m.Config.MediaType != "application/vnd.oci.image.config.v1+json" || len(m.Layers) != 2 {
		t.Fatalf("kraftkit manifest: config %s, %d layers", m.Config.MediaType, len(m.Layers))
	}
	for i, l := range []struct {
		annotation, path string
		data             []byte
	}{{"org.unikraft.kernel.image", "/unikraft/bin/kernel", kernel}, {"org.unikraft.kernel.initrd", "/unikraft/bin/initrd", initrd}} {
		layer := m.Layers[i]
		if layer.MediaType != "application/vnd.oci.image.layer.v1.tar" {
			t.Fatalf("kraftkit layer %d: media type %s", i, layer.MediaType)
		}
		wantAnnotations(t, "kraftkit layer", layer.Annotations, map[string]string{l.annotation: l.path})
		entries := readTarBlob(t, mustBlob(t, r, "kraft/hello", layer.Digest), false)
		if len(entries) != 1 || entries[0].Name != l.path[1:] || !bytes.Equal(entries[0].data, l.data) {
			t.Fatalf("kraftkit layer %d holds %v, want only %s", i, entryNames(entries), l.path[1:])
		}
		if h := entries[0].Header; h.Typeflag != tar.TypeReg || h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 || h.Uname != "" {
			t.Fatalf("kraftkit layer %d entry: %+v", i, h)
		}
	}
	var cfg struct {
		Architecture, OS string
		Config           struct{ Cmd []string }
		RootFS           struct {
			Type    string
			DiffIDs []string `json:"diff_ids"`
		}
	}
	mustJSON(t, mustBlob(t, r, "kraft/hello", m.Config.Digest), &cfg)
	if cfg.Architecture != "x86_64" || cfg.OS != "qemu" || !reflect.DeepEqual(cfg.Config.Cmd, []string{"-v", "hello"}) ||
		cfg.RootFS.Type != "layers" || !reflect.DeepEqual(cfg.RootFS.DiffIDs, []string{m.Layers[0].Digest, m.Layers[1].Digest}) {
		t.Fatalf("kraftkit image configuration: %+v", cfg)
	}

	// kraftkit, old form.
	r.PushKraftkit(t, r.Ref("kraft/hello:legacy"), KraftkitPackage{
		Kernel: f.kernel, Initrd: f.initrd, Plat: "qemu", Arch: "x86_64", Version: "0.16.0", Legacy: true,
	})
	_, m = fetchManifest(t, r, "kraft/hello", "legacy")
	if len(m.Layers) != 2 || m.Layers[0].MediaType != "application/vnd.unikraft.image.v1" ||
		m.Layers[1].MediaType != "application/vnd.unikraft.initrd.v1" {
		t.Fatalf("legacy kraftkit layers: %+v", m.Layers)
	}
	if !bytes.Equal(mustBlob(t, r, "kraft/hello", m.Layers[0].Digest), kernel) ||
		!bytes.Equal(mustBlob(t, r, "kraft/hello", m.Layers[1].Digest), initrd) {
		t.Fatal("legacy kraftkit layers are not the raw files")
	}

	// An index of two platforms.
	arm := r.PushKraftkit(t, r.Ref("kraft/hello:arm64"), KraftkitPackage{Kernel: f.kernel, Plat: "qemu", Arch: "arm64"})
	id := r.PushIndex(t, r.Ref("kraft/hello:multi"), kd, arm)
	digest, body := fetch(t, r, "/v2/kraft/hello/manifests/multi")
	if digest != id {
		t.Fatalf("PushIndex returned %s, the registry has %s", id, digest)
	}
	var index struct {
		MediaType string
		Manifests []struct {
			Digest   string
			Platform struct{ Architecture, OS string }
		}
	}
	mustJSON(t, body, &index)
	if index.MediaType != "application/vnd.oci.image.index.v1+json" || len(index.Manifests) != 2 ||
		index.Manifests[0].Digest != kd || index.Manifests[0].Platform.Architecture != "x86_64" || index.Manifests[0].Platform.OS != "qemu" ||
		index.Manifests[1].Digest != arm || index.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index: %s", body)
	}

	// urunc: plain annotations (bunny), base64 annotations (bima), urunc.json.
	urunc := UruncPackage{
		Binary: f.virtio, BinaryPath: "/unikernel/test_quiet.virtio", Initrd: f.initrd, InitrdPath: "/unikernel/initrd",
		Type: "solo5", Hypervisor: "qemu", Cmdline: "console=ttyS0 hello",
	}
	values := map[string]string{
		"com.urunc.unikernel.binary": "/unikernel/test_quiet.virtio", "com.urunc.unikernel.initrd": "/unikernel/initrd",
		"com.urunc.unikernel.unikernelType": "solo5", "com.urunc.unikernel.hypervisor": "qemu",
		"com.urunc.unikernel.cmdline": "console=ttyS0 hello",
	}
	encoded := map[string]string{}
	for k, v := range values {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	for _, c := range []struct {
		tag            string
		base64, inJSON bool
	}{{"plain", false, false}, {"base64", true, false}, {"json", false, true}} {
		p := urunc
		p.Base64, p.InJSON = c.base64, c.inJSON
		ud := r.PushUrunc(t, r.Ref("urunc/quiet:"+c.tag), p)
		digest, m := fetchManifest(t, r, "urunc/quiet", c.tag)
		if digest != ud || len(m.Layers) != 1 || m.Layers[0].MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
			t.Fatalf("urunc %s: digest %s (pushed %s), layers %+v", c.tag, digest, ud, m.Layers)
		}
		switch {
		case c.inJSON:
			for k := range m.Annotations {
				if strings.HasPrefix(k, "com.urunc.") {
					t.Fatalf("urunc %s: manifest annotation %s", c.tag, k)
				}
			}
		case c.base64:
			wantAnnotations(t, "urunc "+c.tag, m.Annotations, encoded)
		default:
			wantAnnotations(t, "urunc "+c.tag, m.Annotations, values)
		}
		entries := readTarBlob(t, mustBlob(t, r, "urunc/quiet", m.Layers[0].Digest), true)
		want := []string{"unikernel/", "unikernel/test_quiet.virtio", "unikernel/initrd"}
		if c.inJSON {
			want = append(want, "urunc.json")
		}
		if !reflect.DeepEqual(entryNames(entries), want) || !bytes.Equal(entries[1].data, virtio) || !bytes.Equal(entries[2].data, initrd) ||
			entries[0].Typeflag != tar.TypeDir {
			t.Fatalf("urunc %s layer holds %v, want %v", c.tag, entryNames(entries), want)
		}
		if c.inJSON {
			var j map[string]string
			mustJSON(t, entries[3].data, &j)
			if !reflect.DeepEqual(j, encoded) {
				t.Fatalf("urunc.json: %s", entries[3].data)
			}
		}
		var cfg struct {
			Architecture, OS string
			Config           struct{ Cmd []string }
		}
		mustJSON(t, mustBlob(t, r, "urunc/quiet", m.Config.Digest), &cfg)
		if cfg.Architecture != "amd64" || cfg.OS != "linux" || !reflect.DeepEqual(cfg.Config.Cmd, []string{"/unikernel/test_quiet.virtio"}) {
			t.Fatalf("urunc image configuration: %+v", cfg)
		}
	}

	// A plain artifact.
	ad := r.PushArtifact(t, r.Ref("artifact/k:v1"),
		ArtifactFile{Path: f.kernel, MediaType: "application/vnd.unikernel.kernel.v1"},
		ArtifactFile{Path: f.initrd, MediaType: "application/vnd.unikernel.initrd.v1"})
	digest, m = fetchManifest(t, r, "artifact/k", "v1")
	if digest != ad || m.ArtifactType != "application/vnd.unikernel.test.v1" || len(m.Layers) != 2 ||
		m.Layers[0].MediaType != "application/vnd.unikernel.kernel.v1" || m.Layers[1].MediaType != "application/vnd.unikernel.initrd.v1" {
		t.Fatalf("artifact: %s (pushed %s) %+v", digest, ad, m)
	}
	wantAnnotations(t, "artifact kernel layer", m.Layers[0].Annotations, map[string]string{"org.opencontainers.image.title": "kernel.elf"})
	wantAnnotations(t, "artifact initrd layer", m.Layers[1].Annotations, map[string]string{"org.opencontainers.image.title": "initrd.cpio"})
	if !bytes.Equal(mustBlob(t, r, "artifact/k", m.Layers[0].Digest), kernel) {
		t.Fatal("artifact kernel layer is not the file")
	}
}

type testDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
}

type testManifest struct {
	digest       string
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType"`
	Config       testDescriptor    `json:"config"`
	Layers       []testDescriptor  `json:"layers"`
	Annotations  map[string]string `json:"annotations"`
}

func fetchManifest(t *testing.T, r *Registry, repo, ref string) (string, testManifest) {
	t.Helper()
	digest, body := fetch(t, r, "/v2/"+repo+"/manifests/"+ref)
	var m testManifest
	mustJSON(t, body, &m)
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Fatalf("%s:%s has media type %q", repo, ref, m.MediaType)
	}
	m.digest = digest
	return digest, m
}

// fetch GETs a manifest or index and returns its digest (checked against Docker-Content-Digest) and body.
func fetch(t *testing.T, r *Registry, p string) (string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.URL(p), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
	resp, err := r.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", p, resp.Status, body)
	}
	digest := digestOf(body)
	if h := resp.Header.Get("Docker-Content-Digest"); h != digest {
		t.Fatalf("GET %s: Docker-Content-Digest %s, body %s", p, h, digest)
	}
	return digest, body
}

// getBlob returns what a blob GET delivered and the error that ended the body, if any.
func getBlob(t *testing.T, r *Registry, repo, digest string) ([]byte, error) {
	t.Helper()
	resp, err := r.httpClient().Get(r.URL("/v2/" + repo + "/blobs/" + digest))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET blob %s: %s", digest, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func mustBlob(t *testing.T, r *Registry, repo, digest string) []byte {
	t.Helper()
	b, err := getBlob(t, r, repo, digest)
	if err != nil {
		t.Fatal(err)
	}
	if digestOf(b) != digest {
		t.Fatalf("blob %s has digest %s", digest, digestOf(b))
	}
	return b
}

type tarEntry struct {
	*tar.Header
	data []byte
}

func readTarBlob(t *testing.T, b []byte, gz bool) []tarEntry {
	t.Helper()
	var rd io.Reader = bytes.NewReader(b)
	if gz {
		z, err := gzip.NewReader(rd)
		if err != nil {
			t.Fatal(err)
		}
		rd = z
	}
	tr := tar.NewReader(rd)
	var entries []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, tarEntry{h, data})
	}
}

func entryNames(entries []tarEntry) []string {
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return names
}

func wantAnnotations(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: annotation %s is %q, want %q (all: %v)", what, k, got[k], v, got)
		}
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
