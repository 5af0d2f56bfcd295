package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// sshURI is the shared test daemon reached through the harness sshd, by the
// ssh host alias of the harness's ssh configuration (key, known_hosts), which
// OpenSSH reads through the wrapper that `scripts/harness.sh exec` puts first
// in PATH.
func sshURI(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(acctest.RepoRoot(t)+"/scripts/harness.sh", "ssh-uri").Output()
	if err != nil {
		t.Fatalf("scripts/harness.sh ssh-uri: %v", err)
	}
	uri := strings.TrimSpace(string(out))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "virsh", "-q", "-c", uri, "uri").CombinedOutput(); err != nil {
		t.Fatalf("TF_ACC is set but %s does not answer (start the harness sshd with `scripts/harness.sh up`): %v\n%s", uri, err, out)
	}
	return uri
}

// remoteCycle is the same stack over any URI: pool, uploaded image, network,
// an instance behind a readiness gate, and the console data source.
func remoteCycle(g acctest.Guests, uri, prefix, poolDir string, lan acctest.Subnet, cmdline string) string {
	blocks := append([]tfconfig.Block{tfconfig.Provider{URI: uri, Hypervisor: acctest.Hypervisor()}},
		stackBlocks(g, prefix, poolDir, lan, cmdline)...)
	return tfconfig.Config(append(blocks, consoleData{VM: tfconfig.Instance{Label: "i"}})...)
}

// testRemoteCycle runs pool, image upload, network, instance with its
// readiness gate, the console data source, drift (the guest stopped out of
// band), import and destroy through uri, and returns how long it took. label
// goes into the guest's command line and the readiness pattern, so it must
// not contain regular expression syntax.
func testRemoteCycle(t *testing.T, g acctest.Guests, uri, label string) time.Duration {
	prefix := acctest.RandName("cy")
	poolDir := t.TempDir()
	start := time.Now()
	config := remoteCycle(g, uri, prefix, poolDir, acctest.CIDR(t), "over "+label)
	testAccInstances(t, []resource.TestStep{
		{
			Config: config,
			ConfigStateChecks: checks(expectRunning("unikernel_instance.i"),
				expectStrings("unikernel_image.k", "format", "multiboot"),
				[]statecheck.StateCheck{expectMatch("data.unikernel_instance_console.i", "output", `UNIKERNEL-READY cmdline=over `)}),
		},
		{
			// Drift: the guest is stopped behind Terraform's back.
			PreConfig: func() {
				c := acctest.MustClient(t)
				if err := c.StopDomain(context.Background(), prefix+"-0", 0); err != nil {
					t.Fatal(err)
				}
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("unikernel_instance.i", plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: expectRunning("unikernel_instance.i"),
		},
		{
			ResourceName:            "unikernel_instance.i",
			ImportState:             true,
			ImportStateId:           prefix + "-0",
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: []string{"wait_for", "timeouts", "boot_format", "shutdown_timeout"},
		},
		{
			Config: config,
			Check: func(*terraform.State) error {
				t.Logf("cycle over %s: %s until the import", uri, time.Since(start).Round(time.Millisecond))
				return nil
			},
		},
	})
	return time.Since(start)
}

// TestAccRemote_sshCycle runs the whole cycle over qemu+ssh:// (OpenSSH with a
// host alias from the ssh configuration: its key, its own known_hosts).
func TestAccRemote_sshCycle(t *testing.T) {
	g := testAccInstancePreCheck(t)
	took := testRemoteCycle(t, g, sshURI(t), "ssh")
	t.Logf("qemu+ssh cycle took %s", took.Round(time.Millisecond))
}

// TestAccRemote_localCycle is the same cycle over the local socket, to compare.
func TestAccRemote_localCycle(t *testing.T) {
	g := testAccInstancePreCheck(t)
	took := testRemoteCycle(t, g, acctest.URI(), "local")
	t.Logf("local socket cycle took %s", took.Round(time.Millisecond))
}

// TestAccRemote_twoAliases drives the same daemon through two provider aliases
// at once: the local socket, and qemu+libssh:// with the key and known_hosts
// given as provider attributes. Each alias uploads an image and boots an
// instance from it; every object must be in the state under the alias that
// made it, and destroy goes through each.
func TestAccRemote_twoAliases(t *testing.T) {
	g := testAccInstancePreCheck(t)
	sshURI(t) // the harness sshd answers
	keyDir := filepath.Join(acctest.HarnessState(), "ssh")
	prefix := acctest.RandName("al")
	local, remote := t.TempDir(), t.TempDir()
	// host is a pool, the multiboot kernel uploaded into it and an instance
	// booting it, all through the provider alias, with the instance named
	// prefix-idx.
	host := func(alias, poolDir, idx string) []tfconfig.Block {
		via := "provider = unikernel." + alias
		kernel := tfconfig.Image{Label: alias, Name: "kernel.elf", Pool: tfconfig.Expr("unikernel_pool." + alias + ".name"),
			Source: g.MultibootKernel, Extra: via}
		return []tfconfig.Block{
			tfconfig.Pool{Label: alias, Name: prefix + "-" + alias, Path: poolDir, Extra: via},
			kernel,
			tfconfig.Instance{
				Label: alias, Name: prefix + "-" + idx, KernelX: kernel.Path(), Cmdline: "via " + alias, Memory: 16,
				ShutdownTimeout: "0s", Extra: via,
				WaitFor: &tfconfig.WaitFor{Console: "^UNIKERNEL-READY cmdline=via " + alias + "$", Timeout: "240s"},
			},
		}
	}
	blocks := []tfconfig.Block{
		tfconfig.Provider{URI: acctest.URI(), Hypervisor: acctest.Hypervisor(), Extra: `alias = "local"`},
		tfconfig.Provider{
			URI: "qemu+libssh://root@127.0.0.1/system", Hypervisor: acctest.Hypervisor(),
			Extra: `alias = "remote"` + "\nssh_key_file = " + tfconfig.Quote(keyDir+"/id_ed25519") +
				"\nssh_known_hosts_file = " + tfconfig.Quote(keyDir+"/known_hosts"),
		},
	}
	blocks = append(blocks, host("local", local, "0")...)
	config := tfconfig.Config(append(blocks, host("remote", remote, "1")...)...)
	// The shimmed state that checks receive drops provider aliases: read the
	// state file that Terraform wrote in the test's working directory.
	work := t.TempDir()
	t.Setenv("TF_ACC_TEMP_DIR", work)
	underAlias := func(*terraform.State) error {
		var files []string
		_ = filepath.WalkDir(work, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.Name() == "terraform.tfstate" {
				files = append(files, p)
			}
			return nil
		})
		if len(files) != 1 {
			return fmt.Errorf("want one terraform.tfstate under %s, found %v", work, files)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			return err
		}
		var st struct {
			Resources []struct {
				Mode, Type, Name, Provider string
			}
		}
		if err := json.Unmarshal(b, &st); err != nil {
			return err
		}
		n := 0
		for _, r := range st.Resources {
			if r.Mode != "managed" {
				continue
			}
			if want := `provider["` + providerHost() + `/hashicorp/unikernel"].` + r.Name; r.Provider != want {
				return fmt.Errorf("%s.%s is in the state under %s, want %s", r.Type, r.Name, r.Provider, want)
			}
			n++
		}
		if n != 6 {
			return fmt.Errorf("want 6 resources in the state, found %d", n)
		}
		return nil
	}
	testAccInstances(t, []resource.TestStep{{
		Config:            config,
		ConfigStateChecks: expectRunning("unikernel_instance.local", "unikernel_instance.remote"),
		Check:             underAlias,
	}})
}

// TestAccRemote_tls connects over qemu+tls:// to a private libvirtd that
// listens with TLS on the loopback of its own namespace, with a CA, server
// and client certificate generated for the test. Without the client
// certificate the connection is refused; risky URI parameters are refused
// without `insecure`; with `tls_pki_path` an image is uploaded and an
// instance boots behind its readiness gate.
func TestAccRemote_tls(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d := acctest.StartPrivateDaemon(t, "acc-tls", "UNIKERNEL_PRIVATE_TLS=1")
	addr := acctest.ForwardInto(t, "unikernel-priv-"+d.Name, "127.0.0.1:16514")
	pki := "/run/unikernel-private/" + d.Name + "/pki"
	consoleDir, poolDir := t.TempDir(), t.TempDir()
	prefix := acctest.RandName("tls")
	provider := func(query, pkiPath string) string {
		p := tfconfig.Provider{URI: "qemu+tls://" + addr + "/system" + query, Hypervisor: acctest.Hypervisor(), ConsolePath: consoleDir}
		if pkiPath != "" {
			p.Extra = "tls_pki_path = " + tfconfig.Quote(pkiPath)
		}
		return p.HCL()
	}
	kernel := tfconfig.Image{Label: "k", Name: "kernel.elf", Source: g.MultibootKernel}
	resources := tfconfig.Config(
		tfconfig.Pool{Name: prefix + "-pool", Path: poolDir},
		kernel,
		tfconfig.Instance{
			Label: "i", Name: prefix + "-0", KernelX: kernel.Path(), Cmdline: "over tls", Memory: 16, ShutdownTimeout: "0s",
			WaitFor: &tfconfig.WaitFor{Console: "^UNIKERNEL-READY cmdline=over tls$", Timeout: "240s"},
		},
	)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             fleetCheckNet(t, d, prefix, consoleDir, 0, false, false),
		Steps: []resource.TestStep{
			{
				// libvirt's default certificate locations hold nothing here.
				Config:      provider("", "") + hostData("h").HCL(),
				ExpectError: regexp.MustCompile(`Unable to connect to libvirt`),
			},
			{
				Config:      provider("?no_verify=1", "") + hostData("h").HCL(),
				ExpectError: regexp.MustCompile(`insecure = true`),
			},
			{
				Config:            provider("", pki) + resources,
				ConfigStateChecks: checks(expectRunning("unikernel_instance.i"), expectStrings(kernel.Addr(), "format", "multiboot")),
				Check:             fleetCheckNet(t, d, prefix, consoleDir, 1, true, false),
			},
		},
	})
}

// providerHost is the registry host under which the test framework names the
// provider in state: registry.terraform.io, or what TF_ACC_PROVIDER_HOST says
// (registry.opentofu.org when the CLI is OpenTofu).
func providerHost() string {
	if h := os.Getenv("TF_ACC_PROVIDER_HOST"); h != "" {
		return h
	}
	return "registry.terraform.io"
}
