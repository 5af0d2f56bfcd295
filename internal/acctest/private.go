package acctest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// PrivateDaemon is a libvirtd of the test's own (scripts/private-libvirtd.sh),
// which the test may stop and restart. The shared harness daemon is never
// touched.
type PrivateDaemon struct {
	Name   string
	URI    string
	script string
}

// StartPrivateDaemon starts a private libvirtd named name and removes it, with
// its guests, when the test ends. With TF_ACC set, a daemon that does not come
// up fails the test.
func StartPrivateDaemon(t *testing.T, name string, env ...string) *PrivateDaemon {
	t.Helper()
	d := &PrivateDaemon{Name: name, script: filepath.Join(RepoRoot(t), "scripts", "private-libvirtd.sh")}
	d.run(t, env, "down") // a leftover of an interrupted run
	d.run(t, env, "up")
	d.URI = strings.TrimSpace(d.run(t, nil, "uri"))
	t.Cleanup(func() {
		if out, err := exec.Command(d.script, "down", d.Name).CombinedOutput(); err != nil {
			t.Errorf("stopping the private libvirtd %s: %v\n%s", d.Name, err, out)
		}
	})
	return d
}

func (d *PrivateDaemon) run(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(d.script, append([]string{args[0], d.Name}, args[1:]...)...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s %s: %v\n%s", d.script, args[0], d.Name, err, out)
	}
	return string(out)
}

// Script is the path of scripts/private-libvirtd.sh.
func (d *PrivateDaemon) Script() string { return d.script }

// Restart stops libvirtd, waits pause, and starts it again. Its guests keep
// running. It returns how long the daemon was gone. It is safe to call from a
// goroutine: it reports errors instead of stopping the test.
func (d *PrivateDaemon) Restart(pause time.Duration) (time.Duration, error) {
	start := time.Now()
	out, err := exec.Command(d.script, "restart", d.Name, strconv.FormatFloat(pause.Seconds(), 'f', 1, 64)).CombinedOutput()
	if err != nil {
		return 0, &restartError{string(out), err}
	}
	return time.Since(start), nil
}

type restartError struct {
	out string
	err error
}

func (e *restartError) Error() string { return "restart: " + e.err.Error() + ": " + e.out }

// Client returns a connection to the private daemon, the same one the provider
// under test uses.
func (d *PrivateDaemon) Client(t testing.TB) *hypervisor.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := hypervisor.Shared(ctx, d.URI, 10*time.Second)
	if err != nil {
		t.Fatalf("private libvirtd %s does not answer: %v", d.Name, err)
	}
	return c
}

// Virsh runs virsh against the private daemon on a connection of its own.
func (d *PrivateDaemon) Virsh(args ...string) (string, error) {
	out, err := exec.Command("virsh", append([]string{"-q", "-c", d.URI}, args...)...).CombinedOutput()
	return string(out), err
}
