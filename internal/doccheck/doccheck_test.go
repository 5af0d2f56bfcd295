package doccheck

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// TestDocLinks checks every link of the repository's Markdown: docs/,
// templates/, examples/ and the top-level files.
func TestDocLinks(t *testing.T) {
	root := acctest.RepoRoot(t)
	files, err := Files(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"README.md", "CONTRIBUTING.md", "docs/index.md", "templates/index.md.tmpl"} {
		if !contains(files, want) {
			t.Errorf("%s is not among the checked files", want)
		}
	}
	problems, err := Check(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d files checked", len(files))
}

// The checker finds every kind of bad link in a fixture, and nothing else.
func TestDocLinksFixture(t *testing.T) {
	problems, err := Check(filepath.Join("testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.File+" "+p.Target+": "+p.Reason)
	}
	sort.Strings(got)
	want := []string{
		`README.md #nope: no heading or anchor "nope" in README.md`,
		`README.md docs/guides/a.md#no-such-heading: no heading or anchor "no-such-heading" in docs/guides/a.md`,
		`README.md docs/guides/missing.md: no such file: docs/guides/missing.md`,
		`README.md https://github.com/unikernel-dev/terraform-provider-unikernel/blob/main/README.md: an absolute URL of this repository: use a relative path`,
		`README.md templates/guides/a.md.tmpl: links to a template: link the generated page under docs/`,
		`docs/guides/a.md #second-heading-2: no heading or anchor "second-heading-2" in docs/guides/a.md`,
		`docs/guides/a.md ../../internal/x_test.go: leaves docs/ (the registry shows docs/ alone): write the repository path as code text instead`,
		`docs/guides/a.md b: no such file; link the page as "b.md"`,
		`examples/demo/README.md ../../../outside.md: points outside the repository`,
		`templates/guides/a.md.tmpl ../../templates/guides/a.md.tmpl: links to a template: link the generated page under docs/`,
		`templates/guides/a.md.tmpl c.md: no such file: docs/guides/c.md`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Permission denied on the socket":                            "permission-denied-on-the-socket",
		`"failed to set MSR 0x10a" under nested KVM`:                 "failed-to-set-msr-0x10a-under-nested-kvm",
		"A service powers itself off but stays `running`":            "a-service-powers-itself-off-but-stays-running",
		`"At most /30" or "at most /64" was refused`:                 "at-most-30-or-at-most-64-was-refused",
		"unikernel_instance":                                         "unikernel_instance",
		"AppArmor (Debian, Ubuntu, SUSE)":                            "apparmor-debian-ubuntu-suse",
		"The plan says an argument \"cannot be passed\" or a family": "the-plan-says-an-argument-cannot-be-passed-or-a-family",
		"A [linked](x.md) heading":                                   "a-linked-heading",
		"Ünïcødé  two spaces":                                        "ünïcødé--two-spaces",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
