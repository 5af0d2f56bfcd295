package imageformat

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const abcDigest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

func TestValidDigest(t *testing.T) {
	for s, ok := range map[string]bool{
		abcDigest:                  true,
		strings.ToUpper(abcDigest): false,
		abcDigest[:63]:             false,
		abcDigest + "0":            false,
		"sha256:" + abcDigest[:57]: false,
		strings.Repeat("g", 64):    false,
		"":                         false,
	} {
		if ValidDigest(s) != ok {
			t.Errorf("ValidDigest(%q) = %v", s, !ok)
		}
	}
}

func TestHashReaderAndFile(t *testing.T) {
	d, n, err := HashReader(strings.NewReader("abc"))
	if err != nil || d != abcDigest || n != 3 {
		t.Errorf("HashReader(abc) = %s %d %v", d, n, err)
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, n, err = HashFile(p)
	if err != nil || d != abcDigest || n != 3 {
		t.Errorf("HashFile = %s %d %v", d, n, err)
	}
	if _, _, err := HashFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("HashFile of a missing file must fail")
	}
}

func TestHashingReader(t *testing.T) {
	h := NewHashingReader(strings.NewReader("abc"))
	var out bytes.Buffer
	if _, err := io.Copy(&out, h); err != nil {
		t.Fatal(err)
	}
	if h.Sum() != abcDigest || h.N() != 3 || out.String() != "abc" {
		t.Errorf("got %s %d %q", h.Sum(), h.N(), out.String())
	}
}

// countingWriter records the largest single write.
type countingWriter struct{ biggest, total int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.biggest = max(w.biggest, len(p))
	w.total += len(p)
	return len(p), nil
}

// Copy moves any amount of data through one fixed buffer.
func TestCopyIsBounded(t *testing.T) {
	w := &countingWriter{}
	n, err := Copy(w, io.LimitReader(zeros{}, 64<<20))
	if err != nil || n != 64<<20 || w.total != 64<<20 {
		t.Fatalf("Copy = %d %v", n, err)
	}
	if w.biggest > BufferSize {
		t.Errorf("a write of %d bytes exceeds the %d-byte buffer", w.biggest, BufferSize)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestVerify(t *testing.T) {
	if err := Verify(abcDigest, abcDigest); err != nil {
		t.Error(err)
	}
	err := Verify(abcDigest, strings.Repeat("0", 64))
	if !IsMismatch(err) || !strings.Contains(err.Error(), abcDigest) || !strings.Contains(err.Error(), strings.Repeat("0", 64)) {
		t.Errorf("mismatch error must show both digests: %v", err)
	}
}
