// Package validators holds plan-time validators shared by resources.
package validators

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// AbsolutePath accepts an absolute, clean host path without `..` components.
func AbsolutePath() validator.String { return absolutePath{} }

type absolutePath struct{}

func (absolutePath) Description(context.Context) string {
	return "value must be an absolute host path without `..` components"
}

func (v absolutePath) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (absolutePath) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	p := req.ConfigValue.ValueString()
	switch {
	case !strings.HasPrefix(p, "/"):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid path",
			fmt.Sprintf("%s must be an absolute host path (or a unikernel_image id), got %q.", req.Path, p))
	case strings.ContainsRune(p, 0):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid path", fmt.Sprintf("%s must not contain a NUL byte.", req.Path))
	case containsDotDot(p):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid path",
			fmt.Sprintf("%s must not contain `..` components, got %q.", req.Path, p))
	case path.Clean(p) != p:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid path",
			fmt.Sprintf("%s must be a clean path (no `//`, `.` or trailing `/`); did you mean %q?", req.Path, path.Clean(p)))
	}
}

func containsDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// NoControlChars rejects newlines and NUL bytes, which a kernel command line
// cannot carry.
func NoControlChars() validator.String { return noControlChars{} }

type noControlChars struct{}

func (noControlChars) Description(context.Context) string {
	return "value must not contain a newline, carriage return or NUL byte"
}

func (v noControlChars) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (noControlChars) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if strings.ContainsAny(req.ConfigValue.ValueString(), "\n\r\x00") {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value",
			fmt.Sprintf("%s must not contain a newline, carriage return or NUL byte.", req.Path))
	}
}
