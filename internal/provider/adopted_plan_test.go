package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// fakePrivate is a private state of one key.
type fakePrivate map[string][]byte

func (p fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}

func (p fakePrivate) SetKey(_ context.Context, key string, v []byte) diag.Diagnostics {
	p[key] = v
	return nil
}

func TestAdoptedDHCP_unsetKeepsLibvirtRange(t *testing.T) {
	ctx := context.Background()
	null := networkDHCPModel{Enabled: types.BoolNull(), Start: types.StringNull(), End: types.StringNull(), NoPing: types.BoolNull()}
	// What a network of virsh or the libvirt provider reads back: DHCP from
	// .2, pinging before offers.
	st := baseNetworkModel()
	st.IPv4CIDR = types.StringValue("10.244.9.0/24")
	var d diag.Diagnostics
	st.DHCP, d = types.ObjectValue(networkDHCPAttrTypes, map[string]attr.Value{"enabled": types.BoolValue(true),
		"start": types.StringValue("10.244.9.2"), "end": types.StringValue("10.244.9.254"), "no_ping": types.BoolValue(false)})
	if d.HasError() {
		t.Fatal(d)
	}
	nat := types.StringValue("nat")
	cases := []struct {
		name string
		cfg  networkDHCPModel
		cidr types.String
		want networkDHCPModel
	}{
		{"all unset keeps libvirt's", null, st.IPv4CIDR,
			networkDHCPModel{types.BoolValue(true), types.StringValue("10.244.9.2"), types.StringValue("10.244.9.254"), types.BoolValue(false)}},
		{"no_ping set wins", networkDHCPModel{types.BoolNull(), types.StringNull(), types.StringNull(), types.BoolValue(true)}, st.IPv4CIDR,
			networkDHCPModel{types.BoolValue(true), types.StringValue("10.244.9.2"), types.StringValue("10.244.9.254"), types.BoolValue(true)}},
		{"a new CIDR takes the default range", null, types.StringValue("10.244.10.0/24"),
			networkDHCPModel{types.BoolValue(true), types.StringValue("10.244.10.128"), types.StringValue("10.244.10.254"), types.BoolValue(false)}},
		{"a range set wins", networkDHCPModel{types.BoolNull(), types.StringValue("10.244.9.50"), types.StringValue("10.244.9.60"), types.BoolNull()}, st.IPv4CIDR,
			networkDHCPModel{types.BoolValue(true), types.StringValue("10.244.9.50"), types.StringValue("10.244.9.60"), types.BoolValue(false)}},
	}
	for _, c := range cases {
		var diags diag.Diagnostics
		got := plannedDHCP(adoptedDHCP(ctx, c.cfg, st, c.cidr, &diags), nat, c.cidr)
		if diags.HasError() || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v %v\nwant %+v", c.name, got, diags, c.want)
		}
	}
}

// The modifiers' framework requests carry the framework's own private state
// type; the acceptance tests (TestAccNetworkImport_*) drive them through
// Terraform. This checks the rule they share.
func TestKeepAdopted_onlyUnsetOnImported(t *testing.T) {
	ctx := context.Background()
	adopted, fresh := fakePrivate{}, fakePrivate{}
	if d := markAdopted(ctx, adopted); d.HasError() {
		t.Fatal(d)
	}
	for _, c := range []struct {
		name                  string
		p                     fakePrivate
		configNull, stateNull bool
		want                  bool
	}{
		{"adopted, unset: keeps libvirt's", adopted, true, false, true},
		{"adopted, set: the configuration", adopted, false, false, false},
		{"adopted, nothing in state", adopted, true, true, false},
		{"created here: the default", fresh, true, false, false},
	} {
		if got := (keepAdopted{}).applies(ctx, c.p, c.configNull, c.stateNull); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRecordOnlyNote_saysNothingIsUploaded(t *testing.T) {
	state := ImageResourceModel{Name: types.StringValue("k"), Source: types.StringNull(), SHA256: types.StringValue("ab12")}
	plan := state
	plan.Source = types.StringValue("/srv/k.elf")
	var diags diag.Diagnostics
	recordOnlyNote(&state, &plan, true, &diags)
	if len(diags) != 1 || !strings.Contains(diags[0].Summary(), "only the state changes") ||
		!strings.Contains(diags[0].Detail(), "not uploaded or touched") || !strings.Contains(diags[0].Detail(), "ab12") {
		t.Errorf("hashed local source: %v", diags)
	}
	diags = nil
	plan.Source = types.StringValue("https://example.invalid/k.elf")
	recordOnlyNote(&state, &plan, false, &diags)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail(), "apply fails and changes nothing") {
		t.Errorf("URL source: %v", diags)
	}
	diags = nil
	state.Source = types.StringValue("/srv/old.elf")
	recordOnlyNote(&state, &plan, true, &diags)
	if len(diags) != 0 {
		t.Errorf("a source recorded already: %v", diags)
	}
}

// mtu is computed only for imported networks: on a network created here an
// unset mtu plans none, so removing it from the configuration still replaces
// the network with one of libvirt's default MTU.
func TestNullWhenUnset_mtuOnlyForImported(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name          string
		config, state types.Int64
		plan          types.Int64
		want          types.Int64
	}{
		{"removed from the configuration", types.Int64Null(), types.Int64Value(1400), types.Int64Value(1400), types.Int64Null()},
		{"unset on create", types.Int64Null(), types.Int64Null(), types.Int64Unknown(), types.Int64Null()},
		{"set", types.Int64Value(9000), types.Int64Value(1400), types.Int64Value(9000), types.Int64Value(9000)},
	} {
		resp := &planmodifier.Int64Response{PlanValue: c.plan}
		nullWhenUnset{}.PlanModifyInt64(ctx, planmodifier.Int64Request{ConfigValue: c.config, StateValue: c.state, PlanValue: c.plan}, resp)
		if !resp.PlanValue.Equal(c.want) {
			t.Errorf("%s: plan %v, want %v", c.name, resp.PlanValue, c.want)
		}
	}
}

// TestAdoptedRunState_recordedOnceAfterImport: the first Read after an import records the run state,
// later Reads never overwrite it, and an object created here records none.
func TestAdoptedRunState_recordedOnceAfterImport(t *testing.T) {
	ctx := context.Background()
	p := fakePrivate{}
	if d := markAdopted(ctx, p); d.HasError() {
		t.Fatal(d)
	}
	if _, ok := adoptedRunState(ctx, p, "running"); ok {
		t.Fatal("a run state before the first Read")
	}
	if d := noteAdoptedRunState(ctx, p, types.BoolValue(true), types.BoolValue(false)); d.HasError() {
		t.Fatal(d)
	}
	// Stopped out of band later: the record keeps the import's run state.
	if d := noteAdoptedRunState(ctx, p, types.BoolValue(false), types.BoolValue(true)); d.HasError() {
		t.Fatal(d)
	}
	for attribute, want := range map[string]bool{"running": true, "autostart": false} {
		got, ok := adoptedRunState(ctx, p, attribute)
		if !ok || got != want {
			t.Errorf("%s: %v (recorded %v), want %v", attribute, got, ok, want)
		}
	}
	if !isAdopted(ctx, p) {
		t.Error("the record lost the adopted mark")
	}
	fresh := fakePrivate{}
	if d := noteAdoptedRunState(ctx, fresh, types.BoolValue(true), types.BoolValue(true)); d.HasError() {
		t.Fatal(d)
	}
	if len(fresh) != 0 {
		t.Errorf("an object created here got a record: %q", fresh[privateAdoptedKey])
	}
}
