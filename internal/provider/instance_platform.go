package provider

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// Run modes of an instance.
const (
	modeService = "service"
	modeJob     = "job"
)

// defaultCPUMode boots every family under both kvm and qemu (TCG): QEMU's
// "max" CPU is the host's CPU under KVM and everything TCG emulates under
// TCG, where host-passthrough does not exist.
const defaultCPUMode = hypervisor.CPUMaximum

// platformAttributes are the schema attributes of the run mode, CPU,
// machine type and RNG.
func platformAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"mode": schema.StringAttribute{
			Optional: true, Computed: true, Default: stringdefault.StaticString(modeService),
			MarkdownDescription: "`service` (default) or `job`.\n\n" +
				"A **service** runs until it is stopped: apply returns once `wait_for` holds, and a service that stops on " +
				"its own later shows as drift (`running` becomes false) that the next apply repairs by starting it.\n\n" +
				"A **job** runs to completion, like Solo5 tests, Unikraft helloworld or a batch unikernel: apply starts it, " +
				"waits until the guest powers itself off (and, with `wait_for.console`, until a line matched), and succeeds " +
				"only if it did both within `wait_for.timeout`. A job that crashes, is destroyed, or powers off without the " +
				"console line fails the apply. Afterwards the job stays defined and shut off, the next plan is empty, and a " +
				"change to its kernel, image builds, command line or other settings that restart a service runs it again. " +
				"`running = false` defines a job without running it. Jobs need `on_poweroff = \"destroy\"` and cannot use " +
				"`wait_for.ipv4` or `wait_for.tcp_port`." + restartNote,
			Validators: []validator.String{stringvalidator.OneOf(modeService, modeJob)},
		},
		"cpu_mode": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "The guest CPU: `host-passthrough` (the host CPU as is; KVM only), `host-model` (a named " +
				"model close to the host's), `maximum` (everything the hypervisor can offer: QEMU's `max` CPU, the host CPU " +
				"under KVM and every feature TCG emulates under TCG), or the name of a CPU model such as `Westmere` or " +
				"`Skylake-Server` (`virsh domcapabilities` lists the models usable on the host). Checked against the host's " +
				"domain capabilities at plan time. Defaults to `maximum` with `kvm` and `qemu`, which boots every family " +
				"under both, and to the hypervisor's default with `xen`." + restartNote,
			Validators: []validator.String{stringvalidator.RegexMatches(cpuNameRe, "must be a CPU mode or model name such as maximum or Westmere")},
		},
		"cpu_features": schema.MapAttribute{
			Optional: true, ElementType: types.StringType,
			MarkdownDescription: "CPUID features to change on top of `cpu_mode`, by libvirt's name, each with a policy: " +
				"`require` (fail at plan time unless the host can provide it), `disable`, `force`, `forbid` or `optional`. " +
				"For example `{ rdrand = \"require\", rdseed = \"require\" }` for Unikraft, `{ x2apic = \"require\" }` for OSv. " +
				"Unknown feature names fail the plan." + restartNote,
			Validators: []validator.Map{
				mapvalidator.SizeAtLeast(1),
				mapvalidator.KeysAre(stringvalidator.RegexMatches(cpuNameRe, "must be a CPU feature name such as rdrand")),
				mapvalidator.ValueStringsAre(stringvalidator.OneOf(hypervisor.CPUFeaturePolicies...)),
			},
		},
		"machine": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "Machine type, such as `pc`, `q35` or a versioned name like `pc-i440fx-7.2`, checked " +
				"against the host's capabilities at plan time. Defaults to the family's launcher default (`pc` for " +
				"`solo5`, `unikraft` and `osv`, `q35` for `nanos`), else to the hypervisor's default, which state then " +
				"holds in its versioned form. An alias such as `pc` stays as written." + restartNote,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			Validators:    []validator.String{stringvalidator.RegexMatches(cpuNameRe, "must be a machine type such as pc or q35")},
		},
		"xen_mode": schema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "Xen guest type, with `hypervisor = \"xen\"` only: `pvh` (the default; MirageOS and Solo5's " +
				"Xen target, Linux), `pv` (paravirtualised; Unikraft's x86 Xen platform) or `hvm` (full virtualisation; OSv " +
				"on Xen, disk images)." + restartNote,
			Validators: []validator.String{stringvalidator.OneOf("pvh", "pv", "hvm")},
		},
		"filesystems": filesystemsAttribute(),
		"rng": schema.BoolAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: "Attach a virtio-rng device fed from the host's `/dev/urandom` (Nanos and OSv expect " +
				"one). `kvm` and `qemu` only. Defaults to the family's launcher default: true for `nanos`, `osv` and " +
				"`linux` with kvm and qemu, false otherwise." + restartNote,
		},
	}
}

// filesystemsAttribute is the list of host directories shared with the guest.
func filesystemsAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Optional: true,
		MarkdownDescription: "Host directories shared with the guest, in order: over virtio-9p (`9p`, in libvirt's " +
			"`mapped` mode) or, where the host has virtiofsd, over `virtiofs` (which also shares the guest's memory " +
			"with virtiofsd). Unikraft mounts its root file system over 9p from the tag `fs0`. The available drivers " +
			"are checked against the host's domain capabilities at plan time. `kvm` and `qemu` only." + restartNote,
		Validators: []validator.List{listvalidator.SizeBetween(1, 16)},
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"source": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Absolute path of the directory on the host that runs the guest.",
				Validators:          []validator.String{validators.AbsolutePath()},
			},
			"tag": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Mount tag the guest uses, 1 to 31 characters of `A-Z a-z 0-9 _ . -` (for Unikraft's root, `fs0`).",
				Validators:          []validator.String{stringvalidator.RegexMatches(fsTagRe, "must be 1 to 31 characters of A-Z, a-z, 0-9, '_', '.' and '-'")},
			},
			"read_only": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				PlanModifiers:       []planmodifier.Bool{keepAdoptedBool()},
				MarkdownDescription: "Share read-only (9p only). Defaults to false.",
			},
			"driver": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString("9p"),
				PlanModifiers:       []planmodifier.String{keepAdoptedString()},
				MarkdownDescription: "`9p` (default) or `virtiofs`.",
				Validators:          []validator.String{stringvalidator.OneOf("9p", "virtiofs")},
			},
		}},
	}
}

// fsTagRe is the shape of a share's mount tag (9p allows 31 bytes).
var fsTagRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,31}$`)

// fsModel is one entry of filesystems.
type fsModel struct {
	Source   types.String `tfsdk:"source"`
	Tag      types.String `tfsdk:"tag"`
	ReadOnly types.Bool   `tfsdk:"read_only"`
	Driver   types.String `tfsdk:"driver"`
}

// cpuNameRe is the shape of CPU modes, models, feature and machine names.
var cpuNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$`)

func (m *instanceModel) job() bool { return m.Mode.ValueString() == modeJob }

// cpuSpec is the planned CPU, nil when there is none.
func (m *instanceModel) cpuSpec(ctx context.Context) *hypervisor.CPUSpec {
	if m.CPUMode.IsNull() || m.CPUMode.IsUnknown() || m.CPUFeatures.IsUnknown() {
		return nil
	}
	s := &hypervisor.CPUSpec{Mode: m.CPUMode.ValueString()}
	if !m.CPUFeatures.IsNull() {
		s.Features = map[string]string{}
		_ = m.CPUFeatures.ElementsAs(ctx, &s.Features, false)
	}
	return s
}

// platformToSpec sets the CPU, machine type and RNG of spec.
func (m *instanceModel) platformToSpec(s *hypervisor.DomainSpec) {
	s.CPU = m.cpuSpec(context.Background())
	if !m.Machine.IsUnknown() {
		s.Machine = m.Machine.ValueString()
	}
	s.RNG = m.RNG.ValueBool()
	if !m.XenMode.IsUnknown() {
		s.XenMode = m.XenMode.ValueString()
	}
	for _, f := range m.Filesystems {
		s.Filesystems = append(s.Filesystems, hypervisor.FilesystemSpec{
			Source: f.Source.ValueString(), Tag: f.Tag.ValueString(), ReadOnly: f.ReadOnly.ValueBool(), Driver: f.Driver.ValueString(),
		})
	}
	m.firmwareToSpec(s)
}

// platformFromSpec fills the CPU, machine type, RNG and run mode from what
// libvirt has. The run mode is not in libvirt: it comes from prior.
func (m *instanceModel) platformFromSpec(ctx context.Context, s hypervisor.DomainSpec, prior *instanceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	m.CPUMode, m.CPUFeatures = types.StringNull(), types.MapNull(types.StringType)
	if s.CPU != nil {
		m.CPUMode = types.StringValue(s.CPU.Mode)
		if len(s.CPU.Features) > 0 {
			m.CPUFeatures, diags = types.MapValueFrom(ctx, types.StringType, s.CPU.Features)
		}
	}
	m.Machine = nullIfEmpty(s.Machine)
	m.RNG = types.BoolValue(s.RNG)
	m.XenMode = nullIfEmpty(s.XenMode)
	m.Filesystems = nil
	for _, f := range s.Filesystems {
		m.Filesystems = append(m.Filesystems, fsModel{
			Source: types.StringValue(f.Source), Tag: types.StringValue(f.Tag),
			ReadOnly: types.BoolValue(f.ReadOnly), Driver: types.StringValue(f.Driver),
		})
	}
	m.firmwareFromSpec(s)
	m.Mode = types.StringValue(modeService)
	if prior != nil && !prior.Mode.IsNull() && !prior.Mode.IsUnknown() {
		m.Mode = prior.Mode
	}
	return diags
}

// keepMachineAlias keeps a configured alias such as "pc" in state when
// libvirt stored its canonical name ("pc-i440fx-7.2"), so that it never
// shows as a change.
func (r *InstanceResource) keepMachineAlias(ctx context.Context, m *instanceModel, prior *instanceModel) {
	if prior == nil || prior.Machine.IsNull() || prior.Machine.IsUnknown() || m.Machine.Equal(prior.Machine) {
		return
	}
	machines, err := r.data.Client.Machines(ctx, m.Hypervisor.ValueString())
	if err != nil {
		tflog.Debug(ctx, "cannot read machine types", map[string]any{"error": err.Error()})
		return
	}
	if machines[prior.Machine.ValueString()] == m.Machine.ValueString() {
		m.Machine = prior.Machine
	}
}

// planPlatform fills in the default CPU and checks mode, CPU, machine type
// and RNG against each other and against the host, at plan time.
func (r *InstanceResource) planPlatform(ctx context.Context, req resource.ModifyPlanRequest, plan, state *instanceModel, diags *diag.Diagnostics) {
	planCPUAndXenMode(ctx, req, plan, state, diags)
	planFirmware(ctx, req, plan, diags)
	checkPlatformCombinations(ctx, req, plan, diags)
	if plan.Hypervisor.IsUnknown() || diags.HasError() {
		return
	}
	r.checkFilesystemDrivers(ctx, plan, state, diags)
	r.checkFirmwareHost(ctx, plan, state, diags)
	r.checkCPUAndMachineHost(ctx, plan, state, diags)
}

// planCPUAndXenMode fills in cpu_mode and xen_mode when the configuration
// leaves them unset: what an adopted domain has, else the default.
func planCPUAndXenMode(ctx context.Context, req resource.ModifyPlanRequest, plan, state *instanceModel, diags *diag.Diagnostics) {
	var cfgMode types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("cpu_mode"), &cfgMode)...)
	typ := plan.Hypervisor.ValueString()
	// An adopted (imported) instance keeps the CPU, and the Xen guest type,
	// that its domain has when the configuration names none.
	adopted := adoptedState(state != nil && isAdopted(ctx, req.Private), state)
	keep := adopted != nil && plan.Hypervisor.Equal(adopted.Hypervisor)
	switch {
	case cfgMode.IsNull() && keep && !adopted.CPUMode.IsUnknown():
		plan.CPUMode = adopted.CPUMode
		var cfgFeatures types.Map
		diags.Append(req.Config.GetAttribute(ctx, path.Root("cpu_features"), &cfgFeatures)...)
		if cfgFeatures.IsNull() {
			plan.CPUFeatures = adopted.CPUFeatures
		}
	case cfgMode.IsNull() && !plan.Hypervisor.IsUnknown():
		plan.CPUMode = types.StringValue(defaultCPUMode)
		if typ == "xen" {
			plan.CPUMode = types.StringNull()
		}
	}
	var cfgXen types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("xen_mode"), &cfgXen)...)
	if !plan.Hypervisor.IsUnknown() {
		switch {
		case typ != "xen" && !cfgXen.IsNull():
			diags.AddAttributeError(path.Root("xen_mode"), "xen_mode needs Xen",
				fmt.Sprintf("xen_mode chooses the guest type of a Xen guest; this instance uses hypervisor = %q. Remove xen_mode.", typ))
		case typ != "xen":
			plan.XenMode = types.StringNull()
		case cfgXen.IsNull() && keep && known(adopted.XenMode):
			plan.XenMode = adopted.XenMode
		case cfgXen.IsNull():
			plan.XenMode = types.StringValue("pvh")
		}
	}
}

// checkPlatformCombinations refuses platform settings that do not go
// together: CPU features without a mode, a job that cannot end on its
// power-off, and devices the hypervisor does not offer.
func checkPlatformCombinations(ctx context.Context, req resource.ModifyPlanRequest, plan *instanceModel, diags *diag.Diagnostics) {
	typ := plan.Hypervisor.ValueString()
	if !plan.CPUFeatures.IsNull() && plan.CPUMode.IsNull() && !plan.Hypervisor.IsUnknown() {
		diags.AddAttributeError(path.Root("cpu_features"), "CPU features need a CPU mode",
			"cpu_features changes features of a CPU mode or model: set cpu_mode too, for example cpu_mode = \"maximum\".")
	}
	if plan.job() {
		if !plan.OnPoweroff.IsUnknown() && plan.OnPoweroff.ValueString() != "destroy" {
			diags.AddAttributeError(path.Root("on_poweroff"), "A job must end when it powers off",
				fmt.Sprintf("mode = \"job\" needs on_poweroff = \"destroy\" (it is %q): the job is done when the guest powers off.",
					plan.OnPoweroff.ValueString()))
		}
		if w := plan.WaitFor; w != nil && (w.IPv4.ValueBool() || !w.TCPPort.IsNull()) {
			diags.AddAttributeError(path.Root("wait_for"), "A job waits for its power-off",
				"mode = \"job\" waits until the guest powers itself off, and optionally for wait_for.console. "+
					"Remove wait_for.ipv4 and wait_for.tcp_port, or use mode = \"service\".")
		}
	}
	if plan.RNG.ValueBool() && typ == "xen" {
		diags.AddAttributeError(path.Root("rng"), "No virtio-rng on Xen",
			"rng = true attaches a virtio-rng device, which kvm and qemu offer; Xen guests get entropy from RDRAND or the PV "+
				"interfaces. Remove rng or use hypervisor = \"kvm\" or \"qemu\".")
	}
	checkOverlayFormats(ctx, req.Config, diags)
	if len(plan.Filesystems) > 0 && typ == "xen" {
		diags.AddAttributeError(path.Root("filesystems"), "No shared folders on Xen",
			"filesystems shares directories over virtio-9p or virtiofs, which kvm and qemu offer. Remove filesystems or use "+
				"hypervisor = \"kvm\" or \"qemu\".")
	}
	for i, f := range plan.Filesystems {
		if f.Driver.ValueString() == "virtiofs" && f.ReadOnly.ValueBool() {
			diags.AddAttributeError(path.Root("filesystems").AtListIndex(i).AtName("read_only"), "virtiofs shares are writable",
				"libvirt cannot make a virtiofs share read-only. Use driver = \"9p\" for a read-only share, or remove read_only.")
		}
	}
}

// checkCPUAndMachineHost checks a changed CPU and machine type against what
// the host offers.
func (r *InstanceResource) checkCPUAndMachineHost(ctx context.Context, plan, state *instanceModel, diags *diag.Diagnostics) {
	typ := plan.Hypervisor.ValueString()
	c := r.data.Client
	if cpu := plan.cpuSpec(ctx); cpu != nil && (state == nil || !plan.CPUMode.Equal(state.CPUMode) || !plan.CPUFeatures.Equal(state.CPUFeatures) || !plan.Hypervisor.Equal(state.Hypervisor)) {
		if err := c.CheckCPU(ctx, typ, *cpu); err != nil {
			diags.AddAttributeError(path.Root("cpu_mode"), "CPU not available on the host", err.Error()+".")
		}
	}
	if !plan.Machine.IsNull() && !plan.Machine.IsUnknown() && (state == nil || !plan.Machine.Equal(state.Machine)) {
		machines, err := c.Machines(ctx, typ)
		if err != nil {
			tflog.Warn(ctx, "cannot read machine types for plan-time checks", map[string]any{"error": err.Error()})
			return
		}
		if _, ok := machines[plan.Machine.ValueString()]; !ok {
			names := make([]string, 0, len(machines))
			for n := range machines {
				names = append(names, n)
			}
			sort.Strings(names)
			diags.AddAttributeError(path.Root("machine"), "Machine type not available on the host",
				fmt.Sprintf("machine = %q is not offered for domain type %s on this host. Available: %s.",
					plan.Machine.ValueString(), typ, strings.Join(names, ", ")))
		}
	}
}

// checkFilesystemDrivers refuses share drivers the host does not offer.
func (r *InstanceResource) checkFilesystemDrivers(ctx context.Context, plan, state *instanceModel, diags *diag.Diagnostics) {
	if len(plan.Filesystems) == 0 || (state != nil && reflect.DeepEqual(plan.Filesystems, state.Filesystems)) {
		return
	}
	typ := plan.Hypervisor.ValueString()
	offered, err := r.data.Client.FilesystemDrivers(ctx, typ)
	if err != nil {
		tflog.Warn(ctx, "cannot read filesystem drivers for plan-time checks", map[string]any{"error": err.Error()})
		return
	}
	for i, f := range plan.Filesystems {
		if d := f.Driver.ValueString(); !f.Driver.IsUnknown() && !slices.Contains(offered, d) {
			hint := ""
			if d == "virtiofs" {
				hint = " virtiofs needs virtiofsd on the host (Debian: qemu-system-common ships /usr/lib/qemu/virtiofsd; newer releases the virtiofsd package)."
			}
			diags.AddAttributeError(path.Root("filesystems").AtListIndex(i).AtName("driver"), "Share driver not available on the host",
				fmt.Sprintf("driver = %q is not offered for domain type %s on this host; it offers: %s.%s", d, typ, strings.Join(offered, ", "), hint))
		}
	}
}
