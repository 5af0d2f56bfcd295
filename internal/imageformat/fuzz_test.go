package imageformat

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat/imagetest"
)

// strictReader fails the fuzz run when Detect asks for a byte outside the
// image it was given.
type strictReader struct {
	t *testing.T
	b []byte
}

func (r strictReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(r.b)) {
		r.t.Fatalf("read of %d bytes at offset %d past the %d bytes given", len(p), off, len(r.b))
	}
	return copy(p, r.b[off:]), nil
}

// FuzzDetect: go test -fuzz FuzzDetect ./internal/imageformat
// Seeded with the headers in testdata/headers (the real test guests and
// qemu-img images) and with synthetic ISO, multiboot2 and PVH images.
func FuzzDetect(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "headers", "*.bin"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/headers: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(imagetest.ISO("FUZZ"))
	f.Add(imagetest.FlatKernel(imagetest.Multiboot2Header(), 8, 512))
	f.Add(imagetest.FlatKernel(imagetest.MultibootHeader(true), 0, 256))
	f.Add(imagetest.ELF(imagetest.ELFOptions{PVH: true, Multiboot: true}))
	f.Add(imagetest.ELF(imagetest.ELFOptions{PVH: true, Class64: true, NoteAlign: 8}))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Detect(strictReader{t, b}, int64(len(b)))
		if err != nil {
			t.Fatalf("Detect on memory returned an I/O error: %v", err)
		}
		if len(b) == 0 {
			if res.Refused == "" {
				t.Fatal("an empty image must be refused")
			}
			return
		}
		if (res.Format == "") == (res.Refused == "") {
			t.Fatalf("exactly one of Format and Refused must be set: %+v", res)
		}
		if len(res.Matches) == 0 || res.Matches[len(res.Matches)-1] != Raw {
			t.Fatalf("raw must always be the last match: %v", res.Matches)
		}
		if res.Format != "" && !res.Has(res.Format) {
			t.Fatalf("format %s not among matches %v", res.Format, res.Matches)
		}
		for _, want := range All {
			got, _, err := Decide(strictReader{t, b}, int64(len(b)), want)
			if err == nil && got != want {
				t.Fatalf("Decide(%s) chose %s", want, got)
			}
			if err != nil && !IsFormatError(err) {
				t.Fatalf("Decide(%s): %v", want, err)
			}
			if (err == nil) != res.Has(want) {
				t.Fatalf("Decide(%s) = %v but matches are %v", want, err, res.Matches)
			}
		}
	})
}
