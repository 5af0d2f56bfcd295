package acctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// PoolRoot is the host directory under which acceptance tests put the
// directories of their storage pools.
const PoolRoot = "/var/lib/unikernel-acc"

// PoolDir returns a fresh, not yet existing directory under PoolRoot for a
// test pool, and removes it (with anything left in it) when the test ends.
func PoolDir(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	dir := filepath.Join(PoolRoot, hex.EncodeToString(b))
	if err := os.MkdirAll(PoolRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// TestPool creates a running dir pool named with the acceptance prefix in a
// fresh directory, and removes it with its volumes when the test ends.
func TestPool(t testing.TB, c *hypervisor.Client) (name, dir string) {
	t.Helper()
	name, dir = RandName("pool"), PoolDir(t)
	if _, err := c.CreatePool(context.Background(), hypervisor.PoolSpec{Name: name, Path: dir}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.PurgePool(context.Background(), name); err != nil {
			t.Errorf("remove test pool %s: %v", name, err)
		}
	})
	return name, dir
}

// QemuImg runs qemu-img (Debian package qemu-utils) and fails the test when
// it is missing or fails.
func QemuImg(t testing.TB, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Fatalf("qemu-img not found (Debian package qemu-utils): %v", err)
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %v: %v\n%s", args, err, out)
	}
}

// RandomFile writes size random bytes to path.
func RandomFile(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		_ = f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// CopyFile copies src to dst.
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sweepImages deletes volumes named with Prefix from every running pool.
func sweepImages(ctx context.Context, c *hypervisor.Client) error {
	pools, err := c.PoolNames(ctx)
	if err != nil {
		return err
	}
	for _, p := range pools {
		names, err := c.VolumeNames(ctx, p)
		if hypervisor.IsPoolInactive(err) {
			continue
		}
		if err != nil {
			return err
		}
		for _, n := range names {
			if strings.HasPrefix(n, Prefix) {
				if err := c.DeleteVolume(ctx, p, n); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sweepPools removes pools named with Prefix together with everything in
// them (they belong to tests), and empty leftover directories under PoolRoot.
func sweepPools(ctx context.Context, c *hypervisor.Client) error {
	pools, err := c.PoolNames(ctx)
	if err != nil {
		return err
	}
	for _, p := range pools {
		if strings.HasPrefix(p, Prefix) {
			if err := c.PurgePool(ctx, p); err != nil {
				return err
			}
		}
	}
	entries, _ := os.ReadDir(PoolRoot)
	for _, e := range entries {
		_ = os.Remove(filepath.Join(PoolRoot, e.Name())) // only empty directories go
	}
	return nil
}
