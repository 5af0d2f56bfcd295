package hypervisor

import (
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"
)

func TestConsolePoolNames(t *testing.T) {
	q := ConsolePool{Name: "unikernel-console", Path: "/var/lib/unikernel/console"}
	x := ConsolePool{Name: "unikernel-xen-console", Path: XenConsolePath, Xen: true}
	for _, c := range []struct {
		p         ConsolePool
		vol, path string
	}{
		{q, "web.log", "/var/lib/unikernel/console/web.log"},
		{x, "guest-web.log", "/var/log/xen/console/guest-web.log"},
	} {
		if got := c.p.Volume("web"); got != c.vol {
			t.Errorf("Volume = %q, want %q", got, c.vol)
		}
		if got := c.p.LogPath("web"); got != c.path {
			t.Errorf("LogPath = %q, want %q", got, c.path)
		}
	}
}

func TestIsXenOnTestDriver(t *testing.T) {
	c := testClient(t)
	xen, err := c.IsXen(t.Context())
	if err != nil || xen {
		t.Fatalf("IsXen on test:///default = %v, %v; want false, nil", xen, err)
	}
}

func TestSpecFromDomainXMLConsoleLog(t *testing.T) {
	var d libvirtxml.Domain
	doc := `<domain type="xen"><name>x</name><os><type>xenpvh</type></os><devices>
<console type="pty"><log file="/var/log/xen/console/guest-x.log" append="on"/><target type="xen"/></console>
</devices></domain>`
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	if got := SpecFromDomainXML(&d).ConsoleLog; got != "/var/log/xen/console/guest-x.log" {
		t.Fatalf("ConsoleLog = %q, want the console's log file", got)
	}
}

func TestOpenTimeout(t *testing.T) {
	for uri, want := range map[string]time.Duration{
		"qemu:///system":                DefaultOpenTimeout,
		"xen:///system":                 DefaultOpenTimeout,
		"xen+ssh://root@dom0/system":    RemoteOpenTimeout,
		"qemu+tls://kvm.example/system": RemoteOpenTimeout,
	} {
		if got := OpenTimeout(uri); got != want {
			t.Errorf("OpenTimeout(%q) = %s, want %s", uri, got, want)
		}
	}
}

// libvirt's libxl driver reports a PV guest's OS type as "linux", not "xen".
func TestXenPVReadBack(t *testing.T) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(`<domain type="xen"><name>x</name><os><type arch="x86_64">linux</type></os></domain>`); err != nil {
		t.Fatal(err)
	}
	if got := SpecFromDomainXML(&d).XenMode; got != "pv" {
		t.Fatalf("XenMode = %q, want pv", got)
	}
}
