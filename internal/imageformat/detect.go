package imageformat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits of what Detect reads. Everything else in an image is never looked at.
const (
	headLen          = 0x8800  // first 34 KiB: multiboot (8 KiB), multiboot2 (32 KiB), ISO (0x8006)
	multibootSearch  = 8192    // multiboot v1: header within the first 8 KiB
	multiboot2Search = 32768   // multiboot2: header within the first 32 KiB
	maxPhdrBytes     = 1 << 20 // ELF program header table
	maxNoteBytes     = 1 << 16 // per PT_NOTE segment
	maxNoteTotal     = 1 << 20 // all PT_NOTE segments together
	maxBackingName   = 1023    // qcow2 backing file names are at most 1023 bytes
)

// Magic numbers.
const (
	multibootMagic      = 0x1BADB002
	multibootAoutKludge = 1 << 16
	multiboot2Magic     = 0xE85250D6
	xenElfnotePhys32    = 18 // XEN_ELFNOTE_PHYS32_ENTRY
	ptNote              = 4
	qcow2IncompatData   = 1 << 2 // external data file
)

var (
	elfMagic   = []byte("\x7fELF")
	qcow2Magic = []byte("QFI\xfb")
)

// Detect reads the headers of the size bytes behind r and reports every
// format they satisfy. It returns an error only when r fails; bytes that fit
// no format are raw, and refusals are reported in Result.Refused.
func Detect(r io.ReaderAt, size int64) (Result, error) {
	if size <= 0 {
		return Result{Refused: "the image is empty"}, nil
	}
	rd := &bounded{r: r, size: size}
	h, err := rd.read(0, headLen)
	if err != nil {
		return Result{}, err
	}
	var res Result

	if bytes.HasPrefix(h, qcow2Magic) {
		q, refused, err := parseQCOW2(rd, h)
		if err != nil {
			return Result{}, err
		}
		res.QCOW2 = q
		if refused != "" {
			res.Refused = refused
		} else {
			res.Matches = append(res.Matches, QCOW2)
		}
	}
	if isLinux(h) {
		res.Matches = append(res.Matches, Linux)
	}
	isELF := bytes.HasPrefix(h, elfMagic)
	if hasMultiboot(h, isELF) {
		res.Matches = append(res.Matches, Multiboot)
	}
	if isELF {
		pvh, err := hasPVHNote(rd, h)
		if err != nil {
			return Result{}, err
		}
		if pvh {
			res.Matches = append(res.Matches, PVH)
		}
	}
	if hasMultiboot2(h) {
		res.Matches = append(res.Matches, Multiboot2)
	}
	if isISO(h) {
		res.Matches = append(res.Matches, ISO)
	}
	res.Matches = append(res.Matches, Raw)

	switch {
	case res.Refused != "":
	case res.Matches[0] != Raw:
		res.Format = res.Matches[0]
	case isELF:
		res.Refused = "the file is an ELF executable with neither a multiboot header in its first 8 KiB nor a PVH " +
			"entry note (Xen ELF note 18), so no hypervisor can boot it as a kernel; set format = \"raw\" to store it as data"
	default:
		res.Format = Raw
	}
	return res, nil
}

// DetectBytes is Detect on an in-memory image.
func DetectBytes(b []byte) (Result, error) {
	return Detect(bytes.NewReader(b), int64(len(b)))
}

// bounded reads from r without ever asking for bytes at or past size.
type bounded struct {
	r    io.ReaderAt
	size int64
}

// read returns up to n bytes at off: fewer when the image ends first, none
// when off is outside it.
func (b *bounded) read(off, n int64) ([]byte, error) {
	if off < 0 || n <= 0 || off >= b.size {
		return nil, nil
	}
	if n > b.size-off {
		n = b.size - off
	}
	buf := make([]byte, n)
	got, err := b.r.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %d bytes at offset %d: %w", n, off, err)
	}
	return buf[:got], nil
}

func isLinux(h []byte) bool {
	return len(h) >= 0x206 && h[0x1FE] == 0x55 && h[0x1FF] == 0xAA && string(h[0x202:0x206]) == "HdrS"
}

func isISO(h []byte) bool {
	return len(h) >= 0x8007 && string(h[0x8001:0x8006]) == "CD001" && h[0x8006] == 1
}

// hasMultiboot looks for a multiboot v1 header: magic, flags and checksum
// summing to zero, 4-aligned, entirely within the first 8 KiB. Outside ELF the
// loader needs the address fields (flag 16) to know where to put the image.
func hasMultiboot(h []byte, isELF bool) bool {
	end := min(len(h), multibootSearch)
	for off := 0; off+12 <= end; off += 4 {
		magic := binary.LittleEndian.Uint32(h[off:])
		if magic != multibootMagic {
			continue
		}
		flags := binary.LittleEndian.Uint32(h[off+4:])
		sum := binary.LittleEndian.Uint32(h[off+8:])
		if magic+flags+sum != 0 {
			continue
		}
		if !isELF && flags&multibootAoutKludge == 0 {
			continue
		}
		// The address fields (5 more words) must fit too when they are used.
		if flags&multibootAoutKludge != 0 && off+32 > end {
			continue
		}
		return true
	}
	return false
}

// hasMultiboot2 looks for a multiboot2 header: magic, architecture, header
// length and checksum summing to zero, 8-aligned, with a tag list that ends in
// an end tag, all within the first 32 KiB.
func hasMultiboot2(h []byte) bool {
	end := min(len(h), multiboot2Search)
	for off := 0; off+16 <= end; off += 8 {
		magic := binary.LittleEndian.Uint32(h[off:])
		if magic != multiboot2Magic {
			continue
		}
		arch := binary.LittleEndian.Uint32(h[off+4:])
		hlen := binary.LittleEndian.Uint32(h[off+8:])
		sum := binary.LittleEndian.Uint32(h[off+12:])
		if magic+arch+hlen+sum != 0 || hlen < 24 || uint64(off)+uint64(hlen) > uint64(end) {
			continue
		}
		if multiboot2TagsEnd(h[off+16 : off+int(hlen)]) {
			return true
		}
	}
	return false
}

// multiboot2TagsEnd walks the header tags (8-aligned, each at least 8 bytes)
// and reports whether they end in the end tag (type 0, size 8).
func multiboot2TagsEnd(tags []byte) bool {
	pos := 0
	for pos+8 <= len(tags) {
		typ := binary.LittleEndian.Uint16(tags[pos:])
		size := int(binary.LittleEndian.Uint32(tags[pos+4:]))
		if typ == 0 {
			return size == 8
		}
		if size < 8 || size > len(tags)-pos {
			return false
		}
		pos += (size + 7) &^ 7
	}
	return false
}

// hasPVHNote parses the ELF program headers and reports whether a PT_NOTE
// segment carries the Xen note XEN_ELFNOTE_PHYS32_ENTRY.
func hasPVHNote(rd *bounded, h []byte) (bool, error) {
	if len(h) < 0x40 {
		return false, nil
	}
	var bo binary.ByteOrder
	switch h[5] {
	case 1:
		bo = binary.LittleEndian
	case 2:
		bo = binary.BigEndian
	default:
		return false, nil
	}
	var phoff uint64
	var phentsize, phnum, minEnt uint64
	switch h[4] {
	case 1: // ELF32
		phoff = uint64(bo.Uint32(h[28:]))
		phentsize = uint64(bo.Uint16(h[42:]))
		phnum = uint64(bo.Uint16(h[44:]))
		minEnt = 32
	case 2: // ELF64
		phoff = bo.Uint64(h[32:])
		phentsize = uint64(bo.Uint16(h[54:]))
		phnum = uint64(bo.Uint16(h[56:]))
		minEnt = 56
	default:
		return false, nil
	}
	if phnum == 0 || phnum == 0xFFFF || phentsize < minEnt || phoff >= uint64(rd.size) {
		return false, nil
	}
	tableLen := phnum * phentsize
	if tableLen > maxPhdrBytes {
		return false, nil
	}
	table, err := rd.read(int64(phoff), int64(tableLen))
	if err != nil {
		return false, err
	}
	budget := uint64(maxNoteTotal)
	for i := uint64(0); i+1 <= phnum && (i+1)*phentsize <= uint64(len(table)); i++ {
		ph := table[i*phentsize:]
		if bo.Uint32(ph) != ptNote {
			continue
		}
		var off, filesz, align uint64
		if h[4] == 1 {
			off, filesz, align = uint64(bo.Uint32(ph[4:])), uint64(bo.Uint32(ph[16:])), uint64(bo.Uint32(ph[28:]))
		} else {
			off, filesz, align = bo.Uint64(ph[8:]), bo.Uint64(ph[32:]), bo.Uint64(ph[48:])
		}
		if off >= uint64(rd.size) || budget == 0 {
			continue
		}
		n := min(filesz, maxNoteBytes, budget)
		budget -= n
		notes, err := rd.read(int64(off), int64(n))
		if err != nil {
			return false, err
		}
		if xenPhys32Note(notes, bo, align) {
			return true, nil
		}
	}
	return false, nil
}

// xenPhys32Note walks ELF notes: namesz, descsz, type, then name and desc,
// each padded to 4 bytes (8 in segments aligned to 8).
func xenPhys32Note(b []byte, bo binary.ByteOrder, align uint64) bool {
	pad := uint64(4)
	if align == 8 {
		pad = 8
	}
	up := func(v uint64) uint64 { return (v + pad - 1) &^ (pad - 1) }
	pos := uint64(0)
	n := uint64(len(b))
	for pos+12 <= n {
		namesz := uint64(bo.Uint32(b[pos:]))
		descsz := uint64(bo.Uint32(b[pos+4:]))
		typ := bo.Uint32(b[pos+8:])
		nameAt := pos + 12
		descAt := nameAt + up(namesz)
		next := descAt + up(descsz)
		if descAt > n || next < descAt {
			return false
		}
		if typ == xenElfnotePhys32 && namesz == 4 && string(b[nameAt:nameAt+4]) == "Xen\x00" && descsz >= 4 && descAt+4 <= n {
			return true
		}
		pos = next
	}
	return false
}

// parseQCOW2 reads a qcow2 header (big-endian). It returns a refusal reason
// for headers that are invalid or that reference other files.
func parseQCOW2(rd *bounded, h []byte) (*QCOW2Header, string, error) {
	if len(h) < 72 {
		return nil, "the file starts with the qcow2 magic but its header is truncated", nil
	}
	q := &QCOW2Header{
		Version:     binary.BigEndian.Uint32(h[4:]),
		ClusterBits: binary.BigEndian.Uint32(h[20:]),
		VirtualSize: binary.BigEndian.Uint64(h[24:]),
	}
	backingOff := binary.BigEndian.Uint64(h[8:])
	backingLen := uint64(binary.BigEndian.Uint32(h[16:]))
	if q.Version != 2 && q.Version != 3 {
		return q, fmt.Sprintf("the file starts with the qcow2 magic but has header version %d (only 2 and 3 exist)", q.Version), nil
	}
	if q.ClusterBits < 9 || q.ClusterBits > 21 {
		return q, fmt.Sprintf("the file starts with the qcow2 magic but has an invalid cluster size (2^%d bytes)", q.ClusterBits), nil
	}
	if backingOff != 0 {
		q.HasBackingFile = true
		if backingLen > 0 && backingLen <= maxBackingName && backingOff < uint64(rd.size) {
			name, err := rd.read(int64(backingOff), int64(backingLen))
			if err != nil {
				return nil, "", err
			}
			q.BackingFile = string(name)
		}
	}
	if q.Version == 3 {
		if len(h) < 104 {
			return q, "the file starts with the qcow2 magic but its version 3 header is truncated", nil
		}
		if binary.BigEndian.Uint64(h[72:])&qcow2IncompatData != 0 {
			q.ExternalDataFile = true
		}
	}
	switch {
	case q.HasBackingFile:
		return q, fmt.Sprintf("the qcow2 image has a backing file (%q): libvirt advises never to let an image name "+
			"other files it depends on; flatten it first with `qemu-img convert -O qcow2 <in> <out>`", q.BackingFile), nil
	case q.ExternalDataFile:
		return q, "the qcow2 image keeps its data in an external data file: libvirt advises never to let an image " +
			"name other files it depends on; convert it first with `qemu-img convert -O qcow2 <in> <out>`", nil
	}
	return q, "", nil
}
