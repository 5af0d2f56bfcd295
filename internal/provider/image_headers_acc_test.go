package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// An image behind a token: the token comes from an ephemeral variable through
// source_headers_wo, the download succeeds, and neither the plan nor the
// state holds the token. A new token alone plans nothing.
func TestAccImageResource_sourceHeadersWriteOnly(t *testing.T) {
	testAccPreCheck(t)
	guests := acctest.TestGuests(t)
	kernel, err := os.ReadFile(guests.MultibootKernel)
	if err != nil {
		t.Fatal(err)
	}
	token := "tf-acc-token-" + acctest.RandName("t")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_, _ = w.Write(kernel)
	}))
	t.Cleanup(srv.Close)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	url := srv.URL + "/kernel.elf"
	digest, _ := fileDigest(t, guests.MultibootKernel)
	sha := fmt.Sprintf("  sha256 = %q", digest) // an http:// source is pinned
	withHeaders := testAccImageConfig(pool, dir, `
variable "token" {
  type      = string
  ephemeral = true
  sensitive = true
}
`+imageBlock("test", "secured", url, sha+`
  source_headers_wo = { Authorization = "Bearer ${var.token}" }`))
	vars := func(tok string) config.Variables { return config.Variables{"token": config.StringVariable(tok)} }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Write-only attributes need Terraform 1.11: fail, never skip.
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.RequireAbove(tfversion.Version1_11_0)},
		CheckDestroy:           acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{
				// Without the header the server refuses, and the error says so.
				Config:      testAccImageConfig(pool, dir, imageBlock("test", "secured", url, sha)),
				ExpectError: regexp.MustCompile(`answered 401 Unauthorized`),
			},
			{
				Config:          withHeaders,
				ConfigVariables: vars(token),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					absentFromPlan{text: token, marker: `"unikernel_image"`},
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("source_headers_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(testImageAddr, tfjsonpath.New("format"), knownvalue.StringExact("multiboot")),
					absentFromState{text: token},
				},
				Check: testAccCheckVolumeHolds(pool, "secured", guests.MultibootKernel),
			},
			{
				// Another token: the image is there, nothing to do.
				Config:          withHeaders,
				ConfigVariables: vars("rotated-" + token),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// source_headers_wo is refused at plan where it cannot apply, naming the
// attribute (and the header), never showing a value.
func TestAccImageResource_sourceHeadersValidation(t *testing.T) {
	testAccPreCheck(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	cases := []struct{ source, extra, want string }{
		{"/var/lib/unikernel/kernel.elf", `  source_headers_wo = { Authorization = "Bearer x" }`,
			"source_headers_wo is sent with the download of an http:// or https:// source; `source` is a local file"},
		{"https://example.com/k.elf", `  source_headers_wo = { "Bad Name" = "v4lue" }`,
			`source_headers_wo: "Bad Name" is not an HTTP header name`},
		{"https://example.com/k.elf", `  source_headers_wo = { Host = "v4lue" }`,
			`source_headers_wo: header "Host" is set by the HTTP client`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:   testAccImageConfig(pool, dir, imageBlock("test", "x", c.source, c.extra)),
			PlanOnly: true,
			// Terraform wraps the message: any space may be a line break.
			ExpectError: regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta(c.want), " ", `\s+`)),
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.RequireAbove(tfversion.Version1_11_0)},
		Steps:                    steps,
	})
}
