package hypervisor_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// TestAccConsoleThroughPool boots the multiboot guest with its console logged
// into a console pool, reads it back through libvirt's volume download (the
// path remote URIs use), appends a separator while stopped, and removes it.
func TestAccConsoleThroughPool(t *testing.T) {
	acctest.PreCheck(t)
	guests := acctest.TestGuests(t)
	c, err := acctest.Client(t)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pool := hypervisor.ConsolePool{Name: acctest.RandName("console"), Path: t.TempDir() + "/console"}
	if err := c.EnsureConsolePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureConsolePool(ctx, pool); err != nil {
		t.Fatalf("second EnsureConsolePool: %v", err)
	}
	t.Cleanup(func() { _ = acctest.DeletePool(ctx, c, pool.Name) })
	st, err := os.Stat(pool.Path)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("console directory %s: mode %v, %v; want 0700", pool.Path, st.Mode().Perm(), err)
	}

	name := acctest.RandName("con")
	if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{Name: name, Type: acctest.Hypervisor(), MemoryMiB: 16,
		Kernel: guests.MultibootKernel, Cmdline: "first", ConsoleLog: pool.LogPath(name)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.StopDomain(ctx, name, 0); _ = c.UndefineDomain(ctx, name) })
	if n, err := c.ConsoleSize(ctx, pool, name); err != nil || n != 0 {
		t.Fatalf("console size before the first boot = %d, %v; want 0", n, err)
	}
	const marker = "=== boot 1 ===\n"
	if err := c.AppendConsole(ctx, pool, name, marker); err != nil {
		t.Fatalf("AppendConsole before the first boot: %v", err)
	}
	if n, err := c.ConsoleSize(ctx, pool, name); err != nil || n != uint64(len(marker)) {
		t.Fatalf("console size after the marker = %d, %v; want %d", n, err, len(marker))
	}
	if err := c.StartDomain(ctx, name); err != nil {
		t.Fatal(err)
	}
	ready := regexp.MustCompile(acctest.MultibootReady)
	var log []byte
	deadline := time.Now().Add(30 * time.Second)
	for !ready.Match(log) {
		if time.Now().After(deadline) {
			t.Fatalf("no ready line through volume download; got %q", log)
		}
		time.Sleep(50 * time.Millisecond)
		if log, err = c.ReadConsole(ctx, pool, name, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(string(log), marker) {
		t.Errorf("virtlogd must append after the marker; log starts %q", log[:min(len(log), 40)])
	}
	st, err = os.Stat(pool.LogPath(name))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("console log mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	if err := c.StopDomain(ctx, name, 0); err != nil {
		t.Fatal(err)
	}
	size, err := c.ConsoleSize(ctx, pool, name)
	if err != nil || size != uint64(len(log)) {
		t.Fatalf("ConsoleSize = %d, %v; want %d", size, err, len(log))
	}
	const separator = "--- separator ---\n"
	if err := c.AppendConsole(ctx, pool, name, separator); err != nil {
		t.Fatal(err)
	}
	tail, err := c.ReadConsole(ctx, pool, name, size, 0)
	if err != nil || string(tail) != separator {
		t.Fatalf("read from offset %d = %q, %v", size, tail, err)
	}
	last, err := c.ReadConsole(ctx, pool, name, 0, 10)
	if err != nil || len(last) != 10 || !strings.HasSuffix(separator, string(last)) {
		t.Fatalf("limit 10 = %q, %v", last, err)
	}
	// Copies rotated by virtlogd (unknown to libvirt until the pool is
	// rescanned) go too; another instance's log whose name starts the same stays.
	other := pool.LogPath(name + "-other")
	for _, f := range []string{pool.LogPath(name) + ".0", pool.LogPath(name) + ".1", other} {
		if err := os.WriteFile(f, []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { _ = os.Remove(other) }()
	if err := c.DeleteConsole(ctx, pool, name); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{pool.LogPath(name), pool.LogPath(name) + ".0", pool.LogPath(name) + ".1"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s still there after DeleteConsole: %v", f, err)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another instance's log was removed: %v", err)
	}
}
