package moduledoc

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/zclconf/go-cty/cty"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider"
)

var modulesDir = filepath.Join("..", "..", "examples", "modules")

// The README of each module under examples/modules holds its inputs and its
// outputs between "<!-- generated: module-inputs -->" (or module-outputs) and
// "<!-- end -->". TestModuleDocs fails when a README is out of date, and
// `make docs` runs it with UNIKERNEL_UPDATE_DOCS=1, which rewrites them. It
// also fails when an input or output has no description.
var generatedRe = regexp.MustCompile(`(?s)(<!-- generated: ([a-z-]+) -->\n).*?(<!-- end -->)`)

func TestModuleDocs(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(modulesDir, "*", "variables.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no module with a variables.tf under %s", modulesDir)
	}
	update := os.Getenv("UNIKERNEL_UPDATE_DOCS") != ""
	for _, vf := range dirs {
		dir := filepath.Dir(vf)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Variables) == 0 || len(m.Outputs) == 0 {
				t.Fatalf("%s: found %d inputs and %d outputs", dir, len(m.Variables), len(m.Outputs))
			}
			for _, v := range m.Variables {
				if v.Description == "" {
					t.Errorf("%s: variable %q has no description", dir, v.Name)
				}
			}
			for _, o := range m.Outputs {
				if o.Description == "" {
					t.Errorf("%s: output %q has no description", dir, o.Name)
				}
			}
			tables := map[string]string{"module-inputs": m.InputsTable(), "module-outputs": m.OutputsTable()}
			readme := filepath.Join(dir, "README.md")
			b, err := os.ReadFile(readme)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			out := generatedRe.ReplaceAllStringFunc(string(b), func(s string) string {
				sub := generatedRe.FindStringSubmatch(s)
				table, ok := tables[sub[2]]
				if !ok {
					t.Errorf("%s: no generated table named %q", readme, sub[2])
					return s
				}
				seen[sub[2]]++
				return sub[1] + table + sub[3]
			})
			for name := range tables {
				if seen[name] != 1 {
					t.Errorf("%s: holds the generated table %q %d times, not once (<!-- generated: %s --> ... <!-- end -->)",
						readme, name, seen[name], name)
				}
			}
			if out == string(b) || t.Failed() {
				return
			}
			if !update {
				t.Errorf("%s: the table of inputs or outputs is out of date: run `make docs`", readme)
				return
			}
			if err := os.WriteFile(readme, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadParsesEveryPart(t *testing.T) {
	dir := t.TempDir()
	src := `
variable "req" {
  description = "A ${"$"}{x} | y"
  type        = list(object({ a = string }))
  validation {
    condition     = length(var.req) > 0
    error_message = "no"
  }
  validation {
    condition     = true
    error_message = "no"
  }
}
variable "opt" {
  description = "o"
  default     = { a = 1 }
  nullable    = false
}
output "out" {
  description = "the out"
  value       = var.req
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Variables) != 2 || len(m.Outputs) != 1 {
		t.Fatalf("got %+v", m)
	}
	req, opt := m.Variables[0], m.Variables[1]
	if !req.Required() || req.Type != "list(object({ a = string }))" || req.Validations != 2 || !req.Nullable || req.Description != "A ${x} | y" {
		t.Errorf("req: %+v", req)
	}
	if opt.Required() || opt.Default != "{ a = 1 }" || opt.Nullable || opt.Type != "any" {
		t.Errorf("opt: %+v", opt)
	}
	want := "| Input | Description | Type | Default |\n|-------|-------------|------|---------|\n" +
		"| `req` | A ${x} \\| y | `list(object({ a = string }))` | required |\n" +
		"| `opt` | o | `any` | `{ a = 1 }` |\n"
	if got := m.InputsTable(); got != want {
		t.Errorf("inputs table:\n%s\nwant:\n%s", got, want)
	}
	if got := m.OutputsTable(); got != "| Output | Description |\n|--------|-------------|\n| `out` | the out |\n" {
		t.Errorf("outputs table:\n%s", got)
	}
}

func TestLoadRefusesVariableDescriptions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`variable "x" { description = var.y }`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Fatal("a description that is not a constant string was accepted")
	}
}

// The unikernel-service module passes these inputs to unikernel_instance. Each
// defaults to the provider's static default where the schema has one, and to
// null where the provider decides (shutdown_timeout follows the boot format),
// so that leaving an input out of the module means the same as leaving the
// attribute out of a unikernel_instance.
var serviceInputs = map[string][]string{
	"memory":           {"memory"},
	"family":           {"family"},
	"cmdline":          {"cmdline"},
	"shutdown_timeout": {"shutdown_timeout"},
	"ready_timeout":    {"wait_for", "timeout"},
}

func TestServiceModuleDefaultsMatchProvider(t *testing.T) {
	m, err := Load(filepath.Join(modulesDir, "unikernel-service"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var resp resource.SchemaResponse
	provider.NewInstanceResource().Schema(ctx, resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	vars := map[string]Variable{}
	for _, v := range m.Variables {
		vars[v.Name] = v
	}
	for input, attrPath := range serviceInputs {
		v, ok := vars[input]
		if !ok {
			t.Errorf("the module has no input %q", input)
			continue
		}
		if v.Required() {
			t.Errorf("input %q is required; it should default like the provider", input)
			continue
		}
		attr := resp.Schema.Attributes[attrPath[0]]
		for _, name := range attrPath[1:] {
			nested, ok := attr.(schema.SingleNestedAttribute)
			if !ok {
				t.Fatalf("%v: not a nested attribute", attrPath)
			}
			attr = nested.Attributes[name]
		}
		want := providerDefault(t, ctx, attr)
		if want == cty.NilVal {
			if !v.DefaultValue.IsNull() {
				t.Errorf("input %q defaults to %s, but the provider has no static default for %v and decides itself: make it null",
					input, v.Default, attrPath)
			}
			continue
		}
		if v.DefaultValue.IsNull() || !v.DefaultValue.Type().Equals(want.Type()) || !v.DefaultValue.RawEquals(want) {
			t.Errorf("input %q defaults to %s, the provider's %v to %#v", input, v.Default, attrPath, want)
		}
	}
}

// providerDefault is the static default of a string or number attribute, or
// cty.NilVal when it has none.
func providerDefault(t *testing.T, ctx context.Context, attr schema.Attribute) cty.Value {
	t.Helper()
	switch a := attr.(type) {
	case schema.StringAttribute:
		if a.Default == nil {
			return cty.NilVal
		}
		var resp defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{}, &resp)
		return cty.StringVal(resp.PlanValue.ValueString())
	case schema.Int64Attribute:
		if a.Default == nil {
			return cty.NilVal
		}
		var resp defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{}, &resp)
		return cty.NumberIntVal(resp.PlanValue.ValueInt64())
	case nil:
		t.Fatal("no such attribute in unikernel_instance's schema")
	}
	t.Fatalf("attribute of type %T: add it to providerDefault", attr)
	return cty.NilVal
}
