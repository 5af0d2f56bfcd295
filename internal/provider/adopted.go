package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
)

// An adopted object is one that import brought into state: made by another
// tool (the libvirt provider, virt-install, virsh) or by this provider under
// another state. Its optional attributes that have defaults take what libvirt
// holds whenever the configuration leaves them unset, so that adopting a
// running guest, network or pool changes nothing the configuration does not
// ask for. Objects this provider created keep the documented defaults.
//
// The mark lives in the resource's private state, set by ImportState and kept
// by every later Read and Update.
const privateAdoptedKey = "adopted"

var adoptedMark = []byte(`{"adopted":true}`)

// markAdopted records in p that the object was imported.
func markAdopted(ctx context.Context, p privateSetter) diag.Diagnostics {
	return p.SetKey(ctx, privateAdoptedKey, adoptedMark)
}

// isAdopted reports whether p carries the import mark. A nil p (a plan for a
// create) is never adopted.
func isAdopted(ctx context.Context, p privateGetter) bool {
	if p == nil {
		return false
	}
	v, diags := p.GetKey(ctx, privateAdoptedKey)
	return !diags.HasError() && len(v) > 0
}

// keepAdopted is the plan modifier of an optional attribute with a default:
// on an adopted object, when the configuration leaves the attribute unset,
// the plan keeps the value in state (what libvirt holds) instead of the
// default. It must come before RequiresReplace in the attribute's modifiers,
// so that an unset attribute never replaces an adopted object.
type keepAdopted struct{}

func keepAdoptedBool() planmodifier.Bool     { return keepAdopted{} }
func keepAdoptedString() planmodifier.String { return keepAdopted{} }
func keepAdoptedInt64() planmodifier.Int64   { return keepAdopted{} }

func (keepAdopted) Description(context.Context) string {
	return "On an imported object, an unset value keeps what libvirt holds."
}

func (m keepAdopted) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

// applies reports whether the modifier replaces the planned value with the
// state's: the object is adopted, exists, and the configuration is silent.
func (keepAdopted) applies(ctx context.Context, p privateGetter, configNull, stateNull bool) bool {
	return configNull && !stateNull && isAdopted(ctx, p)
}

func (m keepAdopted) PlanModifyBool(ctx context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.Private != nil && m.applies(ctx, req.Private, req.ConfigValue.IsNull(), req.StateValue.IsNull()) {
		resp.PlanValue = req.StateValue
	}
}

func (m keepAdopted) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.Private != nil && m.applies(ctx, req.Private, req.ConfigValue.IsNull(), req.StateValue.IsNull()) {
		resp.PlanValue = req.StateValue
	}
}

func (m keepAdopted) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	if req.Private != nil && m.applies(ctx, req.Private, req.ConfigValue.IsNull(), req.StateValue.IsNull()) {
		resp.PlanValue = req.StateValue
	}
}

func keepAdoptedSet() planmodifier.Set       { return keepAdopted{} }
func keepAdoptedObject() planmodifier.Object { return keepAdopted{} }

func (m keepAdopted) PlanModifySet(ctx context.Context, req planmodifier.SetRequest, resp *planmodifier.SetResponse) {
	if req.Private != nil && !req.StateValue.IsUnknown() &&
		m.applies(ctx, req.Private, req.ConfigValue.IsNull(), req.StateValue.IsNull()) {
		resp.PlanValue = req.StateValue
	}
}

func (m keepAdopted) PlanModifyObject(ctx context.Context, req planmodifier.ObjectRequest, resp *planmodifier.ObjectResponse) {
	if req.Private != nil && !req.StateValue.IsUnknown() &&
		m.applies(ctx, req.Private, req.ConfigValue.IsNull(), req.StateValue.IsNull()) {
		resp.PlanValue = req.StateValue
	}
}
