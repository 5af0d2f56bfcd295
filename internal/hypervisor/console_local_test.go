package hypervisor

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLocalConsoleFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.log")
	if n, ok := localConsoleSize(file); !ok || n != 0 {
		t.Fatalf("missing log: size %d, %v; want 0, true", n, ok)
	}
	if b, ok := readLocalConsole(file, 0, 0); !ok || b != nil {
		t.Fatalf("missing log: %q, %v", b, ok)
	}
	if appendLocalConsole(file, "x", false) {
		t.Fatal("append without create made the log")
	}
	if !appendLocalConsole(file, "boot 1\n", true) {
		t.Fatal("append with create failed")
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("created log: %v, %v; want mode 0600", st.Mode(), err)
	}
	if !appendLocalConsole(file, "=== marker ===\nREADY\n", false) {
		t.Fatal("append to an existing log failed")
	}
	if n, ok := localConsoleSize(file); !ok || n != 28 {
		t.Fatalf("size %d, %v; want 28", n, ok)
	}
	if b, ok := readLocalConsole(file, 7, 0); !ok || string(b) != "=== marker ===\nREADY\n" {
		t.Fatalf("from offset 7: %q, %v", b, ok)
	}
	if b, ok := readLocalConsole(file, 0, 6); !ok || string(b) != "READY\n" {
		t.Fatalf("last 6 bytes: %q, %v", b, ok)
	}
	c := &shared{uri: "qemu+ssh://root@host/system"}
	if _, ok := c.consoleFile(ConsolePool{Name: "p", Path: dir}, "x"); ok {
		t.Error("a remote URI must read consoles through libvirt")
	}
	c = &shared{uri: "qemu:///system"}
	if f, ok := c.consoleFile(ConsolePool{Name: "p", Path: dir}, "x"); !ok || f != file {
		t.Errorf("local URI: %q, %v", f, ok)
	}
}
