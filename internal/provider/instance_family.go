package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/family"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// familyAttributes are the schema attributes that speak the guest's family:
// family, args, env and the composed boot_cmdline.
func familyAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"family": schema.StringAttribute{
			Optional: true, Computed: true, Default: stringdefault.StaticString(family.Generic),
			MarkdownDescription: "The guest's unikernel family: " + familyNameList() + ". It decides how `args`, `env` and " +
				"the interfaces' static addresses are written into the kernel command line (`boot_cmdline`), which boot " +
				"formats are accepted, and the launcher defaults of `acpi`, `rng` and `machine`; the table below lists them. " +
				"`generic`, the default, composes nothing: `cmdline` is passed as it is. An instance that is `generic` (an " +
				"imported one is) takes the family of the guest it runs in place." + replaceNote,
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(familyChanged, familyReplaceDesc, familyReplaceDesc)},
			Validators:    []validator.String{stringvalidator.OneOf(family.Names()...)},
		},
		"args": schema.ListAttribute{
			Optional: true, ElementType: types.StringType,
			MarkdownDescription: "The application's arguments, each passed as one word however it is spelled (spaces, " +
				"quotes, `=` and non-ASCII included), encoded the way the family's runtime splits its command line. Not " +
				"with `generic`, Nanos, or OSv booted from its disk, whose arguments live in the image; the plan says how " +
				"to bake them in. No NUL or newline." + restartNote,
			Validators: []validator.List{listvalidator.ValueStringsAre(validators.NoControlChars())},
		},
		"env": schema.MapAttribute{
			Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Environment variables of the application, encoded the way the family passes them " +
				"(Unikraft's `env.vars`, OSv's `--env=`, Linux's `KEY=VALUE` before ` -- `). Names are letters, digits and " +
				"`_`, not starting with a digit. Solo5 and MirageOS have none, and Nanos reads its environment from the " +
				"image: the plan refuses it there. Not for secrets: they become the kernel command line, which libvirt keeps in the " +
				"domain definition and `boot_cmdline` holds in the state." + restartNote,
			Validators: []validator.Map{
				mapvalidator.KeysAre(stringvalidator.RegexMatches(family.EnvNameRe,
					"must be a variable name: letters, digits and '_', not starting with a digit")),
				mapvalidator.ValueStringsAre(validators.NoControlChars()),
			},
		},
		"boot_cmdline": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "The kernel command line the instance boots with, as the plan composed it from `family`, " +
				"the interfaces' static addresses, `env`, `cmdline` and `args`, at most 4096 bytes (less where the family " +
				"keeps less). Read back from libvirt, so a command line changed outside Terraform shows as a change.",
		},
	}
}

const familyReplaceDesc = "When the family changes, other than from generic, Terraform will destroy and recreate the instance."

func familyNameList() string {
	names := family.Names()
	for i, n := range names {
		names[i] = "`" + n + "`"
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// familyChanged replaces the instance when its family changes, except from
// generic, which only says that the family was not declared.
func familyChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() &&
		req.StateValue.ValueString() != family.Generic && !req.PlanValue.Equal(req.StateValue)
}

// rules returns the instance's family rules; nil while the family is unknown.
func (m *instanceModel) rules() *family.Rules {
	name := m.Family.ValueString()
	if m.Family.IsUnknown() {
		return nil
	}
	if m.Family.IsNull() || name == "" {
		name = family.Generic
	}
	r, _ := family.Lookup(name)
	return r
}

// planFamilyDefaults fills rng and machine, when the configuration leaves them
// unset, from the family's launcher defaults. A default machine type the host
// does not offer (another architecture) leaves the hypervisor's default.
// On an adopted (imported) instance whose family stays the same, unset
// values keep what the domain has instead.
func (r *InstanceResource) planFamilyDefaults(ctx context.Context, req resource.ModifyPlanRequest, plan, state *instanceModel, diags *diag.Diagnostics) {
	rules := plan.rules()
	if rules == nil || plan.Hypervisor.IsUnknown() {
		return
	}
	xen := plan.Hypervisor.ValueString() == "xen"
	adopted := adoptedState(state != nil && isAdopted(ctx, req.Private), state)
	keep := adopted != nil && plan.Family.Equal(adopted.Family) && plan.Hypervisor.Equal(adopted.Hypervisor)
	var rng types.Bool
	diags.Append(req.Config.GetAttribute(ctx, path.Root("rng"), &rng)...)
	switch {
	case rng.IsNull() && keep && known(adopted.RNG):
		plan.RNG = adopted.RNG
	case rng.IsNull():
		plan.RNG = types.BoolValue(rules.Defaults.RNG && !xen)
	}
	var machine types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("machine"), &machine)...)
	if machine.IsNull() && keep && !adopted.Machine.IsUnknown() {
		plan.Machine = adopted.Machine
		return
	}
	if machine.IsNull() && rules.Defaults.Machine != "" && !xen {
		machines, err := r.data.Client.Machines(ctx, plan.Hypervisor.ValueString())
		if canonical, ok := machines[rules.Defaults.Machine]; ok && err == nil {
			plan.Machine = types.StringValue(rules.Defaults.Machine)
			if adopted != nil && known(adopted.Machine) && canonical == adopted.Machine.ValueString() {
				plan.Machine = adopted.Machine // the same machine type, by its versioned name
			}
		}
	}
	if adopted == nil || keep {
		return
	}
	// An imported instance that now names its family takes the family's
	// launcher defaults for what the configuration leaves unset: say so
	// where that changes the domain (and so restarts it).
	if rng.IsNull() && known(adopted.RNG) && !plan.RNG.Equal(adopted.RNG) {
		diags.AddAttributeWarning(path.Root("rng"), "The family's default changes rng",
			fmt.Sprintf("family = %q defaults to rng = %t, and this imported domain has rng = %t: the update restarts "+
				"the instance with rng = %t. Set rng = %t to keep the domain as it is.",
				rules.Name, plan.RNG.ValueBool(), adopted.RNG.ValueBool(), plan.RNG.ValueBool(), adopted.RNG.ValueBool()))
	}
	if machine.IsNull() && known(adopted.Machine) && known(plan.Machine) && !plan.Machine.Equal(adopted.Machine) {
		diags.AddAttributeWarning(path.Root("machine"), "The family's default changes the machine type",
			fmt.Sprintf("family = %q boots on machine type %q by default, and this imported domain has %q: the update "+
				"restarts the instance on %q. Set machine = %q to keep the domain as it is.", rules.Name,
				plan.Machine.ValueString(), adopted.Machine.ValueString(), plan.Machine.ValueString(), adopted.Machine.ValueString()))
	}
}

// planBootCmdline checks the family against the boot format and the
// interfaces' static addresses against their networks, and composes
// boot_cmdline, which stays unknown until everything it is made of is known.
func (r *InstanceResource) planBootCmdline(ctx context.Context, plan, state *instanceModel, diags *diag.Diagnostics) {
	plan.BootCmdline = types.StringUnknown()
	rules := plan.rules()
	if rules == nil {
		return
	}
	if f := plan.BootFormat.ValueString(); !plan.BootFormat.IsUnknown() && !rules.AcceptsFormat(f) {
		diags.AddAttributeError(path.Root("family"), "Boot format not used by this family",
			fmt.Sprintf("family = %q (%s) boots %s, but this instance boots %s (boot_format %q). Choose the family of the "+
				"guest, or family = \"generic\".", rules.Name, rules.Title, strings.Join(rules.BootFormats, ", "), describeFormat(f), f))
		return
	}
	line, known, d := r.composeCmdline(ctx, plan, state, false)
	diags.Append(d...)
	if known && !d.HasError() {
		plan.BootCmdline = types.StringValue(line)
	}
}

func describeFormat(f string) string {
	if f == family.FormatDisk {
		return "from its first disk"
	}
	return "a " + f + " kernel"
}

// composeCmdline composes the instance's kernel command line. known is false
// while a value it depends on is unknown, or (at plan time) while an
// interface's network does not exist yet; atApply makes that an error.
func (r *InstanceResource) composeCmdline(ctx context.Context, m, state *instanceModel, atApply bool) (line string, known bool, diags diag.Diagnostics) {
	rules := m.rules()
	if rules == nil || m.Kernel.IsUnknown() || m.Cmdline.IsUnknown() || m.Args.IsUnknown() || m.Env.IsUnknown() {
		return "", false, diags
	}
	in := family.Input{Raw: m.Cmdline.ValueString(), Kernel: !m.Kernel.IsNull(), Format: m.BootFormat.ValueString(),
		Interfaces: len(m.NetworkInterfaces)}
	if !m.Args.IsNull() {
		diags.Append(m.Args.ElementsAs(ctx, &in.Args, false)...)
	}
	if !m.Env.IsNull() {
		diags.Append(m.Env.ElementsAs(ctx, &in.Env, false)...)
	}
	if diags.HasError() {
		return "", false, diags
	}
	static, known := r.staticAddresses(ctx, m, state, rules, atApply, &diags)
	if diags.HasError() || !known {
		return "", false, diags
	}
	in.Static = static
	line, probs := rules.Compose(in)
	for _, p := range probs {
		at := path.Root(p.Attribute)
		switch {
		case p.Key != "":
			at = at.AtMapKey(p.Key)
		case p.Index >= 0:
			at = at.AtListIndex(p.Index)
		}
		if p.NestedAttribute != "" {
			at = at.AtName(p.NestedAttribute)
		}
		diags.AddAttributeError(at, p.Summary, fmt.Sprintf("family = %q: %s", rules.Name, p.Detail))
	}
	return line, len(probs) == 0, diags
}
