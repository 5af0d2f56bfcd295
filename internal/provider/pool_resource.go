package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

var (
	_ resource.ResourceWithConfigure   = &PoolResource{}
	_ resource.ResourceWithImportState = &PoolResource{}
	_ resource.ResourceWithModifyPlan  = &PoolResource{}
)

// PoolResource manages a libvirt storage pool of type dir.
type PoolResource struct {
	data *Data
}

// NewPoolResource is the constructor registered with the provider.
func NewPoolResource() resource.Resource { return &PoolResource{} }

func (r *PoolResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_pool"
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
	r.saveReadBack(ctx, name, summary, "created", &resp.State, resp.Identity, &resp.Diagnostics)
}

// saveReadBack reads the pool back after Create or Update (done says which)
// and makes it the state.
func (r *PoolResource) saveReadBack(ctx context.Context, name, summary, done string, state *tfsdk.State,
	identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	m, err := r.read(ctx, name)
	if err != nil {
		diags.AddError(summary, fmt.Sprintf("The pool was %s, but reading it back failed: %s.", done, err))
		return
	}
	diags.Append(state.Set(ctx, &m)...)
	setNameIdentity(ctx, identity, name, diags)
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
	resp.Diagnostics.Append(noteAdoptedRunState(ctx, resp.Private, state.Running, state.Autostart)...)
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
	r.saveReadBack(ctx, name, summary, "updated", &resp.State, resp.Identity, &resp.Diagnostics)
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
	resp.Diagnostics.Append(markAdopted(ctx, resp.Private)...)
}

// ModifyPlan keeps the pool's sizes when the plan changes nothing. Without
// it, an imported pool whose autostart or running differs from the default
// (kept by keepAdopted) would show its sizes as known after apply, an update
// that changes nothing.
func (r *PoolResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var plan, state PoolResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Name.Equal(state.Name) && plan.Path.Equal(state.Path) && plan.Autostart.Equal(state.Autostart) &&
		plan.Running.Equal(state.Running) {
		plan.Capacity, plan.Allocation, plan.Available = state.Capacity, state.Allocation, state.Available
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}
