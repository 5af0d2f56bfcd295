package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

var _ provider.ProviderWithFunctions = (*UnikernelProvider)(nil)

// Functions lists the provider's functions. They compute from their arguments only and make no
// libvirt calls.
func (p *UnikernelProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{NewPlaceFunction}
}
