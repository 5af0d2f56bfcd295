package hypervisor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// TestAccSharedConnectionParallel drives the one shared connection from 50
// goroutines at once, as Terraform does at -parallelism=50: every call must
// succeed (libvirtd queues requests beyond its per-client limit).
func TestAccSharedConnectionParallel(t *testing.T) {
	acctest.PreCheck(t)
	c, err := acctest.Client(t)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefix := acctest.RandName("par")
	const workers = 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("%s-%02d", prefix, i)
			if _, err := c.Host(ctx); err != nil {
				errs <- err
				return
			}
			if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{Name: name, Type: acctest.Hypervisor(), MemoryMiB: 16, Kernel: "/nonexistent"}); err != nil {
				errs <- err
				return
			}
			if info, err := c.ReadDomain(ctx, name); err != nil || info.Spec.MemoryMiB != 16 {
				errs <- fmt.Errorf("read %s: %+v %w", name, info, err)
			}
			if err := c.UndefineDomain(ctx, name); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	names, err := c.DomainNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if len(n) > len(prefix) && n[:len(prefix)] == prefix {
			t.Errorf("domain %s left behind", n)
		}
	}
}
