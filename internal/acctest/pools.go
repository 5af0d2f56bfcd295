package acctest

import (
	"context"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// DeletePool removes a test pool and every volume in it.
func DeletePool(ctx context.Context, c *hypervisor.Client, name string) error {
	return c.PurgePool(ctx, name)
}
