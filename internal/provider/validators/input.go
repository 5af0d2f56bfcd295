package validators

// Validators for input that other checks let through but that makes no
// sense: names that are path components of their own, zero timeouts, and
// values that must be unique within a list of objects.

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// CheckNotDotName refuses "." and "..": a name is also the base of a file
// name on the host (console logs, volumes), and these two are directories.
func CheckNotDotName(s string) error {
	if s == "." || s == ".." {
		return fmt.Errorf("%q is not a valid name: it must not be \".\" or \"..\"", s)
	}
	return nil
}

// NotDotName validates that a name is not "." or "..".
func NotDotName() validator.String {
	return String("Invalid name", "value must not be `.` or `..`", CheckNotDotName)
}

// CheckPositiveDuration parses a Go duration that must be greater than zero.
func CheckPositiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a Go duration such as \"30s\", \"2m\" or \"1h30m\"", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be longer than zero, for example \"2m\"", s)
	}
	return d, nil
}

// PositiveDuration validates a Go duration greater than zero, for timeouts
// where zero could never succeed.
func PositiveDuration() validator.String {
	return String("Invalid duration", "value must be a Go duration greater than zero, such as `30s` or `2m`",
		func(s string) error {
			_, err := CheckPositiveDuration(s)
			return err
		})
}

// UniqueNestedString validates that the string attribute attrName of the
// objects in a list is unique among them (nulls and unknowns are ignored).
func UniqueNestedString(attrName string) validator.List { return uniqueNested{attrName} }

type uniqueNested struct{ attr string }

func (v uniqueNested) Description(context.Context) string {
	return fmt.Sprintf("each `%s` must appear only once in the list", v.attr)
}
func (v uniqueNested) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v uniqueNested) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	seen := map[string]int{}
	for i, el := range req.ConfigValue.Elements() {
		obj, ok := el.(types.Object)
		if !ok || obj.IsNull() || obj.IsUnknown() {
			continue
		}
		val, ok := obj.Attributes()[v.attr]
		if !ok {
			continue
		}
		s, ok := stringOf(val)
		if !ok {
			continue
		}
		if j, dup := seen[s]; dup {
			p := req.Path.AtListIndex(i).AtName(v.attr)
			resp.Diagnostics.AddAttributeError(p, "Duplicate value",
				fmt.Sprintf("%s is %q, the same as %s. Each %s must be unique.", p, s, req.Path.AtListIndex(j).AtName(v.attr), v.attr))
			continue
		}
		seen[s] = i
	}
}

func stringOf(v attr.Value) (string, bool) {
	s, ok := v.(types.String)
	if !ok || s.IsNull() || s.IsUnknown() {
		return "", false
	}
	return s.ValueString(), true
}
