// Package imagetest builds small synthetic images for tests: an ISO 9660
// header, multiboot and multiboot2 headers, ELF kernels with a PVH note, and
// ELF kernels assembled and linked by the host toolchain. Test-only helpers;
// nothing here is used by the provider itself.
package imagetest

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ISO returns a minimal ISO 9660 image: an empty system area (16 sectors), a
// primary volume descriptor and a set terminator. 36 KiB.
func ISO(volumeID string) []byte {
	const sector = 2048
	b := make([]byte, 18*sector)
	pvd := b[16*sector:]
	pvd[0] = 1
	copy(pvd[1:], "CD001")
	pvd[6] = 1
	copy(pvd[8:40], pad("LINUX", 32))
	copy(pvd[40:72], pad(volumeID, 32))
	bothEndian32(pvd[80:], 18) // volume space size in blocks
	bothEndian16(pvd[120:], 1) // volume set size
	bothEndian16(pvd[124:], 1) // volume sequence number
	bothEndian16(pvd[128:], sector)
	pvd[881] = 1 // file structure version
	term := b[17*sector:]
	term[0] = 0xFF
	copy(term[1:], "CD001")
	term[6] = 1
	return b
}

func pad(s string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	copy(b, s)
	return b
}

func bothEndian32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

func bothEndian16(b []byte, v uint16) {
	binary.LittleEndian.PutUint16(b, v)
	binary.BigEndian.PutUint16(b[2:], v)
}

// Multiboot2Header returns a multiboot2 header for i386 with only the end tag.
func Multiboot2Header() []byte {
	h := make([]byte, 24)
	var magic, arch, hlen uint32 = 0xE85250D6, 0, 24
	binary.LittleEndian.PutUint32(h[0:], magic)
	binary.LittleEndian.PutUint32(h[4:], arch)
	binary.LittleEndian.PutUint32(h[8:], hlen)
	binary.LittleEndian.PutUint32(h[12:], -(magic + arch + hlen))
	// end tag: type 0, flags 0, size 8
	binary.LittleEndian.PutUint32(h[20:], 8)
	return h
}

// MultibootHeader returns a multiboot v1 header. With addresses set it uses
// the a.out kludge (flag 16) and carries load addresses for a flat image
// loaded at 1 MiB.
func MultibootHeader(addresses bool) []byte {
	flags := uint32(0x3)
	n := 12
	if addresses {
		flags |= 1 << 16
		n = 32
	}
	h := make([]byte, n)
	var magic uint32 = 0x1BADB002
	binary.LittleEndian.PutUint32(h[0:], magic)
	binary.LittleEndian.PutUint32(h[4:], flags)
	binary.LittleEndian.PutUint32(h[8:], -(magic + flags))
	if addresses {
		binary.LittleEndian.PutUint32(h[12:], 0x100000) // header_addr
		binary.LittleEndian.PutUint32(h[16:], 0x100000) // load_addr
		binary.LittleEndian.PutUint32(h[20:], 0)        // load_end_addr: whole file
		binary.LittleEndian.PutUint32(h[24:], 0)        // bss_end_addr
		binary.LittleEndian.PutUint32(h[28:], 0x100020) // entry_addr
	}
	return h
}

// FlatKernel returns a size-byte flat image with header at offset at.
func FlatKernel(header []byte, at, size int) []byte {
	b := make([]byte, size)
	copy(b[at:], header)
	return b
}

// ELFOptions shape a synthetic ELF kernel.
type ELFOptions struct {
	Class64   bool
	PVH       bool   // a PT_NOTE with XEN_ELFNOTE_PHYS32_ENTRY
	Multiboot bool   // a multiboot v1 header at the start of the loadable segment
	NoteAlign uint64 // alignment of the note segment (4 or 8; 0 means 4)
}

// ELF returns a minimal little-endian x86 ELF kernel: one PT_LOAD with a
// few bytes of code (optionally led by a multiboot header) and, optionally,
// a PT_NOTE holding the Xen PVH entry note.
func ELF(o ELFOptions) []byte {
	ehsize, phentsize := 52, 32
	if o.Class64 {
		ehsize, phentsize = 64, 56
	}
	phnum := 1
	if o.PVH {
		phnum = 2
	}
	noteAt := ehsize + phnum*phentsize
	note := xenNote(o.NoteAlign)
	loadAt := (noteAt + len(note) + 15) &^ 15
	code := []byte{0xFA, 0xF4, 0xEB, 0xFD} // cli; hlt; jmp $-1
	if o.Multiboot {
		code = append(MultibootHeader(false), code...)
	}
	b := make([]byte, loadAt+len(code))
	copy(b[loadAt:], code)
	le := binary.LittleEndian
	copy(b, "\x7fELF")
	b[5], b[6] = 1, 1 // little endian, version 1
	entry := uint64(0x100000)
	if o.Class64 {
		b[4] = 2
		le.PutUint16(b[16:], 2)  // ET_EXEC
		le.PutUint16(b[18:], 62) // EM_X86_64
		le.PutUint32(b[20:], 1)
		le.PutUint64(b[24:], entry)
		le.PutUint64(b[32:], uint64(ehsize)) // e_phoff
		le.PutUint16(b[52:], uint16(ehsize))
		le.PutUint16(b[54:], uint16(phentsize))
		le.PutUint16(b[56:], uint16(phnum))
	} else {
		b[4] = 1
		le.PutUint16(b[16:], 2)
		le.PutUint16(b[18:], 3) // EM_386
		le.PutUint32(b[20:], 1)
		le.PutUint32(b[24:], uint32(entry))
		le.PutUint32(b[28:], uint32(ehsize))
		le.PutUint16(b[40:], uint16(ehsize))
		le.PutUint16(b[42:], uint16(phentsize))
		le.PutUint16(b[44:], uint16(phnum))
	}
	phdr := func(i int, typ uint32, off, filesz, addr, align uint64) {
		p := b[ehsize+i*phentsize:]
		le.PutUint32(p, typ)
		if o.Class64 {
			le.PutUint32(p[4:], 5) // R+X
			le.PutUint64(p[8:], off)
			le.PutUint64(p[16:], addr)
			le.PutUint64(p[24:], addr)
			le.PutUint64(p[32:], filesz)
			le.PutUint64(p[40:], filesz)
			le.PutUint64(p[48:], align)
		} else {
			le.PutUint32(p[4:], uint32(off))
			le.PutUint32(p[8:], uint32(addr))
			le.PutUint32(p[12:], uint32(addr))
			le.PutUint32(p[16:], uint32(filesz))
			le.PutUint32(p[20:], uint32(filesz))
			le.PutUint32(p[24:], 5)
			le.PutUint32(p[28:], uint32(align))
		}
	}
	phdr(0, 1, uint64(loadAt), uint64(len(code)), entry, 16)
	if o.PVH {
		align := o.NoteAlign
		if align == 0 {
			align = 4
		}
		copy(b[noteAt:], note)
		phdr(1, 4, uint64(noteAt), uint64(len(note)), 0, align)
	}
	return b
}

// xenNote is an ELF note "Xen" type 18 with a 4-byte entry address, padded
// to align (4 or 8).
func xenNote(align uint64) []byte {
	up := func(v int) int {
		if align == 8 {
			return (v + 7) &^ 7
		}
		return (v + 3) &^ 3
	}
	n := make([]byte, 12+up(4)+up(4))
	le := binary.LittleEndian
	le.PutUint32(n[0:], 4)
	le.PutUint32(n[4:], 4)
	le.PutUint32(n[8:], 18)
	copy(n[12:], "Xen\x00")
	le.PutUint32(n[12+up(4):], 0x100000)
	return n
}

// toolchainSource is a tiny kernel with a multiboot2 header and a PVH note,
// the way Unikraft and Xen-aware kernels carry them.
const toolchainSource = `
	.section .multiboot2, "a"
	.balign 8
mb2_start:
	.long 0xE85250D6
	.long 0
	.long mb2_end - mb2_start
	.long -(0xE85250D6 + (mb2_end - mb2_start))
	.short 0, 0
	.long 8
mb2_end:

	.section .note.Xen, "a", @note
	.balign 4
	.long 4
	.long 4
	.long 18
	.asciz "Xen"
	.long 0x100000

	.text
	.globl _start
_start:
	cli
1:	hlt
	jmp 1b
`

// ToolchainELF assembles and links toolchainSource with the host's GNU as
// and ld into dir and returns the kernel's path (32-bit or 64-bit ELF).
// It fails the test when the toolchain is missing and required is true, and
// skips it otherwise.
func ToolchainELF(t testing.TB, dir string, class64, required bool) string {
	t.Helper()
	for _, tool := range []string{"as", "ld"} {
		if _, err := exec.LookPath(tool); err != nil {
			if required {
				t.Fatalf("%s not found (Debian package binutils): %v", tool, err)
			}
			t.Skipf("%s not found (Debian package binutils)", tool)
		}
	}
	asFlag, ldEmu, name := "--32", "elf_i386", "toolchain32.elf"
	if class64 {
		asFlag, ldEmu, name = "--64", "elf_x86_64", "toolchain64.elf"
	}
	src := filepath.Join(dir, name+".S")
	obj := filepath.Join(dir, name+".o")
	out := filepath.Join(dir, name)
	if err := os.WriteFile(src, []byte(toolchainSource), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		if b, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, b)
		}
	}
	run("as", asFlag, "-o", obj, src)
	run("ld", "-m", ldEmu, "-Ttext=0x100000", "--build-id=none", "-z", "noexecstack", "-o", out, obj)
	return out
}
