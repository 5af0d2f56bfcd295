package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// hostCheck is one entry of unikernel_host's `checks`. Every check has all
// four values, so plain Go types hold them.
type hostCheck struct {
	Name   string `tfsdk:"name"`
	OK     bool   `tfsdk:"ok"`
	Detail string `tfsdk:"detail"`
	Fix    string `tfsdk:"fix"`
}

// Names of the host checks, in the order they are listed.
const (
	checkQEMUUser    = "qemu_user"
	checkKVM         = "kvm"
	checkUEFI        = "uefi"
	checkRNG         = "rng"
	checkConsolePool = "console_pool"
)

func hostChecksSchema() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Computed: true,
		MarkdownDescription: "What the host offers that instances may need, each with whether it is in order and the fix " +
			"when it is not, in this order: `" + checkQEMUUser + "` (the user QEMU runs as, from the host's DAC security " +
			"model, and the other security models: that user must be able to enter the directories of every host path " +
			"given to an instance), `" + checkKVM + "` (the `kvm` domain type, which needs /dev/kvm), `" + checkUEFI +
			"` (UEFI firmware for `firmware = \"efi\"`), `" + checkRNG + "` (virtio-rng fed from the host's " +
			"/dev/urandom, for `rng`), `" + checkConsolePool + "` (the storage pool of console logs). On a Xen host " +
			"the QEMU checks report what applies there. See the [stock hosts guide](../guides/stock-hosts.md).",
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"name":   schema.StringAttribute{Computed: true, MarkdownDescription: "The check's name."},
			"ok":     schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the host passes the check."},
			"detail": schema.StringAttribute{Computed: true, MarkdownDescription: "What the provider found."},
			"fix":    schema.StringAttribute{Computed: true, MarkdownDescription: "What to do when `ok` is false; empty otherwise."},
		}},
	}
}

// hostFacts is what the checks are made from.
type hostFacts struct {
	Xen         bool
	Types       []string // domain types that boot a kernel
	KVMBlocked  string   // on a local host, /dev/kvm when QEMU's user may not open it
	KVMMode     string   // its mode and owner, for the message
	Security    hypervisor.Security
	SecurityErr error
	UserName    string // Security.User(...)
	EFI         bool
	RNG         []string
	RNGErr      error
	Console     hypervisor.ConsolePool
	ConsoleDef  *hypervisor.PoolInfo // nil when the pool is not defined yet
	ConsoleErr  error
}

// hostChecks turns the facts into checks. Pure.
func hostChecks(f hostFacts) []hostCheck {
	return []hostCheck{qemuUserCheck(f), kvmCheck(f), uefiCheck(f), rngCheck(f), consolePoolCheck(f)}
}

// qemuUserCheck checks the user QEMU runs as, which must reach the host paths given to instances.
func qemuUserCheck(f hostFacts) hostCheck {
	c := hostCheck{Name: checkQEMUUser, OK: true}
	switch {
	case f.Xen:
		c.Detail = "Xen host: guests run under Xen; only HVM guests have a QEMU device model, run by Xen's toolstack."
	case f.SecurityErr != nil:
		c.OK, c.Detail = false, "cannot read the host's security model: "+f.SecurityErr.Error()
		c.Fix = "Check that the connection may read the host capabilities (virsh capabilities)."
	case f.Security.UID < 0:
		c.Detail = fmt.Sprintf("the host reports no DAC user for QEMU (security models: %s).", strings.Join(f.Security.Models, ", "))
	case f.Security.UID == 0:
		c.Detail = fmt.Sprintf("QEMU runs as root (security models: %s): it can open host paths anywhere. Stock hosts run it "+
			"as an unprivileged user.", strings.Join(f.Security.Models, ", "))
	default:
		c.Detail = fmt.Sprintf("QEMU runs as %s (security models: %s). It must be able to enter every directory above a "+
			"kernel, initrd or disk given by host path, and to use shared directories; on a local URI the provider checks "+
			"this at plan. Pool images are always reachable.", f.UserName, strings.Join(f.Security.Models, ", "))
	}
	return c
}

// kvmCheck checks whether the kvm domain type is offered and usable by QEMU's user.
func kvmCheck(f hostFacts) hostCheck {
	c := hostCheck{Name: checkKVM, OK: true}
	switch {
	case f.Xen:
		c.Detail = "Xen host: guests run as Xen domains."
	case slices.Contains(f.Types, "kvm") && f.KVMBlocked != "":
		c.OK = false
		c.Detail = fmt.Sprintf("the kvm domain type is offered, but QEMU's user (%s) may not open %s (%s): kvm instances "+
			"would fail to start.", f.UserName, f.KVMBlocked, f.KVMMode)
		c.Fix = "Give the kvm group read and write access to /dev/kvm (the udev rule of Debian's and Fedora's packages: " +
			"chgrp kvm /dev/kvm; chmod 0660 /dev/kvm) and make QEMU's user a member of kvm; or set hypervisor = \"qemu\"."
	case slices.Contains(f.Types, "kvm"):
		c.Detail = "the kvm domain type is offered (/dev/kvm is usable by libvirt)."
	default:
		c.OK = false
		c.Detail = fmt.Sprintf("the kvm domain type is not offered; the host offers: %s.", strings.Join(f.Types, ", "))
		c.Fix = "Enable virtualization (VT-x or AMD-V) in the firmware and load kvm_intel or kvm_amd so that /dev/kvm " +
			"exists, then restart libvirtd; or set hypervisor = \"qemu\" (software emulation, slower)."
	}
	return c
}

// uefiCheck checks whether UEFI firmware is offered, for firmware = "efi".
func uefiCheck(f hostFacts) hostCheck {
	c := hostCheck{Name: checkUEFI, OK: f.EFI}
	if f.EFI {
		c.Detail = "UEFI firmware is offered for firmware = \"efi\"."
	} else {
		c.Detail = "no UEFI firmware is offered (needed only for firmware = \"efi\")."
		c.Fix = "Install UEFI firmware with its descriptors: ovmf on Debian and Ubuntu, edk2-ovmf on Fedora; then restart libvirtd."
		if f.Xen {
			c.Fix = "Install Xen's OVMF build (ovmf on Debian) and restart libvirtd."
		}
	}
	return c
}

// rngCheck checks whether virtio-rng fed from the host's /dev/urandom is offered.
func rngCheck(f hostFacts) hostCheck {
	c := hostCheck{Name: checkRNG, OK: true}
	switch {
	case f.Xen:
		c.Detail = "Xen host: rng does not apply."
	case f.RNGErr != nil:
		c.OK, c.Detail = false, "cannot read the domain capabilities: "+f.RNGErr.Error()
		c.Fix = "Check that the connection may read domain capabilities (virsh domcapabilities)."
	case slices.Contains(f.RNG, "random"):
		c.Detail = "virtio-rng with the host's /dev/urandom is offered."
	default:
		c.OK = false
		c.Detail = fmt.Sprintf("virtio-rng with the random backend is not offered (backends: %s).", strings.Join(f.RNG, ", "))
		c.Fix = "Use a QEMU and libvirt build with virtio-rng, or set rng = false on instances (Nanos and OSv want one)."
	}
	return c
}

// consolePoolCheck checks the storage pool of console logs.
func consolePoolCheck(f hostFacts) hostCheck {
	c := hostCheck{Name: checkConsolePool, OK: true}
	switch {
	case f.ConsoleErr != nil:
		c.OK, c.Detail = false, fmt.Sprintf("cannot read the storage pool %q: %v", f.Console.Name, f.ConsoleErr)
		c.Fix = "Check that the connection may manage storage pools (a member of the libvirt group, or root)."
	case f.ConsoleDef == nil:
		c.Detail = fmt.Sprintf("the storage pool %q does not exist yet; the first instance creates it in %s (mode 0700).",
			f.Console.Name, f.Console.Path)
	case f.ConsoleDef.Spec.Path != f.Console.Path:
		c.OK = false
		c.Detail = fmt.Sprintf("the storage pool %q has the directory %s, not console_path %s.", f.Console.Name,
			f.ConsoleDef.Spec.Path, f.Console.Path)
		c.Fix = fmt.Sprintf("Set console_path = %q in the provider block, or console_pool to a name of its own.", f.ConsoleDef.Spec.Path)
	default:
		state := "running"
		if !f.ConsoleDef.Active {
			state = "stopped; the next instance starts it"
		}
		c.Detail = fmt.Sprintf("the storage pool %q in %s is %s.", f.Console.Name, f.Console.Path, state)
	}
	return c
}

// readHostChecks gathers the facts and returns the checks.
func (d *HostDataSource) readHostChecks(ctx context.Context, h hypervisor.HostInfo, efi bool) []hostCheck {
	c := d.data.Client
	f := hostFacts{Xen: d.data.Hypervisor == "xen" || h.Driver == "Xen", Types: h.KernelBootTypes, EFI: efi, Console: d.data.Console}
	if !f.Xen {
		f.Security, f.SecurityErr = c.Security(ctx, d.data.Hypervisor)
		f.UserName = f.Security.User(hypervisor.LocalURI(c.URI()))
		f.RNG, f.RNGErr = c.RNGBackends(ctx, d.data.Hypervisor)
		if hypervisor.LocalURI(c.URI()) && f.Security.UID > 0 {
			f.KVMBlocked = hypervisor.PathBlocked("/dev/kvm", f.Security.UID, f.Security.GID,
				hypervisor.AccessRead|hypervisor.AccessWrite)
			f.KVMMode = hypervisor.FileMode("/dev/kvm")
		}
	}
	if info, err := c.ReadPool(ctx, f.Console.Name); err == nil {
		f.ConsoleDef = &info
	} else if !hypervisor.IsNotFound(err) {
		f.ConsoleErr = err
	}
	return hostChecks(f)
}
