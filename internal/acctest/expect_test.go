package acctest

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestPath_indexesAndKeys: numbers index lists, other steps are keys, as
// Terraform's flatmap paths mean.
func TestPath_indexesAndKeys(t *testing.T) {
	state := map[string]any{
		"network_interfaces": []any{map[string]any{"ipv4_addresses": []any{"a", "b"}}},
		"env":                map[string]any{"0": "zero"},
	}
	for path, want := range map[string]any{"network_interfaces.0.ipv4_addresses.1": "b", "env.0": nil} {
		got, err := tfjsonpath.Traverse(state, Path(path))
		if want == nil {
			if err == nil {
				t.Errorf("%s: a number step on a map should not be a list index, got %v", path, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%s: got %v (%v), want %v", path, got, err, want)
		}
	}
}
