package validators

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func run(v validator.String, s string) bool {
	resp := &validator.StringResponse{}
	v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(s)}, resp)
	return !resp.Diagnostics.HasError()
}

func TestAbsolutePath(t *testing.T) {
	for s, ok := range map[string]bool{
		"/var/lib/k.elf": true, "/a/b": true, "relative/k": false, "/a/../etc/shadow": false, "/a/..": false,
		"/a//b": false, "/a/./b": false, "/a/": false, "/a\x00b": false, "/a/..b": true,
	} {
		if got := run(AbsolutePath(), s); got != ok {
			t.Errorf("AbsolutePath(%q) valid = %v, want %v", s, got, ok)
		}
	}
}

func TestNoControlChars(t *testing.T) {
	for s, ok := range map[string]bool{"console=ttyS0 a=b": true, "a\nb": false, "a\rb": false, "a\x00": false, "": true} {
		if got := run(NoControlChars(), s); got != ok {
			t.Errorf("NoControlChars(%q) valid = %v, want %v", s, got, ok)
		}
	}
}
