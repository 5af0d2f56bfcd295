package imageformat

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
)

// BufferSize is the fixed buffer every copy in this package uses, so that
// hashing an image of any size needs the same small amount of memory.
const BufferSize = 256 << 10

var digestRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidDigest reports whether s is a SHA-256 digest in lowercase hex.
func ValidDigest(s string) bool { return digestRE.MatchString(s) }

// MismatchError says that the bytes do not have the expected digest.
type MismatchError struct {
	Want, Got string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("sha256 mismatch: expected %s, the bytes have %s", e.Want, e.Got)
}

// IsMismatch reports whether err is a *MismatchError.
func IsMismatch(err error) bool {
	var m *MismatchError
	return errors.As(err, &m)
}

// Verify returns a *MismatchError when got differs from want.
func Verify(want, got string) error {
	if want != got {
		return &MismatchError{Want: want, Got: got}
	}
	return nil
}

// HashingReader passes reads through and hashes and counts what passed.
type HashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

// NewHashingReader wraps r.
func NewHashingReader(r io.Reader) *HashingReader {
	return &HashingReader{r: r, h: sha256.New()}
}

func (h *HashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		h.h.Write(p[:n])
		h.n += int64(n)
	}
	return n, err
}

// Sum is the hex SHA-256 of the bytes read so far.
func (h *HashingReader) Sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// N is the number of bytes read so far.
func (h *HashingReader) N() int64 { return h.n }

// Copy copies r to w through one fixed buffer of BufferSize bytes. Unlike
// io.Copy it never hands the job to ReaderFrom/WriterTo implementations,
// so its memory use does not depend on the types involved.
func Copy(w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, BufferSize)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if m != n {
				return total, io.ErrShortWrite
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// HashReader returns the hex SHA-256 and length of everything r yields.
func HashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// HashFile returns the hex SHA-256 and size of a file.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }()
	return HashReader(f)
}
