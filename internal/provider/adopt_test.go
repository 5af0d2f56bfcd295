package provider

// Acceptance tests of what a killed apply leaves (issue 24), simulated
// without killing anything: the objects an interrupted create leaves are
// made out of band, with the create marker such a create writes. The
// SIGKILL scenarios themselves are scripts/fault-sigkill.sh.
//
//   - A domain whose in-flight marker names a process that is gone, or whose
//     deadline passed, is taken over: the next apply leaves exactly the
//     planned objects (its own UUID, reservation, overlay and console log;
//     nothing of the leftover's).
//   - A domain whose create may still run (this test process), whose create
//     finished, or that has no marker is refused and left alone.
//   - A destroy whose volumes are gone already (one killed after deleting
//     them, before the domain) finishes.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

var adoptConsole = hypervisor.ConsolePool{Name: DefaultConsolePool, Path: DefaultConsolePath}

// deadMarker is the in-flight marker of a create whose process is gone.
func deadMarker() *hypervisor.CreateMarker {
	m := hypervisor.NewCreateMarker(time.Now().Add(time.Hour))
	m.PID = 1 << 30 // above any pid_max
	m.PIDStart = 1
	return m
}

// leaveDomain defines name as an interrupted create would have left it,
// with a console log that holds text, and starts it when run is set. It
// returns the domain's UUID.
func leaveDomain(t *testing.T, c *hypervisor.Client, spec hypervisor.DomainSpec, text string, run bool) string {
	t.Helper()
	ctx := context.Background()
	if spec.Type == "" {
		spec.Type = acctest.Hypervisor()
	}
	if spec.MemoryMiB == 0 {
		spec.MemoryMiB, spec.VCPUs = 16, 1
	}
	if spec.Kernel == "" {
		spec.Kernel, spec.Cmdline = acctest.TestGuests(t).MultibootKernel, "left by a killed create"
	}
	spec.ConsoleLog = adoptConsole.LogPath(spec.Name)
	if err := c.EnsureConsolePool(ctx, adoptConsole); err != nil {
		t.Fatal(err)
	}
	uuid, err := c.DefineDomain(ctx, spec)
	if err != nil {
		t.Fatalf("defining the leftover %s: %v", spec.Name, err)
	}
	t.Cleanup(func() {
		_ = c.StopDomain(context.Background(), spec.Name, 0)
		_ = c.DeleteConsole(context.Background(), adoptConsole, spec.Name)
		_ = c.UndefineDomain(context.Background(), spec.Name)
	})
	if text != "" {
		if err := c.AppendConsole(ctx, adoptConsole, spec.Name, text); err != nil {
			t.Fatalf("writing the leftover console log of %s: %v", spec.Name, err)
		}
	}
	if run {
		if err := c.StartDomain(ctx, spec.Name); err != nil {
			t.Fatalf("starting the leftover %s: %v", spec.Name, err)
		}
	}
	return uuid
}

// Two leftovers are taken over: one running, with a DHCP reservation, a
// copy-on-write overlay of the wrong size and a console log, left by a
// process on this machine that is gone; one shut off, left by another
// machine whose create's deadline passed. After the apply each is the
// planned instance and nothing of the leftover remains.
func TestAccAdopt_instance(t *testing.T) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	net, a, b := acctest.RandName("net"), acctest.RandName("adopt"), acctest.RandName("adopt")
	lan := acctest.CIDR(t)
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	raw := filepath.Join(t.TempDir(), "base.raw")
	acctest.RandomFile(t, raw, 1<<20)
	network := isolatedNet(net, lan)
	p, image := poolWithImage(pool, poolDir, "base", "base.raw", raw)
	base := []tfconfig.Block{network, p, image}
	vmA, vmB := adoptInstance(g, a, "adopted a"), adoptInstance(g, b, "adopted b")
	vmA.Label, vmB.Label = "a", "b"
	vmA.BaseImages = []tfconfig.Expr{image.ID()}
	vmA.NICs = []tfconfig.NIC{{NetworkRef: network.Ref(), IPv4: lan.Host(10)}}
	config := testConfig(append(base, vmA, vmB)...)
	const leftMAC = "52:54:00:24:01:20"
	var leftA, leftB string
	var leftMarkerA *hypervisor.CreateMarker
	overlay := filepath.Join(poolDir, a+"-disk0.qcow2")
	testAccInstances(t, []resource.TestStep{
		{Config: testConfig(base...)},
		{
			PreConfig: func() {
				leftMarkerA = deadMarker()
				leftA = leaveDomain(t, c, hypervisor.DomainSpec{Name: a, Create: leftMarkerA,
					Interfaces: []hypervisor.InterfaceSpec{{Network: net, MAC: leftMAC}}}, "LEFTOVER-CONSOLE\n", true)
				if err := c.AddDHCPHost(ctx, net, hypervisor.DHCPHost{MAC: leftMAC, IPv4: lan.Host(20)}); err != nil {
					t.Fatal(err)
				}
				vol, err := c.LookupVolumeByKey(ctx, filepath.Join(poolDir, "base.raw"))
				if err != nil {
					t.Fatal(err)
				}
				// Twice the base's size: a planned overlay has the base's.
				if _, err := c.CreateOverlay(ctx, pool, hypervisor.OverlaySpec{Name: a + "-disk0.qcow2", BasePath: vol.Path,
					BaseFormat: "raw", Capacity: 2 << 20}); err != nil {
					t.Fatal(err)
				}
				other := hypervisor.NewCreateMarker(time.Now().Add(-time.Minute))
				other.Host = "a-machine-that-is-not-this-one"
				leftB = leaveDomain(t, c, hypervisor.DomainSpec{Name: b, Create: other}, "LEFTOVER-CONSOLE\n", false)
			},
			Config: config,
			ConfigStateChecks: checks(expectRunning(vmA.Addr(), vmB.Addr()),
				expectStrings(vmA.Addr(), "network_interfaces.0.ipv4_address", lan.Host(10))),
			Check: func(s *terraform.State) error {
				for n, left := range map[string]string{a: leftA, b: leftB} {
					info, err := c.ReadDomain(ctx, n)
					if err != nil {
						return err
					}
					if info.Spec.UUID == left {
						return fmt.Errorf("%s still has the leftover's UUID %s: it was not rebuilt", n, left)
					}
					if info.Spec.Create == nil || info.Spec.Create.State != hypervisor.CreateFinished || info.Spec.Create.ID == leftMarkerA.ID {
						return fmt.Errorf("%s: marker %+v, want a finished create of its own", n, info.Spec.Create)
					}
					log, err := c.ReadConsole(ctx, adoptConsole, n, 0, 0)
					if err != nil {
						return err
					}
					if strings.Contains(string(log), "LEFTOVER-CONSOLE") {
						return fmt.Errorf("%s: the leftover's console log was kept: %q", n, log)
					}
				}
				nw, err := c.ReadNetwork(ctx, net)
				if err != nil {
					return err
				}
				if len(nw.Spec.Hosts) != 1 || nw.Spec.Hosts[0].IPv4 != lan.Host(10) || nw.Spec.Hosts[0].MAC == leftMAC {
					return fmt.Errorf("reservations %+v, want only the planned %s", nw.Spec.Hosts, lan.Host(10))
				}
				vol, err := c.LookupVolumeByKey(ctx, overlay)
				if err != nil {
					return err
				}
				if vol.Capacity != 1<<20 {
					return fmt.Errorf("overlay capacity %d: the leftover overlay (2 MiB) was reused, want the planned one (1 MiB)", vol.Capacity)
				}
				return nil
			},
		},
		{Config: config, PlanOnly: true},
	})
}

// Domains that are not an abandoned create's are refused and left alone:
// one whose create may still run (its marker names this process), one
// whose create finished (it belongs to some state) and one without a marker
// (made outside the provider).
func TestAccAdopt_instanceRefused(t *testing.T) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	own, _ := hypervisor.ProcessStart(os.Getpid())
	live := hypervisor.NewCreateMarker(time.Now().Add(time.Hour))
	if live.PIDStart != own {
		t.Fatalf("marker of this process: pid start %d, want %d", live.PIDStart, own)
	}
	finished := deadMarker()
	finished.State = hypervisor.CreateFinished
	cases := []struct {
		marker *hypervisor.CreateMarker
		want   string
	}{
		{live, `is\s+being\s+created\s+by\s+create\s+` + live.ID + `[\s\S]*next\s+apply\s+after`},
		{finished, `created\s+by\s+Terraform\s+\(create\s+` + finished.ID + `[\s\S]*perhaps\s+another\s+workspace's[\s\S]*import`},
		{nil, `made\s+outside\s+this\s+provider[\s\S]*import`},
	}
	var steps []resource.TestStep
	for _, tc := range cases {
		name := acctest.RandName("refuse")
		var uuid string
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				uuid = leaveDomain(t, c, hypervisor.DomainSpec{Name: name, Create: tc.marker}, "", false)
			},
			Config:      testConfig(adoptInstance(g, name, "refused")),
			ExpectError: regexp.MustCompile(tc.want),
		}, resource.TestStep{
			Config: testConfig(),
			Check: acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
				if info.Spec.UUID != uuid || info.Spec.Cmdline != "left by a killed create" {
					return fmt.Errorf("the refused domain %s was changed: uuid %s (was %s), cmdline %q", name, info.Spec.UUID, uuid, info.Spec.Cmdline)
				}
				if (tc.marker == nil) != (info.Spec.Create == nil) || tc.marker != nil && *info.Spec.Create != *tc.marker {
					return fmt.Errorf("the refused domain's marker changed: %+v, was %+v", info.Spec.Create, tc.marker)
				}
				return nil
			}),
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

// A destroy killed after it deleted the instance's overlay and console log
// leaves the domain, and the resource in the state: the next destroy
// finishes without error.
func TestAccAdopt_destroyAfterVolumesGone(t *testing.T) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name, pool, poolDir := acctest.RandName("halfgone"), acctest.RandName("pool"), acctest.PoolDir(t)
	raw := filepath.Join(t.TempDir(), "base.raw")
	acctest.RandomFile(t, raw, 1<<20)
	p, image := poolWithImage(pool, poolDir, "base", "base.raw", raw)
	vm := adoptInstance(g, name, "half gone")
	vm.BaseImages = []tfconfig.Expr{image.ID()}
	overlay := filepath.Join(poolDir, name+"-disk0.qcow2")
	testAccInstances(t, []resource.TestStep{
		{Config: testConfig(p, image, vm)},
		{
			PreConfig: func() {
				if err := c.StopDomain(ctx, name, 0); err != nil {
					t.Fatal(err)
				}
				vol, err := c.LookupVolumeByKey(ctx, overlay)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.DeleteVolume(ctx, vol.Pool, vol.Name); err != nil {
					t.Fatal(err)
				}
				if err := c.DeleteConsole(ctx, adoptConsole, name); err != nil {
					t.Fatal(err)
				}
			},
			Config: testConfig(p, image),
			Check: func(*terraform.State) error {
				if _, err := c.ReadDomain(ctx, name); !hypervisor.IsNotFound(err) {
					return fmt.Errorf("domain %s after the destroy: %v, want not found", name, err)
				}
				return nil
			},
		},
	})
}

// leaveNetwork defines and starts network name on cidr as an interrupted
// create would have left it, with the sidecar marker m (none when nil).
func leaveNetwork(t *testing.T, c *hypervisor.Client, name, cidr string, m *hypervisor.CreateMarker) string {
	t.Helper()
	ctx := context.Background()
	uuid, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: name, Mode: "isolated", IPv4CIDR: cidr}, false)
	if err != nil {
		t.Fatalf("defining the leftover network %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = c.DeleteNetwork(context.Background(), name)
		_ = c.DeleteCreateSidecar(context.Background(), adoptConsole, hypervisor.SidecarNetwork, "", name)
	})
	if m != nil {
		if err := c.EnsureConsolePool(ctx, adoptConsole); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteCreateSidecar(ctx, adoptConsole, hypervisor.SidecarNetwork, "", name, m); err != nil {
			t.Fatal(err)
		}
	}
	return uuid
}

// adoptInstance is the multiboot guest as unikernel_instance.test, with
// no shutdown wait.
func adoptInstance(g acctest.Guests, name, cmdline string) tfconfig.Instance {
	vm := multiboot(g, name, cmdline)
	vm.ShutdownTimeout = "0s"
	return vm
}

// adoptNetworkConfig is the isolated network name on lan.
func adoptNetworkConfig(name string, lan acctest.Subnet) string {
	return testConfig(isolatedNet(name, lan))
}

// A network left by a killed create (its sidecar marker in flight, its
// process gone) on another range is taken over: the apply leaves the
// planned network (a new UUID, the planned range) and no sidecar.
func TestAccAdopt_network(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name := acctest.RandName("net")
	leftover, planned := acctest.CIDR(t), acctest.CIDR(t)
	var left string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworkNotDefined(name),
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { left = leaveNetwork(t, c, name, leftover.CIDR(), deadMarker()) },
				Config:            adoptNetworkConfig(name, planned),
				ConfigStateChecks: expectStrings("unikernel_network.n", "ipv4_cidr", planned.CIDR()),
				Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
					if info.Spec.UUID == left || info.Spec.IPv4CIDR != planned.CIDR() || !info.Active {
						return fmt.Errorf("network %s: uuid %s (leftover %s), range %s, active %v: not rebuilt to the plan",
							name, info.Spec.UUID, left, info.Spec.IPv4CIDR, info.Active)
					}
					m, err := c.ReadCreateSidecar(ctx, adoptConsole, hypervisor.SidecarNetwork, "", name)
					if err != nil || m != nil {
						return fmt.Errorf("sidecar after the create: %+v, %v; want none", m, err)
					}
					return nil
				}),
			},
			{Config: adoptNetworkConfig(name, planned), PlanOnly: true},
		},
	})
}

// A network whose create may still run (its sidecar names this process),
// and one without a sidecar (made outside the provider, or by a finished
// create), are refused and left alone.
func TestAccAdopt_networkRefused(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	live := hypervisor.NewCreateMarker(time.Now().Add(time.Hour))
	cases := []struct {
		marker *hypervisor.CreateMarker
		cidr   string
		want   string
	}{
		{live, acctest.CIDR(t).CIDR(), `is\s+being\s+created\s+by\s+create\s+` + live.ID},
		{nil, acctest.CIDR(t).CIDR(), `no\s+create\s+of\s+it\s+is\s+in\s+flight[\s\S]*import`},
	}
	planned := acctest.CIDR(t)
	var steps []resource.TestStep
	for _, tc := range cases {
		name := acctest.RandName("net")
		var uuid string
		steps = append(steps, resource.TestStep{
			PreConfig:   func() { uuid = leaveNetwork(t, c, name, tc.cidr, tc.marker) },
			Config:      adoptNetworkConfig(name, planned),
			ExpectError: regexp.MustCompile(tc.want),
		}, resource.TestStep{
			Config: testConfig(),
			Check: acctest.CheckNetwork(name, func(info hypervisor.NetworkInfo) error {
				if info.Spec.UUID != uuid || info.Spec.IPv4CIDR != tc.cidr {
					return fmt.Errorf("the refused network %s was changed: uuid %s (was %s), range %s", name, info.Spec.UUID, uuid, info.Spec.IPv4CIDR)
				}
				return nil
			}),
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

// leaveVolume makes pool/name as a killed upload leaves it: the full size,
// only its first half written, and a sidecar marker m of kind (none when m
// is nil).
func leaveVolume(t *testing.T, c *hypervisor.Client, pool, name, kind, src string, m *hypervisor.CreateMarker) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVolume(ctx, pool, hypervisor.VolumeSpec{Name: name, Size: uint64(len(b))}); err != nil {
		t.Fatalf("making the leftover volume %s/%s: %v", pool, name, err)
	}
	half := b[:len(b)/2]
	if err := c.Upload(ctx, pool, name, strings.NewReader(string(half)), uint64(len(half)), nil); err != nil {
		t.Fatalf("half-writing the leftover volume %s/%s: %v", pool, name, err)
	}
	t.Cleanup(func() {
		_ = c.DeleteCreateSidecar(context.Background(), adoptConsole, kind, pool, name)
	})
	if m != nil {
		if err := c.EnsureConsolePool(ctx, adoptConsole); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteCreateSidecar(ctx, adoptConsole, kind, pool, name, m); err != nil {
			t.Fatal(err)
		}
	}
}

// An image whose upload was killed halfway (its volume of full size, half
// written, its sidecar in flight) is deleted and uploaded anew: the volume
// then holds the source's bytes (checked by sha256), and no sidecar is
// left. A half-written volume of a create that may still run, or without a
// sidecar, is refused and left as it is.
func TestAccAdopt_image(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "img.raw")
	acctest.RandomFile(t, src, 4<<20)
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	p := tfconfig.Pool{Name: pool, Path: poolDir}
	poolConfig := testConfig(p)
	imageConfig := func(name string) string {
		return testConfig(p, tfconfig.Image{Label: "img", Name: name, Source: src})
	}
	halfWritten := func(name string) resource.TestCheckFunc {
		return acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
			info, err := c.ReadVolume(ctx, pool, name)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(info.Path)
			if err != nil {
				return err
			}
			want, _ := os.ReadFile(src)
			if string(b) == string(want) {
				return fmt.Errorf("the refused volume %s/%s was rewritten", pool, name)
			}
			return nil
		})
	}
	adopted, live, foreign := "adopted.raw", "live.raw", "foreign.raw"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: poolConfig},
			{
				PreConfig: func() { leaveVolume(t, c, pool, adopted, hypervisor.SidecarImage, src, deadMarker()) },
				Config:    imageConfig(adopted),
				Check: resource.ComposeAggregateTestCheckFunc(
					testAccCheckVolumeHolds(pool, adopted, src),
					func(*terraform.State) error {
						m, err := c.ReadCreateSidecar(ctx, adoptConsole, hypervisor.SidecarImage, pool, adopted)
						if err != nil || m != nil {
							return fmt.Errorf("sidecar after the create: %+v, %v; want none", m, err)
						}
						return nil
					},
				),
			},
			{Config: imageConfig(adopted), PlanOnly: true},
			{
				PreConfig: func() {
					leaveVolume(t, c, pool, live, hypervisor.SidecarImage, src, hypervisor.NewCreateMarker(time.Now().Add(time.Hour)))
				},
				Config:      imageConfig(live),
				ExpectError: regexp.MustCompile(`storage\s+volume\s+named\s+"` + pool + `/` + live + `"\s+is\s+being\s+created`),
			},
			{Config: poolConfig, Check: halfWritten(live)},
			{
				PreConfig:   func() { leaveVolume(t, c, pool, foreign, hypervisor.SidecarImage, src, nil) },
				Config:      imageConfig(foreign),
				ExpectError: regexp.MustCompile(`no\s+create\s+of\s+it\s+is\s+in\s+flight`),
			},
			{Config: poolConfig, Check: halfWritten(foreign)},
			{
				// The pool's destroy needs it empty.
				PreConfig: func() {
					for _, n := range []string{live, foreign} {
						if err := c.DeleteVolume(ctx, pool, n); err != nil {
							t.Fatal(err)
						}
					}
				},
				Config: poolConfig,
			},
		},
	})
}

// A data volume left by a killed create (another size, its sidecar in
// flight) is made anew to the plan.
func TestAccAdopt_volume(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	src := filepath.Join(t.TempDir(), "left.raw")
	acctest.RandomFile(t, src, 3<<20)
	pool, poolDir, name := acctest.RandName("pool"), acctest.PoolDir(t), "data.raw"
	p, vol := tfconfig.Pool{Name: pool, Path: poolDir}, sizedVolume{Label: "v", Name: name, Size: "8MiB"}
	poolConfig, config := testConfig(p), testConfig(p, vol)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: poolConfig},
			{
				PreConfig: func() { leaveVolume(t, c, pool, name, hypervisor.SidecarVolume, src, deadMarker()) },
				Config:    config,
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(vol.Addr(), "capacity", knownvalue.Int64Exact(8<<20)),
				},
				Check: acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
					info, err := c.ReadVolume(ctx, pool, name)
					if err != nil {
						return err
					}
					if info.Capacity != 8<<20 {
						return fmt.Errorf("volume capacity %d, want the planned %d", info.Capacity, 8<<20)
					}
					if m, err := c.ReadCreateSidecar(ctx, adoptConsole, hypervisor.SidecarVolume, pool, name); err != nil || m != nil {
						return fmt.Errorf("sidecar after the create: %+v, %v; want none", m, err)
					}
					return nil
				}),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// A restart-class update killed between the stop and the start: the new
// definition is in libvirt, the guest is stopped, and the state still has
// the old configuration. The next apply starts it on the new definition
// (an update, no replacement), and the plan after it is empty.
func TestAccAdopt_updateKilledBetweenStopAndStart(t *testing.T) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name := acctest.RandName("halfupd")
	before, after := adoptInstance(g, name, "before"), adoptInstance(g, name, "after")
	var uuid string
	testAccInstances(t, []resource.TestStep{
		{
			Config: testConfig(before),
			Check:  captureAttr(before.Addr(), "id", &uuid),
		},
		{
			PreConfig: func() {
				// What the killed update did: redefine, then stop.
				info, err := c.ReadDomain(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				spec := info.Spec
				spec.Cmdline = "after"
				if _, err := c.DefineDomain(ctx, spec); err != nil {
					t.Fatal(err)
				}
				if err := c.StopDomain(ctx, name, 0); err != nil {
					t.Fatal(err)
				}
			},
			Config: testConfig(after),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(after.Addr(), plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: expectStrings(after.Addr(), "state", "running", "cmdline", "after"),
			Check: resource.ComposeAggregateTestCheckFunc(
				sameAttr(after.Addr(), "id", &uuid),
				acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
					if info.Spec.Create == nil || info.Spec.Create.State != hypervisor.CreateFinished {
						return fmt.Errorf("marker %+v after the update, want the finished create's", info.Spec.Create)
					}
					return nil
				}),
			),
		},
		{Config: testConfig(after), PlanOnly: true},
	})
}
