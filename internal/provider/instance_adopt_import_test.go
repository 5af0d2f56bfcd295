package provider

// Acceptance tests of importing running guests (issue 28), with `import`
// blocks as a user adopting them writes them. Each proves that the first plan
// after the import changes nothing (no update, no restart: the QEMU process
// is the same) and that later changes behave as for an instance the provider
// made:
//
//   - our own copy-on-write instance, dropped from the state with a
//     `removed` block and imported again, reads its overlay back as
//     base_image;
//   - a domain defined by hand (as virsh or the libvirt provider define one)
//     on a qcow2 overlay volume named otherwise, over a base volume in a
//     pool, imports with base_image and keeps that overlay; a description
//     change applies live and a memory change restarts it once;
//   - a hand-made domain without ACPI and with a named CPU model imports
//     with those attributes unset in the configuration and plans nothing.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// importPlan is a plan check of an import: the resource is imported and
// neither updated nor replaced. Whatever attributes the plan would change
// are named in the error, and logged either way.
type importPlan struct {
	t    *testing.T
	addr string
}

func (c importPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		changed := changedAttributes(rc.Change.Before, rc.Change.After)
		if u, _ := json.Marshal(rc.Change.AfterUnknown); string(u) != "{}" && string(u) != "null" {
			changed = append(changed, "unknown after: "+string(u))
		}
		c.t.Logf("first plan after import of %s: actions %v, importing %v, changed attributes %v",
			c.addr, rc.Change.Actions, rc.Change.Importing != nil, changed)
		if rc.Change.Importing == nil {
			resp.Error = fmt.Errorf("%s is not imported by this plan", c.addr)
			return
		}
		if !rc.Change.Actions.NoOp() {
			resp.Error = fmt.Errorf("the import of %s plans %v, want no change; changed: %v", c.addr, rc.Change.Actions, changed)
		}
		return
	}
	resp.Error = fmt.Errorf("no change planned for %s", c.addr)
}

// changedAttributes lists the top-level attributes whose values differ
// between before and after (JSON values of a plan).
func changedAttributes(before, after any) []string {
	b, _ := before.(map[string]any)
	a, _ := after.(map[string]any)
	var out []string
	for k, v := range a {
		x, _ := json.Marshal(v)
		y, _ := json.Marshal(b[k])
		if string(x) != string(y) {
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, y, x))
		}
	}
	sort.Strings(out)
	return out
}

// importsUnchanged is the plan check of an apply that imports addr and
// changes nothing.
func importsUnchanged(t *testing.T, addr string) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{importPlan{t, addr}}}
}

// sameQEMU checks that guest name still runs in the QEMU process *pid
// (recorded when *pid is 0): no restart.
func sameQEMU(name string, pid *int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		now := acctest.QemuPID(name)
		if now == 0 {
			return fmt.Errorf("%s has no QEMU process", name)
		}
		if *pid != 0 && now != *pid {
			return fmt.Errorf("%s restarted: QEMU pid %d, was %d", name, now, *pid)
		}
		*pid = now
		return nil
	}
}

// otherQEMU checks that guest name runs in a new QEMU process (one restart),
// and records it.
func otherQEMU(name string, pid *int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		now := acctest.QemuPID(name)
		if now == 0 || now == *pid {
			return fmt.Errorf("%s: QEMU pid %d, was %d: want a restart", name, now, *pid)
		}
		*pid = now
		return nil
	}
}

// Our own copy-on-write instance, forgotten by the state and imported again,
// plans nothing and keeps running: the overlay reads back as base_image.
func TestAccInstanceImport_copyOnWrite(t *testing.T) {
	g := testAccInstancePreCheck(t)
	disk := filepath.Join(t.TempDir(), "base.raw")
	acctest.CopyFile(t, g.BootDiskRaw, disk)
	pool, poolDir := acctest.RandName("pool"), acctest.PoolDir(t)
	net, name := acctest.RandName("net"), acctest.RandName("cowimp")
	p, image := poolWithImage(pool, poolDir, "base", "base.raw", disk)
	network := isolatedNet(net, acctest.CIDR(t))
	vm := tfconfig.Instance{
		Label: "test", Name: name, Memory: 16, BaseImages: []tfconfig.Expr{image.ID()},
		NICs: []tfconfig.NIC{{NetworkRef: network.Ref()}},
	}
	booting, described := vm, vm
	booting.WaitFor = &tfconfig.WaitFor{Console: "DISK-READY", Timeout: "90s"}
	described.Extra = `description = "adopted again"`
	res := vm.Addr()
	overlay := filepath.Join(poolDir, name+"-disk0.qcow2")
	var pid int
	sameID, sameMAC := statecheck.CompareValue(compare.ValuesSame()), statecheck.CompareValue(compare.ValuesSame())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, checkFileGone("overlay", overlay)),
		Steps: []resource.TestStep{
			{
				Config: testConfig(p, image, network, booting),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(res, "disks.0.overlay", knownvalue.StringExact(overlay)),
					sameID.AddStateValue(res, acctest.Path("id")),
					sameMAC.AddStateValue(res, acctest.Path("network_interfaces.0.mac")),
				},
				Check: sameQEMU(name, &pid),
			},
			{
				// The state lets go of the instance; the guest keeps running.
				Config: testConfig(p, image, network, removedBlock{From: res}),
				Check:  sameQEMU(name, &pid),
			},
			{
				Config:           testConfig(p, image, network, importBlock{To: res, ID: name}, vm),
				ConfigPlanChecks: importsUnchanged(t, res),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs(res, acctest.Path("disks.0.base_image"), image.Addr(), acctest.Path("id"), compare.ValuesSame()),
					acctest.Expect(res, "disks.0.path", knownvalue.Null()),
					acctest.Expect(res, "disks.0.overlay", knownvalue.StringExact(overlay)),
					sameID.AddStateValue(res, acctest.Path("id")),
					sameMAC.AddStateValue(res, acctest.Path("network_interfaces.0.mac")),
				},
				Check: sameQEMU(name, &pid),
			},
			{
				// A live change after the import touches nothing else.
				Config: testConfig(p, image, network, described),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameQEMU(name, &pid),
					acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
						if len(info.Spec.Disks) != 1 || info.Spec.Disks[0].Path != overlay {
							return fmt.Errorf("disks %+v, want the overlay %s", info.Spec.Disks, overlay)
						}
						return nil
					}),
				),
			},
		},
	})
}

// importedHand is unikernel_instance.hand, the configuration a user writes
// for a domain made by hand.
func importedHand(name string) tfconfig.Instance {
	return tfconfig.Instance{Label: "hand", Name: name}
}

// describedAndBigger are the changes made to an imported instance vm: a
// description (a live change), then also 48 MiB of memory (a restart).
func describedAndBigger(vm tfconfig.Instance, description string) (described, bigger tfconfig.Instance) {
	described = vm
	described.Extra = "description = " + tfconfig.Quote(description)
	bigger = described
	bigger.Memory = 48
	return described, bigger
}

// updateInPlace is the plan check of an update in place of addr.
func updateInPlace(addr string) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
	}}
}

// handMadeDomain defines, through libvirt, a domain the way virsh or the
// libvirt provider leave one: a pty console without a log, no ACPI unless
// acpi, and the given OS and disks. It is removed at the end of the test.
func handMadeDomain(t *testing.T, name string, build func(d *libvirtxml.Domain)) {
	t.Helper()
	conn, err := libvirt.NewConnect(acctest.URI())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Close() })
	port := uint(0)
	d := &libvirtxml.Domain{
		Type:   acctest.Hypervisor(),
		Name:   name,
		Memory: &libvirtxml.DomainMemory{Value: 32, Unit: "MiB"},
		VCPU:   &libvirtxml.DomainVCPU{Value: 1},
		OS:     &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Arch: "x86_64", Type: "hvm"}},
		Devices: &libvirtxml.DomainDeviceList{
			Consoles: []libvirtxml.DomainConsole{{
				Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
				Target: &libvirtxml.DomainConsoleTarget{Type: "serial", Port: &port},
			}},
		},
		OnPoweroff: "destroy", OnReboot: "restart", OnCrash: "destroy",
	}
	build(d)
	doc, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dom, err := conn.DomainDefineXML(doc)
	if err != nil {
		t.Fatalf("defining %s: %v", name, err)
	}
	t.Cleanup(func() {
		c := acctest.MustClient(t)
		_ = c.StopDomain(context.Background(), name, 0)
		_ = c.UndefineDomain(context.Background(), name)
	})
	defer func() { _ = dom.Free() }()
	if err := dom.Create(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
}

// A domain made by hand on a qcow2 overlay volume, as the libvirt provider
// makes one (a libvirt_volume with base_volume_id, named as the user chose),
// over a base volume in a pool. It imports with base_image and keeps its
// overlay; a description change applies live, a memory change restarts it
// once.
func TestAccInstanceImport_handMadeOverlay(t *testing.T) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	pool := hypervisor.PoolSpec{Name: acctest.RandName("pool"), Path: acctest.PoolDir(t)}
	if _, err := c.CreatePool(ctx, pool, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(g.BootDiskRaw)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	base, err := c.CreateVolumeFrom(ctx, pool.Name, hypervisor.VolumeSpec{Name: "osv-base.raw", Size: uint64(st.Size()), Format: "raw"}, f, nil)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ov, err := c.CreateOverlay(ctx, pool.Name, hypervisor.OverlaySpec{Name: "osv-overlay.qcow2", BasePath: base.Path,
		BaseFormat: "raw", Capacity: base.Capacity})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.DeleteVolume(ctx, pool.Name, ov.Name)
		_ = c.DeleteVolume(ctx, pool.Name, base.Name)
		if err := c.DeletePool(ctx, pool.Name); err != nil {
			t.Errorf("deleting pool %s: %v", pool.Name, err)
		}
	})
	name := acctest.RandName("handcow")
	handMadeDomain(t, name, func(d *libvirtxml.Domain) {
		d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}}
		d.OS.BootDevices = []libvirtxml.DomainBootDevice{{Dev: "hd"}}
		d.Devices.Disks = []libvirtxml.DomainDisk{{
			Device: "disk",
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: ov.Path}},
			Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"},
		}}
	})
	vm := importedHand(name)
	vm.BaseImages = []tfconfig.Expr{tfconfig.Expr(tfconfig.Quote(base.Key))}
	described, bigger := describedAndBigger(vm, "adopted from the libvirt provider")
	res := vm.Addr()
	var pid int
	testAccInstances(t, []resource.TestStep{
		{
			PreConfig:        func() { pid = acctest.QemuPID(name) },
			Config:           testConfig(vm, importBlock{To: res, ID: name}),
			ConfigPlanChecks: importsUnchanged(t, res),
			ConfigStateChecks: checks(expectStrings(res, "disks.0.base_image", base.Key, "disks.0.overlay", ov.Path),
				[]statecheck.StateCheck{
					acctest.Expect(res, "memory", knownvalue.Int64Exact(32)),
					acctest.Expect(res, "acpi", knownvalue.Bool(true)),
				}),
			Check: sameQEMU(name, &pid),
		},
		{
			Config:            testConfig(described),
			ConfigPlanChecks:  updateInPlace(res),
			ConfigStateChecks: expectStrings(res, "description", "adopted from the libvirt provider", "disks.0.overlay", ov.Path),
			Check:             sameQEMU(name, &pid),
		},
		{
			Config:           testConfig(bigger),
			ConfigPlanChecks: updateInPlace(res),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(res, "memory", knownvalue.Int64Exact(48)),
				acctest.Expect(res, "disks.0.overlay", knownvalue.StringExact(ov.Path)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				otherQEMU(name, &pid),
				acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
					if len(info.Spec.Disks) != 1 || info.Spec.Disks[0].Path != ov.Path || info.Spec.Disks[0].Format != "qcow2" {
						return fmt.Errorf("disks %+v, want the overlay %s kept", info.Spec.Disks, ov.Path)
					}
					if info.Spec.MemoryMiB != 48 {
						return fmt.Errorf("memory %d MiB, want 48", info.Spec.MemoryMiB)
					}
					return nil
				}),
			),
		},
		{Config: testConfig(bigger), PlanOnly: true},
	})
}

// A hand-made kernel-boot domain without ACPI and with a named CPU model
// imports with acpi and cpu_mode unset in the configuration: the first plan
// is empty, where the defaults (acpi = true, cpu_mode = "maximum") would
// restart it.
func TestAccInstanceImport_noACPINamedCPU(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("handacpi")
	const cmdline = "hand made"
	handMadeDomain(t, name, func(d *libvirtxml.Domain) {
		d.OS.Kernel, d.OS.Cmdline = g.MultibootKernel, cmdline
		d.CPU = &libvirtxml.DomainCPU{Mode: "custom", Match: "exact", Model: &libvirtxml.DomainCPUModel{Value: "qemu64", Fallback: "allow"}}
	})
	vm := importedHand(name)
	vm.Kernel, vm.Cmdline, vm.Memory = g.MultibootKernel, cmdline, 32
	config := testConfig(importBlock{To: vm.Addr(), ID: name}, vm)
	defaults := vm
	defaults.Extra = `acpi     = true` + "\n" + `cpu_mode = "maximum"`
	res := vm.Addr()
	var pid int
	testAccInstances(t, []resource.TestStep{
		{
			PreConfig:        func() { pid = acctest.QemuPID(name) },
			Config:           config,
			ConfigPlanChecks: importsUnchanged(t, res),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(res, "acpi", knownvalue.Bool(false)),
				acctest.Expect(res, "cpu_mode", knownvalue.StringExact("qemu64")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameQEMU(name, &pid),
				acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
					if !info.Spec.NoACPI || info.Spec.CPU == nil || info.Spec.CPU.Mode != "qemu64" {
						return fmt.Errorf("the domain changed: no ACPI %v, CPU %+v", info.Spec.NoACPI, info.Spec.CPU)
					}
					return nil
				}),
			),
		},
		{
			// Stopped out of band after the import: `running`, unset, keeps
			// what the guest had when it was imported, so the plan shows the
			// drift and the apply starts it again.
			PreConfig: func() {
				if err := acctest.MustClient(t).StopDomain(context.Background(), name, 0); err != nil {
					t.Fatal(err)
				}
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				plancheck.ExpectKnownValue(res, tfjsonpath.New("running"), knownvalue.Bool(true)),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(res, "running", knownvalue.Bool(true)),
				acctest.Expect(res, "state", knownvalue.StringExact("running")),
				acctest.Expect(res, "acpi", knownvalue.Bool(false)),
			},
			Check: func(*terraform.State) error { pid = acctest.QemuPID(name); return nil },
		},
		{
			// Asking for the defaults explicitly is a restart-class change the plan shows.
			Config:           testConfig(defaults),
			ConfigPlanChecks: updateInPlace(res),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(res, "acpi", knownvalue.Bool(true)),
				acctest.Expect(res, "cpu_mode", knownvalue.StringExact("maximum")),
			},
			Check: otherQEMU(name, &pid),
		},
	})
}

// A hand-made domain whose serial console logs to a file of its own (not in
// the provider's console pool) imports with console_log naming that file;
// the console data source reads it; a restart-class change keeps the
// console where it is, with no inconsistent result; and destroying the
// instance leaves that file, which the provider did not make.
func TestAccInstanceImport_consoleLogElsewhere(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("handlog")
	logDir := acctest.PoolDir(t) // a directory outside the console pool
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(logDir, name+"-serial.log")
	const cmdline = "own log"
	handMadeDomain(t, name, func(d *libvirtxml.Domain) {
		port := uint(0)
		d.OS.Kernel, d.OS.Cmdline = g.MultibootKernel, cmdline
		d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}}
		d.Devices.Consoles = nil
		d.Devices.Serials = []libvirtxml.DomainSerial{{
			Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
			Target: &libvirtxml.DomainSerialTarget{Type: "isa-serial", Port: &port},
			Log:    &libvirtxml.DomainChardevLog{File: logPath, Append: "on"},
		}}
	})
	vm := importedHand(name)
	vm.Kernel, vm.Cmdline, vm.Memory = g.MultibootKernel, cmdline, 32
	gated, bigger := vm, vm
	gated.WaitFor = &tfconfig.WaitFor{Console: "UNIKERNEL-READY"}
	bigger.Memory = 48
	console := consoleData{VM: vm}
	res := vm.Addr()
	var pid int
	ready := func(n int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			for i := 0; ; i++ {
				b, err := os.ReadFile(logPath)
				if err == nil && strings.Count(string(b), "UNIKERNEL-READY cmdline="+cmdline) >= n {
					return nil
				}
				if i == 100 {
					return fmt.Errorf("%s does not hold %d ready lines (%v): %q", logPath, n, err, b)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// The domain goes; its log is the user's file, outside the provider's
		// console pool, and stays.
		CheckDestroy: func(*terraform.State) error {
			if _, err := acctest.MustClient(t).ReadDomain(context.Background(), name); !hypervisor.IsNotFound(err) {
				return fmt.Errorf("instance %s still exists (%v)", name, err)
			}
			if _, err := os.Stat(logPath); err != nil {
				return fmt.Errorf("the domain's own console log went with it: %v", err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					if err := ready(1)(nil); err != nil {
						t.Fatal(err)
					}
					pid = acctest.QemuPID(name)
				},
				Config:            testConfig(vm, importBlock{To: res, ID: name}),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{importPlan{t, res}}},
				ConfigStateChecks: expectStrings(res, "console_log", logPath),
				Check:             sameQEMU(name, &pid),
			},
			{
				Config: testConfig(vm, console),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(console.Addr(), "path", knownvalue.StringExact(logPath)),
					expectMatch(console.Addr(), "output", "UNIKERNEL-READY cmdline="+cmdline),
				},
				Check: sameQEMU(name, &pid),
			},
			{
				// The gate reads the provider's console pool, where this guest never writes: refused at plan.
				Config:      testConfig(gated),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Console gate on a console the provider does not log.*` + regexp.QuoteMeta(logPath)),
			},
			{
				Config:            testConfig(bigger, console),
				ConfigPlanChecks:  updateInPlace(res),
				ConfigStateChecks: checks(expectStrings(res, "console_log", logPath), []statecheck.StateCheck{acctest.Expect(res, "memory", knownvalue.Int64Exact(48))}),
				Check: resource.ComposeAggregateTestCheckFunc(
					otherQEMU(name, &pid),
					ready(2), // the restarted guest still logs into the domain's own file
				),
			},
			{Config: testConfig(bigger, console), PlanOnly: true},
		},
	})
}

// A hand-made domain whose disk is a qcow2 overlay on a backing file that no
// pool holds (qemu-img create -b, as scripts make them) imports with the
// overlay as its disk's path. The provider would not attach such a disk
// today, but it is never inspected again while it stays: a description
// change applies live and a memory change restarts the guest once. A second
// such disk, which the update would attach, is refused at plan, naming it.
func TestAccInstanceImport_backingOutsidePools(t *testing.T) {
	g := testAccInstancePreCheck(t)
	dir := acctest.PoolDir(t) // no pool holds it
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	base, overlay, second := filepath.Join(dir, "base.raw"), filepath.Join(dir, "overlay.qcow2"), filepath.Join(dir, "second.qcow2")
	acctest.CopyFile(t, g.BootDiskRaw, base)
	acctest.QemuImg(t, "create", "-f", "qcow2", "-b", base, "-F", "raw", overlay)
	acctest.QemuImg(t, "create", "-f", "qcow2", "-b", base, "-F", "raw", second)
	name := acctest.RandName("handback")
	handMadeDomain(t, name, func(d *libvirtxml.Domain) {
		d.Features = &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}}
		d.OS.BootDevices = []libvirtxml.DomainBootDevice{{Dev: "hd"}}
		d.Devices.Disks = []libvirtxml.DomainDisk{{
			Device: "disk",
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: overlay}},
			Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"},
		}}
	})
	vm := importedHand(name)
	vm.Disks = []tfconfig.Disk{{Path: overlay}}
	described, bigger := describedAndBigger(vm, "made by a script")
	twoDisks := bigger
	twoDisks.Disks = []tfconfig.Disk{{Path: overlay}, {Path: second}}
	res := vm.Addr()
	var pid int
	testAccInstances(t, []resource.TestStep{
		{
			PreConfig:        func() { pid = acctest.QemuPID(name) },
			Config:           testConfig(vm, importBlock{To: res, ID: name}),
			ConfigPlanChecks: importsUnchanged(t, res),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(res, "disks.0.path", knownvalue.StringExact(overlay)),
				acctest.Expect(res, "disks.0.base_image", knownvalue.Null()),
			},
			Check: sameQEMU(name, &pid),
		},
		{
			Config:            testConfig(described),
			ConfigPlanChecks:  updateInPlace(res),
			ConfigStateChecks: expectStrings(res, "description", "made by a script"),
			Check:             sameQEMU(name, &pid),
		},
		{
			Config: testConfig(bigger),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(res, "memory", knownvalue.Int64Exact(48)),
				acctest.Expect(res, "disks.0.path", knownvalue.StringExact(overlay)),
			},
			Check: otherQEMU(name, &pid),
		},
		{
			Config:      testConfig(twoDisks),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Disk image refused.*disks\[1\]\.path.*backing file`),
		},
	})
}
