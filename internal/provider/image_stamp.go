package provider

import (
	"context"
	"encoding/json"
	"os"
	"syscall"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// privateKey holds what the provider uploaded, to tell later size changes
// made out of band, and the stamp of the local source it was hashed from.
const privateKey = "uploaded"

type uploadedRecord struct {
	Size   int64        `json:"size"`
	Source *sourceStamp `json:"source,omitempty"`
}

// sourceStamp names one version of a local source file: its device, inode,
// size and modification time, and the SHA-256 its bytes had then. A plan
// that finds the same stamp reuses the digest instead of reading the whole
// file again; any write, rename over it or copy to it changes the stamp, and
// the next plan hashes the file.
type sourceStamp struct {
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

// stampOf stats a local file. ok is false when it cannot be stamped (missing,
// not a regular file, or a platform without inode numbers).
func stampOf(path string) (sourceStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return sourceStamp{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return sourceStamp{}, false
	}
	return sourceStamp{Dev: uint64(st.Dev), Ino: st.Ino, Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano()}, true //nolint:unconvert // Dev is not a uint64 on every platform
}

// sameFile reports whether two stamps name the same, unchanged file.
func (s sourceStamp) sameFile(o sourceStamp) bool {
	return s.Dev == o.Dev && s.Ino == o.Ino && s.Size == o.Size && s.MtimeNs == o.MtimeNs
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

func setUploaded(ctx context.Context, p privateSetter, rec uploadedRecord) diag.Diagnostics {
	b, _ := json.Marshal(rec)
	return p.SetKey(ctx, privateKey, b)
}

// uploaded returns the record, if there is one.
func uploaded(ctx context.Context, p privateGetter) (uploadedRecord, bool) {
	b, d := p.GetKey(ctx, privateKey)
	if d.HasError() || b == nil {
		return uploadedRecord{}, false
	}
	var rec uploadedRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return uploadedRecord{}, false
	}
	return rec, true
}
