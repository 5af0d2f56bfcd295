package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// poolNameValidator accepts the names libvirt accepts for pools: not empty,
// no `/`, printable.
type poolNameValidator struct{}

func (poolNameValidator) Description(context.Context) string {
	return "value must be a non-empty pool name without `/` or control characters, at most 128 characters"
}

func (v poolNameValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (poolNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	if s == "" || len(s) > 128 || strings.ContainsRune(s, '/') || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool name",
			fmt.Sprintf("%s must be 1 to 128 characters without `/` or control characters, got %q.", req.Path, s))
	}
}

// cleanAbsPathValidator accepts absolute, clean host paths other than `/`.
type cleanAbsPathValidator struct{}

func (cleanAbsPathValidator) Description(context.Context) string {
	return "value must be an absolute, clean host path (no `..`, `.`, `//` or trailing `/`)"
}

func (v cleanAbsPathValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (cleanAbsPathValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	p := req.ConfigValue.ValueString()
	switch {
	case !filepath.IsAbs(p):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path",
			fmt.Sprintf("%s must be an absolute host path, got %q.", req.Path, p))
	case strings.ContainsRune(p, 0):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path", fmt.Sprintf("%s must not contain a NUL byte.", req.Path))
	case filepath.Clean(p) != p:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path",
			fmt.Sprintf("%s must be a clean path (no `..`, `.`, `//` or trailing `/`); did you mean %q?", req.Path, filepath.Clean(p)))
	case p == "/":
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid pool path", fmt.Sprintf("%s must not be the root directory.", req.Path))
	}
}
