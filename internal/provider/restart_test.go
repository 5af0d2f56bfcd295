package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The restart tests run against a private libvirtd (scripts/private-libvirtd.sh)
// that they stop and start again while Terraform works. They prove that:
//   - the provider reopens its connection and the apply succeeds when the
//     daemon is back within the wait, whether the restart hits the creation of
//     domains or the readiness wait that follows;
//   - a later plan is empty, and destroy leaves no domain, console log, network
//     or DHCP reservation behind (no duplicates, no orphans).

const restartCount = 10

// restartFleet is a network with n instances, each with a reserved address
// (host 10+i of lan); gate(i) is the wait_for.console pattern of instance
// i. The instances are unikernel_instance.i0 and on, named prefix-0 and on.
func restartFleet(g acctest.Guests, prefix string, lan acctest.Subnet, n int, gate func(i int) string) []tfconfig.Block {
	net := isolatedNet(prefix+"-net", lan)
	blocks := []tfconfig.Block{net}
	for i := range n {
		blocks = append(blocks, tfconfig.Instance{
			Label: fmt.Sprintf("i%d", i), Name: fmt.Sprintf("%s-%d", prefix, i), Kernel: g.MultibootKernel,
			Cmdline: fmt.Sprintf("instance %d", i), Memory: 16, ShutdownTimeout: "0s",
			NICs:    []tfconfig.NIC{{NetworkRef: net.Ref(), IPv4: lan.Host(10 + i)}},
			WaitFor: &tfconfig.WaitFor{Console: gate(i), Timeout: "240s"},
		})
	}
	return blocks
}

// readyGate is the gate of a fleet instance that waits for its ready line.
func readyGate(i int) string { return fmt.Sprintf("^UNIKERNEL-READY cmdline=instance %d$", i) }

// fleetCheck counts what the private daemon holds for prefix: domains
// (running or not), reservations on the network, and console logs.
func fleetCheck(t *testing.T, d *acctest.PrivateDaemon, prefix, consoleDir string, wantDomains int, wantRunning bool) resource.TestCheckFunc {
	return fleetCheckNet(t, d, prefix, consoleDir, wantDomains, wantRunning, true)
}

// fleetCheckNet is fleetCheck; withNet says whether the configuration has the
// network prefix-net whose reservations are counted.
func fleetCheckNet(t *testing.T, d *acctest.PrivateDaemon, prefix, consoleDir string, wantDomains int, wantRunning, withNet bool) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		c := d.Client(t)
		names, err := c.DomainNames(ctx)
		if err != nil {
			return err
		}
		var ours []string
		for _, n := range names {
			if strings.HasPrefix(n, prefix+"-") {
				ours = append(ours, n)
			}
		}
		if len(ours) != wantDomains {
			return fmt.Errorf("want %d domains named %s-*, the daemon has %d: %v", wantDomains, prefix, len(ours), ours)
		}
		for _, n := range ours {
			st, err := c.DomainState(ctx, n)
			if err != nil {
				return err
			}
			if wantRunning && st != hypervisor.StateRunning {
				return fmt.Errorf("domain %s is %s, want running", n, st)
			}
		}
		net, err := c.ReadNetwork(ctx, prefix+"-net")
		switch {
		case !withNet && hypervisor.IsNotFound(err):
		case !withNet && err == nil:
			return fmt.Errorf("network %s-net exists", prefix)
		case wantDomains == 0 && hypervisor.IsNotFound(err):
		case err != nil:
			return err
		case len(net.Spec.Hosts) != wantDomains:
			return fmt.Errorf("want %d reservations on %s-net, found %d: %+v", wantDomains, prefix, len(net.Spec.Hosts), net.Spec.Hosts)
		}
		logs, _ := filepath.Glob(filepath.Join(consoleDir, prefix+"-*"))
		if wantDomains == 0 && len(logs) != 0 {
			return fmt.Errorf("console logs left behind: %v", logs)
		}
		return nil
	}
}

// restartWhen restarts the daemon (2 s down) once ready reports true, and
// records how long the restart took and any error.
type restarter struct {
	d       *acctest.PrivateDaemon
	wg      sync.WaitGroup
	err     error
	took    time.Duration
	stopped time.Time
}

func (r *restarter) when(ready func() bool, after func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		deadline := time.Now().Add(5 * time.Minute)
		for !ready() {
			if time.Now().After(deadline) {
				r.err = fmt.Errorf("the moment to restart libvirtd never came")
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		r.stopped = time.Now()
		r.took, r.err = r.d.Restart(2 * time.Second)
		if r.err == nil && after != nil {
			after()
		}
	}()
}

func (r *restarter) check(*terraform.State) error {
	r.wg.Wait()
	if r.err != nil {
		return r.err
	}
	if r.stopped.IsZero() {
		return fmt.Errorf("libvirtd was not restarted")
	}
	return nil
}

// virshCount counts the private daemon's domains named prefix-*; list
// selects them (--all or --state-running).
func virshCount(d *acctest.PrivateDaemon, prefix, list string) int {
	out, err := d.Virsh("list", list, "--name")
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range strings.Fields(out) {
		if strings.HasPrefix(l, prefix+"-") {
			n++
		}
	}
	return n
}

// TestAccRestart_duringCreate restarts libvirtd as soon as the first of ten
// domains is defined: the apply must still succeed, with every instance
// running and ready, exactly ten domains and ten reservations.
func TestAccRestart_duringCreate(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d := acctest.StartPrivateDaemon(t, "acc-restart1")
	consoleDir := t.TempDir()
	prefix := acctest.RandName("rc")
	config := tfconfig.Config(append([]tfconfig.Block{privateProvider(d, consoleDir)},
		restartFleet(g, prefix, acctest.CIDR(t), restartCount, readyGate)...)...)
	r := &restarter{d: d}
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             fleetCheck(t, d, prefix, consoleDir, 0, false),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					r.when(func() bool { return virshCount(d, prefix, "--all") > 0 }, nil)
				},
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(r.check,
					fleetCheck(t, d, prefix, consoleDir, restartCount, true),
					func(*terraform.State) error {
						t.Logf("apply of %d instances with a restart of libvirtd during creation: %s (restart took %s)",
							restartCount, time.Since(start).Round(time.Millisecond), r.took.Round(time.Millisecond))
						return nil
					}),
			},
			// A second apply has nothing to do.
			{Config: config, PlanOnly: true},
		},
	})
}

// TestAccRestart_duringReadiness restarts libvirtd while ten running instances
// wait for a console line they have not printed yet. After the restart the
// test writes that line into each console log: the apply must succeed.
func TestAccRestart_duringReadiness(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d := acctest.StartPrivateDaemon(t, "acc-restart2")
	consoleDir := t.TempDir()
	prefix := acctest.RandName("rr")
	release := func(i int) string { return fmt.Sprintf("^RELEASE-%d$", i) }
	config := tfconfig.Config(append([]tfconfig.Block{privateProvider(d, consoleDir)},
		restartFleet(g, prefix, acctest.CIDR(t), restartCount, release)...)...)
	r := &restarter{d: d}
	var recovered time.Duration
	releaseAll := func() {
		for i := 0; i < restartCount; i++ {
			f, err := os.OpenFile(filepath.Join(consoleDir, fmt.Sprintf("%s-%d.log", prefix, i)), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				r.err = err
				return
			}
			_, _ = fmt.Fprintf(f, "\r\nRELEASE-%d\r\n", i)
			_ = f.Close()
		}
		recovered = time.Since(r.stopped)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             fleetCheck(t, d, prefix, consoleDir, 0, false),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					r.when(func() bool { return virshCount(d, prefix, "--state-running") == restartCount }, releaseAll)
				},
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(r.check,
					fleetCheck(t, d, prefix, consoleDir, restartCount, true),
					func(*terraform.State) error {
						t.Logf("libvirtd restart during the readiness wait: daemon back after %s, consoles released %s after the stop",
							r.took.Round(time.Millisecond), recovered.Round(time.Millisecond))
						return nil
					}),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// TestAccRestart_betweenSteps restarts libvirtd between two applies of a pool,
// an uploaded image, a network and an instance: the refresh after the restart
// finds everything, the plan is empty, and an update goes through.
func TestAccRestart_betweenSteps(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d := acctest.StartPrivateDaemon(t, "acc-restart3")
	consoleDir := t.TempDir()
	poolDir := t.TempDir()
	prefix := acctest.RandName("rb")
	lan := acctest.CIDR(t)
	config := func(cmdline string) string {
		return tfconfig.Config(append([]tfconfig.Block{privateProvider(d, consoleDir)}, stackBlocks(g, prefix, poolDir, lan, cmdline)...)...)
	}
	var recovery time.Duration
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             fleetCheck(t, d, prefix, consoleDir, 0, false),
		Steps: []resource.TestStep{
			{Config: config("first"), ConfigStateChecks: expectRunning("unikernel_instance.i")},
			{
				PreConfig: func() {
					took, err := d.Restart(2 * time.Second)
					if err != nil {
						t.Fatal(err)
					}
					recovery = took
				},
				Config:   config("first"),
				PlanOnly: true,
			},
			{
				PreConfig: func() {
					if _, err := d.Restart(2 * time.Second); err != nil {
						t.Fatal(err)
					}
				},
				Config:            config("second"),
				ConfigStateChecks: expectStrings("unikernel_instance.i", "cmdline", "second", "state", "running"),
				Check: func(*terraform.State) error {
					t.Logf("libvirtd restart between steps: daemon back after %s", recovery.Round(time.Millisecond))
					return nil
				},
			},
		},
	})
}

// stackBlocks are a pool with the multiboot kernel uploaded as an image, a
// network, and one instance (unikernel_instance.i) that boots the image with
// a reserved address.
func stackBlocks(g acctest.Guests, prefix, poolDir string, lan acctest.Subnet, cmdline string) []tfconfig.Block {
	p, kernel := poolWithImage(prefix+"-pool", poolDir, "k", "kernel.elf", g.MultibootKernel)
	net := isolatedNet(prefix+"-net", lan)
	return []tfconfig.Block{
		p,
		kernel,
		net,
		tfconfig.Instance{
			Label: "i", Name: prefix + "-0", KernelX: kernel.Path(), Cmdline: cmdline, Memory: 16, ShutdownTimeout: "0s",
			NICs:    []tfconfig.NIC{{NetworkRef: net.Ref(), IPv4: lan.Host(10)}},
			WaitFor: &tfconfig.WaitFor{Console: "^UNIKERNEL-READY cmdline=" + cmdline + "$", Timeout: "240s"},
		},
	}
}

// TestAccRestart_outageTaints stops libvirtd for longer than the provider's
// reconnect_timeout while three instances are being created: the apply fails.
// Every domain that was defined before the outage is in the state (tainted),
// none is orphaned, and the next apply, with the daemon back, converges to
// exactly three running instances with three reservations.
func TestAccRestart_outageTaints(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d := acctest.StartPrivateDaemon(t, "acc-outage")
	consoleDir := t.TempDir()
	prefix := acctest.RandName("ro")
	const n = 3
	provider := privateProvider(d, consoleDir)
	provider.Extra = `reconnect_timeout = "3s"`
	config := tfconfig.Config(append([]tfconfig.Block{provider}, restartFleet(g, prefix, acctest.CIDR(t), n, readyGate)...)...)
	var (
		wg     sync.WaitGroup
		outErr error
	)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             fleetCheck(t, d, prefix, consoleDir, 0, false),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					wg.Add(1)
					go func() {
						defer wg.Done()
						deadline := time.Now().Add(5 * time.Minute)
						for virshCount(d, prefix, "--all") == 0 {
							if time.Now().After(deadline) {
								outErr = fmt.Errorf("no domain was ever defined")
								return
							}
							time.Sleep(50 * time.Millisecond)
						}
						if out, err := exec.Command(d.Script(), "stop-daemon", d.Name).CombinedOutput(); err != nil {
							outErr = fmt.Errorf("stop-daemon: %v: %s", err, out)
							return
						}
						time.Sleep(15 * time.Second) // well past reconnect_timeout
						if out, err := exec.Command(d.Script(), "start-daemon", d.Name).CombinedOutput(); err != nil {
							outErr = fmt.Errorf("start-daemon: %v: %s", err, out)
						}
					}()
				},
				Config:      config,
				ExpectError: regexp.MustCompile(`(?s)Unable to create instance.*(did not answer again|daemon)`),
			},
			{
				PreConfig: func() {
					wg.Wait()
					if outErr != nil {
						t.Fatal(outErr)
					}
				},
				Config: config,
				// At least the domain whose definition triggered the outage is in the
				// state as tainted: it is replaced, not created a second time.
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{replacesSome{"unikernel_instance."}}},
				Check:            fleetCheck(t, d, prefix, consoleDir, n, true),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// replacesSome is a plan check: at least one resource whose address starts
// with prefix is replaced.
type replacesSome struct{ prefix string }

func (c replacesSome) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if strings.HasPrefix(rc.Address, c.prefix) && rc.Change.Actions.Replace() {
			return
		}
	}
	resp.Error = fmt.Errorf("no %s* resource is replaced: nothing made before the outage was in the state", c.prefix)
}
