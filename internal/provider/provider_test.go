package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the
// Terraform CLI that acceptance tests drive.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"unikernel": providerserver.NewProtocol6WithError(New("test")()),
}

// testAccPreCheck fails (never skips) when TF_ACC is set and the daemon or the
// Terraform CLI is missing.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	acctest.PreCheck(t)
	acctest.TerraformCLI(t)
}

// testProviderBlock pins the provider to the harness daemon and to TCG, which
// boots faster than nested KVM on the test machines.
func testProviderBlock() string {
	return `
provider "unikernel" {
  uri        = "` + acctest.URI() + `"
  hypervisor = "` + acctest.Hypervisor() + `"
}
`
}

func TestResolveSettings_precedence(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	all := map[string]string{EnvURI: "qemu+ssh://a/system", EnvLibvirtURI: "qemu:///session", EnvHypervisor: "xen"}
	cases := []struct {
		name      string
		model     UnikernelProviderModel
		env       map[string]string
		uri, hype string
	}{
		{"defaults", UnikernelProviderModel{URI: types.StringNull(), Hypervisor: types.StringNull()}, nil, DefaultURI, "auto"},
		{"attribute wins", UnikernelProviderModel{URI: types.StringValue("test:///default"), Hypervisor: types.StringValue("qemu")}, all, "test:///default", "qemu"},
		{"UNIKERNEL_URI before LIBVIRT_DEFAULT_URI", UnikernelProviderModel{URI: types.StringNull(), Hypervisor: types.StringNull()}, all, "qemu+ssh://a/system", "xen"},
		{"LIBVIRT_DEFAULT_URI", UnikernelProviderModel{URI: types.StringNull(), Hypervisor: types.StringNull()}, map[string]string{EnvLibvirtURI: "xen:///system"}, "xen:///system", "auto"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ResolveSettings(c.model, env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if s.URI != c.uri || s.Hypervisor != c.hype {
				t.Errorf("got %+v, want uri=%s hypervisor=%s", s, c.uri, c.hype)
			}
		})
	}
	_, err := ResolveSettings(UnikernelProviderModel{URI: types.StringNull(), Hypervisor: types.StringNull()},
		env(map[string]string{EnvHypervisor: "vmware"}))
	if err == nil {
		t.Error("an invalid UNIKERNEL_HYPERVISOR must be rejected")
	}
}
