package acctest

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// CLIVersion is what `<cli> version -json` says about a Terraform or OpenTofu
// binary.
type CLIVersion struct {
	Path     string
	Version  string // without the leading v, for example 1.12.6
	OpenTofu bool
}

// AtLeast reports whether the version is major.minor or newer.
func (v CLIVersion) AtLeast(major, minor int) bool {
	parts := strings.SplitN(v.Version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// ReadCLIVersion runs `<path> version -json`.
func ReadCLIVersion(t testing.TB, path string) CLIVersion {
	t.Helper()
	out, err := exec.Command(path, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	var v struct {
		TerraformVersion string `json:"terraform_version"`
	}
	// OpenTofu prints warnings about the CLI configuration before the JSON.
	if i := strings.IndexByte(string(out), '{'); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json printed %q: %v", path, out, err)
	}
	// OpenTofu answers with the same JSON; its plain `version` names itself.
	plain, _ := exec.Command(path, "version").Output()
	return CLIVersion{
		Path:     path,
		Version:  strings.TrimPrefix(v.TerraformVersion, "v"),
		OpenTofu: strings.Contains(string(plain), "OpenTofu"),
	}
}

// UseIdentityCLI points the test at a CLI that supports resource identity
// (`import { identity = {...} }`, Terraform or OpenTofu 1.12 and later): the
// one in TF_ACC_TERRAFORM_PATH when it is new enough, otherwise the one in
// UNIKERNEL_TEST_IDENTITY_CLI (`make testacc` sets it to a locally built
// OpenTofu). It fails the test when neither is there. The test must not run
// in parallel with others, because it changes the process environment.
func UseIdentityCLI(t *testing.T) CLIVersion {
	t.Helper()
	v := ReadCLIVersion(t, TerraformCLI(t))
	if !v.AtLeast(1, 12) {
		p := os.Getenv("UNIKERNEL_TEST_IDENTITY_CLI")
		if p == "" {
			t.Fatalf("%s is version %s, older than 1.12 which resource identity needs, and UNIKERNEL_TEST_IDENTITY_CLI "+
				"is not set; `make testacc` sets it to OpenTofu built by `scripts/terraform-cli.sh identity`", v.Path, v.Version)
		}
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("UNIKERNEL_TEST_IDENTITY_CLI=%s is not executable: %v", p, err)
		}
		v = ReadCLIVersion(t, p)
		if !v.AtLeast(1, 12) {
			t.Fatalf("UNIKERNEL_TEST_IDENTITY_CLI=%s is version %s; resource identity needs 1.12 or later", p, v.Version)
		}
		t.Setenv("TF_ACC_TERRAFORM_PATH", p)
	}
	if v.OpenTofu {
		t.Setenv("TF_ACC_PROVIDER_HOST", "registry.opentofu.org")
	}
	return v
}
