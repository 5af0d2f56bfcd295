package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// An adopted object is one that import brought into state: made by another
// tool (the libvirt provider, virt-install, virsh) or by this provider under
// another state. Its optional attributes that have defaults take what libvirt
// holds whenever the configuration leaves them unset, so that adopting a
// running guest, network or pool changes nothing the configuration does not
// ask for. Objects this provider created keep the documented defaults.
//
// The run state is the exception: `running` and `autostart` left unset keep
// what the object had when it was imported, not what it has at each plan, so
// that a guest, network or pool stopped out of band later still shows as
// drift and the next apply starts it again.
//
// The mark lives in the resource's private state, set by ImportState and kept
// by every later Read and Update; the first Read after the import adds the
// run state.
const privateAdoptedKey = "adopted"

// adoptedRecord is the private-state value under privateAdoptedKey.
type adoptedRecord struct {
	Adopted bool `json:"adopted"`
	// Running and Autostart as the first Read after the import found them.
	Running   *bool `json:"running,omitempty"`
	Autostart *bool `json:"autostart,omitempty"`
}

var adoptedMark = []byte(`{"adopted":true}`)

// markAdopted records in p that the object was imported.
func markAdopted(ctx context.Context, p privateSetter) diag.Diagnostics {
	return p.SetKey(ctx, privateAdoptedKey, adoptedMark)
}

// readAdopted returns the record of an adopted object; false when p holds
// none.
func readAdopted(ctx context.Context, p privateGetter) (adoptedRecord, bool) {
	var rec adoptedRecord
	if p == nil {
		return rec, false
	}
	v, diags := p.GetKey(ctx, privateAdoptedKey)
	if diags.HasError() || len(v) == 0 || json.Unmarshal(v, &rec) != nil {
		return rec, false
	}
	return rec, rec.Adopted
}

// noteAdoptedRunState records, once, the run state that an adopted object had
// when it was imported: Read calls it with what it found.
func noteAdoptedRunState(ctx context.Context, p interface {
	privateGetter
	privateSetter
}, running, autostart types.Bool) diag.Diagnostics {
	rec, ok := readAdopted(ctx, p)
	if !ok || rec.Running != nil || running.IsNull() || running.IsUnknown() || autostart.IsNull() || autostart.IsUnknown() {
		return nil
	}
	r, a := running.ValueBool(), autostart.ValueBool()
	rec.Running, rec.Autostart = &r, &a
	v, err := json.Marshal(rec)
	if err != nil {
		return nil
	}
	return p.SetKey(ctx, privateAdoptedKey, v)
}

// isAdopted reports whether p carries the import mark. A nil p (a plan for a
// create) is never adopted.
func isAdopted(ctx context.Context, p privateGetter) bool {
	_, ok := readAdopted(ctx, p)
	return ok
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

// keepAdoptedRunState is the plan modifier of `running` and `autostart`: on
// an adopted object whose configuration leaves the attribute unset, the plan
// takes the value the object had when it was imported (noteAdoptedRunState),
// so that a later change made out of band shows as drift. Without a record
// it keeps the state's value, as keepAdopted does.
type keepAdoptedRunState struct{ keepAdopted }

func keepAdoptedRunning() planmodifier.Bool   { return keepAdoptedRunState{} }
func keepAdoptedAutostart() planmodifier.Bool { return keepAdoptedRunState{} }

func (keepAdoptedRunState) Description(context.Context) string {
	return "On an imported object, an unset value keeps what the object had when it was imported."
}

func (m keepAdoptedRunState) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (m keepAdoptedRunState) PlanModifyBool(ctx context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.Private == nil || !m.applies(ctx, req.Private, req.ConfigValue.IsNull(), req.StateValue.IsNull()) {
		return
	}
	resp.PlanValue = req.StateValue
	if v, ok := adoptedRunState(ctx, req.Private, req.Path.String()); ok {
		resp.PlanValue = types.BoolValue(v)
	}
}

// adoptedRunState returns the value that attribute ("running" or
// "autostart") had when the object was imported; false when none is recorded.
func adoptedRunState(ctx context.Context, p privateGetter, attribute string) (bool, bool) {
	rec, ok := readAdopted(ctx, p)
	if !ok {
		return false, false
	}
	var at *bool
	switch attribute {
	case "running":
		at = rec.Running
	case "autostart":
		at = rec.Autostart
	}
	if at == nil {
		return false, false
	}
	return *at, true
}
