package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// recordCreated must leave no unknown value in the state: Terraform refuses
// unknowns after apply, and a partly created instance is stored with its
// computed attributes null until the next apply replaces it.
func TestRecordCreated_nullsUnknowns(t *testing.T) {
	ctx := context.Background()
	var sr resource.SchemaResponse
	NewInstanceResource().Schema(ctx, resource.SchemaRequest{}, &sr)
	if sr.Diagnostics.HasError() {
		t.Fatal(sr.Diagnostics)
	}
	st := tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
	m := instanceModel{Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutAttrTypes)}, CPUFeatures: types.MapNull(types.StringType),
		Args: types.ListNull(types.StringType), Env: types.MapNull(types.StringType)}
	m.Name = types.StringValue("tf-acc-x")
	m.ID = types.StringValue("uuid")
	m.State = types.StringUnknown()
	m.ConsoleLog = types.StringUnknown()
	if d := recordCreated(ctx, &st, &m); d.HasError() {
		t.Fatal(d)
	}
	if !st.Raw.IsFullyKnown() {
		t.Fatalf("state still has unknown values: %s", st.Raw)
	}
	var back instanceModel
	if d := st.Get(ctx, &back); d.HasError() {
		t.Fatal(d)
	}
	if back.Name.ValueString() != "tf-acc-x" || back.ID.ValueString() != "uuid" || !back.State.IsNull() || !back.ConsoleLog.IsNull() {
		t.Errorf("unexpected state: name=%s id=%s state=%s console_log=%s", back.Name, back.ID, back.State, back.ConsoleLog)
	}
}

func TestCancelledError_saysCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := cancelledError(ctx, "i", "waiting for readiness"); !strings.Contains(err.Error(), "cancelled") ||
		!strings.Contains(err.Error(), "interrupted") {
		t.Errorf("cancel: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if err := cancelledError(ctx, "i", "waiting for readiness"); !strings.Contains(err.Error(), "cancelled") ||
		!strings.Contains(err.Error(), "time limit") {
		t.Errorf("deadline: %v", err)
	}
}
