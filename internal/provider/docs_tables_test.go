package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/family"
)

// Tables in the documentation templates that are written from the code's
// own tables, between "<!-- generated: NAME -->" and "<!-- end generated -->".
// TestDocTables_upToDate fails when a template is out of date; `make docs` runs it
// with UNIKERNEL_UPDATE_DOCS=1, which rewrites them.
var docTables = map[string]func() string{
	"instance-classes": instanceClassesTable,
	"families":         familiesTable,
}

var generatedRe = regexp.MustCompile(`(?s)(<!-- generated: ([a-z-]+) -->\n).*?(<!-- end generated -->)`)

func TestDocTables_upToDate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "templates", "*", "*.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("UNIKERNEL_UPDATE_DOCS") != ""
	seen := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out := generatedRe.ReplaceAllStringFunc(string(b), func(m string) string {
			sub := generatedRe.FindStringSubmatch(m)
			gen, ok := docTables[sub[2]]
			if !ok {
				t.Errorf("%s: no generated table named %q", f, sub[2])
				return m
			}
			seen[sub[2]]++
			return sub[1] + gen() + sub[3]
		})
		if out == string(b) {
			continue
		}
		if !update {
			t.Errorf("%s: a generated table is out of date: run `make docs`", f)
			continue
		}
		if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name := range docTables {
		if seen[name] == 0 {
			t.Errorf("no template holds the generated table %q", name)
		}
	}
}

func backticked(names []string) string {
	sort.Strings(names)
	for i, n := range names {
		names[i] = "`" + n + "`"
	}
	return strings.Join(names, ", ")
}

// instanceClassesTable lists unikernel_instance's attributes by update class.
func instanceClassesTable() string {
	by := map[updateClass][]string{}
	for name, c := range instanceAttributeClass {
		by[c] = append(by[c], name)
	}
	var b strings.Builder
	b.WriteString("| Attribute | Change |\n|-----------|--------|\n")
	fmt.Fprintf(&b, "| %s | live: applied without a restart (the instance is started, then gated, or stopped; the autostart "+
		"flag or description is written; the rest are the provider's own settings) |\n", backticked(by[classLive]))
	fmt.Fprintf(&b, "| %s | restart: the persistent definition is rewritten, keeping the UUID, the MACs, the reserved "+
		"addresses and the console log; a running instance is shut down and started again behind its readiness gate "+
		"(a job runs again), a stopped one takes the new definition at its next start |\n", backticked(by[classRestart]))
	b.WriteString("| a kernel, initrd or disk image it boots was rebuilt: a new `unikernel_image`, the same image replaced, " +
		"or a `base_image` pointed at a new build | restart, as above; a copy-on-write disk starts on a fresh overlay of " +
		"the new build, and data written to the old overlay is discarded. A disk attached writable through `image` counts " +
		"as a new build only when its volume is recreated with another size: the guest's own writes are not a new build |\n")
	fmt.Fprintf(&b, "| %s | replace: new UUID, new console log, and new MACs unless they are set. `family` changes in "+
		"place from `generic` |\n", backticked(by[classReplace]))
	return b.String()
}

// familiesTable is the family table of internal/family.
func familiesTable() string {
	var b strings.Builder
	b.WriteString("| `family` | Boots | `args` | `env` | `ipv4_address` of an interface | Defaults |\n")
	b.WriteString("|----------|-------|--------|-------|--------------------------------|----------|\n")
	for _, r := range family.All() {
		d := r.Defaults
		defaults := []string{fmt.Sprintf("`acpi = %t`", d.ACPI), fmt.Sprintf("`rng = %t`", d.RNG)}
		if d.Machine != "" {
			defaults = append(defaults, fmt.Sprintf("`machine = %q`", d.Machine))
		}
		defaults = append(defaults, "console: "+d.Console)
		fmt.Fprintf(&b, "| `%s` (%s) | %s | %s | %s | %s | %s |\n", r.Name, r.Title, backticked(append([]string{}, r.BootFormats...)),
			cell(r.Args.How), cell(r.Env.How), cell(r.Address.How), strings.Join(defaults, ", "))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
