package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// Firmware values.
const (
	firmwareBIOS = "bios"
	firmwareEFI  = hypervisor.FirmwareEFI
)

// ovmfHint is what to install where UEFI firmware is missing.
const ovmfHint = "Install UEFI firmware for guests there (Debian and Ubuntu: the `ovmf` package, which installs /usr/share/OVMF " +
	"and the descriptors libvirt chooses from in /usr/share/qemu/firmware)"

// firmwareAttributes are the schema attributes of the guest firmware.
func firmwareAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"firmware": schema.StringAttribute{
			Optional: true, Computed: true, Default: stringdefault.StaticString(firmwareBIOS),
			PlanModifiers: []planmodifier.String{keepAdoptedString()},
			MarkdownDescription: "`bios` (the default: SeaBIOS with kvm and qemu; Xen PV and PVH guests boot without firmware) " +
				"or `efi`: UEFI firmware (OVMF) that libvirt chooses from the host's firmware descriptors, with an NVRAM file " +
				"of the instance's own for its UEFI variables, copied from the firmware's template at the first start and " +
				"deleted with the instance (and when `firmware` or `secure_boot` changes). Under `efi` a `kernel` boots " +
				"through the firmware, so it must be an EFI application such as a Linux kernel with an EFI stub (boot format " +
				"`linux`); multiboot and PVH kernels boot only under `bios`. A disk boots from its EFI system partition " +
				"(`\\EFI\\BOOT\\BOOTX64.EFI`). `efi` is checked against the host's domain capabilities at plan time " +
				"(`data.unikernel_host` reports it as `efi`); on Xen it needs `xen_mode = \"hvm\"`." + restartNote,
			Validators: []validator.String{stringvalidator.OneOf(firmwareBIOS, firmwareEFI)},
		},
		"secure_boot": schema.BoolAttribute{
			Optional: true, Computed: true, Default: booldefault.StaticBool(false),
			PlanModifiers: []planmodifier.Bool{keepAdoptedBool()},
			MarkdownDescription: "Whether the UEFI firmware enforces Secure Boot (with `firmware = \"efi\"`, kvm and qemu only). " +
				"`true` chooses the firmware build with Secure Boot on and the distribution's and Microsoft's keys enrolled: " +
				"what it boots from a disk must be signed by those keys (a boot loader signed for shim, for example), and a " +
				"Linux guest sees Secure Boot on and locks itself down. A `kernel` booted directly is not checked: OVMF " +
				"starts it even when no enrolled key signed it (Debian 12's OVMF does). It needs the `q35` machine type " +
				"(set when `machine` is not) and SMM, which the provider switches on. Checked against the host at plan " +
				"time (`data.unikernel_host` reports it as `secure_boot`). Defaults to false." + restartNote,
		},
	}
}

// firmwareToSpec sets the firmware of spec: BIOS is the spec's default.
func (m *instanceModel) firmwareToSpec(s *hypervisor.DomainSpec) {
	if m.Firmware.ValueString() == firmwareEFI {
		s.Firmware = firmwareEFI
	}
	s.SecureBoot = m.SecureBoot.ValueBool()
}

// firmwareFromSpec fills the firmware from what libvirt has.
func (m *instanceModel) firmwareFromSpec(s hypervisor.DomainSpec) {
	m.Firmware = types.StringValue(firmwareBIOS)
	if s.Firmware == firmwareEFI {
		m.Firmware = types.StringValue(firmwareEFI)
	}
	m.SecureBoot = types.BoolValue(s.SecureBoot)
}

// firmwareChanged reports whether an update changes the firmware: the
// instance is then stopped before it is redefined, so that its NVRAM file,
// made for the old firmware, can go with the old definition.
func firmwareChanged(plan, state *instanceModel) bool {
	return !plan.Firmware.Equal(state.Firmware) || !plan.SecureBoot.Equal(state.SecureBoot)
}

// isQ35 reports whether a machine type is QEMU's q35 (an alias or a versioned name).
func isQ35(machine string) bool { return machine == "q35" || strings.HasPrefix(machine, "pc-q35-") }

// planFirmware checks the firmware against the other settings, and gives
// Secure Boot the q35 machine type when the configuration names none. It
// runs after xen_mode has its default.
func planFirmware(ctx context.Context, req resource.ModifyPlanRequest, plan *instanceModel, diags *diag.Diagnostics) {
	if plan.Firmware.IsUnknown() || plan.SecureBoot.IsUnknown() || plan.Hypervisor.IsUnknown() {
		return
	}
	efi := plan.Firmware.ValueString() == firmwareEFI
	secure := plan.SecureBoot.ValueBool()
	if efi && plan.isXen() && plan.XenMode.ValueString() != "hvm" {
		diags.AddAttributeError(path.Root("firmware"), "UEFI needs a Xen HVM guest",
			fmt.Sprintf("firmware = \"efi\" boots UEFI firmware, which Xen runs for HVM guests only; this instance is a Xen %s "+
				"guest (xen_mode = %q). Set xen_mode = \"hvm\", or remove firmware.", plan.XenMode.ValueString(), plan.XenMode.ValueString()))
	}
	if !secure {
		return
	}
	switch {
	case !efi:
		diags.AddAttributeError(path.Root("secure_boot"), "Secure Boot needs UEFI",
			fmt.Sprintf("secure_boot = true asks UEFI firmware to enforce Secure Boot, and this instance has firmware = %q. "+
				"Set firmware = \"efi\", or remove secure_boot.", plan.Firmware.ValueString()))
		return
	case plan.isXen():
		diags.AddAttributeError(path.Root("secure_boot"), "No Secure Boot on Xen",
			"secure_boot = true needs the Secure Boot builds of OVMF, which need SMM; Xen guests have no SMM. Remove "+
				"secure_boot, or use hypervisor = \"kvm\" or \"qemu\".")
		return
	}
	var machine types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("machine"), &machine)...)
	switch {
	case machine.IsUnknown():
	case machine.IsNull():
		if plan.Machine.IsUnknown() || !isQ35(plan.Machine.ValueString()) {
			plan.Machine = types.StringValue("q35")
		}
	case !isQ35(machine.ValueString()):
		diags.AddAttributeError(path.Root("machine"), "Secure Boot needs the q35 machine type",
			fmt.Sprintf("secure_boot = true needs the q35 machine type: the Secure Boot builds of OVMF keep their variables "+
				"safe with SMM, which their firmware descriptors offer on q35 only; machine is %q. Set machine = \"q35\" or "+
				"remove it (secure_boot then sets q35).", machine.ValueString()))
	}
}

// checkFirmwareHost refuses UEFI and Secure Boot where the host offers
// neither (libvirt finds no firmware descriptor for them), naming the host
// and what to install. Drivers that cannot describe their firmware (the test
// driver) are not checked.
func (r *InstanceResource) checkFirmwareHost(ctx context.Context, plan, state *instanceModel, diags *diag.Diagnostics) {
	if plan.Firmware.ValueString() != firmwareEFI {
		return
	}
	if state != nil && !firmwareChanged(plan, state) && plan.Machine.Equal(state.Machine) && plan.Hypervisor.Equal(state.Hypervisor) {
		return
	}
	c := r.data.Client
	// An unknown machine is the hypervisor's default one, which the domain
	// capabilities describe when none is named.
	typ, machine := plan.Hypervisor.ValueString(), ""
	if !plan.Machine.IsUnknown() {
		machine = plan.Machine.ValueString()
	}
	fw, err := c.Firmware(ctx, typ, machine)
	if err != nil {
		tflog.Warn(ctx, "cannot read the host's firmware for plan-time checks", map[string]any{"error": err.Error()})
		return
	}
	if !fw.Known {
		return
	}
	host := c.URI()
	if fw.Host != "" {
		host = fmt.Sprintf("%s (%s)", fw.Host, c.URI())
	}
	on := "domain type " + typ
	if machine != "" {
		on += " and machine " + machine
	}
	machineHint := ""
	if machine != "" {
		machineHint = " Where it is installed, the machine type may be one it does not support: OVMF's descriptors name pc and q35."
	}
	switch {
	case !fw.EFI:
		diags.AddAttributeError(path.Root("firmware"), "UEFI firmware not available on the host",
			fmt.Sprintf("Host %s offers no UEFI firmware for %s: libvirt found no firmware descriptor for it. %s, or use "+
				"firmware = \"bios\".%s", host, on, ovmfHint, machineHint))
	case plan.SecureBoot.ValueBool() && !fw.SecureBoot:
		diags.AddAttributeError(path.Root("secure_boot"), "Secure Boot firmware not available on the host",
			fmt.Sprintf("Host %s offers UEFI firmware for %s, but none with Secure Boot (a secure loader). %s, or remove "+
				"secure_boot.", host, on, ovmfHint))
	}
}

// checkFirmwareBootFormat refuses kernels that UEFI firmware cannot start:
// under OVMF, QEMU hands a direct-boot kernel to the firmware, which starts
// EFI applications and Linux boot images, while multiboot and PVH kernels
// need QEMU's own loaders, which run under SeaBIOS.
func checkFirmwareBootFormat(m *instanceModel, diags *diag.Diagnostics) {
	if m.Firmware.ValueString() != firmwareEFI || m.BootFormat.IsUnknown() {
		return
	}
	switch f := imageformat.Format(m.BootFormat.ValueString()); f {
	case imageformat.Multiboot, imageformat.Multiboot2, imageformat.PVH:
		diags.AddAttributeError(path.Root("firmware"), "Kernel cannot boot under UEFI",
			fmt.Sprintf("firmware = \"efi\" boots a kernel through the UEFI firmware, which starts EFI applications such as a "+
				"Linux kernel with an EFI stub (boot format linux). This kernel is a %s kernel, which QEMU's own loader starts "+
				"under BIOS only: use firmware = \"bios\", or boot an EFI build of the guest.", f))
	}
}

// stopForFirmware stops a running instance whose firmware changes, before it
// is redefined, and reports whether it ran.
func (r *InstanceResource) stopForFirmware(ctx context.Context, plan, state *instanceModel) (bool, error) {
	name := plan.Name.ValueString()
	st, err := r.data.Client.DomainState(ctx, name)
	if err != nil {
		return false, err
	}
	if st != hypervisor.StateRunning && st != hypervisor.StatePaused {
		return false, nil
	}
	tflog.Info(ctx, "stopping the instance to change its firmware", map[string]any{
		"firmware": plan.Firmware.ValueString(), "was": state.Firmware.ValueString(),
	})
	return true, r.data.Client.StopDomain(ctx, name, state.shutdownGrace())
}
