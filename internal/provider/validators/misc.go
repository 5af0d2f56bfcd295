package validators

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Duration accepts a non-negative Go duration such as `30s` or `2m`.
func Duration() validator.String { return duration{} }

type duration struct{}

func (duration) Description(context.Context) string {
	return "value must be a Go duration such as `30s`, `2m` or `1h30m`"
}
func (v duration) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (duration) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d < 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%s must be a non-negative duration such as \"30s\", \"2m\" or \"1h30m\", got %q.", req.Path, req.ConfigValue.ValueString()))
	}
}

// Regexp accepts a valid Go regular expression.
func Regexp() validator.String { return regexpValidator{} }

type regexpValidator struct{}

func (regexpValidator) Description(context.Context) string {
	return "value must be a valid regular expression (Go RE2 syntax)"
}
func (v regexpValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (regexpValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := regexp.Compile(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid regular expression",
			fmt.Sprintf("%s must be a valid regular expression (Go RE2 syntax): %v", req.Path, err))
	}
}

// RFC3339 accepts a time such as `2026-01-02T15:04:05Z`.
func RFC3339() validator.String { return rfc3339{} }

type rfc3339 struct{}

func (rfc3339) Description(context.Context) string {
	return "value must be an RFC 3339 time such as `2026-01-02T15:04:05Z`"
}
func (v rfc3339) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (rfc3339) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid time",
			fmt.Sprintf("%s must be an RFC 3339 time such as \"2026-01-02T15:04:05Z\", got %q.", req.Path, req.ConfigValue.ValueString()))
	}
}
