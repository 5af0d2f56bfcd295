// Package moduledoc reads the inputs and outputs of a Terraform module
// (variable and output blocks in its .tf files) and renders them as the
// markdown tables of the module's README. TestModuleDocs keeps the README of
// every module under examples/modules in step with its code.
package moduledoc

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Variable is one input of a module.
type Variable struct {
	Name        string
	Description string
	Type        string // the type constraint as written, "any" when none
	// Default is the default as written, "" when the input is required.
	Default string
	// DefaultValue is Default evaluated (cty.NilVal when required).
	DefaultValue cty.Value
	Nullable     bool
	Validations  int
}

// Required is whether a caller must set the input.
func (v Variable) Required() bool { return v.Default == "" }

// Output is one output of a module.
type Output struct {
	Name        string
	Description string
}

// Module is what a module's .tf files declare, in file and source order.
type Module struct {
	Variables []Variable
	Outputs   []Output
}

// Load parses every .tf file in dir.
func Load(dir string) (*Module, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	m := &Module{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, diags
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			switch {
			case b.Type == "variable" && len(b.Labels) == 1:
				v, err := variable(b, src)
				if err != nil {
					return nil, err
				}
				m.Variables = append(m.Variables, v)
			case b.Type == "output" && len(b.Labels) == 1:
				d, err := description(b)
				if err != nil {
					return nil, err
				}
				m.Outputs = append(m.Outputs, Output{Name: b.Labels[0], Description: d})
			}
		}
	}
	return m, nil
}

func variable(b *hclsyntax.Block, src []byte) (Variable, error) {
	v := Variable{Name: b.Labels[0], Type: "any", Nullable: true}
	var err error
	if v.Description, err = description(b); err != nil {
		return v, err
	}
	if a, ok := b.Body.Attributes["type"]; ok {
		v.Type = string(a.Expr.Range().SliceBytes(src))
	}
	if a, ok := b.Body.Attributes["default"]; ok {
		v.Default = string(a.Expr.Range().SliceBytes(src))
		val, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return v, fmt.Errorf("variable %q: default is not a constant: %s", v.Name, diags.Error())
		}
		v.DefaultValue = val
	}
	if a, ok := b.Body.Attributes["nullable"]; ok {
		val, diags := a.Expr.Value(nil)
		if diags.HasErrors() || val.Type() != cty.Bool || val.IsNull() {
			return v, fmt.Errorf("variable %q: nullable must be true or false", v.Name)
		}
		v.Nullable = val.True()
	}
	for _, nb := range b.Body.Blocks {
		if nb.Type == "validation" {
			v.Validations++
		}
	}
	return v, nil
}

// description is the block's description attribute, "" when it has none.
func description(b *hclsyntax.Block) (string, error) {
	a, ok := b.Body.Attributes["description"]
	if !ok {
		return "", nil
	}
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() || val.Type() != cty.String || val.IsNull() {
		return "", fmt.Errorf("%s %q: description must be a constant string", b.Type, b.Labels[0])
	}
	return val.AsString(), nil
}

// InputsTable renders the inputs: required ones first, each group in source
// order.
func (m *Module) InputsTable() string {
	var b strings.Builder
	b.WriteString("| Input | Description | Type | Default |\n|-------|-------------|------|---------|\n")
	for _, required := range []bool{true, false} {
		for _, v := range m.Variables {
			if v.Required() != required {
				continue
			}
			def := "required"
			if !required {
				def = code(v.Default)
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, cell(v.Description), code(v.Type), def)
		}
	}
	return b.String()
}

// OutputsTable renders the outputs in source order.
func (m *Module) OutputsTable() string {
	var b strings.Builder
	b.WriteString("| Output | Description |\n|--------|-------------|\n")
	for _, o := range m.Outputs {
		fmt.Fprintf(&b, "| `%s` | %s |\n", o.Name, cell(o.Description))
	}
	return b.String()
}

// code puts HCL source in a table cell as code, on one line.
func code(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
