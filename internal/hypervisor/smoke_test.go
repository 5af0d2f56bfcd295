package hypervisor_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// waitConsole polls a console log until re matches a line, and returns the
// submatches and the time it took.
// completeLines is the console text up to its last newline: a line that the
// guest is still writing is not matched, so a pattern never captures half of
// a value (mac=52:54:00: of mac=52:54:00:77:00:01).
func completeLines(b []byte) string {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return string(b[:i+1])
	}
	return ""
}

func waitConsole(t *testing.T, path string, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []byte
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if err == nil {
			last = b
			if m := re.FindStringSubmatch(completeLines(b)); m != nil {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("console %s did not match %q within %s; it holds:\n%s", path, re, timeout, hypervisor.LastLines(string(last), 20))
	return nil
}

// TestSmokeBootTestGuests boots both test guests through the adapter on the
// real daemon: the multiboot unikernel to its ready line, and the microVM to
// its DHCP address and HTTP answer.
func TestSmokeBootTestGuests(t *testing.T) {
	acctest.PreCheck(t)
	acctest.RequireHarnessNetns(t)
	guests := acctest.TestGuests(t)
	c, err := acctest.Client(t)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	logDir := t.TempDir()

	netName := acctest.RandName("net")
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{
		Name: netName, Mode: "nat", IPv4CIDR: "10.213.77.0/24", DHCP: true,
		DHCPStart: "10.213.77.100", DHCPEnd: "10.213.77.200", NoPing: true,
	}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.DeleteNetwork(ctx, netName); err != nil {
			t.Errorf("delete network: %v", err)
		}
	})

	boot := func(t *testing.T, spec hypervisor.DomainSpec) {
		t.Helper()
		if _, err := c.DefineDomain(ctx, spec); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := c.StopDomain(ctx, spec.Name, 0); err != nil {
				t.Errorf("stop: %v", err)
			}
			if err := c.UndefineDomain(ctx, spec.Name); err != nil {
				t.Errorf("undefine: %v", err)
			}
			if _, err := c.ReadDomain(ctx, spec.Name); !hypervisor.IsNotFound(err) {
				t.Errorf("domain %s still there after undefine: %v", spec.Name, err)
			}
		})
		if err := c.StartDomain(ctx, spec.Name); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("multiboot", func(t *testing.T) {
		name := acctest.RandName("mb")
		log := filepath.Join(logDir, name+".log")
		cmdline := "hello from " + name
		start := time.Now()
		boot(t, hypervisor.DomainSpec{
			Name: name, Type: acctest.Hypervisor(), MemoryMiB: 16, VCPUs: 1,
			Kernel: guests.MultibootKernel, Cmdline: cmdline, ConsoleLog: log,
		})
		m := waitConsole(t, log, regexp.MustCompile(acctest.MultibootReady), 30*time.Second)
		t.Logf("multiboot unikernel ready %.3fs after define+start", time.Since(start).Seconds())
		if got := strings.TrimSpace(m[1]); got != cmdline {
			t.Errorf("ready line cmdline = %q, want %q", got, cmdline)
		}
		info, err := c.ReadDomain(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if info.State != hypervisor.StateRunning {
			t.Errorf("state = %s, want running", info.State)
		}
	})

	t.Run("microvm", func(t *testing.T) {
		name := acctest.RandName("vm")
		log := filepath.Join(logDir, name+".log")
		cmdline := "console=ttyS0 panic=-1 quiet smoke=" + name
		mac := "52:54:00:77:00:01"
		start := time.Now()
		boot(t, hypervisor.DomainSpec{
			Name: name, Type: acctest.Hypervisor(), MemoryMiB: 128, VCPUs: 1,
			Kernel: guests.MicroVMKernel, Initrd: guests.MicroVMInitrd, Cmdline: cmdline, ConsoleLog: log,
			Interfaces: []hypervisor.InterfaceSpec{{Network: netName, MAC: mac}},
		})
		m := waitConsole(t, log, regexp.MustCompile(acctest.MicroVMReady), 90*time.Second)
		t.Logf("microVM ready with %s %.3fs after define+start", m[1], time.Since(start).Seconds())
		if m[3] != mac {
			t.Errorf("guest reports mac %s, want %s", m[3], mac)
		}
		// dnsmasq records the lease through libvirt's lease helper, which it
		// runs after it has answered the guest: wait a little for it.
		var leases []hypervisor.Lease
		found := false
		for wait := time.Now().Add(15 * time.Second); !found && time.Now().Before(wait); time.Sleep(200 * time.Millisecond) {
			var err error
			if leases, err = c.Leases(ctx, netName); err != nil {
				t.Fatal(err)
			}
			for _, l := range leases {
				if l.MAC == mac {
					found = l.IPv4 == m[1]
				}
			}
		}
		if !found {
			t.Errorf("no lease for %s with %s in %+v", mac, m[1], leases)
		}
		url := fmt.Sprintf("http://%s:%d/", m[1], acctest.MicroVMPort)
		var body string
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				body = string(b)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if strings.TrimSpace(body) != cmdline {
			t.Errorf("HTTP answer = %q, want the kernel command line %q", body, cmdline)
		}
	})
}
