// Package validators holds the plan-time validators of the provider block,
// the resources and the data sources: one home and one wording for every rule.
//
// Each rule is a Check function (usable for cross-attribute validation in
// ValidateConfig and ModifyPlan) plus a validator.String built with String,
// the one adapter that handles null and unknown values. Errors read
// "<attribute path>: <what is wrong and what is accepted>."
package validators

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// String adapts check to validator.String. Null and unknown values pass;
// they are checked once known. A failing check becomes an attribute error
// with summary, and a detail naming the attribute followed by the check's
// message. description is what the schema documentation shows.
func String(summary, description string, check func(string) error) validator.String {
	return stringCheck{summary: summary, desc: description, check: check}
}

type stringCheck struct {
	summary string
	desc    string
	check   func(string) error
}

var _ validator.String = stringCheck{}

func (v stringCheck) Description(context.Context) string         { return v.desc }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.desc }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		// The path is in the message too: for attributes of nested objects
		// Terraform can only point at the enclosing block.
		msg := err.Error()
		if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") {
			msg += "."
		}
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, req.Path.String()+": "+msg)
	}
}
