package provider

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

var (
	_ resource.ResourceWithConfigure   = &PoolResource{}
	_ resource.ResourceWithImportState = &PoolResource{}
)

// PoolResource manages a libvirt storage pool of type dir.
type PoolResource struct {
	data *Data
}

// PoolResourceModel is the resource's state.
type PoolResourceModel struct {
	ID         types.String `tfsdk:"id"`
	Name       types.String `tfsdk:"name"`
	Path       types.String `tfsdk:"path"`
	Autostart  types.Bool   `tfsdk:"autostart"`
	Running    types.Bool   `tfsdk:"running"`
	Capacity   types.Int64  `tfsdk:"capacity"`
	Allocation types.Int64  `tfsdk:"allocation"`
	Available  types.Int64  `tfsdk:"available"`
}

// NewPoolResource is the constructor registered with the provider.
func NewPoolResource() resource.Resource { return &PoolResource{} }

func (r *PoolResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_pool"
}

func (r *PoolResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A libvirt storage pool of type `dir`: a directory on the host that holds " +
			"`unikernel_image` volumes.\n\n" +
			"Create defines the pool, creates its directory, starts it and marks it to start with the host. " +
			"Delete refuses while the pool still holds volumes (images, or files put into the directory by hand): " +
			"nothing in it is ever deleted by this resource, and the directory is removed only when it is empty.\n\n" +
			"Drift: a pool deleted out of band is created again, and a pool stopped out of band shows as " +
			"`running = false` in the next plan and is started again by apply (its directory is recreated when it is gone).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The pool's UUID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The pool's name. Changing it replaces the pool.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{poolNameValidator{}, validators.NotDotName()},
			},
			"path": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Absolute, clean path of the pool's directory on the host, for example " +
					"`/var/lib/unikernel/images`. It is created when missing. Changing it replaces the pool (which is " +
					"refused while the pool holds images).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{cleanAbsPathValidator{}},
			},
			"autostart": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Start the pool when the host (libvirtd) starts. Defaults to `true`.",
			},
			"running": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
				MarkdownDescription: "Whether the pool is started. Defaults to `true`. Images in a stopped pool keep " +
					"their state but cannot be created, read or used until it runs again.",
			},
			"capacity": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Size in bytes of the file system that holds the pool (0 while stopped).",
			},
			"allocation": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Bytes in use on that file system (0 while stopped).",
			},
			"available": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Bytes free on that file system (0 while stopped).",
			},
		},
	}
}

func (r *PoolResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (r *PoolResource) configured(diags *diag.Diagnostics) bool {
	return configured(r.data, "unikernel_pool", diags)
}

// read returns the pool as state.
func (r *PoolResource) read(ctx context.Context, name string) (PoolResourceModel, error) {
	tflog.Debug(ctx, "reading storage pool", map[string]any{"pool": name})
	info, err := r.data.Client.ReadPool(ctx, name)
	if err != nil {
		return PoolResourceModel{}, err
	}
	if info.Type != "dir" {
		return PoolResourceModel{}, fmt.Errorf("pool %q is of type %q; unikernel_pool manages only dir pools "+
			"(use the unikernel_pool data source to refer to other pools)", name, info.Type)
	}
	return poolModel(info), nil
}

func poolModel(info hypervisor.PoolInfo) PoolResourceModel {
	return PoolResourceModel{
		ID:         types.StringValue(info.Spec.UUID),
		Name:       types.StringValue(info.Spec.Name),
		Path:       types.StringValue(info.Spec.Path),
		Autostart:  types.BoolValue(info.Autostart),
		Running:    types.BoolValue(info.Active),
		Capacity:   types.Int64Value(int64(info.Capacity)),
		Allocation: types.Int64Value(int64(info.Allocation)),
		Available:  types.Int64Value(int64(info.Available)),
	}
}

func (r *PoolResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan PoolResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	summary := fmt.Sprintf("Unable to create pool %q", name)
	ctx = tflog.SetField(ctx, "pool", name)
	spec := hypervisor.PoolSpec{Name: name, Path: plan.Path.ValueString()}
	tflog.Debug(ctx, "creating storage pool", map[string]any{"path": spec.Path, "autostart": plan.Autostart.ValueBool()})
	if _, err := r.data.Client.CreatePool(ctx, spec, plan.Autostart.ValueBool()); err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\nNothing was left defined. Check that no other pool "+
			"has this name or directory (`virsh pool-list --all`) and that libvirt may create %s; an existing pool "+
			"can be imported with `terraform import`.", err, spec.Path))
		// CreatePool undefines what it made when a later step fails. When that
		// could not run (the daemon went away), the pool stays in the state as
		// tainted, so that the next apply replaces it. A name that another pool
		// holds already never enters the state: only a failure after the define
		// (build, start, autostart) can leave a pool of this create behind.
		var he *hypervisor.Error
		if errors.As(err, &he) && he.Op != "define" {
			if _, rerr := r.data.Client.ReadPool(context.WithoutCancel(ctx), name); !hypervisor.IsNotFound(rerr) {
				resp.Diagnostics.Append(recordCreated(ctx, &resp.State, &plan)...)
			}
		}
		return
	}
	resp.Diagnostics.Append(recordCreated(ctx, &resp.State, &plan)...)
	if !plan.Running.ValueBool() {
		tflog.Debug(ctx, "stopping storage pool")
		if err := r.data.Client.StopPool(ctx, name); err != nil {
			resp.Diagnostics.AddError(summary, fmt.Sprintf("The pool was created but could not be stopped: %s.", err))
		}
	}
	state, err := r.read(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("The pool was created, but reading it back failed: %s.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
}

func (r *PoolResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var prior PoolResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := prior.Name.ValueString()
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
	state, err := r.read(ctx, name)
	if hypervisor.IsNotFound(err) {
		tflog.Info(ctx, "storage pool is gone, removing it from state", map[string]any{"pool": name})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read pool %q", name),
			fmt.Sprintf("%s.\n\nThe state was kept. Check that libvirt answers, then refresh again.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *PoolResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan, state PoolResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	summary := fmt.Sprintf("Unable to update pool %q", name)
	ctx = tflog.SetField(ctx, "pool", name)
	if want := plan.Running.ValueBool(); want != state.Running.ValueBool() {
		var err error
		if want {
			tflog.Debug(ctx, "starting storage pool")
			err = r.data.Client.StartPool(ctx, name)
		} else {
			tflog.Debug(ctx, "stopping storage pool")
			err = r.data.Client.StopPool(ctx, name)
		}
		if err != nil {
			resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\nCheck that the directory %s can be created and "+
				"read by libvirt, then apply again.", err, plan.Path.ValueString()))
			return
		}
	}
	if want := plan.Autostart.ValueBool(); want != state.Autostart.ValueBool() {
		tflog.Debug(ctx, "setting storage pool autostart", map[string]any{"autostart": want})
		if err := r.data.Client.SetPoolAutostart(ctx, name, want); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
	}
	newState, err := r.read(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("The pool was updated, but reading it back failed: %s.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &newState)...)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
}

func (r *PoolResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var state PoolResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	tflog.Debug(ctx, "deleting storage pool", map[string]any{"pool": name})
	err := r.data.Client.DeletePool(ctx, name)
	switch {
	case err == nil:
	case hypervisor.IsPoolNotEmpty(err):
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to delete pool %q", name),
			fmt.Sprintf("%s.\n\nNothing was deleted. Remove the images first: destroy the unikernel_image resources "+
				"that live in this pool, and delete volumes this configuration does not manage with "+
				"`virsh vol-delete --pool %s <volume>` (or move the files out of %s).", err, name, state.Path.ValueString()))
	default:
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to delete pool %q", name),
			fmt.Sprintf("%s.\n\nThe state was kept. Check that libvirt answers, then destroy again.", err))
	}
}

func (r *PoolResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	id := importID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	state, err := r.read(ctx, id)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to import pool %q", id),
			fmt.Sprintf("%s.\n\nImport a dir pool by its name, as `virsh pool-list --all` shows it.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setNameIdentity(ctx, resp.Identity, id, &resp.Diagnostics)
}

// poolNameValidator accepts the names libvirt accepts for pools: not empty,
// no `/`, printable.
type poolNameValidator struct{}

func (poolNameValidator) Description(context.Context) string {
	return "value must be a non-empty pool name without `/` or control characters, at most 128 characters"
}

func (v poolNameValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (poolNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if s == "" || len(s) > 128 || strings.ContainsRune(s, '/') || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool name",
			fmt.Sprintf("%s must be 1 to 128 characters without `/` or control characters, got %q.", req.Path, s))
	}
}

// cleanAbsPathValidator accepts absolute, clean host paths other than `/`.
type cleanAbsPathValidator struct{}

func (cleanAbsPathValidator) Description(context.Context) string {
	return "value must be an absolute, clean host path (no `..`, `.`, `//` or trailing `/`)"
}

func (v cleanAbsPathValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (cleanAbsPathValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	p := req.ConfigValue.ValueString()
	switch {
	case !filepath.IsAbs(p):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path",
			fmt.Sprintf("%s must be an absolute host path, got %q.", req.Path, p))
	case strings.ContainsRune(p, 0):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path", fmt.Sprintf("%s must not contain a NUL byte.", req.Path))
	case filepath.Clean(p) != p:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path",
			fmt.Sprintf("%s must be a clean path (no `..`, `.`, `//` or trailing `/`); did you mean %q?", req.Path, filepath.Clean(p)))
	case p == "/":
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path", fmt.Sprintf("%s must not be the root directory.", req.Path))
	}
}
