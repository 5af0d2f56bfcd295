package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat/imagetest"
)

func TestParseSource_kinds(t *testing.T) {
	for s, want := range map[string]sourceKind{
		"/srv/kernel.elf":            sourceLocal,
		"build/kernel.elf":           sourceLocal,
		"http://10.0.0.1/k":          sourceHTTP,
		"HTTPS://artifacts.example/": sourceHTTPS,
	} {
		if got, err := parseSource(s); err != nil || got != want {
			t.Errorf("parseSource(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "ftp://host/k", "file:///k", "http:///k", "/a\x00b", "s3://bucket/k"} {
		if _, err := parseSource(s); err == nil {
			t.Errorf("parseSource(%q) must fail", s)
		}
	}
}

func TestVolumeSpec_qcow2(t *testing.T) {
	for version, compat := range map[uint32]string{2: "0.10", 3: "1.1"} {
		img := &preparedImage{size: 196616, format: imageformat.QCOW2, result: imageformat.Result{
			QCOW2: &imageformat.QCOW2Header{Version: version, VirtualSize: 1 << 30, ClusterBits: 16}}}
		spec := volumeSpec("d.qcow2", img)
		if spec.Format != "qcow2" || spec.Size != 196616 || spec.VirtualSize != 1<<30 || spec.ClusterSize != 65536 || spec.Compat != compat {
			t.Errorf("version %d: %+v", version, spec)
		}
	}
	spec := volumeSpec("k", &preparedImage{size: 10, format: imageformat.Multiboot})
	if spec.Format != "raw" || spec.Size != 10 || spec.VirtualSize != 0 {
		t.Errorf("kernel: %+v", spec)
	}
}

func noTempFiles(t *testing.T) {
	t.Helper()
	if m, _ := filepath.Glob(filepath.Join(os.TempDir(), "unikernel-image-*")); len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

// Downloads go to a private temporary file that is removed on every failure,
// and a pinned digest is checked before anything else happens.
func TestPrepareImage_fromHTTP(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	kernel := imagetest.ELF(imagetest.ELFOptions{PVH: true})
	digest, _, _ := imageformat.HashReader(strings.NewReader(string(kernel)))
	mux := http.NewServeMux()
	mux.HandleFunc("/kernel", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(kernel) })
	mux.HandleFunc("/short", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write(kernel)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	img, err := prepareImage(ctx, srv.URL+"/kernel", imageChecks{verify: digest})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(img.remove)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("temporary file %s: %v, mode %v; want 0600", img.remove, err, st.Mode().Perm())
	}
	if img.format != imageformat.PVH || img.expect != digest || img.size != int64(len(kernel)) {
		t.Errorf("prepared: format %s digest %s size %d", img.format, img.expect, img.size)
	}
	img.Close()
	noTempFiles(t)

	for name, tc := range map[string]struct {
		url    string
		checks imageChecks
		attr   string
		want   string
	}{
		"mismatch":     {srv.URL + "/kernel", imageChecks{verify: strings.Repeat("0", 64)}, "sha256", digest},
		"not found":    {srv.URL + "/nope", imageChecks{}, "source", "404"},
		"short body":   {srv.URL + "/short", imageChecks{}, "source", "download"},
		"wrong format": {srv.URL + "/kernel", imageChecks{format: imageformat.QCOW2}, "format", "the headers say pvh"},
	} {
		_, err := prepareImage(ctx, tc.url, tc.checks)
		se, ok := err.(*sourceError)
		if !ok || se.attr != tc.attr || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v (%T), want a %s error containing %q", name, err, err, tc.attr, tc.want)
		}
		noTempFiles(t)
	}
}

func TestPrepareImage_local(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.elf")
	kernel := imagetest.ELF(imagetest.ELFOptions{Multiboot: true})
	if err := os.WriteFile(p, kernel, 0o644); err != nil {
		t.Fatal(err)
	}
	digest, _, _ := imageformat.HashFile(p)
	ctx := context.Background()
	img, err := prepareImage(ctx, p, imageChecks{verify: digest})
	if err != nil || img.expect != digest || img.format != imageformat.Multiboot {
		t.Fatalf("pinned: %+v %v", img, err)
	}
	img.Close()
	// With only a planned digest, the file is not hashed up front.
	img, err = prepareImage(ctx, p, imageChecks{expect: "planned"})
	if err != nil || img.expect != "planned" || img.size != int64(len(kernel)) {
		t.Fatalf("planned: %+v %v", img, err)
	}
	img.Close()
	if _, err := prepareImage(ctx, filepath.Dir(p), imageChecks{}); err == nil {
		t.Error("a directory is not an image")
	}
	if _, err := prepareImage(ctx, p+".missing", imageChecks{}); err == nil {
		t.Error("a missing file must fail")
	}
}
