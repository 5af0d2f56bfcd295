package provider

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

const benchImageSize = 1 << 30

// BenchmarkImageUpload1GiB uploads the same 1 GiB raw image (random
// bytes, in the page cache) into one dir pool on the local daemon, per run:
//
//   - provider: what unikernel_image's Create does for a local file whose
//     digest the plan computed: detect the format, create the volume, and
//     stream the file through libvirt's upload API while hashing it (the
//     upload is committed only if the digest matches the plan's).
//   - provider_pinned: the same with sha256 set in the configuration, which
//     hashes the file once more before anything is created.
//   - adapter: only the volume creation and the upload stream, no hashing.
//   - virsh: `virsh vol-create-as` plus `virsh vol-upload` of the same file.
//   - provider_rss: the provider path once per run in a fresh process (this
//     test binary re-executed), reporting that process's peak resident set
//     (VmHWM) after connecting and after the upload. virsh reports its own,
//     sampled while it runs.
//
// Run with `make bench` (TF_ACC=1 inside the harness).
func BenchmarkImageUpload1GiB(b *testing.B) {
	acctest.PreCheck(b)
	c := acctest.MustClient(b)
	ctx := context.Background()
	pool, _ := acctest.TestPool(b, c)
	src := filepath.Join(b.TempDir(), "image.raw")
	acctest.RandomFile(b, src, benchImageSize)
	if _, _, err := imageformat.HashFile(src); err != nil { // warm the page cache
		b.Fatal(err)
	}
	remove := func(b *testing.B, name string) {
		if err := c.DeleteVolume(ctx, pool, name); err != nil {
			b.Fatal(err)
		}
	}
	mbps := func(b *testing.B, elapsed time.Duration) {
		b.ReportMetric(float64(benchImageSize)/(1<<20)/elapsed.Seconds()*float64(b.N), "MiB/s")
	}

	digest, _, err := imageformat.HashFile(src)
	if err != nil {
		b.Fatal(err)
	}
	provider := func(name string, checks imageChecks) func(b *testing.B) {
		return func(b *testing.B) {
			b.SetBytes(benchImageSize)
			var spent time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				img, err := prepareImage(ctx, src, checks)
				if err != nil {
					b.Fatal(err)
				}
				_, err = uploadImage(ctx, c, pool, name, img)
				img.Close()
				if err != nil {
					b.Fatal(err)
				}
				spent += time.Since(start)
				b.StopTimer()
				remove(b, name)
				b.StartTimer()
			}
			mbps(b, spent)
		}
	}
	// What Create does for a local file whose digest the plan computed.
	b.Run("provider", provider("bench-provider", imageChecks{expect: digest}))
	// With sha256 pinned in the configuration: hashed once more up front.
	b.Run("provider_pinned", provider("bench-pinned", imageChecks{verify: digest, expect: digest}))

	b.Run("adapter", func(b *testing.B) {
		b.SetBytes(benchImageSize)
		var spent time.Duration
		for i := 0; i < b.N; i++ {
			f, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			_, err = c.CreateVolumeFrom(ctx, pool, hypervisor.VolumeSpec{Name: "bench-adapter", Size: benchImageSize}, f, nil)
			spent += time.Since(start)
			_ = f.Close()
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			remove(b, "bench-adapter")
			b.StartTimer()
		}
		mbps(b, spent)
	})

	b.Run("virsh", func(b *testing.B) {
		b.SetBytes(benchImageSize)
		var spent time.Duration
		var rss int64
		for i := 0; i < b.N; i++ {
			start := time.Now()
			virsh(b, "vol-create-as", pool, "bench-virsh", strconv.Itoa(benchImageSize), "--allocation",
				strconv.Itoa(benchImageSize), "--format", "raw")
			rss = max(rss, virsh(b, "vol-upload", "--pool", pool, "bench-virsh", src))
			spent += time.Since(start)
			b.StopTimer()
			remove(b, "bench-virsh")
			b.StartTimer()
		}
		mbps(b, spent)
		b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
	})

	b.Run("provider_rss", func(b *testing.B) {
		var baseline, peak int64
		var spent float64
		for i := 0; i < b.N; i++ {
			res := runRSSHelper(b, pool, src)
			baseline, peak = max(baseline, res.baselineKiB), max(peak, res.peakKiB)
			spent += res.seconds
		}
		b.ReportMetric(float64(baseline)/1024, "baseline-RSS-MiB")
		b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
		b.ReportMetric(float64(benchImageSize)/(1<<20)/(spent/float64(b.N)), "MiB/s")
	})
}

// virsh runs virsh against the test daemon and returns its peak RSS in KiB,
// sampled from /proc/<pid>/status (VmHWM) every millisecond while it runs.
// (The rusage of the child is no use here: Go starts children with vfork,
// so their ru_maxrss includes this benchmark process's own peak.)
func virsh(b *testing.B, args ...string) int64 {
	b.Helper()
	var out strings.Builder
	cmd := exec.Command("virsh", append([]string{"-q", "-c", acctest.URI()}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if v, err := readVmHWM(status); err == nil {
				hwm = max(hwm, v)
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if err != nil {
		b.Fatalf("virsh %v: %v\n%s", args, err, out.String())
	}
	return <-peak
}

type rssResult struct {
	baselineKiB, peakKiB int64
	seconds              float64
}

// runRSSHelper re-executes this test binary to run one provider upload in a
// process of its own, so that its peak RSS is the upload's and nothing else's.
func runRSSHelper(b *testing.B, pool, src string) rssResult {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "UNIKERNEL_RSS_HELPER_POOL="+pool, "UNIKERNEL_RSS_HELPER_SOURCE="+src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("RSS helper: %v\n%s", err, out)
	}
	var res rssResult
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	found := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if _, after, ok := strings.Cut(line, "RSS-RESULT "); ok {
			if _, err := fmt.Sscanf(after, "baseline_kib=%d peak_kib=%d seconds=%g", &res.baselineKiB, &res.peakKiB, &res.seconds); err != nil {
				b.Fatalf("RSS helper output %q: %v", line, err)
			}
			found = true
		}
	}
	if !found {
		b.Fatalf("RSS helper printed no result:\n%s", out)
	}
	return res
}

// rssHelper opens its own connection, records VmHWM, uploads the image the
// way Create does, and records VmHWM again.
func rssHelper(pool, src string) error {
	ctx := context.Background()
	c, err := hypervisor.Open(ctx, acctest.URI(), 0)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	digest, _, err := imageformat.HashFile(src) // the plan's share of the work, in another process in real use
	if err != nil {
		return err
	}
	baseline, err := readVmHWM("/proc/self/status")
	if err != nil {
		return err
	}
	start := time.Now()
	img, err := prepareImage(ctx, src, imageChecks{expect: digest})
	if err != nil {
		return err
	}
	_, err = uploadImage(ctx, c, pool, "bench-rss", img)
	img.Close()
	if err != nil {
		return err
	}
	seconds := time.Since(start).Seconds()
	peak, err := readVmHWM("/proc/self/status")
	if err != nil {
		return err
	}
	if err := c.DeleteVolume(ctx, pool, "bench-rss"); err != nil {
		return err
	}
	fmt.Printf("RSS-RESULT baseline_kib=%d peak_kib=%d seconds=%g\n", baseline, peak, seconds)
	return nil
}

func readVmHWM(status string) (int64, error) {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in %s", status)
}
