package provider

// Fault acceptance tests against the real daemon. Each injects one failure,
// then proves that a second apply converges (with an empty plan after it)
// and, through the leak checker every acceptance test runs, that nothing is
// left after destroy. They run in `make testacc` and `make testacc-faults`.
//
// Further faults covered elsewhere:
//   - qemu SIGKILLed under a running instance: TestAccInstanceDrift_qemuKilled
//     (the next plan restarts it in place, then the plan is empty);
//   - `terraform apply` interrupted by SIGINT while 10 instances wait for
//     readiness: scripts/fault-sigint.sh.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// A readiness gate that never matches fails the apply with a timeout that
// names the condition, and keeps the running instance in state as tainted;
// the next apply with a gate that holds replaces it.
func TestAccFault_readinessNeverMatches(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("gate")
	config := func(pattern, timeout string) string {
		return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "test" {
  name             = %q
  kernel           = %q
  cmdline          = "gate"
  memory           = 16
  shutdown_timeout = "0s"
  wait_for = {
    console = %q
    timeout = %q
  }
}
`, name, g.MultibootKernel, pattern, timeout)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      config("NEVER-PRINTED", "8s"),
				ExpectError: regexp.MustCompile(`(?s)NEVER-PRINTED.*UNIKERNEL-READY cmdline=gate`),
			},
			{
				Config: config("UNIKERNEL-READY cmdline=gate$", "60s"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.test", "state", "running"),
					checkConsoleLogMode("unikernel_instance.test"),
				),
			},
			{Config: config("UNIKERNEL-READY cmdline=gate$", "60s"), PlanOnly: true},
		},
	})
}

// checkConsoleLogMode checks that the instance's console log on the host is
// readable by its owner (root) only.
func checkConsoleLogMode(addr string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		p := rs.Primary.Attributes["console_log"]
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("console log of %s: %v", addr, err)
		}
		if st.Mode().Perm() != 0o600 {
			return fmt.Errorf("console log %s has mode %v, want 0600", p, st.Mode().Perm())
		}
		return nil
	}
}

// A network deleted out of band while an instance on it runs: the next
// plan recreates the network, the apply converges, and the plan after it
// is empty.
func TestAccFault_networkDeleted(t *testing.T) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	net, name := acctest.RandName("net"), acctest.RandName("onnet")
	lan := acctest.CIDR(t)
	config := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_network" "n" {
  name      = %q
  mode      = "isolated"
  ipv4_cidr = %q
}
resource "unikernel_instance" "test" {
  name             = %q
  kernel           = %q
  cmdline          = "on the network"
  memory           = 16
  shutdown_timeout = "0s"
  network_interfaces = [{ network = unikernel_network.n.name, ipv4_address = %q }]
  wait_for = {
    console = "UNIKERNEL-READY"
    timeout = "60s"
  }
}
`, net, lan, name, g.MultibootKernel, lan.Host(10))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					if err := c.DeleteNetwork(context.Background(), net); err != nil {
						t.Fatalf("deleting network %s out of band: %v", net, err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_network.n", plancheck.ResourceActionCreate),
				}},
				Check: func(*terraform.State) error {
					info, err := c.ReadNetwork(context.Background(), net)
					if err != nil {
						return err
					}
					if !info.Active {
						return fmt.Errorf("network %s is not running after the repair", net)
					}
					return nil
				},
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// harnessMountNS runs a command in the mount namespace of the harness's
// libvirtd, which is the one whose view of the file system counts for pools.
func harnessMountNS(t *testing.T, args ...string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(acctest.HarnessState(), "libvirtd.pid"))
	if err != nil {
		t.Fatalf("the pool-full fault needs the harness's libvirtd: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	cmd := append([]string{"-t", strconv.Itoa(pid), "-m", "--"}, args...)
	if out, err := exec.Command("nsenter", cmd...).CombinedOutput(); err != nil {
		t.Fatalf("nsenter %v: %v\n%s", cmd, err, out)
	}
}

// The pool's file system fills up during an upload (a 1 MiB tmpfs as the
// pool's directory, a 3 MiB image): the apply fails with a clear error, no
// partial volume is left, and an image that fits then converges.
func TestAccFault_poolFull(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	c := acctest.MustClient(t)
	// The tmpfs holds the pool's directory, so that deleting the pool can
	// remove the directory.
	pool, mnt := acctest.RandName("pool"), acctest.PoolDir(t)
	dir := filepath.Join(mnt, "pool")
	harnessMountNS(t, "sh", "-c", "mkdir -p '"+mnt+"' && mount -t tmpfs -o size=1m,mode=0755 tf-acc-full '"+mnt+"'")
	t.Cleanup(func() { harnessMountNS(t, "umount", "-l", mnt) })
	big := filepath.Join(t.TempDir(), "big.raw")
	acctest.RandomFile(t, big, 3<<20)
	noVolumes := func(*terraform.State) error {
		names, err := c.VolumeNames(context.Background(), pool)
		if err != nil || len(names) != 0 {
			return fmt.Errorf("after the failed upload the pool holds %v (%v)", names, err)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      testAccImageConfig(pool, dir, imageBlock("big", "big.raw", big, `  format = "raw"`)),
				ExpectError: regexp.MustCompile(`(?is)big\.raw.*(space|too large|capacity)`),
			},
			{Config: testAccImageConfig(pool, dir, ""), Check: noVolumes},
			{
				Config: testAccImageConfig(pool, dir, imageBlock("k", "kernel.elf", guests.MultibootKernel, "")),
				Check:  resource.TestCheckResourceAttr("unikernel_image.k", "format", "multiboot"),
			},
			{Config: testAccImageConfig(pool, dir, imageBlock("k", "kernel.elf", guests.MultibootKernel, "")), PlanOnly: true},
		},
	})
}

// An image download cut off midway (the server promises 2 MiB and closes
// the connection after 1 MiB): the apply fails, no volume is created, so a
// half-written image can never boot; the same image served whole converges.
func TestAccFault_uploadCutOff(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	img := make([]byte, 2<<20)
	if _, err := io.ReadFull(rand.Reader, img); err != nil {
		t.Fatal(err)
	}
	digest, _, err := imageformat.HashReader(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	cut := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(img)))
		if !cut {
			_, _ = w.Write(img)
			return
		}
		_, _ = w.Write(img[:len(img)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	}))
	t.Cleanup(srv.Close)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	block := imageBlock("img", "data.raw", srv.URL+"/data.raw", fmt.Sprintf("  sha256 = %q\n  format = \"raw\"", digest))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      testAccImageConfig(pool, dir, block),
				ExpectError: regexp.MustCompile(`(?is)data\.raw.*(unexpected EOF|got \d+ of \d+ bytes)`),
			},
			{
				PreConfig: func() { cut = false },
				Config:    testAccImageConfig(pool, dir, ""),
				Check: func(*terraform.State) error {
					names, err := c.VolumeNames(context.Background(), pool)
					if err != nil || len(names) != 0 {
						return fmt.Errorf("after the cut-off download the pool holds %v (%v)", names, err)
					}
					if l := tempLeftovers(t); len(l) > 0 {
						return fmt.Errorf("temporary download files left behind: %v", l)
					}
					return nil
				},
			},
			{
				Config: testAccImageConfig(pool, dir, block),
				Check:  resource.TestCheckResourceAttr("unikernel_image.img", "sha256", digest),
			},
			{Config: testAccImageConfig(pool, dir, block), PlanOnly: true},
		},
	})
}
