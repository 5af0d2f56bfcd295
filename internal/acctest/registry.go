package acctest

// A real OCI registry (the CNCF distribution registry) and the oras CLI for
// the acceptance tests of the image resource's `oci` source: packages in the
// forms kraftkit, urunc's tools and oras write, image indexes, and a proxy
// that tampers with or cuts blob downloads. `make oci-tools` builds both
// binaries (scripts/oci-tools.sh) and `make testacc` passes their paths.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Media types and annotations of the packages the registry helpers push.
const (
	mediaTypeImageConfig    = "application/vnd.oci.image.config.v1+json"
	mediaTypeLayerTar       = "application/vnd.oci.image.layer.v1.tar"
	mediaTypeLayerTarGzip   = "application/vnd.oci.image.layer.v1.tar+gzip"
	mediaTypeUnikraftImage  = "application/vnd.unikraft.image.v1"
	mediaTypeUnikraftInitrd = "application/vnd.unikraft.initrd.v1"
	artifactTypeTest        = "application/vnd.unikernel.test.v1"

	kraftkitVersion = "0.11.6"
	kraftKernelPath = "/unikraft/bin/kernel"
	kraftInitrdPath = "/unikraft/bin/initrd"

	registryUser = "tf-acc" // the user of a registry started with Auth
)

// OCITools returns the registry and oras binaries from UNIKERNEL_TEST_REGISTRY and UNIKERNEL_TEST_ORAS,
// and fails the test when either is missing or not executable (never skips).
func OCITools(t testing.TB) (registry, oras string) {
	t.Helper()
	for _, v := range []struct{ env, name string }{
		{"UNIKERNEL_TEST_REGISTRY", "registry"},
		{"UNIKERNEL_TEST_ORAS", "oras"},
	} {
		p := os.Getenv(v.env)
		if p == "" {
			t.Fatalf("%s is not set; `make testacc` sets it to the %s that scripts/oci-tools.sh builds "+
				"(by hand: %s=$(scripts/oci-tools.sh path %s))", v.env, v.name, v.env, v.name)
		}
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s=%s is not executable: %v (build it with `make oci-tools`)", v.env, p, err)
		}
		if v.name == "registry" {
			registry = p
		} else {
			oras = p
		}
	}
	return registry, oras
}

// RegistryOptions say how StartRegistry configures its registry.
type RegistryOptions struct {
	TLS  bool // https with a server certificate for 127.0.0.1 signed by a CA generated for this registry
	Auth bool // htpasswd (bcrypt) basic auth with user "tf-acc" and a random password
}

// Registry is a running distribution registry on the loopback interface.
type Registry struct {
	Addr      string // 127.0.0.1:<port>
	CAFile    string // PEM of the generated CA; "" without TLS
	Username  string // "" without Auth
	Password  string
	PlainHTTP bool // true without TLS

	registryBin string
	orasBin     string
	dir         string // configuration, certificates, htpasswd, log
	config      string
	logPath     string
	caPool      *x509.CertPool

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartRegistry starts `registry serve <config.yml>` on a free loopback port with filesystem storage in
// t.TempDir(), waits until GET /v2/ answers (200 or 401), and stops it in t.Cleanup. Its log goes to a
// file whose last lines are printed with t.Log when the registry fails to start.
//
// Basic auth works over plain http too (the registry does not insist on TLS, and oras sends the
// credentials to a plain-http registry), so Auth without TLS is a registry that takes passwords in
// clear text on the loopback interface.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	registryBin, orasBin := OCITools(t)
	dir := t.TempDir()
	r := &Registry{
		Addr:        "127.0.0.1:" + strconv.Itoa(freePort(t)),
		PlainHTTP:   !opts.TLS,
		registryBin: registryBin,
		orasBin:     orasBin,
		dir:         dir,
		config:      filepath.Join(dir, "config.yml"),
		logPath:     filepath.Join(dir, "registry.log"),
	}
	storage := filepath.Join(dir, "storage")
	if err := os.Mkdir(storage, 0o700); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  redirect:
    disable: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  secret: %q
`, storage, r.Addr, randHex(t, 16))
	if opts.TLS {
		r.CAFile, r.caPool = writeRegistryCerts(t, dir)
		fmt.Fprintf(&cfg, "  tls:\n    certificate: %q\n    key: %q\n",
			filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem"))
	}
	if opts.Auth {
		r.Username, r.Password = registryUser, randHex(t, 16)
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(r.Username+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&cfg, "auth:\n  htpasswd:\n    realm: basic-realm\n    path: %q\n", htpasswd)
	}
	if err := os.WriteFile(r.config, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("stopping the registry at %s: %v", r.Addr, err)
		}
	})
	r.Start(t)
	return r
}

// Stop stops the registry's process; its storage stays, and Start serves it again.
func (r *Registry) Stop(t testing.TB) {
	t.Helper()
	if err := r.stop(); err != nil {
		t.Fatalf("stopping the registry at %s: %v", r.Addr, err)
	}
}

// Start starts the registry again on the same port and storage, and waits until it answers.
func (r *Registry) Start(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		t.Fatalf("the registry at %s is already running", r.Addr)
	}
	logFile, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(r.registryBin, "serve", r.config)
	cmd.Dir = r.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The configuration file is the whole configuration: no REGISTRY_* overrides from the
	// environment, and no OpenTelemetry exporter that would try to reach a collector.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") && !strings.HasPrefix(kv, "OTEL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", r.registryBin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done

	client := r.httpClient()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for {
		select {
		case <-done:
			r.cmd, r.done = nil, nil
			r.logTail(t)
			t.Fatalf("the registry at %s exited while starting: %v", r.Addr, cmd.ProcessState)
		default:
		}
		resp, err := client.Get(r.URL("/v2/"))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			_ = r.stopLocked()
			r.logTail(t)
			t.Fatalf("the registry at %s did not answer GET /v2/ within 30s: %s", r.Addr, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *Registry) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopLocked()
}

func (r *Registry) stopLocked() error {
	if r.cmd == nil {
		return nil
	}
	cmd, done := r.cmd, r.done
	r.cmd, r.done = nil, nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	select {
	case <-done:
		return errors.New("it did not stop on SIGTERM within 10s and was killed")
	case <-time.After(10 * time.Second):
		return fmt.Errorf("process %d did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// logTail prints the last lines of the registry's log.
func (r *Registry) logTail(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile(r.logPath)
	if err != nil {
		t.Logf("registry log %s: %v", r.logPath, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	t.Logf("last lines of the registry's log %s:\n%s", r.logPath, strings.Join(lines, "\n"))
}

// Ref returns the reference of repoAndTag ("repo:tag" or "repo@sha256:...") in this registry.
func (r *Registry) Ref(repoAndTag string) string { return r.Addr + "/" + repoAndTag }

// URL returns the registry's URL of p (an API path such as "/v2/").
func (r *Registry) URL(p string) string {
	scheme := "https"
	if r.PlainHTTP {
		scheme = "http"
	}
	return scheme + "://" + r.Addr + p
}

// httpClient talks to the registry: it trusts the registry's CA and sends its credentials.
func (r *Registry) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if r.caPool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: r.caPool, MinVersion: tls.VersionTLS12}
	}
	var rt http.RoundTripper = tr
	if r.Username != "" {
		rt = basicAuthTransport{next: tr, user: r.Username, password: r.Password}
	}
	return &http.Client{Transport: rt, Timeout: 30 * time.Second}
}

type basicAuthTransport struct {
	next           http.RoundTripper
	user, password string
}

func (b basicAuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(req)
}

// oras runs the oras CLI in dir with the flags this registry needs, and returns its standard
// output. It fails the test with oras's output when oras fails.
func (r *Registry) oras(t testing.TB, dir string, args ...string) string {
	t.Helper()
	// An empty credentials file of its own: the user's Docker or oras logins play no part.
	args = append(args, "--registry-config", filepath.Join(dir, "oras-auth.json"))
	if r.PlainHTTP {
		args = append(args, "--plain-http")
	} else {
		args = append(args, "--ca-file", r.CAFile)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.orasBin, args...)
	if r.Username != "" {
		cmd.Args = append(cmd.Args, "--username", r.Username, "--password-stdin")
		cmd.Stdin = strings.NewReader(r.Password)
	}
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", strings.Join(cmd.Args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

// push runs `oras push ref args...` in dir and returns the digest of the manifest it pushed.
func (r *Registry) push(t testing.TB, dir, ref string, args ...string) string {
	t.Helper()
	exported := filepath.Join(dir, "pushed-manifest.json")
	r.oras(t, dir, append([]string{"push", ref, "--export-manifest", exported}, args...)...)
	b, err := os.ReadFile(exported)
	if err != nil {
		t.Fatalf("oras push %s did not export its manifest: %v", ref, err)
	}
	return digestOf(b)
}

// resolve returns the digest ref points at.
func (r *Registry) resolve(t testing.TB, ref string) string {
	t.Helper()
	out := strings.TrimSpace(r.oras(t, t.TempDir(), "resolve", ref))
	if !strings.HasPrefix(out, "sha256:") || len(out) != len("sha256:")+64 {
		t.Fatalf("oras resolve %s printed %q, not a digest", ref, out)
	}
	return out
}

// KraftkitPackage is a unikernel packed as kraftkit packs it.
type KraftkitPackage struct {
	Kernel  string   // local file, packed as /unikraft/bin/kernel
	Initrd  string   // optional local file, packed as /unikraft/bin/initrd
	Cmd     []string // image configuration's config.Cmd
	Plat    string   // e.g. "qemu": the image configuration's "os"
	Arch    string   // e.g. "x86_64": the image configuration's "architecture"
	Version string   // org.unikraft.kernel.version annotation on the manifest
	Legacy  bool     // old form: the kernel as a raw blob of media type application/vnd.unikraft.image.v1 (initrd: application/vnd.unikraft.initrd.v1), no tar
}

// PushKraftkit pushes p to ref (a full reference such as r.Ref("kernels/hello:v1")) in kraftkit's form
// and returns the manifest's digest. Each file is its own uncompressed tar layer holding exactly one
// entry (unikraft/bin/kernel, unikraft/bin/initrd; no directories, uid/gid 0, zero mtime), whose
// descriptor carries org.unikraft.kernel.image (or .initrd) with the file's absolute path. With Legacy,
// each file is a raw blob of kraftkit's old media types, without annotations. The manifest carries
// sh.kraftkit.version, org.unikraft.image.name (ref's repository) and org.unikraft.kernel.version (left
// out when Version is ""); the image configuration has Plat as its os, Arch as its architecture and Cmd.
func (r *Registry) PushKraftkit(t testing.TB, ref string, p KraftkitPackage) string {
	t.Helper()
	dir := t.TempDir()
	type layer struct {
		file, mediaType, annotation, path string
	}
	layers := []layer{{"kernel", mediaTypeLayerTar, "org.unikraft.kernel.image", kraftKernelPath}}
	if p.Legacy {
		layers[0].mediaType = mediaTypeUnikraftImage
	}
	srcs := []string{p.Kernel}
	if p.Initrd != "" {
		l := layer{"initrd", mediaTypeLayerTar, "org.unikraft.kernel.initrd", kraftInitrdPath}
		if p.Legacy {
			l.mediaType = mediaTypeUnikraftInitrd
		}
		layers = append(layers, l)
		srcs = append(srcs, p.Initrd)
	}
	manifestAnnotations := map[string]string{
		"sh.kraftkit.version":     kraftkitVersion,
		"org.unikraft.image.name": imageName(ref),
	}
	if p.Version != "" {
		manifestAnnotations["org.unikraft.kernel.version"] = p.Version
	}
	annotations := map[string]map[string]string{"$manifest": manifestAnnotations}
	var args, diffIDs []string
	for i, l := range layers {
		if p.Legacy {
			copyFile(t, srcs[i], filepath.Join(dir, l.file))
		} else {
			l.file += ".tar"
			writeTar(t, filepath.Join(dir, l.file), false, []tarFile{{name: l.path[1:], src: srcs[i]}})
			annotations[l.file] = map[string]string{l.annotation: l.path}
		}
		diffIDs = append(diffIDs, fileDigest(t, filepath.Join(dir, l.file)))
		args = append(args, l.file+":"+l.mediaType)
	}
	cmd := p.Cmd
	if cmd == nil {
		cmd = []string{}
	}
	writeJSON(t, filepath.Join(dir, "config.json"), imageConfig(p.Arch, p.Plat, cmd, diffIDs))
	writeJSON(t, filepath.Join(dir, "annotations.json"), annotations)
	args = append(args, "--config", "config.json:"+mediaTypeImageConfig, "--annotation-file", "annotations.json")
	return r.push(t, dir, ref, args...)
}

// UruncPackage is a unikernel packed for urunc, as bima and bunny pack it.
type UruncPackage struct {
	Binary     string // local file, packed at BinaryPath
	BinaryPath string // absolute path inside the image, e.g. "/unikernel/test_quiet.virtio"
	Initrd     string // optional local file, packed at InitrdPath
	InitrdPath string
	Type       string // com.urunc.unikernel.unikernelType, e.g. "solo5"
	Hypervisor string // com.urunc.unikernel.hypervisor, e.g. "qemu"
	Cmdline    string // com.urunc.unikernel.cmdline
	Base64     bool   // encode the annotation values in base64, as bima does (bunny writes them plain)
	InJSON     bool   // put the annotations (base64, as urunc expects) in /urunc.json inside the layer instead of on the manifest
}

// PushUrunc pushes p to ref in urunc's form and returns the manifest's digest: one gzip-compressed
// tar layer with the files at their paths (and their parent directories), an amd64/linux image
// configuration whose Cmd is BinaryPath, and the com.urunc.unikernel.* annotations on the manifest,
// or base64-encoded in /urunc.json inside the layer with InJSON.
func (r *Registry) PushUrunc(t testing.TB, ref string, p UruncPackage) string {
	t.Helper()
	dir := t.TempDir()
	values := map[string]string{
		"com.urunc.unikernel.binary":        p.BinaryPath,
		"com.urunc.unikernel.unikernelType": p.Type,
		"com.urunc.unikernel.hypervisor":    p.Hypervisor,
		"com.urunc.unikernel.cmdline":       p.Cmdline,
	}
	if p.InitrdPath != "" {
		values["com.urunc.unikernel.initrd"] = p.InitrdPath
	}
	encoded := make(map[string]string, len(values))
	for k, v := range values {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	var files []tarFile
	seen := map[string]bool{}
	addDirs := func(file string) {
		var parents []string
		for d := path.Dir(file); d != "/" && d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			files = append(files, tarFile{name: strings.TrimPrefix(d, "/") + "/", dir: true})
		}
	}
	addDirs(p.BinaryPath)
	files = append(files, tarFile{name: strings.TrimPrefix(p.BinaryPath, "/"), src: p.Binary})
	if p.Initrd != "" {
		addDirs(p.InitrdPath)
		files = append(files, tarFile{name: strings.TrimPrefix(p.InitrdPath, "/"), src: p.Initrd})
	}
	if p.InJSON {
		b, err := json.Marshal(encoded)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, tarFile{name: "urunc.json", data: b})
	}
	layerFile := filepath.Join(dir, "rootfs.tar.gz")
	diffID := writeTar(t, layerFile, true, files)
	writeJSON(t, filepath.Join(dir, "config.json"), imageConfig("amd64", "linux", []string{p.BinaryPath}, []string{diffID}))
	annotations := map[string]map[string]string{}
	switch {
	case p.InJSON: // in urunc.json only
	case p.Base64:
		annotations["$manifest"] = encoded
	default:
		annotations["$manifest"] = values
	}
	writeJSON(t, filepath.Join(dir, "annotations.json"), annotations)
	return r.push(t, dir, ref, "rootfs.tar.gz:"+mediaTypeLayerTarGzip,
		"--config", "config.json:"+mediaTypeImageConfig, "--annotation-file", "annotations.json")
}

// ArtifactFile is one file of an artifact PushArtifact pushes.
type ArtifactFile struct {
	Path      string // local file; its base name becomes org.opencontainers.image.title
	MediaType string
}

// PushArtifact pushes files as oras does for plain artifacts: `oras push <ref> --artifact-type
// application/vnd.unikernel.test.v1 file:mediatype ...`.
func (r *Registry) PushArtifact(t testing.TB, ref string, files ...ArtifactFile) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--artifact-type", artifactTypeTest}
	for _, f := range files {
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(abs)
		// oras names each layer after the path it was given: link the file under its base name.
		if err := os.Symlink(abs, filepath.Join(dir, name)); err != nil {
			t.Fatalf("artifact file %s: %v", f.Path, err)
		}
		args = append(args, name+":"+f.MediaType)
	}
	return r.push(t, dir, ref, args...)
}

// PushIndex creates an image index at ref from manifests given as digests in the same repository
// (`oras manifest index create <repo>:<tag> <digest>...`; oras takes each entry's platform from its
// image configuration), and returns the index's digest.
func (r *Registry) PushIndex(t testing.TB, ref string, manifestDigests ...string) string {
	t.Helper()
	r.oras(t, t.TempDir(), append([]string{"manifest", "index", "create", ref}, manifestDigests...)...)
	return r.resolve(t, ref)
}

// Tag points tags (more tags in the same repository) at the manifest or index src, a full reference by
// tag or digest, as `oras tag <src> <tag>...` does (moving a tag that exists), and returns its digest.
func (r *Registry) Tag(t testing.TB, src string, tags ...string) string {
	t.Helper()
	if len(tags) == 0 {
		t.Fatal("Tag: no tags given")
	}
	r.oras(t, t.TempDir(), append([]string{"tag", src}, tags...)...)
	return r.resolve(t, src)
}

// ProxyOptions make a plain-http reverse proxy in front of a registry that misbehaves on blob GETs
// (requests whose path contains "/blobs/sha256:"):
type ProxyOptions struct {
	Flip     bool  // flip one byte in the middle of every blob body (tampering), keeping length and headers
	CutAfter int64 // >0: send only this many bytes of each blob body, then close the connection abruptly
}

// StartProxy starts the proxy on a free loopback port for a plain-http registry and returns its address
// (127.0.0.1:port); it stops in t.Cleanup. Manifests and everything else pass unchanged, and requests
// keep their Host header, so the registry's upload locations point at the proxy. (A registry with TLS
// works too: the proxy then talks https to it and still serves plain http.)
func StartProxy(t testing.TB, target *Registry, opts ProxyOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DisableCompression = true
	if target.caPool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: target.caPool, MinVersion: tls.VersionTLS12}
	}
	scheme := "https"
	if target.PlainHTTP {
		scheme = "http"
	}
	srv := &http.Server{
		Handler:           &blobProxy{scheme: scheme, target: target.Addr, transport: tr, opts: opts},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		tr.CloseIdleConnections()
	})
	return ln.Addr().String()
}

type blobProxy struct {
	scheme, target string
	transport      http.RoundTripper
	opts           ProxyOptions
}

// hopHeaders are not forwarded (RFC 9110, section 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *blobProxy) ServeHTTP(w http.ResponseWriter, in *http.Request) {
	out := in.Clone(in.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.scheme, p.target
	// The registry builds the URLs it answers with (upload locations) from these.
	out.Host = in.Host
	out.Header.Set("X-Forwarded-Proto", "http")
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	if in.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	blob := in.Method == http.MethodGet && strings.Contains(in.URL.Path, "/blobs/sha256:") &&
		(resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent)
	if !blob || (!p.opts.Flip && p.opts.CutAfter <= 0) {
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if p.opts.Flip && len(body) > 0 {
		body[len(body)/2] ^= 0xff
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	if p.opts.CutAfter > 0 && p.opts.CutAfter < int64(len(body)) {
		_, _ = w.Write(body[:p.opts.CutAfter])
		_ = http.NewResponseController(w).Flush()
		// The server closes the connection without finishing the response.
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(body)
}

// tarFile is one entry of a layer written by writeTar: a directory, a local file or data.
type tarFile struct {
	name string
	dir  bool
	src  string
	data []byte
}

// writeTar writes files into a tar archive at dst (gzip-compressed with gz), with uid/gid 0, no
// owner names and zero times, and returns the digest of the uncompressed tar (its diff ID).
func writeTar(t testing.TB, dst string, gz bool, files []tarFile) string {
	t.Helper()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	var zw *gzip.Writer
	var w io.Writer = bw
	if gz {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(w, diff))
	for _, e := range files {
		hdr := &tar.Header{Name: e.name, Format: tar.FormatUSTAR}
		switch {
		case e.dir:
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		case e.src != "":
			b, err := os.ReadFile(e.src)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(e.src)
			if err != nil {
				t.Fatal(err)
			}
			hdr.Typeflag, hdr.Mode, e.data = tar.TypeReg, int64(fi.Mode().Perm()), b
		default:
			hdr.Typeflag, hdr.Mode = tar.TypeReg, 0o644
		}
		hdr.Size = int64(len(e.data))
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar %s: %v", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(diff.Sum(nil))
}

// imageConfig is an OCI image configuration (the fields the packages use).
func imageConfig(arch, osName string, cmd, diffIDs []string) map[string]any {
	return map[string]any{
		"architecture": arch,
		"os":           osName,
		"config":       map[string]any{"Cmd": cmd},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	}
}

// imageName is the repository of ref, without registry, tag or digest.
func imageName(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	if i := strings.Index(ref, "/"); i >= 0 && strings.ContainsAny(ref[:i], ".:") {
		ref = ref[i+1:]
	}
	return ref
}

func writeJSON(t testing.TB, dst string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func fileDigest(t testing.TB, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func randHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeRegistryCerts writes a CA (ca.pem) and a server certificate for 127.0.0.1 and localhost
// signed by it (server.pem, server-key.pem) into dir.
func writeRegistryCerts(t testing.TB, dir string) (caFile string, pool *x509.CertPool) {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "unikernel acceptance test registry CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(dir, "ca.pem")
	for _, f := range []struct {
		name, typ string
		der       []byte
	}{
		{"ca.pem", "CERTIFICATE", caDER},
		{"server.pem", "CERTIFICATE", der},
		{"server-key.pem", "PRIVATE KEY", keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	return caFile, pool
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
