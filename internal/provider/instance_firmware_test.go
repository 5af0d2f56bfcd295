package provider

// UEFI boot against the real daemon (domain type qemu, TCG, OVMF from
// Debian's ovmf package, which the harness installs). The Linux microVM's
// kernel (Debian's cloud kernel) has an EFI stub, so OVMF starts it by direct
// kernel boot. What every test here proves:
//   - the definition asks libvirt for UEFI (<os firmware='efi'>) and the
//     running domain has an NVRAM file of its own, which exists while it is
//     defined and is gone after destroy and after a change to BIOS;
//   - firmware and secure_boot read back from libvirt, so a change made
//     outside Terraform shows in the next plan;
//   - both change in place with a restart (same UUID).

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// firmwareMicroVM is the microVM with a static address (host 50 of lan, no
// DHCP wait), 256 MiB, under firmware.
func firmwareMicroVM(g acctest.Guests, name string, lan acctest.Network, firmware string) tfconfig.Instance {
	vm := microVM(g, name, lan, 50)
	vm.Cmdline = "console=ttyS0 panic=-1 microvm.ipv4=" + lan.HostCIDR(50)
	vm.NICs[0].IPv4 = ""
	vm.Memory, vm.ShutdownTimeout = 256, "1s"
	vm.Extra = "firmware = " + tfconfig.Quote(firmware)
	vm.WaitFor = &tfconfig.WaitFor{Console: "^MICROVM-READY", Timeout: "3m"}
	return vm
}

// liveDomain reads the running domain's XML (virsh dumpxml), where libvirt
// shows the firmware and NVRAM file it chose.
func liveDomain(name string) (*libvirtxml.Domain, error) {
	out, err := exec.Command("virsh", "-q", "-c", acctest.URI(), "dumpxml", name).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("virsh dumpxml %s: %v: %s", name, err, out)
	}
	var d libvirtxml.Domain
	return &d, d.Unmarshal(string(out))
}

// checkNVRAM checks that the running domain boots UEFI from a flash loader
// (libvirt shows the firmware it chose in the running domain's XML, without
// firmware='efi') with an NVRAM file of its own that exists, and stores its
// path.
func checkNVRAM(name string, into *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		d, err := liveDomain(name)
		if err != nil {
			return err
		}
		if d.OS.Loader == nil || d.OS.Loader.Type != "pflash" {
			return fmt.Errorf("want UEFI firmware from a flash loader, got loader %+v", d.OS.Loader)
		}
		if d.OS.NVRam == nil || d.OS.NVRam.NVRam == "" {
			return fmt.Errorf("no NVRAM file in the running domain: %+v", d.OS)
		}
		p := d.OS.NVRam.NVRam
		if !regexp.MustCompile(regexp.QuoteMeta(name) + `_VARS\.fd$`).MatchString(p) {
			return fmt.Errorf("NVRAM file %s is not the instance's own", p)
		}
		// Where this process sees it: the harness daemon has a /var/lib/libvirt of its own.
		p = acctest.DaemonPath(p)
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("NVRAM file: %v", err)
		}
		*into = p
		return nil
	}
}

// checkGone checks that the file at *p does not exist.
func checkGone(what string, p *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if *p == "" {
			return fmt.Errorf("no %s path recorded", what)
		}
		if _, err := os.Stat(*p); !os.IsNotExist(err) {
			return fmt.Errorf("%s %s is still there (%v)", what, *p, err)
		}
		return nil
	}
}

// checkLiveBIOS checks that the running domain boots without UEFI.
func checkLiveBIOS(name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		d, err := liveDomain(name)
		if err != nil {
			return err
		}
		if d.OS.Firmware != "" || d.OS.Loader != nil || d.OS.NVRam != nil {
			return fmt.Errorf("want the default BIOS, got firmware %q, loader %+v, nvram %+v", d.OS.Firmware, d.OS.Loader, d.OS.NVRam)
		}
		return nil
	}
}

func TestAccInstanceFirmware_efi(t *testing.T) {
	g := testAccInstancePreCheck(t)
	requireOVMF(t)
	lan := acctest.TestNetwork(t, "isolated")
	name := acctest.RandName("efi")
	efi, bios := firmwareMicroVM(g, name, lan, "efi"), firmwareMicroVM(g, name, lan, "bios")
	var uuid, nvram string
	sameID := func() resource.TestCheckFunc { return sameAttr(efi.Addr(), "id", &uuid) }
	firmware := func(want string) []statecheck.StateCheck { return expectStrings(efi.Addr(), "firmware", want) }
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(efi.Addr(), plancheck.ResourceActionUpdate),
	}}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, checkGone("NVRAM file", &nvram)),
		Steps: []resource.TestStep{
			{
				Config: testConfig(efi),
				ConfigStateChecks: checks(
					expectStrings(efi.Addr(), "firmware", "efi", "boot_format", "linux", "state", "running"),
					[]statecheck.StateCheck{acctest.Expect(efi.Addr(), "secure_boot", knownvalue.Bool(false))},
				),
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr(efi.Addr(), "id", &uuid),
					checkNVRAM(name, &nvram),
					acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
						if info.Spec.Firmware != hypervisor.FirmwareEFI {
							return fmt.Errorf("persistent definition: firmware %q", info.Spec.Firmware)
						}
						return nil
					}),
				),
			},
			{
				// Drift: the definition changed to BIOS outside Terraform shows in the plan.
				PreConfig: func() {
					c := acctest.MustClient(t)
					ctx := context.Background()
					info, err := c.ReadDomain(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					info.Spec.Firmware = ""
					if _, err := c.DefineDomain(ctx, info.Spec); err != nil {
						t.Fatal(err)
					}
				},
				Config:             testConfig(efi),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// The next apply restores UEFI in place, with a restart.
				Config:            testConfig(efi),
				ConfigPlanChecks:  update,
				ConfigStateChecks: firmware("efi"),
				Check:             resource.ComposeAggregateTestCheckFunc(sameID(), checkNVRAM(name, &nvram), expectBoots(t, name, 2)),
			},
			{
				// To BIOS: the NVRAM file goes with the UEFI definition.
				Config:            testConfig(bios),
				ConfigPlanChecks:  update,
				ConfigStateChecks: firmware("bios"),
				Check: resource.ComposeAggregateTestCheckFunc(
					sameID(), checkLiveBIOS(name), checkGone("NVRAM file", &nvram), expectBoots(t, name, 3),
				),
			},
			{
				// And back: a new NVRAM file from the template; destroy removes it (CheckDestroy).
				Config:            testConfig(efi),
				ConfigStateChecks: firmware("efi"),
				Check:             resource.ComposeAggregateTestCheckFunc(sameID(), checkNVRAM(name, &nvram), expectBoots(t, name, 4)),
			},
		},
	})
}

// requireOVMF fails the test when the host offers no UEFI firmware: the
// harness installs Debian's ovmf, and the host data source must say so.
func requireOVMF(t *testing.T) {
	t.Helper()
	c := acctest.MustClient(t)
	fw, err := c.Firmware(context.Background(), acctest.Hypervisor(), "q35")
	if err != nil {
		t.Fatal(err)
	}
	if !fw.EFI || !fw.SecureBoot {
		t.Fatalf("the test host offers no UEFI firmware with Secure Boot for q35 (%+v): `scripts/harness.sh deps` installs ovmf", fw)
	}
}

// The host data source reports UEFI and Secure Boot from the host's domain
// capabilities.
func TestAccInstanceFirmware_hostOffersUEFI(t *testing.T) {
	testAccPreCheck(t)
	requireOVMF(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testConfig(hostData("this")),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect("data.unikernel_host.this", "efi", knownvalue.Bool(true)),
				acctest.Expect("data.unikernel_host.this", "secure_boot", knownvalue.Bool(true)),
			},
		}},
	})
}

// UEFI where the host has no firmware for it fails the plan, naming the host
// and what to install: OVMF's descriptors name pc and q35, so the isapc
// machine has none, as a host without ovmf has none for any machine.
func TestAccInstanceFirmware_unavailable(t *testing.T) {
	g := testAccInstancePreCheck(t)
	requireOVMF(t)
	vm := tfconfig.Instance{Name: acctest.RandName("noefi"), Kernel: g.MicroVMKernel, Initrd: g.MicroVMInitrd,
		Extra: `machine  = "isapc"` + "\n" + `firmware = "efi"`}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:   testConfig(vm),
			PlanOnly: true,
			ExpectError: attrError("firmware", "", `Host \S+ \(`+regexp.QuoteMeta(acctest.URI())+
				`\) offers no UEFI firmware for domain type \w+ and machine isapc.*the .ovmf. package`),
		}},
	})
}

// Secure Boot, with the microVM's kernel stripped of its signature: on this
// host's OVMF (Debian 12, edk2 2022.11) the guest boots with Secure Boot on
// (its kernel reports it and locks itself down), and the firmware does not
// refuse a direct-boot kernel that no enrolled key signed: OVMF falls back to
// its own Linux loader when the kernel fails verification. So Secure Boot
// checks what the firmware loads from disks, not a `kernel`; the attribute's
// documentation says so. The definition has what libvirt needs: q35, SMM
// on, and the firmware with keys enrolled.
func TestAccInstanceFirmware_secureBoot(t *testing.T) {
	g := testAccInstancePreCheck(t)
	requireOVMF(t)
	lan := acctest.TestNetwork(t, "isolated")
	name := acctest.RandName("sb")
	vm := firmwareMicroVM(g, name, lan, "efi")
	vm.Kernel = unsignedCopy(t, g.MicroVMKernel)
	vm.Extra += "\nsecure_boot = true"
	console := consoleData{VM: vm, Lines: 400}
	testAccInstances(t, []resource.TestStep{{
		Config: testConfig(vm, console),
		ConfigStateChecks: []statecheck.StateCheck{
			acctest.Expect(vm.Addr(), "secure_boot", knownvalue.Bool(true)),
			acctest.Expect(vm.Addr(), "machine", knownvalue.StringExact("q35")),
			expectMatch(console.Addr(), "output", `secureboot: Secure boot enabled`),
		},
		Check: func(*terraform.State) error {
			d, err := liveDomain(name)
			if err != nil {
				return err
			}
			switch {
			case d.OS.Loader == nil || d.OS.Loader.Secure != "yes":
				return fmt.Errorf("want a secure loader, got %+v", d.OS.Loader)
			case d.OS.NVRam == nil || !strings.HasSuffix(d.OS.NVRam.Template, ".ms.fd"):
				return fmt.Errorf("want the NVRAM template with keys enrolled, got %+v", d.OS.NVRam)
			case d.Features == nil || d.Features.SMM == nil || d.Features.SMM.State != "on":
				return fmt.Errorf("want SMM on, got %+v", d.Features)
			case !strings.HasPrefix(d.OS.Type.Machine, "pc-q35-"):
				return fmt.Errorf("want q35, got %s", d.OS.Type.Machine)
			}
			return nil
		},
	}})
}

// unsignedCopy copies a PE kernel into the test's directory with its
// Authenticode signature removed (the certificate table entry zeroed).
func unsignedCopy(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	pe := int(binary.LittleEndian.Uint32(b[0x3c:]))
	if string(b[pe:pe+4]) != "PE\x00\x00" || binary.LittleEndian.Uint16(b[pe+24:]) != 0x20b {
		t.Fatalf("%s is not a PE32+ image", src)
	}
	certTable := pe + 24 + 112 + 4*8 // optional header, data directory entry 4
	if binary.LittleEndian.Uint32(b[certTable+4:]) == 0 {
		t.Fatalf("%s carries no signature to remove", src)
	}
	clear(b[certTable : certTable+8])
	dst := filepath.Join(t.TempDir(), "vmlinuz-unsigned")
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// efiDiskInstance boots the UEFI test disk (the microVM as a unified kernel
// image on its EFI system partition) with no kernel, read-only, by DHCP on
// lan, ready once the guest says so or failed after timeout.
func efiDiskInstance(g acctest.Guests, name string, lan acctest.Network, timeout string) tfconfig.Instance {
	return tfconfig.Instance{
		Label: "disk", Name: name, Memory: 256, Extra: `firmware = "efi"`,
		Disks: []tfconfig.Disk{{Path: g.EFIDisk, Format: "raw", ReadOnly: true}},
		// The test guest's init does not act on ACPI power-off.
		ShutdownTimeout: "1s",
		NICs:            []tfconfig.NIC{{Network: lan.Name}},
		WaitFor:         &tfconfig.WaitFor{Console: "^MICROVM-READY", Timeout: timeout},
	}
}

// Disk boot under UEFI: the firmware finds \EFI\BOOT\BOOTX64.EFI on the
// disk's EFI system partition and starts it; the guest gets its address by
// DHCP and the gate passes. The NVRAM file is the instance's own and goes
// with it.
func TestAccInstanceFirmware_efiDisk(t *testing.T) {
	g := testAccInstancePreCheck(t)
	requireOVMF(t)
	lan := acctest.TestNetwork(t, "isolated")
	name := acctest.RandName("efidisk")
	disk := efiDiskInstance(g, name, lan, "3m")
	var nvram string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed,
			checkGone("NVRAM file", &nvram)),
		Steps: []resource.TestStep{{
			Config:            testConfig(disk),
			ConfigStateChecks: expectStrings(disk.Addr(), "boot_format", "disk", "firmware", "efi", "state", "running"),
			Check: resource.ComposeAggregateTestCheckFunc(
				checkNVRAM(name, &nvram),
				checkConsoleCount(name, `^MICROVM-READY ipv4=`+regexp.QuoteMeta(lan.Prefix()+"."), 1),
			),
		}},
	})
}

// Secure Boot with firmware that has Microsoft's keys enrolled refuses the
// unsigned EFI application on the disk: nothing boots, and the readiness gate
// fails showing the firmware's refusal on the console.
func TestAccInstanceFirmware_secureBootRefusesUnsignedDisk(t *testing.T) {
	g := testAccInstancePreCheck(t)
	requireOVMF(t)
	lan := acctest.TestNetwork(t, "isolated")
	disk := efiDiskInstance(g, acctest.RandName("sbdisk"), lan, "90s")
	disk.Extra += "\nsecure_boot = true"
	testAccInstances(t, []resource.TestStep{{
		Config:      testConfig(disk),
		ExpectError: regexp.MustCompile(`(?s)was not ready after 1m30s.*(?:Access Denied|Security Violation)`),
	}})
}
