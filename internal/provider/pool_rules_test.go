package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestPoolRules_agree proves that every attribute naming a pool, and every
// attribute giving a pool's directory, accepts and refuses the same values:
// the provider block, unikernel_pool, unikernel_image and the data sources.
func TestPoolRules_agree(t *testing.T) {
	ctx := context.Background()
	var ps provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &ps)
	var pool, image resource.SchemaResponse
	NewPoolResource().Schema(ctx, resource.SchemaRequest{}, &pool)
	NewImageResource().Schema(ctx, resource.SchemaRequest{}, &image)
	var poolDS, imageDS datasource.SchemaResponse
	NewPoolDataSource().Schema(ctx, datasource.SchemaRequest{}, &poolDS)
	NewImageDataSource().Schema(ctx, datasource.SchemaRequest{}, &imageDS)

	names := map[string][]validator.String{
		"provider console_pool":     ps.Schema.Attributes["console_pool"].(pschema.StringAttribute).Validators,
		"unikernel_pool name":       pool.Schema.Attributes["name"].(rschema.StringAttribute).Validators,
		"unikernel_image pool":      image.Schema.Attributes["pool"].(rschema.StringAttribute).Validators,
		"data unikernel_pool":       poolDS.Schema.Attributes["name"].(dschema.StringAttribute).Validators,
		"data unikernel_image pool": imageDS.Schema.Attributes["pool"].(dschema.StringAttribute).Validators,
	}
	for _, s := range []string{"images", "unikernel-console", "a b", "é", "a.b_c-1", strings.Repeat("p", 128),
		"", ".", "..", "a/b", "a\tb", "a\x00b", strings.Repeat("p", 129)} {
		agree(t, "pool name", names, s)
	}
	paths := map[string][]validator.String{
		"provider console_path": ps.Schema.Attributes["console_path"].(pschema.StringAttribute).Validators,
		"unikernel_pool path":   pool.Schema.Attributes["path"].(rschema.StringAttribute).Validators,
	}
	for _, s := range []string{"/var/lib/images", "/var/lib/unikernel/console", "/a b", "/", "rel", "/a/", "/a/../b",
		"/a//b", "/a/./b", "/a\x00b", "/.."} {
		agree(t, "pool path", paths, s)
	}
}

func agree(t *testing.T, rule string, attrs map[string][]validator.String, s string) {
	t.Helper()
	verdicts := map[bool][]string{}
	for name, vs := range attrs {
		ok := true
		for _, v := range vs {
			resp := &validator.StringResponse{}
			v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(s)}, resp)
			ok = ok && !resp.Diagnostics.HasError()
		}
		verdicts[ok] = append(verdicts[ok], name)
	}
	if len(verdicts) != 1 {
		t.Errorf("%s %q: accepted by %v but refused by %v", rule, s, verdicts[true], verdicts[false])
	}
}
