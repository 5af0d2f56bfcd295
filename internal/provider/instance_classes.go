package provider

import (
	"context"
	"reflect"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// updateClass is how a change of an attribute reaches an existing instance.
type updateClass string

const (
	// classLive changes are applied without a restart.
	classLive updateClass = "live"
	// classRestart changes redefine the instance and restart it when it runs
	// (a job runs again).
	classRestart updateClass = "restart"
	// classReplace changes force a new instance.
	classReplace updateClass = "replace"
	// classComputed attributes are read from libvirt, never configured.
	classComputed updateClass = "computed"
)

// specFieldClass classifies every field of hypervisor.DomainSpec. An update
// restarts the instance when the spec it would define differs from the one
// the state defines in a restart field: libvirt applies those only when the
// domain boots. Description changes with the definition alone; the name and
// the domain type cannot change on an existing domain; the UUID and the
// console log follow from the state.
var specFieldClass = map[string]updateClass{
	"Name": classReplace, "UUID": classComputed, "Type": classReplace, "Description": classLive,
	"MemoryMiB": classRestart, "VCPUs": classRestart, "Kernel": classRestart, "Initrd": classRestart,
	"Cmdline": classRestart, "Disks": classRestart, "Interfaces": classRestart, "ConsoleLog": classComputed,
	"OnPoweroff": classRestart, "OnCrash": classRestart, "CPU": classRestart, "Machine": classRestart,
	"RNG": classRestart, "XenMode": classRestart, "Filesystems": classRestart, "NoACPI": classRestart,
	"Firmware": classRestart, "SecureBoot": classRestart, "Family": classLive, "Create": classComputed,
}

// instanceAttributeClass classifies every attribute of unikernel_instance
// (nested attributes share their parent's class). The restart class follows
// from the spec (specFieldClass, restartDiffers); TestInstanceAttributes_everyOneClassified
// checks that this table, the schema, the descriptions and restartDiffers
// agree, and that a new attribute is classified.
var instanceAttributeClass = map[string]updateClass{
	"id": classComputed, "state": classComputed, "console_log": classComputed, "boot_format": classComputed,
	"images_fingerprint": classComputed,
	"name":               classReplace, "hypervisor": classReplace,
	"description": classLive, "running": classLive, "autostart": classLive, "shutdown_timeout": classLive,
	"wait_for": classLive, "timeouts": classLive,
	"kernel": classRestart, "initrd": classRestart, "cmdline": classRestart, "memory": classRestart, "vcpus": classRestart,
	"disks": classRestart, "network_interfaces": classRestart, "on_crash": classRestart, "on_poweroff": classRestart,
	"mode": classRestart, "cpu_mode": classRestart, "cpu_features": classRestart, "machine": classRestart,
	"xen_mode": classRestart, "filesystems": classRestart, "rng": classRestart, "acpi": classRestart,
	"firmware": classRestart, "secure_boot": classRestart,
	"family": classReplace, "args": classRestart, "env": classRestart, "boot_cmdline": classComputed,
}

// restartDiffers reports whether an update from state to plan needs the
// instance redefined and, when it runs, restarted: the domain that plan
// would define differs from the one state defines in a restart field of
// the spec, or in one of the settings that live outside the domain
// definition but take effect only at boot: the run mode (a job runs again),
// an interface's reserved address (the guest asks DHCP at boot) and a
// copy-on-write disk's base image (the overlay beside it keeps its path).
func restartDiffers(plan, state *instanceModel) bool {
	a := reflect.ValueOf(plan.toSpec(hypervisor.ConsolePool{}))
	b := reflect.ValueOf(state.toSpec(hypervisor.ConsolePool{}))
	for i := range a.NumField() {
		if specFieldClass[a.Type().Field(i).Name] == classRestart && !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			return true
		}
	}
	if !plan.Mode.Equal(state.Mode) {
		return true
	}
	for i := range min(len(plan.NetworkInterfaces), len(state.NetworkInterfaces)) {
		if !plan.NetworkInterfaces[i].IPv4Address.Equal(state.NetworkInterfaces[i].IPv4Address) {
			return true
		}
	}
	for i := range min(len(plan.Disks), len(state.Disks)) {
		if !plan.Disks[i].BaseImage.Equal(state.Disks[i].BaseImage) {
			return true
		}
	}
	return false
}

// stopForRestart stops a running or paused instance ahead of a restart-class
// redefinition, with the shutdown grace of the definition it runs; it reports
// whether the instance was running.
func (r *InstanceResource) stopForRestart(ctx context.Context, state *instanceModel) (bool, error) {
	name := state.Name.ValueString()
	st, err := r.data.Client.DomainState(ctx, name)
	if err != nil {
		return false, err
	}
	if st != hypervisor.StateRunning && st != hypervisor.StatePaused {
		return false, nil
	}
	tflog.Info(ctx, "stopping the instance before its new definition is saved", map[string]any{"instance": name})
	return true, r.data.Client.StopDomain(ctx, name, state.shutdownGrace())
}

// Sentences the attribute descriptions end with, by class.
const (
	restartNote = " Changing it redefines the instance and, when it is running, restarts it (same UUID, MACs, reserved " +
		"addresses and console log)."
	liveNote    = " Changes live."
	replaceNote = " Changing it forces a new instance."
)
