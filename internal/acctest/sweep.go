package acctest

import (
	"context"
	"fmt"
	"strings"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// sweepers remove leftovers of interrupted acceptance tests, in order:
// instances before the networks and images they use, images before pools.
var sweepers = []struct {
	kind string
	fn   func(ctx context.Context, c *hypervisor.Client) error
}{
	{"domains", sweepDomains},
	{"networks", sweepNetworks},
	{"images", sweepImages},
	{"pools", sweepPools},
}

// Sweep removes every libvirt object whose name starts with Prefix.
func Sweep(ctx context.Context, c *hypervisor.Client) error {
	var errs []string
	for _, s := range sweepers {
		if err := s.fn(ctx, c); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", s.kind, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sweep: %s", strings.Join(errs, "; "))
	}
	// What the sweepers do not know by kind (console logs, qemu processes of
	// undefined guests): the leak checker finds and removes them, then must
	// find nothing named with Prefix.
	leaks, err := FindLeaks(ctx, []string{Prefix}, nil)
	if err != nil {
		return fmt.Errorf("sweep: leak check: %w", err)
	}
	if len(leaks) > 0 {
		if err := RemoveLeaks(ctx, leaks); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		left, err := FindLeaks(ctx, []string{Prefix}, nil)
		if err != nil {
			return fmt.Errorf("sweep: leak check after sweeping: %w", err)
		}
		if len(left) > 0 {
			return fmt.Errorf("sweep: still left after sweeping: %v", left)
		}
	}
	return nil
}

func sweepDomains(ctx context.Context, c *hypervisor.Client) error {
	names, err := c.DomainNames(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !strings.HasPrefix(n, Prefix) {
			continue
		}
		if err := c.StopDomain(ctx, n, 0); err != nil && !hypervisor.IsNotFound(err) {
			return err
		}
		if err := c.UndefineDomain(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func sweepNetworks(ctx context.Context, c *hypervisor.Client) error {
	names, err := c.NetworkNames(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasPrefix(n, Prefix) {
			if err := c.DeleteNetwork(ctx, n); err != nil {
				return err
			}
		}
	}
	return nil
}
