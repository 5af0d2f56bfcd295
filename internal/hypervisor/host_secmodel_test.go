package hypervisor

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// The <host> of a stock Debian 12 libvirtd's capabilities (QEMU as
// libvirt-qemu, 64055:64055 there), and of a Fedora host under SELinux.
const (
	debianCaps = `<capabilities><host><cpu><arch>x86_64</arch></cpu>
  <secmodel><model>apparmor</model><doi>0</doi></secmodel>
  <secmodel><model>dac</model><doi>0</doi>
    <baselabel type='kvm'>+64055:+64055</baselabel>
    <baselabel type='qemu'>+64055:+64055</baselabel>
  </secmodel></host></capabilities>`
	fedoraCaps = `<capabilities><host><cpu><arch>x86_64</arch></cpu>
  <secmodel><model>selinux</model><doi>0</doi>
    <baselabel type='kvm'>system_u:system_r:svirt_t:s0</baselabel>
    <baselabel type='qemu'>system_u:system_r:svirt_tcg_t:s0</baselabel>
  </secmodel>
  <secmodel><model>dac</model><doi>0</doi>
    <baselabel type='kvm'>+107:+107</baselabel>
    <baselabel type='qemu'>+108:+109</baselabel>
  </secmodel></host></capabilities>`
	rootCaps = `<capabilities><host><cpu><arch>x86_64</arch></cpu>
  <secmodel><model>none</model><doi>0</doi></secmodel>
  <secmodel><model>dac</model><doi>0</doi><baselabel type='kvm'>+0:+0</baselabel><baselabel type='qemu'>+0:+0</baselabel></secmodel>
  </host></capabilities>`
)

func TestSecurityFromCaps(t *testing.T) {
	for _, tc := range []struct {
		name, xml, typ string
		want           Security
	}{
		{"debian kvm", debianCaps, "kvm", Security{Models: []string{"apparmor", "dac"}, UID: 64055, GID: 64055}},
		{"fedora qemu label", fedoraCaps, "qemu", Security{Models: []string{"selinux", "dac"}, UID: 108, GID: 109}},
		{"fedora kvm label", fedoraCaps, "kvm", Security{Models: []string{"selinux", "dac"}, UID: 107, GID: 107}},
		{"first label for another type", fedoraCaps, "xen", Security{Models: []string{"selinux", "dac"}, UID: 107, GID: 107}},
		{"root", rootCaps, "qemu", Security{Models: []string{"none", "dac"}, UID: 0, GID: 0}},
		{"no dac", `<capabilities><host><secmodel><model>none</model></secmodel></host></capabilities>`, "kvm",
			Security{Models: []string{"none"}, UID: -1, GID: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var caps libvirtxml.Caps
			if err := caps.Unmarshal(tc.xml); err != nil {
				t.Fatal(err)
			}
			if got := SecurityFromCaps(&caps, tc.typ); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseDACLabel(t *testing.T) {
	for in, ok := range map[string]bool{"+64055:+64055": true, "107:107": true, "+1": false, "a:b": false, "+-1:+0": false} {
		if _, _, got := parseDACLabel(in); got != ok {
			t.Errorf("parseDACLabel(%q) ok = %v, want %v", in, got, ok)
		}
	}
}

// The test driver reports a security model of its own and no DAC label.
func TestClientSecurityTestDriver(t *testing.T) {
	c, err := Open(context.Background(), testURI, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	s, err := c.Security(context.Background(), "qemu")
	if err != nil {
		t.Fatal(err)
	}
	if s.UID != -1 || len(s.Models) != 1 || s.Models[0] != "testSecurity" {
		t.Fatalf("got %+v, want the test driver's model and no DAC user", s)
	}
	if s.User(true) != "an unknown user" {
		t.Fatalf("User() = %q", s.User(true))
	}
}

// PathBlocked finds the first directory that QEMU's user cannot enter.
func TestPathBlocked(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give files to another user") // the CI runs as root
	}
	const nobody = 65534
	base := t.TempDir()
	// t.TempDir's directory and the one above it are 0700: open both.
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	open := filepath.Join(base, "open")
	closed := filepath.Join(base, "closed")
	for _, d := range []string{open, filepath.Join(closed, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(open, "k"), filepath.Join(closed, "sub", "k")} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if b := PathBlocked(filepath.Join(base, "x"), nobody, nobody, 0); b != "" {
		t.Fatalf("the temporary directory's ancestor %s is closed to nobody: set TMPDIR to a directory it can enter", b)
	}
	for _, tc := range []struct {
		path     string
		uid, gid int
		want     uint32
		blocked  string
	}{
		{filepath.Join(open, "k"), nobody, nobody, 0, ""},                                // dynamic ownership gives it the file
		{filepath.Join(open, "k"), nobody, nobody, AccessRead, filepath.Join(open, "k")}, // 0600 root
		{filepath.Join(closed, "sub", "k"), nobody, nobody, 0, closed},
		{filepath.Join(closed, "sub", "k"), 0, 0, AccessRead, ""}, // root
		{"relative/k", nobody, nobody, 0, ""},
	} {
		if got := PathBlocked(tc.path, tc.uid, tc.gid, tc.want); got != tc.blocked {
			t.Errorf("PathBlocked(%s, %d) = %q, want %q", tc.path, tc.uid, got, tc.blocked)
		}
	}
	// Group access: the directory's group is the user's.
	if err := os.Chown(closed, 0, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(closed, 0o710); err != nil {
		t.Fatal(err)
	}
	if got := PathBlocked(filepath.Join(closed, "sub", "k"), nobody, nobody, 0); got != "" {
		t.Errorf("group-searchable directory reported as blocking: %q", got)
	}
	// Owner access.
	if err := os.Chown(closed, nobody, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := PathBlocked(filepath.Join(closed, "sub", "k"), nobody, nobody, 0); got != "" {
		t.Errorf("owner-searchable directory reported as blocking: %q", got)
	}
	if m := FileMode(closed); m != "-rwx------, owner nobody" {
		t.Errorf("FileMode = %q", m)
	}
}
