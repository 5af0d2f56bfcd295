package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// The place function through the Terraform CLI: literal HCL objects and maps as hosts, the result's
// shape, stability when a host is added, and errors that name the argument. The function makes no
// libvirt calls; OpenTofu configures the provider all the same, so the block points at libvirt's
// in-process test driver.
func TestPlaceFunction_throughTheCLI(t *testing.T) {
	const provider = `
provider "unikernel" {
  uri        = "test:///default"
  hypervisor = "qemu"
}
`
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: provider + `
locals {
  first = provider::unikernel::place({
    b = { free_memory_mib = 100 }
    a = { weight = 2 }
  }, 4, 32, {})
  // a has twice the weight of b: three of four. A third host joins; replicas 0-3 keep their hosts,
  // 4 and 5 go to c, which has none yet (then ties with b and wins on memory: c has no bound).
  grown = provider::unikernel::place({
    a = { weight = 2 }
    b = { free_memory_mib = 100 }
    c = {}
  }, 6, 32, { for i, h in local.first.hosts : tostring(i) => h })
  // b is drained: only its replicas move, and the moves say why.
  drained = provider::unikernel::place({
    a = { weight = 2 }
    b = { drain = true }
    c = {}
  }, 6, 32, { for i, h in local.grown.hosts : tostring(i) => h })
}
output "first" { value = local.first.hosts }
output "first_per_host" { value = local.first.per_host }
output "grown" { value = local.grown.hosts }
output "drained" { value = local.drained.hosts }
output "moves" { value = [for m in local.drained.moves : "${m.replica}:${m.from}->${m.to} (${m.why})"] }
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("first", hostList("a", "b", "a", "a")),
					statecheck.ExpectKnownOutputValue("first_per_host", knownvalue.MapExact(map[string]knownvalue.Check{
						"a": indexList(0, 2, 3),
						"b": indexList(1),
					})),
					statecheck.ExpectKnownOutputValue("grown", hostList("a", "b", "a", "a", "c", "c")),
					statecheck.ExpectKnownOutputValue("drained", hostList("a", "a", "a", "a", "c", "c")),
					statecheck.ExpectKnownOutputValue("moves", knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("1:b->a (its host is draining)"),
					})),
				},
			},
			{
				Config:      provider + `output "x" { value = provider::unikernel::place({ a = { size = 1 } }, 1, 16, {}) }`,
				ExpectError: wrapped(`"a": unknown attribute "size"; accepted: weight, free_memory_mib, drain`),
			},
			{
				Config:      provider + `output "x" { value = provider::unikernel::place({ a = { weight = 0 } }, 1, 16, {}) }`,
				ExpectError: wrapped(`"a": weight must be a number above 0`),
			},
			{
				Config:      provider + `output "x" { value = provider::unikernel::place({ a = { free_memory_mib = 10 } }, 1, 16, {}) }`,
				ExpectError: wrapped(`replica 0 needs 16 MiB and no host has room for it: a has 10 MiB free`),
			},
			{
				Config:      provider + `output "x" { value = provider::unikernel::place({ a = {} }, 1, 16, { first = "a" }) }`,
				ExpectError: wrapped(`"first" is not a replica index`),
			},
			{
				Config:      provider + `output "x" { value = provider::unikernel::place({ a = {} }, 1, 16, null) }`,
				ExpectError: wrapped(`current.* (must not be|cannot be) null`),
			},
			{
				Config:      provider + `output "x" { value = provider::unikernel::place(["a"], 1, 16, {}) }`,
				ExpectError: wrapped(`must be a map of host name to an object`),
			},
		},
	})
}

func hostList(names ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(names))
	for i, n := range names {
		checks[i] = knownvalue.StringExact(n)
	}
	return knownvalue.ListExact(checks)
}

func indexList(is ...int64) knownvalue.Check {
	checks := make([]knownvalue.Check, len(is))
	for i, n := range is {
		checks[i] = knownvalue.Int64Exact(n)
	}
	return knownvalue.ListExact(checks)
}
