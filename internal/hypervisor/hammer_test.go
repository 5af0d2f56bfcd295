package hypervisor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestSharedConnectionHammer drives the one shared connection from 100
// goroutines at once on the in-process test driver: domains, networks, pools
// and volumes defined, read, started, stopped and removed concurrently, and
// the connection's own state (locks, keepalive, the shared-client map) used
// from all of them. Run under -race (`make test-race`) it proves the adapter
// has no data race; every call must succeed and nothing may be left.
func TestSharedConnectionHammer(t *testing.T) {
	ctx := context.Background()
	c, err := Shared(ctx, testURI, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pool := "hammer-pool"
	if _, err := c.CreatePool(ctx, PoolSpec{Name: pool, Path: "/hammer"}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.PurgePool(ctx, pool) })
	const workers = 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- hammerOnce(ctx, i, pool)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	names, err := c.DomainNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if len(n) > 7 && n[:7] == "hammer-" {
			t.Errorf("domain %s left behind", n)
		}
	}
}

func hammerOnce(ctx context.Context, i int, pool string) error {
	c, err := Shared(ctx, testURI, 5*time.Second) // the same client, looked up concurrently
	if err != nil {
		return err
	}
	name := fmt.Sprintf("hammer-%03d", i)
	if _, err := c.Host(ctx); err != nil {
		return fmt.Errorf("host: %w", err)
	}
	if _, err := c.DefineDomain(ctx, DomainSpec{Name: name, Type: "qemu", MemoryMiB: 16, Kernel: "/k",
		Interfaces: []InterfaceSpec{{Network: "default", MAC: fmt.Sprintf("52:54:00:00:%02x:%02x", i/256, i%256)}}}); err != nil {
		return fmt.Errorf("define %s: %w", name, err)
	}
	if err := c.StartDomain(ctx, name); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	if info, err := c.ReadDomain(ctx, name); err != nil || info.Spec.MemoryMiB != 16 {
		return fmt.Errorf("read %s: %+v %v", name, info.Spec, err)
	}
	if _, err := c.CreateVolume(ctx, pool, VolumeSpec{Name: name + ".img", Size: 4096}); err != nil {
		return fmt.Errorf("volume %s: %w", name, err)
	}
	if _, err := c.VolumeNames(ctx, pool); err != nil {
		return fmt.Errorf("volumes: %w", err)
	}
	if err := c.DeleteVolume(ctx, pool, name+".img"); err != nil {
		return fmt.Errorf("delete volume %s: %w", name, err)
	}
	if _, err := c.NetworkNames(ctx); err != nil {
		return fmt.Errorf("networks: %w", err)
	}
	if err := c.StopDomain(ctx, name, 0); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	if err := c.UndefineDomain(ctx, name); err != nil {
		return fmt.Errorf("undefine %s: %w", name, err)
	}
	return nil
}
