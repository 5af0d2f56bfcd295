package provider

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// bootUnit is a service's readiness wait on the test driver: a running
// domain of its own and a console log in a directory of the test.
func bootUnit(t *testing.T, name, console string) (*InstanceResource, *instanceModel, string) {
	t.Helper()
	ctx := context.Background()
	c, err := hypervisor.Open(ctx, "test:///default", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{Name: name, Type: "qemu", MemoryMiB: 16, Kernel: "/k"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.StopDomain(ctx, name, 0)
		_ = c.UndefineDomain(ctx, name)
	})
	if err := c.StartDomain(ctx, name); err != nil {
		t.Fatal(err)
	}
	pool := hypervisor.ConsolePool{Name: "console", Path: t.TempDir()}
	r := &InstanceResource{data: &Data{Client: c, Hypervisor: "qemu", Console: pool}}
	m := &instanceModel{
		Name:    types.StringValue(name),
		Mode:    types.StringValue(modeService),
		WaitFor: &waitForModel{Console: types.StringValue(console), Timeout: types.StringValue("20s")},
	}
	return r, m, pool.LogPath(name)
}

// printAndStop has the guest print text and stop right after the readiness
// wait's first console poll, so that the wait sees the guest stopped before
// it reads the console again.
func printAndStop(t *testing.T, r *InstanceResource, name, log, text string) {
	t.Helper()
	done := false
	afterConsolePoll = func() {
		if done {
			return
		}
		done = true
		if err := os.WriteFile(log, []byte(text), 0o600); err != nil {
			t.Error(err)
		}
		if err := r.data.Client.StopDomain(context.Background(), name, 0); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { afterConsolePoll = nil })
}

// A service that prints its ready line and powers off between two polls of
// the readiness wait is ready: the console is read once more after the stop.
func TestWaitReady_readsStoppedGuestConsoleOnceMore(t *testing.T) {
	r, m, log := bootUnit(t, "unit-ready-then-off", "^READY$")
	printAndStop(t, r, "unit-ready-then-off", log, "boot\nREADY\r\n")
	if err := r.waitReady(t.Context(), m, 0); err != nil {
		t.Fatalf("waitReady: %v", err)
	}
}

// A service that stops without its ready line fails the wait, and says so.
func TestWaitReady_failsWhenStoppedGuestNeverPrintedLine(t *testing.T) {
	r, m, log := bootUnit(t, "unit-off-not-ready", "^READY$")
	printAndStop(t, r, "unit-off-not-ready", log, "boot\npanic\n")
	err := r.waitReady(t.Context(), m, 0)
	if err == nil || !isGateError(err) || !strings.Contains(err.Error(), "stopped while booting") ||
		!strings.Contains(err.Error(), `no console line matched "^READY$"`) || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("waitReady = %v; want a readiness error that names the console condition and shows the console", err)
	}
}

// A console gate anchored at the start of a line matches a line that the
// guest began with NUL bytes, as Unikraft's lwIP prints its first one.
func TestMatchLine_ignoresControlBytes(t *testing.T) {
	re := regexp.MustCompile(`^1: Set IPv4 address 10\.0\.0\.2 mask`)
	if !matchLine(re, []byte("booting\r\n\x00\x001: Set IPv4 address 10.0.0.2 mask 255.255.255.0\r\n")) {
		t.Error("the line after two NULs did not match")
	}
	if matchLine(re, []byte("x1: Set IPv4 address 10.0.0.2 mask\n")) {
		t.Error("a line with a printable prefix matched an anchored pattern")
	}
}
