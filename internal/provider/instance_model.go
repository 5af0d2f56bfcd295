package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/family"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// instanceModel is the unikernel_instance resource's state.
type instanceModel struct {
	ID                types.String   `tfsdk:"id"`
	Name              types.String   `tfsdk:"name"`
	Hypervisor        types.String   `tfsdk:"hypervisor"`
	Description       types.String   `tfsdk:"description"`
	Kernel            types.String   `tfsdk:"kernel"`
	Initrd            types.String   `tfsdk:"initrd"`
	Cmdline           types.String   `tfsdk:"cmdline"`
	Memory            types.Int64    `tfsdk:"memory"`
	VCPUs             types.Int64    `tfsdk:"vcpus"`
	Disks             []diskModel    `tfsdk:"disks"`
	NetworkInterfaces []nicModel     `tfsdk:"network_interfaces"`
	Running           types.Bool     `tfsdk:"running"`
	Autostart         types.Bool     `tfsdk:"autostart"`
	OnCrash           types.String   `tfsdk:"on_crash"`
	OnPoweroff        types.String   `tfsdk:"on_poweroff"`
	ShutdownTimeout   types.String   `tfsdk:"shutdown_timeout"`
	ACPI              types.Bool     `tfsdk:"acpi"`
	WaitFor           *waitForModel  `tfsdk:"wait_for"`
	State             types.String   `tfsdk:"state"`
	ConsoleLog        types.String   `tfsdk:"console_log"`
	BootFormat        types.String   `tfsdk:"boot_format"`
	ImagesFingerprint types.String   `tfsdk:"images_fingerprint"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`

	// Run mode and platform (instance_platform.go).
	Mode        types.String `tfsdk:"mode"`
	CPUMode     types.String `tfsdk:"cpu_mode"`
	CPUFeatures types.Map    `tfsdk:"cpu_features"`
	Machine     types.String `tfsdk:"machine"`
	RNG         types.Bool   `tfsdk:"rng"`
	XenMode     types.String `tfsdk:"xen_mode"`
	Filesystems []fsModel    `tfsdk:"filesystems"`

	// Firmware (instance_firmware.go).
	Firmware   types.String `tfsdk:"firmware"`
	SecureBoot types.Bool   `tfsdk:"secure_boot"`

	// The guest's family and what it composes (instance_family.go).
	Family      types.String `tfsdk:"family"`
	Args        types.List   `tfsdk:"args"`
	Env         types.Map    `tfsdk:"env"`
	BootCmdline types.String `tfsdk:"boot_cmdline"`
}

type diskModel struct {
	Image    types.String `tfsdk:"image"`
	Path     types.String `tfsdk:"path"`
	Format   types.String `tfsdk:"format"`
	ReadOnly types.Bool   `tfsdk:"read_only"`
	Bus      types.String `tfsdk:"bus"`
	// BaseImage: the disk is a copy-on-write overlay of this image (instance_overlay.go).
	BaseImage types.String `tfsdk:"base_image"`
	// Volume: the disk is a unikernel_volume, which outlives the instance (instance_volume.go).
	Volume types.String `tfsdk:"volume"`
	// Overlay: the host path of a copy-on-write disk's overlay (instance_overlay.go).
	Overlay types.String `tfsdk:"overlay"`
}

type nicModel struct {
	Network       types.String `tfsdk:"network"`
	MAC           types.String `tfsdk:"mac"`
	IPv4Address   types.String `tfsdk:"ipv4_address"`
	Model         types.String `tfsdk:"model"`
	IPv4Addresses types.List   `tfsdk:"ipv4_addresses"`
}

type waitForModel struct {
	Console types.String `tfsdk:"console"`
	IPv4    types.Bool   `tfsdk:"ipv4"`
	TCPPort types.Int64  `tfsdk:"tcp_port"`
	Timeout types.String `tfsdk:"timeout"`
}

// source is the host path of a disk: its image or volume id (a volume key,
// which for dir pools is the path) or its path.
func (d diskModel) source() string {
	if s := d.Image.ValueString(); s != "" {
		return s
	}
	if s := d.BaseImage.ValueString(); s != "" {
		return s
	}
	if s := d.Volume.ValueString(); s != "" {
		return s
	}
	return d.Path.ValueString()
}

// toSpec maps the planned model to the domain spec. Unknown MACs and models
// are left empty for libvirt to choose.
func (m *instanceModel) toSpec(console hypervisor.ConsolePool) hypervisor.DomainSpec {
	name := m.Name.ValueString()
	s := hypervisor.DomainSpec{
		Name:        name,
		UUID:        m.ID.ValueString(),
		Type:        m.Hypervisor.ValueString(),
		Description: m.Description.ValueString(),
		MemoryMiB:   uint(m.Memory.ValueInt64()),
		VCPUs:       uint(m.VCPUs.ValueInt64()),
		Kernel:      m.Kernel.ValueString(),
		Initrd:      m.Initrd.ValueString(),
		Cmdline:     m.BootCmdline.ValueString(),
		ConsoleLog:  m.consoleLog(console),
		OnCrash:     m.OnCrash.ValueString(),
		OnPoweroff:  m.OnPoweroff.ValueString(),
		Family:      m.Family.ValueString(),
	}
	m.platformToSpec(&s)
	s.NoACPI = !m.acpi()
	for i, d := range m.Disks {
		s.Disks = append(s.Disks, hypervisor.DiskSpec{
			Path: d.domainPath(name, i), Format: d.Format.ValueString(), ReadOnly: d.ReadOnly.ValueBool(), Bus: d.Bus.ValueString(),
		})
	}
	for _, n := range m.NetworkInterfaces {
		s.Interfaces = append(s.Interfaces, hypervisor.InterfaceSpec{
			Network: n.Network.ValueString(), MAC: n.MAC.ValueString(), Model: n.Model.ValueString(),
		})
	}
	return s
}

// consoleLog is the serial console log the definition asks for: a new
// instance's is in the provider's console pool; an existing one keeps the
// console it has (state's console_log, null for a domain whose console is not
// logged, such as an imported one with a plain pty), so that an update never
// moves a console that the configuration cannot even name.
func (m *instanceModel) consoleLog(console hypervisor.ConsolePool) string {
	if m.ConsoleLog.IsUnknown() {
		return console.LogPath(m.Name.ValueString())
	}
	return m.ConsoleLog.ValueString()
}

// fromInfo fills the model from what libvirt has. Values libvirt does not
// hold (image ids, reservations, the readiness gate, timeouts) come from prior.
func (m *instanceModel) fromInfo(ctx context.Context, info hypervisor.DomainInfo, leases map[string][]string, prior *instanceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	s := info.Spec
	m.ID = types.StringValue(s.UUID)
	m.Name = types.StringValue(s.Name)
	m.Hypervisor = types.StringValue(s.Type)
	m.Description = nullIfEmpty(s.Description)
	m.Kernel = nullIfEmpty(s.Kernel)
	m.Initrd = nullIfEmpty(s.Initrd)
	m.BootCmdline = types.StringValue(s.Cmdline)
	m.Cmdline = nullIfEmpty(s.Cmdline)
	m.Family, m.Args, m.Env = types.StringValue(family.Generic), types.ListNull(types.StringType), types.MapNull(types.StringType)
	if prior != nil {
		if !prior.Family.IsNull() && !prior.Family.IsUnknown() {
			m.Family = prior.Family
		}
		m.Args, m.Env = prior.Args, prior.Env
		if m.Family.ValueString() != family.Generic {
			// The raw part is not in libvirt: boot_cmdline, read above, shows drift.
			m.Cmdline = prior.Cmdline
		}
	}
	m.Memory = types.Int64Value(int64(s.MemoryMiB))
	m.VCPUs = types.Int64Value(int64(s.VCPUs))
	m.OnCrash = types.StringValue(s.OnCrash)
	m.OnPoweroff = types.StringValue(s.OnPoweroff)
	m.ConsoleLog = nullIfEmpty(s.ConsoleLog)
	m.State = types.StringValue(string(info.State))
	m.Running = types.BoolValue(info.State == hypervisor.StateRunning || info.State == hypervisor.StatePaused)
	m.Autostart = types.BoolValue(info.Autostart)
	m.ACPI = types.BoolValue(!s.NoACPI)
	if s.Type == "xen" {
		// Xen's domain types decide ACPI themselves (xen_mode); the attribute does not apply.
		m.ACPI = types.BoolNull()
		if prior != nil && !prior.ACPI.IsUnknown() {
			m.ACPI = prior.ACPI
		}
	}
	diags.Append(m.platformFromSpec(ctx, s, prior)...)

	m.Disks = disksFromSpec(s, prior)
	var d diag.Diagnostics
	m.NetworkInterfaces, d = nicsFromSpec(ctx, s, leases, prior)
	diags.Append(d...)

	if prior != nil {
		m.ShutdownTimeout = prior.ShutdownTimeout
		m.WaitFor = prior.WaitFor
		m.Timeouts = prior.Timeouts
		m.BootFormat = prior.BootFormat
		m.ImagesFingerprint = prior.ImagesFingerprint
	}
	if m.Timeouts.IsNull() || m.Timeouts.IsUnknown() {
		m.Timeouts = timeouts.Value{Object: types.ObjectNull(timeoutAttrTypes)}
	}
	if m.BootFormat.IsNull() || m.BootFormat.IsUnknown() {
		m.BootFormat = types.StringValue(bootFormatOf(s, ""))
	}
	if m.ShutdownTimeout.IsNull() || m.ShutdownTimeout.IsUnknown() {
		m.ShutdownTimeout = types.StringValue(defaultShutdownTimeout(m.BootFormat.ValueString()))
	}
	return diags
}

// disksFromSpec maps the domain's disks to the model. A disk that prior
// attached as an image, a volume or a copy-on-write disk on a base image
// reads back as such; the rest read back as host paths.
func disksFromSpec(s hypervisor.DomainSpec, prior *instanceModel) []diskModel {
	var out []diskModel
	for i, d := range s.Disks {
		dm := diskModel{
			Image: types.StringNull(), Path: types.StringValue(d.Path), Format: types.StringValue(d.Format),
			ReadOnly: types.BoolValue(d.ReadOnly), Bus: types.StringValue(d.Bus), BaseImage: types.StringNull(),
			Volume: types.StringNull(), Overlay: types.StringNull(),
		}
		if prior != nil && i < len(prior.Disks) && prior.Disks[i].isOverlayAt(s.Name, i, d.Path) {
			dm.BaseImage, dm.Path, dm.Overlay = prior.Disks[i].BaseImage, types.StringNull(), types.StringValue(d.Path)
		}
		if prior != nil && i < len(prior.Disks) && prior.Disks[i].Image.ValueString() == d.Path {
			dm.Image, dm.Path = types.StringValue(d.Path), types.StringNull()
		}
		if prior != nil && i < len(prior.Disks) && prior.Disks[i].Volume.ValueString() == d.Path {
			dm.Volume, dm.Path = types.StringValue(d.Path), types.StringNull()
		}
		if prior != nil && i < len(prior.Disks) && d.Format == "iso" && !prior.Disks[i].ReadOnly.IsNull() {
			dm.ReadOnly = prior.Disks[i].ReadOnly // always read-only; keep what the configuration said
		}
		out = append(out, dm)
	}
	return out
}

// nicsFromSpec maps the domain's interfaces to the model, with the
// addresses leased to each MAC and the reservations prior holds.
func nicsFromSpec(ctx context.Context, s hypervisor.DomainSpec, leases map[string][]string, prior *instanceModel) ([]nicModel, diag.Diagnostics) {
	var out []nicModel
	var diags diag.Diagnostics
	for i, n := range s.Interfaces {
		nm := nicModel{
			Network: types.StringValue(n.Network), MAC: types.StringValue(n.MAC), Model: types.StringValue(n.Model),
			IPv4Address: types.StringNull(),
		}
		if prior != nil && i < len(prior.NetworkInterfaces) {
			// The reservation lives on the network, not in the domain: keep what
			// state (or the plan, whose MAC may still be unknown) says.
			if pm := prior.NetworkInterfaces[i].MAC; pm.IsUnknown() || pm.ValueString() == n.MAC {
				nm.IPv4Address = prior.NetworkInterfaces[i].IPv4Address
			}
		}
		addrs := leases[n.MAC]
		if addrs == nil {
			addrs = []string{}
		}
		var d diag.Diagnostics
		nm.IPv4Addresses, d = types.ListValueFrom(ctx, types.StringType, addrs)
		diags.Append(d...)
		out = append(out, nm)
	}
	return out, diags
}

// defaultShutdownTimeout is the graceful shutdown time an instance gets when
// shutdown_timeout is not set. Linux kernels and disk-booted systems act on
// the ACPI power button; multiboot and PVH unikernels (Solo5/MirageOS,
// Unikraft, the test unikernel) never do, and waiting for them only delays
// every destroy and restart by the whole timeout. An unknown format keeps the
// cautious graceful default.
func defaultShutdownTimeout(bootFormat string) string {
	switch imageformat.Format(bootFormat) {
	case imageformat.Multiboot, imageformat.Multiboot2, imageformat.PVH:
		return "0s"
	}
	return "10s"
}

var timeoutAttrTypes = map[string]attr.Type{
	"create": types.StringType, "update": types.StringType, "delete": types.StringType,
}

// bootFormatOf is "disk" for disk boot, else the kernel's detected format.
func bootFormatOf(s hypervisor.DomainSpec, kernelFormat string) string {
	if s.Kernel == "" {
		return "disk"
	}
	if kernelFormat == "" {
		return "unknown"
	}
	return kernelFormat
}

// shutdownGrace parses shutdown_timeout (validated at plan time).
func (m *instanceModel) shutdownGrace() time.Duration {
	d, err := time.ParseDuration(m.ShutdownTimeout.ValueString())
	if err != nil {
		return 10 * time.Second
	}
	return d
}

// acpi is whether the domain gets ACPI: the attribute when known, else its
// default, true. ACPI is how a guest is asked to shut down and how it powers
// itself off (a job, or a service that exits, which must then show as
// stopped); acpi = false saves about 2.4 MiB of host memory per guest where
// neither is wanted.
func (m *instanceModel) acpi() bool {
	if m.ACPI.IsNull() || m.ACPI.IsUnknown() {
		return true
	}
	return m.ACPI.ValueBool()
}
