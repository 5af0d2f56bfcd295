package imageformat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat/imagetest"
)

var update = flag.Bool("update", false, "regenerate the header seeds in testdata/headers from the test guests and qemu-img")

// seeds are small header files in testdata/headers: the first bytes of the
// real test guests and of images made by qemu-img (see TestUpdateSeeds).
var seeds = map[string]struct {
	format  Format
	refused bool
}{
	"multiboot-guest.bin": {format: Multiboot},
	"linux-bzimage.bin":   {format: Linux},
	"initramfs-cpio.bin":  {format: Raw},
	"qcow2-v3.bin":        {format: QCOW2},
	"qcow2-v2.bin":        {format: QCOW2},
	"qcow2-backing.bin":   {refused: true},
	"qcow2-datafile.bin":  {refused: true},
	"raw-qemu-img.bin":    {format: Raw},
}

func TestDetectSeeds(t *testing.T) {
	for name, want := range seeds {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "headers", name))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 8<<10 {
				t.Errorf("seed %s is %d bytes: keep committed seeds to a few KiB", name, len(b))
			}
			res, err := DetectBytes(b)
			if err != nil {
				t.Fatal(err)
			}
			if want.refused {
				if res.Refused == "" || res.Format != "" {
					t.Errorf("want a refusal, got %+v", res)
				}
				return
			}
			if res.Format != want.format || res.Refused != "" {
				t.Errorf("got %+v, want format %s", res, want.format)
			}
		})
	}
}

func TestDetectSynthetic(t *testing.T) {
	mb2Flat := imagetest.FlatKernel(imagetest.Multiboot2Header(), 4096, 8192)
	cases := []struct {
		name    string
		b       []byte
		format  Format
		matches []Format
	}{
		{"iso", imagetest.ISO("SEED"), ISO, []Format{ISO, Raw}},
		{"multiboot flat with addresses", imagetest.FlatKernel(imagetest.MultibootHeader(true), 0, 4096), Multiboot, []Format{Multiboot, Raw}},
		{"multiboot2 flat", mb2Flat, Multiboot2, []Format{Multiboot2, Raw}},
		{"pvh elf32", imagetest.ELF(imagetest.ELFOptions{PVH: true}), PVH, []Format{PVH, Raw}},
		{"pvh elf64", imagetest.ELF(imagetest.ELFOptions{PVH: true, Class64: true}), PVH, []Format{PVH, Raw}},
		{"pvh elf64 note aligned to 8", imagetest.ELF(imagetest.ELFOptions{PVH: true, Class64: true, NoteAlign: 8}), PVH, []Format{PVH, Raw}},
		{"multiboot elf32", imagetest.ELF(imagetest.ELFOptions{Multiboot: true}), Multiboot, []Format{Multiboot, Raw}},
		{"multiboot and pvh elf", imagetest.ELF(imagetest.ELFOptions{Multiboot: true, PVH: true}), Multiboot, []Format{Multiboot, PVH, Raw}},
		{"zeros", make([]byte, 4096), Raw, []Format{Raw}},
		{"one byte", []byte{0x7f}, Raw, []Format{Raw}},
		{"mbr without HdrS", mbr(), Raw, []Format{Raw}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := DetectBytes(c.b)
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != c.format || !reflect.DeepEqual(res.Matches, c.matches) {
				t.Errorf("got format %q matches %v, want %q %v (refused: %s)", res.Format, res.Matches, c.format, c.matches, res.Refused)
			}
			if c.format.Boot() == BootKernel && c.format == Raw {
				t.Error("raw must boot as a disk")
			}
		})
	}
}

func mbr() []byte {
	b := make([]byte, 1024)
	b[0x1FE], b[0x1FF] = 0x55, 0xAA
	return b
}

// Headers just outside the places the specifications allow are not found.
func TestDetectHeaderPlacement(t *testing.T) {
	mb := imagetest.MultibootHeader(true)
	mb2 := imagetest.Multiboot2Header()
	cases := []struct {
		name string
		b    []byte
		want Format
	}{
		{"multiboot at the last 4-aligned slot that fits", imagetest.FlatKernel(mb, 8192-32, 16384), Multiboot},
		{"multiboot crossing 8 KiB", imagetest.FlatKernel(mb, 8192-28, 16384), Raw},
		{"multiboot at 8 KiB", imagetest.FlatKernel(mb, 8192, 16384), Raw},
		{"multiboot not 4-aligned", imagetest.FlatKernel(mb, 2, 4096), Raw},
		{"multiboot flat without addresses", imagetest.FlatKernel(imagetest.MultibootHeader(false), 0, 4096), Raw},
		{"multiboot2 at the last 8-aligned slot that fits", imagetest.FlatKernel(mb2, 32768-24, 40000), Multiboot2},
		{"multiboot2 at 32 KiB", imagetest.FlatKernel(mb2, 32768, 40000), Raw},
		{"multiboot2 not 8-aligned", imagetest.FlatKernel(mb2, 4, 4096), Raw},
		{"multiboot2 header cut by the end of the file", imagetest.FlatKernel(mb2, 0, 20), Raw},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := DetectBytes(c.b)
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != c.want {
				t.Errorf("got %q (%v), want %q", res.Format, res.Matches, c.want)
			}
		})
	}
}

func TestDetectBadChecksums(t *testing.T) {
	mb := imagetest.MultibootHeader(true)
	mb[8]++
	mb2 := imagetest.Multiboot2Header()
	mb2[12]++
	noEnd := imagetest.Multiboot2Header()
	binary.LittleEndian.PutUint32(noEnd[20:], 16) // end tag with a wrong size
	for name, b := range map[string][]byte{
		"multiboot":              imagetest.FlatKernel(mb, 0, 4096),
		"multiboot2":             imagetest.FlatKernel(mb2, 0, 4096),
		"multiboot2 without end": imagetest.FlatKernel(noEnd, 0, 4096),
	} {
		res, err := DetectBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Format != Raw {
			t.Errorf("%s with a broken header: got %q", name, res.Format)
		}
	}
}

func TestDetectRefusals(t *testing.T) {
	plainELF := imagetest.ELF(imagetest.ELFOptions{})
	res, err := DetectBytes(plainELF)
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "" || !strings.Contains(res.Refused, "ELF") || !reflect.DeepEqual(res.Matches, []Format{Raw}) {
		t.Errorf("an ELF without multiboot or PVH must be refused unless raw: %+v", res)
	}
	if _, _, err := Decide(bytes.NewReader(plainELF), int64(len(plainELF)), ""); !IsFormatError(err) {
		t.Errorf("Decide without a format: want a format error, got %v", err)
	}
	if f, _, err := Decide(bytes.NewReader(plainELF), int64(len(plainELF)), Raw); err != nil || f != Raw {
		t.Errorf("explicit raw must store any bytes: %q %v", f, err)
	}
	if _, _, err := Decide(bytes.NewReader(nil), 0, Raw); err == nil {
		t.Error("an empty image must be refused")
	}
	q := qcow2Header(3, 16, 0)
	binary.BigEndian.PutUint64(q[8:], 512) // backing file at offset 512
	binary.BigEndian.PutUint32(q[16:], 9)
	copy(q[512:], "/etc/base")
	res, err = DetectBytes(q)
	if err != nil {
		t.Fatal(err)
	}
	if res.QCOW2 == nil || !res.QCOW2.HasBackingFile || res.QCOW2.BackingFile != "/etc/base" || !strings.Contains(res.Refused, `"/etc/base"`) {
		t.Errorf("qcow2 with a backing file: %+v %+v", res, res.QCOW2)
	}
	if _, _, err := Decide(bytes.NewReader(q), int64(len(q)), QCOW2); !IsFormatError(err) || !strings.Contains(err.Error(), "backing file") {
		t.Errorf("explicit qcow2 with a backing file must be refused: %v", err)
	}
	for name, b := range map[string][]byte{
		"version 4":     qcow2Header(4, 16, 0),
		"cluster 2^30":  qcow2Header(3, 30, 0),
		"truncated":     qcow2Header(3, 16, 0)[:60],
		"v3 truncated":  qcow2Header(3, 16, 0)[:90],
		"external data": qcow2Header(3, 16, 4),
	} {
		res, err := DetectBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Refused == "" || res.Format != "" {
			t.Errorf("qcow2 %s: want a refusal, got %+v", name, res)
		}
	}
}

func qcow2Header(version, clusterBits uint32, incompat uint64) []byte {
	q := make([]byte, 1024)
	copy(q, "QFI\xfb")
	binary.BigEndian.PutUint32(q[4:], version)
	binary.BigEndian.PutUint32(q[20:], clusterBits)
	binary.BigEndian.PutUint64(q[24:], 1<<30)
	binary.BigEndian.PutUint64(q[72:], incompat)
	binary.BigEndian.PutUint32(q[100:], 104)
	return q
}

func TestDecideExplicit(t *testing.T) {
	both := imagetest.ELF(imagetest.ELFOptions{Multiboot: true, PVH: true})
	r := bytes.NewReader(both)
	for _, want := range []Format{Multiboot, PVH, Raw} {
		if f, _, err := Decide(r, int64(len(both)), want); err != nil || f != want {
			t.Errorf("explicit %s on an ELF with multiboot and PVH: %q %v", want, f, err)
		}
	}
	_, _, err := Decide(r, int64(len(both)), Linux)
	var fe *Error
	if !errors.As(err, &fe) || fe.Want != Linux || !strings.Contains(err.Error(), "the headers say multiboot") {
		t.Errorf("explicit linux on a multiboot ELF: %v", err)
	}
	iso := imagetest.ISO("X")
	if _, _, err := Decide(bytes.NewReader(iso), int64(len(iso)), QCOW2); !IsFormatError(err) {
		t.Errorf("explicit qcow2 on an ISO: %v", err)
	}
}

func TestBootAndVolumeFormat(t *testing.T) {
	for _, f := range All {
		_, ok := Parse(string(f))
		if !ok {
			t.Errorf("Parse(%q) failed", f)
		}
		kernel := f == Multiboot || f == Multiboot2 || f == PVH || f == Linux
		if (f.Boot() == BootKernel) != kernel {
			t.Errorf("%s boots as %s", f, f.Boot())
		}
		if (f.VolumeFormat() == "qcow2") != (f == QCOW2) {
			t.Errorf("%s is stored as %s", f, f.VolumeFormat())
		}
	}
	if _, ok := Parse("vmdk"); ok {
		t.Error("vmdk is not a format")
	}
	if got := strings.Join(Names(), ","); got != "qcow2,linux,multiboot,pvh,multiboot2,iso,raw" {
		t.Errorf("Names() = %s", got)
	}
}

// recordingReader is an io.ReaderAt of a virtual image that serves zeros (or
// a prefix) and records how much was asked for and where.
type recordingReader struct {
	prefix    []byte
	size      int64
	total     int64
	maxEnd    int64
	outOfSize bool
}

func (r *recordingReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > r.size {
		r.outOfSize = true
	}
	r.total += int64(len(p))
	r.maxEnd = max(r.maxEnd, off+int64(len(p)))
	for i := range p {
		p[i] = 0
	}
	if off < int64(len(r.prefix)) {
		copy(p, r.prefix[off:])
	}
	if off+int64(len(p)) > r.size {
		return int(max(0, r.size-off)), io.EOF
	}
	return len(p), nil
}

// Detection of a huge image reads a few KiB, never the whole thing.
func TestDetectReadsLittle(t *testing.T) {
	for name, prefix := range map[string][]byte{
		"zeros": nil,
		"elf":   imagetest.ELF(imagetest.ELFOptions{PVH: true, Class64: true}),
		"qcow2": qcow2Header(3, 16, 0),
	} {
		r := &recordingReader{prefix: prefix, size: 1 << 40}
		if _, err := Detect(r, r.size); err != nil {
			t.Fatal(err)
		}
		if r.total > 64<<10 || r.outOfSize {
			t.Errorf("%s: read %d bytes (up to offset %d, outside size: %v)", name, r.total, r.maxEnd, r.outOfSize)
		}
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestDetectReportsReadErrors(t *testing.T) {
	if _, err := Detect(failingReader{}, 4096); err == nil || IsFormatError(err) {
		t.Errorf("want an I/O error, got %v", err)
	}
}

// requireTools fails when TF_ACC is set (the README's test command installs
// the tools) and skips otherwise.
func requireTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("TF_ACC") != "" {
			t.Fatalf("%s not found (Debian package %s): %v", tool, pkg, err)
		}
		t.Skipf("%s not found (Debian package %s)", tool, pkg)
	}
	return p
}

func detectFile(t *testing.T, path string) Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Detect(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func qemuImg(t *testing.T, args ...string) {
	t.Helper()
	qemuImgIn(t, "", args...)
}

// qemuImgIn runs qemu-img in dir, where relative file names in its options
// (such as a data_file) are created.
func qemuImgIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin := requireTool(t, "qemu-img", "qemu-utils")
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %v: %v\n%s", args, err, b)
	}
}

func TestDetectQemuImgImages(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	qemuImg(t, "create", "-f", "raw", p("disk.raw"), "1M")
	qemuImg(t, "create", "-f", "qcow2", p("disk.qcow2"), "64M")
	qemuImg(t, "create", "-f", "qcow2", "-o", "compat=0.10", p("v2.qcow2"), "64M")
	qemuImg(t, "create", "-f", "qcow2", "-b", p("disk.qcow2"), "-F", "qcow2", p("overlay.qcow2"))
	qemuImg(t, "create", "-f", "qcow2", "-o", "data_file="+p("data.raw"), p("datafile.qcow2"), "1M")

	if res := detectFile(t, p("disk.raw")); res.Format != Raw {
		t.Errorf("raw: %+v", res)
	}
	for _, n := range []string{"disk.qcow2", "v2.qcow2"} {
		res := detectFile(t, p(n))
		if res.Format != QCOW2 || res.QCOW2 == nil || res.QCOW2.VirtualSize != 64<<20 || res.QCOW2.ClusterBits != 16 {
			t.Errorf("%s: %+v %+v", n, res, res.QCOW2)
		}
	}
	if res := detectFile(t, p("overlay.qcow2")); res.Format != "" || !strings.Contains(res.Refused, p("disk.qcow2")) {
		t.Errorf("qcow2 overlay must be refused and name its backing file: %+v", res)
	}
	if res := detectFile(t, p("datafile.qcow2")); res.Format != "" || !res.QCOW2.ExternalDataFile {
		t.Errorf("qcow2 with an external data file must be refused: %+v", res)
	}
}

func TestDetectToolchainKernels(t *testing.T) {
	dir := t.TempDir()
	for _, class64 := range []bool{false, true} {
		path := imagetest.ToolchainELF(t, dir, class64, os.Getenv("TF_ACC") != "")
		res := detectFile(t, path)
		if res.Format != PVH || !reflect.DeepEqual(res.Matches, []Format{PVH, Multiboot2, Raw}) {
			t.Errorf("%s: got %+v, want pvh with multiboot2 also matching", filepath.Base(path), res)
		}
	}
}

func testGuestsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("UNIKERNEL_TEST_GUESTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "build", "guests")
	}
	if _, err := os.Stat(filepath.Join(dir, "multiboot", "kernel.elf")); err != nil {
		if os.Getenv("TF_ACC") != "" {
			t.Fatalf("test guests missing (make guests): %v", err)
		}
		t.Skip("test guests not built (make guests)")
	}
	return dir
}

func TestDetectTestGuests(t *testing.T) {
	dir := testGuestsDir(t)
	for rel, want := range map[string]Format{
		"multiboot/kernel.elf":   Multiboot,
		"microvm/vmlinuz":        Linux,
		"microvm/initramfs.cpio": Raw,
	} {
		if res := detectFile(t, filepath.Join(dir, rel)); res.Format != want {
			t.Errorf("%s: got %+v, want %s", rel, res, want)
		}
	}
}

// TestHeaderSeeds makes the fuzz seeds in testdata/headers again (the first
// bytes of the test guests and of qemu-img images, never whole files) and
// checks that each detects as the committed seed does. With -update it
// rewrites the committed seeds.
func TestHeaderSeeds(t *testing.T) {
	guests := testGuestsDir(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	qemuImg(t, "create", "-f", "raw", p("raw"), "1M")
	qemuImg(t, "create", "-f", "qcow2", p("v3"), "64M")
	qemuImg(t, "create", "-f", "qcow2", "-o", "compat=0.10", p("v2"), "64M")
	qemuImg(t, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "-u", p("backing"), "64M")
	// A relative data file name keeps the seed independent of the temporary directory.
	qemuImgIn(t, dir, "create", "-f", "qcow2", "-o", "data_file=data.raw", p("datafile"), "1M")
	// The multiboot guest's header sits at 0x1000 (its first loadable section).
	out := map[string]struct {
		src string
		n   int64
	}{
		"multiboot-guest.bin": {filepath.Join(guests, "multiboot", "kernel.elf"), 0x1000 + 64},
		"linux-bzimage.bin":   {filepath.Join(guests, "microvm", "vmlinuz"), 1024},
		"initramfs-cpio.bin":  {filepath.Join(guests, "microvm", "initramfs.cpio"), 512},
		"qcow2-v3.bin":        {p("v3"), 512},
		"qcow2-v2.bin":        {p("v2"), 512},
		"qcow2-backing.bin":   {p("backing"), 1024},
		"qcow2-datafile.bin":  {p("datafile"), 1024},
		"raw-qemu-img.bin":    {p("raw"), 512},
	}
	committed := filepath.Join("testdata", "headers")
	target := t.TempDir()
	if *update {
		target = committed
		if err := os.MkdirAll(target, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, s := range out {
		f, err := os.Open(s.src)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, s.n)
		n, err := io.ReadFull(f, b)
		_ = f.Close()
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(target, name), b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		old, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil {
			t.Fatalf("committed seed %s: %v (make it with -update)", name, err)
		}
		got, _ := DetectBytes(b[:n])
		want, _ := DetectBytes(old)
		if got.Format != want.Format || got.Refused != want.Refused {
			t.Errorf("%s: made now it detects as %q (refused %q), the committed seed as %q (refused %q)",
				name, got.Format, got.Refused, want.Format, want.Refused)
		}
	}
}
