package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeRegistry serves the read side of the distribution API from memory:
// manifests by tag or digest and blobs by digest. It counts requests and can
// demand a bearer token from its own token endpoint, answer 503 a number of
// times first, or send wrong bytes.
type fakeRegistry struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	blobs     map[digest.Digest][]byte
	manifests map[string][]byte // by tag and by digest
	mtypes    map[string]string

	token        string // "" for anonymous access
	user, pass   string // what the token endpoint wants
	fail503      atomic.Int32
	tamper       bool
	manifestHits atomic.Int32
	blobHits     atomic.Int32
	tokenHits    atomic.Int32
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	r := &fakeRegistry{t: t, blobs: map[digest.Digest][]byte{}, manifests: map[string][]byte{}, mtypes: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *fakeRegistry) host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// client is a client for the registry over plain http; set changes its
// registry entry (credentials).
func (r *fakeRegistry) client(t *testing.T, set func(*Registry)) *Client {
	t.Helper()
	reg := Registry{Address: r.host(), PlainHTTP: true}
	if set != nil {
		set(&reg)
	}
	c, err := NewClient(Options{Registries: []Registry{reg}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *fakeRegistry) blob(b []byte, mediaType string) ocispec.Descriptor {
	d := digest.FromBytes(b)
	r.mu.Lock()
	r.blobs[d] = b
	r.mu.Unlock()
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(b))}
}

func (r *fakeRegistry) manifest(tag string, v any) ocispec.Descriptor {
	b, err := json.Marshal(v)
	if err != nil {
		r.t.Fatal(err)
	}
	var mt struct {
		MediaType string `json:"mediaType"`
	}
	_ = json.Unmarshal(b, &mt)
	d := digest.FromBytes(b)
	r.mu.Lock()
	r.manifests[d.String()] = b
	r.mtypes[d.String()] = mt.MediaType
	if tag != "" {
		r.manifests[tag] = b
		r.mtypes[tag] = mt.MediaType
	}
	r.mu.Unlock()
	return ocispec.Descriptor{MediaType: mt.MediaType, Digest: d, Size: int64(len(b))}
}

func (r *fakeRegistry) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/token" {
		r.tokenHits.Add(1)
		u, p, _ := req.BasicAuth()
		if u != r.user || p != r.pass {
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"token": r.token})
		return
	}
	if r.token != "" && req.Header.Get("Authorization") != "Bearer "+r.token {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake",scope="repository:app:pull"`, r.srv.URL))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
		return
	}
	if req.URL.Path == "/v2/" {
		return
	}
	if r.fail503.Load() > 0 {
		r.fail503.Add(-1)
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/v2/"), "/")
	if len(parts) < 3 {
		http.NotFound(w, req)
		return
	}
	kind, ref := parts[len(parts)-2], parts[len(parts)-1]
	r.mu.Lock()
	defer r.mu.Unlock()
	switch kind {
	case "manifests":
		r.manifestHits.Add(1)
		b, ok := r.manifests[ref]
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`))
			return
		}
		w.Header().Set("Content-Type", r.mtypes[ref])
		w.Header().Set("Docker-Content-Digest", digest.FromBytes(b).String())
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		if req.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b)
	case "blobs":
		r.blobHits.Add(1)
		b, ok := r.blobs[digest.Digest(ref)]
		if !ok {
			http.NotFound(w, req)
			return
		}
		if r.tamper {
			b = append([]byte{}, b...)
			b[len(b)/2] ^= 0xff
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		_, _ = w.Write(b)
	default:
		http.NotFound(w, req)
	}
}

// tarOf is a tar archive of name -> content ("->target" makes a symlink).
func tarOf(t *testing.T, gz bool, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var tw *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for _, f := range files {
		h := &tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}
		if target, ok := strings.CutPrefix(f[1], "->"); ok {
			h = &tar.Header{Name: f[0], Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}
		}
		if strings.HasSuffix(f[0], "/") {
			h = &tar.Header{Name: f[0], Typeflag: tar.TypeDir, Mode: 0o755}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = tw.Write([]byte(f[1]))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		_ = zw.Close()
	}
	return buf.Bytes()
}

func imageManifest(cfg ocispec.Descriptor, ann map[string]string, layers ...ocispec.Descriptor) map[string]any {
	return map[string]any{"schemaVersion": 2, "mediaType": ocispec.MediaTypeImageManifest, "config": cfg,
		"layers": layers, "annotations": ann}
}

func (r *fakeRegistry) config(v any) ocispec.Descriptor {
	b, _ := json.Marshal(v)
	return r.blob(b, ocispec.MediaTypeImageConfig)
}
