package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// selfKey is the private state key that carries the domain an instance
// replaces from the plan of the update to the plan of its replacement.
const selfKey = "replaces_domain"

// planSelf returns the domain this plan updates or replaces, which is not
// another user of the instance's volumes. Terraform plans a replacement
// twice: first against the state (which names the domain), then as a create
// without it, given the first plan's private state, which records the name.
func planSelf(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, state *instanceModel) string {
	if state != nil {
		name := state.Name.ValueString()
		b, _ := json.Marshal(name)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, selfKey, b)...)
		return name
	}
	var name string
	if b, d := req.Private.GetKey(ctx, selfKey); !d.HasError() && b != nil {
		_ = json.Unmarshal(b, &name)
	}
	return name
}

// volumeDiskAttribute is disks[*].volume.
func volumeDiskAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "A `unikernel_volume` id: a data disk that outlives the instance. The instance never deletes " +
			"it (replacing or destroying the instance leaves it and its data as they are), and growing the volume reaches " +
			"the running guest live. A volume that another running instance has attached read-write (or any volume this " +
			"disk would write to while another running instance has it) is refused at plan, naming that instance.",
		Validators: []validator.String{validators.AbsolutePath()},
	}
}

// checkVolumes refuses a volume disk that would have two running writers:
// another running domain has it read-write, or this disk is read-write and
// another running domain has it at all. self is the domain this instance
// replaces or updates (its state's name), which is not another writer.
func (r *InstanceResource) checkVolumes(ctx context.Context, m *instanceModel, self string, diags *diag.Diagnostics) {
	for i, d := range m.Disks {
		if !known(d.Volume) {
			continue
		}
		v := d.Volume.ValueString()
		attr := path.Root("disks").AtListIndex(i).AtName("volume")
		tflog.Debug(ctx, "listing the domains that use a volume", map[string]any{"volume": v})
		users, err := r.data.Client.VolumeUsers(ctx, v)
		if err != nil {
			diags.AddAttributeError(attr, "Unable to check the volume's instances", fmt.Sprintf("%s.\n\nCheck that "+
				"libvirt answers, then plan again.", err))
			return
		}
		for _, u := range users {
			if !u.Running || u.Domain == self || u.Domain == m.Name.ValueString() {
				continue
			}
			if u.ReadOnly && d.ReadOnly.ValueBool() {
				continue // readers only
			}
			mode := "read-write"
			if u.ReadOnly {
				mode = "read-only"
			}
			diags.AddAttributeError(attr, "Volume in use by another instance", fmt.Sprintf("%s is attached %s to "+
				"instance %q (as %s), which is running. Two guests that write to one disk corrupt it. Stop that "+
				"instance (running = false) or remove the volume from its disks first, or attach the volume with "+
				"read_only = true in both.", v, mode, u.Domain, u.Target))
		}
	}
}
