package provider

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// cowModel is restartBaseModel with its disk a copy-on-write disk on base
// whose overlay is at overlay.
func cowModel(base, overlay string) *instanceModel {
	m := restartBaseModel()
	m.Disks[0].Path, m.Disks[0].BaseImage = types.StringNull(), types.StringValue(base)
	m.Disks[0].Format, m.Disks[0].Overlay = types.StringValue("qcow2"), types.StringValue(overlay)
	return m
}

// An adopted overlay named otherwise (the libvirt provider's) is kept while
// the base image stays, in the plan and in the domain's definition; a new
// base image plans the provider's own overlay, and the adopted one goes.
func TestPlanOverlays_keepAdoptedWhileBaseStays(t *testing.T) {
	state := cowModel("/pool/osv-base.raw", "/pool/osv-overlay.qcow2")

	plan := cowModel("/pool/osv-base.raw", "")
	plan.Disks[0].Overlay = types.StringUnknown()
	planOverlays(plan, state)
	if got := plan.Disks[0].Overlay.ValueString(); got != "/pool/osv-overlay.qcow2" {
		t.Fatalf("same base: overlay %q, want the adopted one kept", got)
	}
	if got := plan.toSpec(hypervisor.ConsolePool{}).Disks[0].Path; got != "/pool/osv-overlay.qcow2" {
		t.Fatalf("same base: the domain would use %q", got)
	}
	if restartDiffers(plan, state) {
		t.Error("an unchanged adopted overlay restarts the instance")
	}
	if stale := staleOverlays(plan, state, nil, nil, false); len(stale) != 0 {
		t.Errorf("unchanged base: stale overlays %v", stale)
	}

	next := cowModel("/pool/osv-base-2.raw", "")
	next.Disks[0].Overlay = types.StringUnknown()
	planOverlays(next, state)
	if got := next.Disks[0].Overlay.ValueString(); got != "/pool/web-disk0.qcow2" {
		t.Fatalf("new base: overlay %q, want the provider's /pool/web-disk0.qcow2", got)
	}
	if !restartDiffers(next, state) {
		t.Error("a new base image does not restart the instance")
	}
	if stale := staleOverlays(next, state, nil, nil, false); !reflect.DeepEqual(stale, []string{"/pool/osv-overlay.qcow2"}) {
		t.Errorf("new base: stale overlays %v, want the adopted overlay", stale)
	}

	// The overlay attached by its path instead stays: nothing to delete.
	byPath := restartBaseModel()
	byPath.Disks[0].Path = types.StringValue("/pool/osv-overlay.qcow2")
	planOverlays(byPath, state)
	if !byPath.Disks[0].Overlay.IsNull() {
		t.Errorf("a path disk has overlay %s", byPath.Disks[0].Overlay)
	}
	if stale := staleOverlays(byPath, state, nil, nil, false); len(stale) != 0 {
		t.Errorf("overlay attached by path: stale overlays %v, want none", stale)
	}

	unknown := cowModel("", "")
	unknown.Disks[0].BaseImage = types.StringUnknown()
	planOverlays(unknown, nil)
	if !unknown.Disks[0].Overlay.IsUnknown() {
		t.Errorf("unknown base: overlay %s, want unknown", unknown.Disks[0].Overlay)
	}
}

// An update checks only the images it changes: a disk kept as it is (by
// path and format) is not inspected again, so a disk the provider would
// refuse today (an imported qcow2 with a backing file) never fails an
// update of something else.
func TestImageChanges_onlyChangedImagesChecked(t *testing.T) {
	state := restartBaseModel()
	plan := restartBaseModel()
	plan.Disks[0].Format = types.StringUnknown()
	ch := imageChanges{prior: state}
	if ch.kernelChanged(plan) {
		t.Error("the same kernel counts as changed")
	}
	if p, same := ch.priorDisk(plan, 0); !same || p.Format.ValueString() != "raw" {
		t.Errorf("the same disk counts as changed (%v)", same)
	}
	// The resource is not configured: inspecting any image would panic.
	var diags diag.Diagnostics
	bootFormat, ok := (&InstanceResource{}).checkBootImages(context.Background(), plan, ch, &diags)
	if !ok || bootFormat != "multiboot" || plan.Disks[0].Format.ValueString() != "raw" {
		t.Errorf("unchanged images: %q %v, format %s", bootFormat, ok, plan.Disks[0].Format)
	}

	other := restartBaseModel()
	other.Disks[0].Path = types.StringValue("/srv/other.img")
	if _, same := ch.priorDisk(other, 0); same {
		t.Error("a disk on another path counts as unchanged")
	}
	other.Kernel = types.StringValue("/srv/k2.elf")
	if !ch.kernelChanged(other) {
		t.Error("another kernel counts as unchanged")
	}
	if !(imageChanges{prior: state, rebuilt: true}).kernelChanged(plan) {
		t.Error("a rebuilt kernel counts as unchanged")
	}
	if !(imageChanges{}).kernelChanged(plan) {
		t.Error("a create's kernel counts as unchanged")
	}
}

// A plan whose only differences are read-only values left unknown (because
// a default differed before keepAdopted put libvirt's value back) plans
// nothing; any real difference keeps them unknown.
func TestSettle_noChange(t *testing.T) {
	state := restartBaseModel()
	plan := *restartBaseModel()
	plan.State = types.StringUnknown()
	plan.NetworkInterfaces[0].IPv4Addresses = types.ListUnknown(types.StringType)
	got := settleNoChange(plan, state)
	if !reflect.DeepEqual(got, *state) {
		t.Errorf("no change: got %+v", got)
	}
	if !plan.State.IsUnknown() || !plan.NetworkInterfaces[0].IPv4Addresses.IsUnknown() {
		t.Error("settleNoChange changed its argument's interfaces")
	}
	plan.Memory = types.Int64Value(128)
	got = settleNoChange(plan, state)
	if !got.State.IsUnknown() || !got.NetworkInterfaces[0].IPv4Addresses.IsUnknown() {
		t.Error("a memory change keeps the run state and addresses known")
	}
}

// Every optional attribute with a default keeps what libvirt holds on an
// adopted instance: it has the keepAdopted plan modifier first.
func TestInstanceDefaults_keepAdopted(t *testing.T) {
	var resp fwresource.SchemaResponse
	(&InstanceResource{}).Schema(context.Background(), fwresource.SchemaRequest{}, &resp)
	check := func(name string, a schema.Attribute) {
		var defaulted bool
		var first any
		switch a := a.(type) {
		case schema.StringAttribute:
			defaulted = a.Default != nil
			if len(a.PlanModifiers) > 0 {
				first = a.PlanModifiers[0]
			}
		case schema.BoolAttribute:
			defaulted = a.Default != nil
			if len(a.PlanModifiers) > 0 {
				first = a.PlanModifiers[0]
			}
		case schema.Int64Attribute:
			defaulted = a.Default != nil
			if len(a.PlanModifiers) > 0 {
				first = a.PlanModifiers[0]
			}
		}
		// mode and family are not held by libvirt (mode) or read back as their
		// default (family: an imported instance is generic).
		if !defaulted || name == "mode" || name == "family" {
			return
		}
		if _, ok := first.(keepAdoptedRunState); ok && (name == "running" || name == "autostart") {
			return // what the instance had when it was imported (adopted.go)
		}
		if _, ok := first.(keepAdopted); !ok {
			t.Errorf("%s has a default but does not keep what libvirt holds on an imported instance", name)
		}
	}
	for name, a := range resp.Schema.Attributes {
		check(name, a)
		if l, ok := a.(schema.ListNestedAttribute); ok {
			for n, na := range l.NestedObject.Attributes {
				check(name+"."+n, na)
			}
		}
	}
}

func TestReadTail_limit(t *testing.T) {
	r := bytes.NewReader([]byte("0123456789"))
	for limit, want := range map[int]string{0: "0123456789", 4: "6789", 20: "0123456789"} {
		got, err := readTail(r, 10, limit)
		if err != nil || string(got) != want {
			t.Errorf("limit %d: %q, %v; want %q", limit, got, err, want)
		}
	}
}
