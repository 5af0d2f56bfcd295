package provider

// Conversions between Terraform values and Go values that every model uses.
//
// The framework's conversions from Go values take a context only for their
// own logging: the model functions that have none use context.Background().

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// known reports whether v is neither null nor unknown.
func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }

// nullIfEmpty maps "" to null, so that unset optional strings round-trip.
func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// stringList is the list value of ss: empty, not null, when ss is empty.
func stringList(ss []string) (types.List, diag.Diagnostics) {
	if ss == nil {
		ss = []string{}
	}
	return types.ListValueFrom(context.Background(), types.StringType, ss)
}

// mustObjectFrom converts a model struct to an object of the attribute
// types given. Like types.ObjectValueMust, it panics when they do not match,
// which only a programming error can cause.
func mustObjectFrom(attrTypes map[string]attr.Type, v any) types.Object {
	o, diags := types.ObjectValueFrom(context.Background(), attrTypes, v)
	if diags.HasError() {
		panic(fmt.Sprintf("converting %T to an object: %v", v, diags))
	}
	return o
}
