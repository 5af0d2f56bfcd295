// Package imageformat recognises unikernel and disk image formats from their
// magic numbers and headers, and computes SHA-256 digests of image streams.
// It is pure: no libvirt, no network, and it reads only what it needs through
// an io.ReaderAt, never past the size it is given.
//
// Detection order (the first format whose header is valid wins; every valid
// one is listed in Result.Matches, and an explicit choice may pick any of them):
//
//  1. qcow2      "QFI\xfb" at offset 0 (version 2 or 3). A backing file or an
//     external data file is refused: the image would reach files outside itself.
//  2. linux      a bzImage: 0x55AA at 0x1FE and "HdrS" at 0x202.
//  3. multiboot  a valid multiboot v1 header (0x1BADB002, 4-aligned, checksum)
//     in the first 8 KiB; outside ELF it needs the address fields (flag 16).
//  4. pvh        an ELF whose PT_NOTE carries Xen note 18 (XEN_ELFNOTE_PHYS32_ENTRY).
//  5. multiboot2 a valid multiboot2 header (0xE85250D6, 8-aligned, checksum,
//     tags ending in an end tag) in the first 32 KiB.
//  6. iso        "CD001" version 1 at 0x8001 (ISO 9660 volume descriptor).
//  7. raw        anything else that is not an ELF file: generic data (an
//     initramfs, a raw disk).
//
// The kernel order follows QEMU's direct kernel loader, which tries a bzImage,
// then a multiboot v1 header, then the PVH note. An ELF that carries both a
// multiboot header and a PVH note is therefore detected as multiboot; set the
// format explicitly to choose pvh. Multiboot2 comes last among kernels because
// no libvirt hypervisor loads it directly. An ELF file with none of these
// headers is refused unless the format is set to raw, so that an unbootable
// kernel is never stored as a disk by accident.
package imageformat

import (
	"errors"
	"fmt"
	"io"
)

// Format is an image format as the provider names it.
type Format string

// Formats.
const (
	Multiboot  Format = "multiboot"
	Multiboot2 Format = "multiboot2"
	PVH        Format = "pvh"
	Linux      Format = "linux"
	QCOW2      Format = "qcow2"
	Raw        Format = "raw"
	ISO        Format = "iso"
)

// Boot kinds: how an instance uses an image.
const (
	BootKernel = "kernel"
	BootDisk   = "disk"
)

// All lists every format in detection order.
var All = []Format{QCOW2, Linux, Multiboot, PVH, Multiboot2, ISO, Raw}

// Names returns All as strings, for validators and documentation.
func Names() []string {
	out := make([]string, len(All))
	for i, f := range All {
		out[i] = string(f)
	}
	return out
}

// Parse returns the format named s.
func Parse(s string) (Format, bool) {
	for _, f := range All {
		if string(f) == s {
			return f, true
		}
	}
	return "", false
}

// Boot is "kernel" for formats booted as a kernel and "disk" for disk images.
func (f Format) Boot() string {
	switch f {
	case Multiboot, Multiboot2, PVH, Linux:
		return BootKernel
	default:
		return BootDisk
	}
}

// VolumeFormat is the libvirt volume target format that holds the image: qcow2
// for qcow2 images, raw for everything else (kernels, ISO, raw).
func (f Format) VolumeFormat() string {
	if f == QCOW2 {
		return "qcow2"
	}
	return "raw"
}

// QCOW2Header is what the provider needs from a qcow2 header.
type QCOW2Header struct {
	Version     uint32
	VirtualSize uint64
	ClusterBits uint32
	// BackingFile is the backing file name ("" when there is none).
	BackingFile string
	// HasBackingFile is true when backing_file_offset is not zero.
	HasBackingFile bool
	// ExternalDataFile is incompatible feature bit 2 (v3 only).
	ExternalDataFile bool
}

// Result is what Detect found.
type Result struct {
	// Format is the detected format: the first match in detection order.
	// It is empty when Refused is set.
	Format Format
	// Matches are all formats whose headers are valid, in detection order.
	// Raw is listed whenever the bytes may be stored as data, which is always
	// the case except for nothing.
	Matches []Format
	// Refused explains why the bytes cannot be used without an explicit
	// format = raw (a qcow2 with a backing file, an ELF that is not bootable).
	Refused string
	// QCOW2 is set when the bytes start with a qcow2 header.
	QCOW2 *QCOW2Header
}

// Has reports whether f is among the matches.
func (r Result) Has(f Format) bool {
	for _, m := range r.Matches {
		if m == f {
			return true
		}
	}
	return false
}

// Error is returned when the bytes do not fit the format that was asked for,
// or are refused.
type Error struct {
	Want   Format // the explicit format, empty when detecting
	Reason string
}

func (e *Error) Error() string {
	if e.Want == "" {
		return e.Reason
	}
	return fmt.Sprintf("the image is not in format %s: %s", e.Want, e.Reason)
}

// IsFormatError reports whether err is a format error (as opposed to an I/O error).
func IsFormatError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Decide detects the format of the size bytes behind r and reconciles it with
// an explicit choice (empty: detect). Raw may always be chosen explicitly;
// any other explicit format must be one the headers satisfy.
func Decide(r io.ReaderAt, size int64, explicit Format) (Format, Result, error) {
	res, err := Detect(r, size)
	if err != nil {
		return "", res, err
	}
	if size <= 0 {
		return "", res, &Error{Want: explicit, Reason: res.Refused}
	}
	switch {
	case explicit == "":
		if res.Refused != "" {
			return "", res, &Error{Reason: res.Refused}
		}
		return res.Format, res, nil
	case explicit == Raw:
		return Raw, res, nil
	case res.Has(explicit):
		return explicit, res, nil
	}
	why := "no valid " + describe(explicit) + " was found"
	switch {
	case res.Refused != "":
		why += "; " + res.Refused
	case res.Format != "":
		why += fmt.Sprintf("; the headers say %s", res.Format)
	}
	return "", res, &Error{Want: explicit, Reason: why}
}

func describe(f Format) string {
	switch f {
	case QCOW2:
		return "qcow2 header (\"QFI\\xfb\" at offset 0, version 2 or 3)"
	case Linux:
		return "Linux boot header (0x55AA at 0x1FE and \"HdrS\" at 0x202)"
	case Multiboot:
		return "multiboot header (0x1BADB002 with a valid checksum in the first 8 KiB)"
	case PVH:
		return "PVH entry note (ELF PT_NOTE \"Xen\" type 18)"
	case Multiboot2:
		return "multiboot2 header (0xE85250D6 with a valid checksum and tags in the first 32 KiB)"
	case ISO:
		return "ISO 9660 volume descriptor (\"CD001\" at 0x8001)"
	}
	return string(f) + " header"
}
