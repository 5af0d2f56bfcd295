package hypervisor

import (
	"context"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func init() {
	// Golden, round-trip and schema checks of UEFI boot: a Linux kernel with an
	// EFI stub, a disk with an EFI system partition under Secure Boot (q35, SMM),
	// and a Xen HVM guest, whose OVMF libxl brings itself.
	domainCases["efi_kernel"] = DomainSpec{
		Name: "vm-efi-1", Type: "qemu", MemoryMiB: 256, VCPUs: 1, Firmware: FirmwareEFI,
		Kernel: "/k/vmlinuz", Initrd: "/k/initramfs.cpio", Cmdline: "console=ttyS0 panic=-1",
		ConsoleLog: "/var/log/unikernel/vm-efi-1.log",
	}
	domainCases["efi_secure_boot"] = DomainSpec{
		Name: "vm-efi-2", Type: "kvm", MemoryMiB: 256, VCPUs: 1, Machine: "q35", Firmware: FirmwareEFI, SecureBoot: true,
		Disks: []DiskSpec{{Path: "/d/esp.raw", Format: "raw"}}, ConsoleLog: "/var/log/unikernel/vm-efi-2.log",
	}
	domainCases["efi_xen_hvm"] = DomainSpec{
		Name: "xen-efi-1", Type: "xen", XenMode: "hvm", MemoryMiB: 256, VCPUs: 1, Firmware: FirmwareEFI,
		Disks: []DiskSpec{{Path: "/d/esp.raw", Format: "raw"}}, ConsoleLog: "/var/log/unikernel/xen-efi-1.log",
	}
}

func TestFirmwareXML(t *testing.T) {
	x, err := DomainXML(domainCases["efi_secure_boot"])
	if err != nil {
		t.Fatal(err)
	}
	if x.OS.Firmware != "efi" || x.OS.Loader != nil || x.OS.NVRam != nil {
		t.Errorf("UEFI is left to libvirt's autoselection, without loader or NVRAM paths: %+v", x.OS)
	}
	if x.Features == nil || x.Features.SMM == nil || x.Features.SMM.State != "on" || x.Features.ACPI == nil {
		t.Errorf("Secure Boot needs SMM on (and ACPI stays): %+v", x.Features)
	}
	x, err = DomainXML(domainCases["efi_kernel"])
	if err != nil {
		t.Fatal(err)
	}
	if x.Features.SMM != nil {
		t.Error("SMM only for Secure Boot")
	}
	var feats []string
	for _, f := range x.OS.FirmwareInfo.Features {
		feats = append(feats, f.Name+"="+f.Enabled)
	}
	if got := strings.Join(feats, " "); got != "enrolled-keys=no secure-boot=no" {
		t.Errorf("without Secure Boot the firmware must be chosen without it: %s", got)
	}
	x, err = DomainXML(domainCases["multiboot"])
	if err != nil {
		t.Fatal(err)
	}
	if x.OS.Firmware != "" || x.OS.FirmwareInfo != nil {
		t.Errorf("BIOS guests keep the hypervisor's default: %+v", x.OS)
	}
}

func TestFirmwareXMLRejects(t *testing.T) {
	for name, spec := range map[string]DomainSpec{
		"secure boot without efi": {Name: "x", Type: "qemu", Firmware: "bios", SecureBoot: true},
		"unknown firmware":        {Name: "x", Type: "qemu", Firmware: "coreboot"},
		"efi on xen pvh":          {Name: "x", Type: "xen", Firmware: FirmwareEFI},
		"efi on xen pv":           {Name: "x", Type: "xen", XenMode: "pv", Firmware: FirmwareEFI},
		"secure boot on xen":      {Name: "x", Type: "xen", XenMode: "hvm", Firmware: FirmwareEFI, SecureBoot: true},
	} {
		if _, err := DomainXML(spec); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

// Definitions written by libvirt 9.2 and later, or by hand, name the loader
// and NVRAM that autoselection chose; they read back as UEFI.
func TestReadFirmware(t *testing.T) {
	for name, c := range map[string]struct {
		os     libvirtxml.DomainOS
		fw     string
		secure bool
	}{
		"bios":                   {libvirtxml.DomainOS{}, "", false},
		"autoselected":           {libvirtxml.DomainOS{Firmware: "efi"}, "efi", false},
		"rom loader is not UEFI": {libvirtxml.DomainOS{Loader: &libvirtxml.DomainLoader{Type: "rom", Path: "/bios.bin"}}, "", false},
		"pflash loader": {libvirtxml.DomainOS{Loader: &libvirtxml.DomainLoader{Type: "pflash", Secure: "yes", Path: "/usr/share/OVMF/OVMF_CODE_4M.ms.fd"},
			NVRam: &libvirtxml.DomainNVRam{NVRam: "/var/lib/libvirt/qemu/nvram/x_VARS.fd"}}, "efi", true},
		"feature decides over the loader": {libvirtxml.DomainOS{Firmware: "efi",
			FirmwareInfo: &libvirtxml.DomainOSFirmwareInfo{Features: []libvirtxml.DomainOSFirmwareFeature{{Name: "secure-boot", Enabled: "no"}}},
			Loader:       &libvirtxml.DomainLoader{Type: "pflash", Secure: "yes"}}, "efi", false},
	} {
		os := c.os
		os.Type = &libvirtxml.DomainOSType{Type: "hvm"}
		s := SpecFromDomainXML(&libvirtxml.Domain{Type: "kvm", Name: "x", OS: &os})
		if s.Firmware != c.fw || s.SecureBoot != c.secure {
			t.Errorf("%s: firmware %q, secure boot %v; want %q, %v", name, s.Firmware, s.SecureBoot, c.fw, c.secure)
		}
	}
}

func TestFirmwareSupportOf(t *testing.T) {
	caps := func(firmware []string, secure []string) *libvirtxml.DomainCaps {
		return &libvirtxml.DomainCaps{OS: &libvirtxml.DomainCapsOS{Supported: "yes",
			Enums: []libvirtxml.DomainCapsEnum{{Name: "firmware", Values: firmware}},
			Loader: &libvirtxml.DomainCapsOSLoader{Supported: "yes", Values: []string{"/usr/share/OVMF/OVMF_CODE_4M.fd"},
				Enums: []libvirtxml.DomainCapsEnum{{Name: "type", Values: []string{"rom", "pflash"}}, {Name: "secure", Values: secure}}}}}
	}
	for name, c := range map[string]struct {
		caps *libvirtxml.DomainCaps
		want FirmwareSupport
	}{
		"no ovmf":          {caps(nil, []string{"no"}), FirmwareSupport{Known: true}},
		"pc with ovmf":     {caps([]string{"efi"}, []string{"no"}), FirmwareSupport{Known: true, EFI: true}},
		"q35 with ovmf":    {caps([]string{"efi"}, []string{"yes", "no"}), FirmwareSupport{Known: true, EFI: true, SecureBoot: true}},
		"secure, no efi":   {caps([]string{"bios"}, []string{"yes", "no"}), FirmwareSupport{Known: true}},
		"os not supported": {&libvirtxml.DomainCaps{OS: &libvirtxml.DomainCapsOS{Supported: "no"}}, FirmwareSupport{Known: true}},
	} {
		if got := FirmwareSupportOf(c.caps); got != c.want {
			t.Errorf("%s: %+v, want %+v", name, got, c.want)
		}
	}
}

// A firmware change of a stopped UEFI domain undefines it (with its NVRAM,
// where the driver has NVRAM) and defines it anew: the UUID and autostart
// stay. The test driver runs the calls, not the firmware.
func TestRedefineFirmwareOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	spec := DomainSpec{Name: "unit-efi-1", Type: "qemu", MemoryMiB: 64, VCPUs: 1, Kernel: "/k", Firmware: FirmwareEFI}
	uuid, err := c.DefineDomain(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, spec.Name) })
	if err := c.SetDomainAutostart(ctx, spec.Name, true); err != nil {
		t.Fatal(err)
	}
	info, err := c.ReadDomain(ctx, spec.Name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Spec.Firmware != FirmwareEFI || info.Spec.SecureBoot {
		t.Fatalf("read back: firmware %q, secure boot %v", info.Spec.Firmware, info.Spec.SecureBoot)
	}
	for _, change := range []func(*DomainSpec){
		func(s *DomainSpec) { s.SecureBoot, s.Machine = true, "q35" },
		func(s *DomainSpec) { s.Firmware, s.SecureBoot = "", false },
	} {
		change(&spec)
		spec.UUID = uuid
		got, err := c.DefineDomain(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.ReadDomain(ctx, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got != uuid || info.Spec.UUID != uuid || !info.Autostart {
			t.Errorf("after a firmware change: UUID %s (was %s), autostart %v", got, uuid, info.Autostart)
		}
		if info.Spec.Firmware != spec.Firmware || info.Spec.SecureBoot != spec.SecureBoot {
			t.Errorf("read back: firmware %q, secure boot %v; want %q, %v", info.Spec.Firmware, info.Spec.SecureBoot, spec.Firmware, spec.SecureBoot)
		}
	}
	// The test driver refuses the NVRAM flag: the undefine leaves it out.
	if err := c.UndefineDomain(ctx, spec.Name); err != nil {
		t.Fatal(err)
	}
	if fw, err := c.Firmware(ctx, "qemu", ""); err != nil || fw.Known {
		t.Errorf("the test driver cannot describe its firmware: %+v, %v", fw, err)
	}
}
