package hypervisor

import (
	"context"
	"fmt"
	"slices"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// UEFI firmware. The provider never names firmware files or NVRAM paths:
// they differ between distributions, and the JSON descriptors that firmware
// packages install (/usr/share/qemu/firmware; Debian's ovmf) already say
// which code goes with which variable-store template and what each needs.
// libvirt chooses among them (<os firmware='efi'>) by the features asked for
// under <firmware>, and gives each domain an NVRAM file of its own, copied
// from the chosen template at its first start
// (/var/lib/libvirt/qemu/nvram/<name>_VARS.fd) and removed by an undefine
// with the NVRAM flag (undefineDomain).

// FirmwareEFI is DomainSpec.Firmware for UEFI.
const FirmwareEFI = "efi"

// applyFirmware adds the firmware of spec to d. It runs after applyPlatform,
// which may replace d.Features.
func applyFirmware(d *libvirtxml.Domain, spec DomainSpec) error {
	switch spec.Firmware {
	case "", "bios":
		if spec.SecureBoot {
			return fmt.Errorf("secure boot needs UEFI firmware (firmware efi)")
		}
		return nil
	case FirmwareEFI:
	default:
		return fmt.Errorf("firmware %q is not one of bios, efi", spec.Firmware)
	}
	d.OS.Firmware = FirmwareEFI
	if d.Type == "xen" {
		if d.OS.Type.Type != "hvm" {
			return fmt.Errorf("UEFI firmware needs a Xen HVM guest (xen mode hvm)")
		}
		if spec.SecureBoot {
			return fmt.Errorf("secure boot needs SMM, which Xen guests do not have")
		}
		return nil // libxl boots its own OVMF build; it has no descriptors to choose from
	}
	// Both features are named, so that the choice never depends on the
	// descriptors' priorities: with Secure Boot, firmware that enforces it with
	// the distribution's and Microsoft's keys enrolled (and so needs SMM, which
	// is switched on here rather than left to libvirt); without it, firmware
	// that does not enforce it.
	on := "no"
	if spec.SecureBoot {
		on = "yes"
	}
	d.OS.FirmwareInfo = &libvirtxml.DomainOSFirmwareInfo{Features: []libvirtxml.DomainOSFirmwareFeature{
		{Enabled: on, Name: "enrolled-keys"}, {Enabled: on, Name: "secure-boot"},
	}}
	if spec.SecureBoot {
		if d.Features == nil {
			d.Features = &libvirtxml.DomainFeatureList{}
		}
		d.Features.SMM = &libvirtxml.DomainFeatureSMM{State: "on"}
	}
	return nil
}

// readFirmware fills the firmware of s from a persistent definition: UEFI
// when libvirt chooses it (firmware='efi') or the definition names a flash
// loader (as libvirt 9.2 and later write the choice into the definition, and
// as hand-written definitions do). Secure Boot is the secure-boot feature
// asked for, else the loader's secure flag.
func readFirmware(d *libvirtxml.Domain, s *DomainSpec) {
	if d.OS == nil {
		return
	}
	if d.OS.Firmware == FirmwareEFI || (d.OS.Loader != nil && d.OS.Loader.Type == "pflash") {
		s.Firmware = FirmwareEFI
	}
	if s.Firmware == "" {
		return
	}
	if d.OS.FirmwareInfo != nil {
		for _, f := range d.OS.FirmwareInfo.Features {
			if f.Name == "secure-boot" {
				s.SecureBoot = f.Enabled == "yes"
				return
			}
		}
	}
	s.SecureBoot = d.OS.Loader != nil && d.OS.Loader.Secure == "yes"
}

// firmwareDiffers reports whether a domain defined as a boots other
// firmware, or the same firmware with other Secure Boot settings, than one
// defined as b: its NVRAM file then no longer fits.
func firmwareDiffers(a, b DomainSpec) bool {
	norm := func(f string) string {
		if f == "bios" {
			return ""
		}
		return f
	}
	return norm(a.Firmware) != norm(b.Firmware) || a.SecureBoot != b.SecureBoot
}

// FirmwareSupport is what a host offers guests of one domain type and
// machine type.
type FirmwareSupport struct {
	// Known is false when the driver cannot describe its domains (libvirt's
	// test driver); EFI and SecureBoot are then false too.
	Known bool
	// EFI: libvirt can choose UEFI firmware (<os firmware='efi'>).
	EFI bool
	// SecureBoot: UEFI firmware whose loader can be secure (SMM) is among the
	// choices, as the Secure Boot builds are.
	SecureBoot bool
	// Host is the host's name, for messages (set by Firmware).
	Host string
}

// FirmwareSupportOf is the pure part of Firmware: UEFI when the OS element's
// firmware enum lists efi (libvirt lists what its descriptors offer for the
// machine), Secure Boot when UEFI is there and the loader's secure enum lists
// yes.
func FirmwareSupportOf(caps *libvirtxml.DomainCaps) FirmwareSupport {
	fw := FirmwareSupport{Known: true}
	if caps.OS == nil || caps.OS.Supported != "yes" {
		return fw
	}
	for _, e := range caps.OS.Enums {
		if e.Name == "firmware" && slices.Contains(e.Values, FirmwareEFI) {
			fw.EFI = true
		}
	}
	if !fw.EFI || caps.OS.Loader == nil || caps.OS.Loader.Supported != "yes" {
		return fw
	}
	for _, e := range caps.OS.Loader.Enums {
		if e.Name == "secure" && slices.Contains(e.Values, "yes") {
			fw.SecureBoot = true
		}
	}
	return fw
}

// redefineFirmware replaces the definition of a stopped UEFI domain whose
// firmware changes (to BIOS, or to or from Secure Boot) with doc, and
// reports whether it did. Its NVRAM file was copied from the old firmware's
// template and does not fit the new one (the Secure Boot build's template
// has keys enrolled and Secure Boot on; the plain one has neither), and once
// the definition names other firmware libvirt no longer counts the file as
// the domain's, so the undefine of a later destroy would leave it behind.
// So the domain is undefined with its NVRAM first, then defined anew with
// the same UUID and its autostart; its next start copies the new firmware's
// template. When the new definition is refused, the old one is defined
// again. A running domain keeps its NVRAM: callers stop it first.
func (s *session) redefineFirmware(spec DomainSpec, doc string) (uuid string, done bool, err error) {
	name := spec.Name
	dom, err := s.lookupDomain(name)
	if IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer func() { _ = dom.Free() }()
	if active, err := dom.IsActive(); err != nil || active {
		return "", false, wrap(err, "read the state of", kindDomain, name)
	}
	oldDoc, err := dom.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return "", false, wrap(err, "read the definition of", kindDomain, name)
	}
	var old libvirtxml.Domain
	if err := old.Unmarshal(oldDoc); err != nil {
		return "", false, &Error{Op: "parse the definition of", Kind: kindDomain, Name: name, Message: err.Error()}
	}
	if o := SpecFromDomainXML(&old); o.Firmware != FirmwareEFI || !firmwareDiffers(o, spec) {
		return "", false, nil
	}
	autostart, err := dom.GetAutostart()
	if err != nil {
		return "", false, wrap(err, "read autostart of", kindDomain, name)
	}
	if err := s.undefine(dom); err != nil {
		return "", false, wrap(err, "undefine (to drop the NVRAM of the old firmware)", kindDomain, name)
	}
	uuid, err = s.defineXML(name, doc)
	if err != nil {
		if _, rerr := s.defineXML(name, oldDoc); rerr != nil {
			return "", true, fmt.Errorf("%w; defining the old definition again failed too: %w", err, rerr)
		}
		return "", true, err
	}
	if autostart {
		if err := s.setDomainAutostart(context.Background(), name, true); err != nil {
			return uuid, true, err
		}
	}
	return uuid, true, nil
}
