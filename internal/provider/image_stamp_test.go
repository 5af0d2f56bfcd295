package provider

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// TestPlanDigest_reusedWhileStampHolds shows that a plan reuses the recorded digest only while
// the file keeps its stamp: the recorded value here is deliberately not the
// file's hash, so returning it proves the file was not read. Any change,
// including one that keeps the size, makes the plan hash the file again.
func TestPlanDigest_reusedWhileStampHolds(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "kernel.elf")
	if err := os.WriteFile(p, []byte("build one"), 0o644); err != nil {
		t.Fatal(err)
	}
	stamp, ok := stampOf(p)
	if !ok {
		t.Fatal("no stamp for a regular file")
	}
	stamp.SHA256 = "recorded"
	got, size, err := planDigest(ctx, p, &stamp)
	if err != nil || got != "recorded" || size != int64(len("build one")) {
		t.Fatalf("unchanged file: got %q, %d, %v; want the recorded digest", got, size, err)
	}

	// Same size, new bytes, new modification time.
	if err := os.WriteFile(p, []byte("build two"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	want, _, err := imageformat.HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := planDigest(ctx, p, &stamp); err != nil || got != want {
		t.Fatalf("changed file: got %q, %v; want its hash %q", got, err, want)
	}

	// Replaced by another file under the same name (a new inode).
	stamp, _ = stampOf(p)
	stamp.SHA256 = "recorded"
	tmp := p + ".new"
	if err := os.WriteFile(tmp, []byte("build two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	if got, _, err := planDigest(ctx, p, &stamp); err != nil || got != want {
		t.Fatalf("replaced file: got %q, %v; want its hash %q", got, err, want)
	}

	// No stamp: always hashed.
	if got, _, err := planDigest(ctx, p, nil); err != nil || got != want {
		t.Fatalf("no stamp: got %q, %v; want %q", got, err, want)
	}
}
