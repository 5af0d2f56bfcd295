package hypervisor_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

func accClient(t *testing.T) *hypervisor.Client {
	t.Helper()
	acctest.PreCheck(t)
	c, err := acctest.Client(t)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// uploadFile creates a volume from a local file the way the image resource
// does (hashing while streaming, checking the digest before committing).
func uploadFile(t *testing.T, c *hypervisor.Client, pool, name, path string, spec hypervisor.VolumeSpec) (hypervisor.VolumeInfo, string) {
	t.Helper()
	want, size, err := imageformat.HashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	hr := imageformat.NewHashingReader(f)
	spec.Name, spec.Size = name, uint64(size)
	info, err := c.CreateVolumeFrom(context.Background(), pool, spec, hr, func() error { return imageformat.Verify(want, hr.Sum()) })
	if err != nil {
		t.Fatal(err)
	}
	return info, want
}

func downloadDigest(t *testing.T, c *hypervisor.Client, pool, name string) (string, int64) {
	t.Helper()
	h := sha256.New()
	n, err := c.DownloadVolume(context.Background(), pool, name, h)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func volumeGone(t *testing.T, c *hypervisor.Client, pool, name string) {
	t.Helper()
	if _, err := c.ReadVolume(context.Background(), pool, name); !hypervisor.IsNotFound(err) {
		t.Errorf("volume %s/%s must not exist: %v", pool, name, err)
	}
	names, err := c.VolumeNames(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == name {
			t.Errorf("volume %s still listed", name)
		}
	}
}

// The multiboot guest goes up through the upload stream and comes back
// byte for byte through the download stream; the volume has its exact size.
func TestAccVolumeUploadRoundTrip(t *testing.T) {
	c := accClient(t)
	guests := acctest.TestGuests(t)
	ctx := context.Background()
	pool, dir := acctest.TestPool(t, c)

	info, digest := uploadFile(t, c, pool, "kernel.elf", guests.MultibootKernel, hypervisor.VolumeSpec{})
	st, _ := os.Stat(guests.MultibootKernel)
	want := hypervisor.VolumeInfo{Pool: pool, Name: "kernel.elf", Key: filepath.Join(dir, "kernel.elf"),
		Path: filepath.Join(dir, "kernel.elf"), Size: uint64(st.Size()), Capacity: uint64(st.Size()), Format: "raw"}
	if info != want {
		t.Errorf("after upload: %+v, want %+v", info, want)
	}
	if got, n := downloadDigest(t, c, pool, "kernel.elf"); got != digest || n != st.Size() {
		t.Errorf("download: %s (%d bytes), want %s (%d)", got, n, digest, st.Size())
	}
	onHost, _, err := imageformat.HashFile(info.Path)
	if err != nil || onHost != digest {
		t.Errorf("file on the host: %s %v, want %s", onHost, err, digest)
	}
	byKey, err := c.LookupVolumeByKey(ctx, info.Key)
	if err != nil || byKey != info {
		t.Errorf("LookupVolumeByKey = %+v %v", byKey, err)
	}
	// Ranged reads through the download API see the multiboot header.
	r, err := c.OpenVolumeByPath(ctx, info.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	res, err := imageformat.Detect(r, int64(info.Size))
	if err != nil || res.Format != imageformat.Multiboot {
		t.Errorf("detect through the volume: %+v %v", res, err)
	}
	_, err = c.CreateVolume(ctx, pool, hypervisor.VolumeSpec{Name: "kernel.elf", Size: 10})
	if !hypervisor.IsConflict(err) {
		t.Errorf("creating an existing volume: want a conflict, got %v", err)
	}
}

// A qcow2 image lands in a qcow2 volume byte for byte with its exact file
// size, whatever its cluster size; libvirt reports its virtual size.
func TestAccVolumeQCOW2(t *testing.T) {
	c := accClient(t)
	pool, _ := acctest.TestPool(t, c)
	tmp := t.TempDir()
	for _, cluster := range []string{"65536", "512", "2M"} {
		t.Run("cluster="+cluster, func(t *testing.T) {
			src := filepath.Join(tmp, "img-"+cluster+".qcow2")
			acctest.QemuImg(t, "create", "-q", "-f", "qcow2", "-o", "cluster_size="+cluster, src, "64M")
			f, err := os.Open(src)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := f.Stat()
			res, err := imageformat.Detect(f, st.Size())
			_ = f.Close()
			if err != nil || res.Format != imageformat.QCOW2 {
				t.Fatalf("detect: %+v %v", res, err)
			}
			spec := hypervisor.VolumeSpec{Format: "qcow2", VirtualSize: res.QCOW2.VirtualSize,
				ClusterSize: 1 << res.QCOW2.ClusterBits, Compat: "1.1"}
			name := "disk-" + cluster + ".qcow2"
			info, digest := uploadFile(t, c, pool, name, src, spec)
			if info.Size != uint64(st.Size()) || info.Capacity != 64<<20 || info.Format != "qcow2" {
				t.Errorf("qcow2 volume: %+v (file %d bytes)", info, st.Size())
			}
			if got, _ := downloadDigest(t, c, pool, name); got != digest {
				t.Errorf("download digest %s, want %s", got, digest)
			}
		})
	}
}

// failingReader yields n bytes, then an error.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

// Whatever goes wrong during an upload, no volume stays behind.
func TestAccVolumeUploadFailureLeavesNothing(t *testing.T) {
	c := accClient(t)
	pool, dir := acctest.TestPool(t, c)
	const size = 8 << 20
	ctx := context.Background()
	cases := map[string]struct {
		r     io.Reader
		check func() error
		ctx   func() context.Context
		want  string
	}{
		"source fails midway": {r: &failingReader{n: 3 << 20, err: errors.New("disk on fire")}, want: "disk on fire"},
		"source too short":    {r: &failingReader{n: 5 << 20, err: io.EOF}, want: "ended after 5242880 of 8388608 bytes"},
		"digest mismatch": {r: &failingReader{n: size, err: io.EOF},
			check: func() error { return imageformat.Verify(strings.Repeat("a", 64), strings.Repeat("b", 64)) }, want: "sha256 mismatch"},
		"cancelled": {r: &failingReader{n: size, err: io.EOF}, want: "was cancelled", ctx: func() context.Context {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			return cctx
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			vctx := ctx
			if tc.ctx != nil {
				vctx = tc.ctx()
			}
			vol := strings.ReplaceAll(name, " ", "-")
			_, err := c.CreateVolumeFrom(vctx, pool, hypervisor.VolumeSpec{Name: vol, Size: size}, tc.r, tc.check)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
			volumeGone(t, c, pool, vol)
			if _, err := os.Stat(filepath.Join(dir, vol)); !os.IsNotExist(err) {
				t.Errorf("file of the failed upload still on the host: %v", err)
			}
		})
	}
}

// A volume whose file was removed behind libvirt's back reads as not found.
func TestAccVolumeRemovedOnHost(t *testing.T) {
	c := accClient(t)
	guests := acctest.TestGuests(t)
	pool, _ := acctest.TestPool(t, c)
	info, _ := uploadFile(t, c, pool, "k", guests.MultibootKernel, hypervisor.VolumeSpec{})
	if err := os.Remove(info.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadVolume(context.Background(), pool, "k"); !hypervisor.IsNotFound(err) {
		t.Errorf("want not-found, got %v", err)
	}
}

// Many uploads into one pool at once, with the pool refreshed all the while
// (as out-of-band checks do), must all succeed: libvirt refuses a refresh
// while a volume is being created, and the adapter serialises exactly those.
func TestAccVolumeParallelUploads(t *testing.T) {
	c := accClient(t)
	for _, n := range []int{20, 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			pool, _ := acctest.TestPool(t, c)
			ctx := context.Background()
			const size = 2 << 20
			stop := make(chan struct{})
			refreshed := make(chan error, 1)
			go func() {
				var err error
				for {
					select {
					case <-stop:
						refreshed <- err
						return
					default:
					}
					if rerr := c.RefreshPool(ctx, pool); rerr != nil && err == nil {
						err = rerr
					}
					time.Sleep(time.Millisecond)
				}
			}()
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					data := bytes.Repeat([]byte{byte(i)}, size)
					sum := sha256.Sum256(data)
					name := fmt.Sprintf("img-%02d", i)
					hr := imageformat.NewHashingReader(bytes.NewReader(data))
					info, err := c.CreateVolumeFrom(ctx, pool, hypervisor.VolumeSpec{Name: name, Size: size}, hr,
						func() error { return imageformat.Verify(hex.EncodeToString(sum[:]), hr.Sum()) })
					if err != nil {
						errs <- err
						return
					}
					if info.Size != size {
						errs <- fmt.Errorf("%s: size %d", name, info.Size)
					}
				}(i)
			}
			wg.Wait()
			close(stop)
			t.Logf("%d parallel uploads of %d MiB into one pool: %s", n, size>>20, time.Since(start).Round(time.Millisecond))
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if err := <-refreshed; err != nil {
				t.Errorf("a refresh during the uploads failed: %v", err)
			}
			names, err := c.VolumeNames(ctx, pool)
			if err != nil || len(names) != n {
				t.Errorf("pool holds %d volumes (%v), want %d", len(names), err, n)
			}
			for i := 0; i < n; i += 7 {
				got, _ := downloadDigest(t, c, pool, fmt.Sprintf("img-%02d", i))
				sum := sha256.Sum256(bytes.Repeat([]byte{byte(i)}, size))
				if got != hex.EncodeToString(sum[:]) {
					t.Errorf("img-%02d has the wrong bytes", i)
				}
			}
		})
	}
}

// Pools on the real daemon: the directory is created, rebuilt when removed
// while stopped, and a pool that holds anything (even a file put there
// behind libvirt's back) is never deleted.
func TestAccPoolLifecycle(t *testing.T) {
	c := accClient(t)
	ctx := context.Background()
	name, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	info, err := c.CreatePool(ctx, hypervisor.PoolSpec{Name: name, Path: dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.PurgePool(ctx, name) })
	if !info.Active || !info.Autostart || info.Capacity == 0 || info.Available == 0 {
		t.Errorf("after create: %+v", info)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("pool directory: %v", err)
	}
	if err := c.StopPool(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := c.StartPool(ctx, name); err != nil {
		t.Fatalf("a stopped pool whose directory is gone must start again: %v", err)
	}
	stray := filepath.Join(dir, "stray.img")
	if err := os.WriteFile(stray, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = c.DeletePool(ctx, name)
	if !hypervisor.IsPoolNotEmpty(err) || !strings.Contains(err.Error(), "stray.img") {
		t.Fatalf("want a PoolNotEmptyError naming stray.img, got %v", err)
	}
	if b, err := os.ReadFile(stray); err != nil || string(b) != "keep me" {
		t.Fatalf("the stray file must be untouched: %q %v", b, err)
	}
	if err := os.Remove(stray); err != nil {
		t.Fatal(err)
	}
	if err := c.DeletePool(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadPool(ctx, name); !hypervisor.IsNotFound(err) {
		t.Errorf("pool still defined: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("pool directory still there: %v", err)
	}
}
