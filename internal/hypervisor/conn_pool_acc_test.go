package hypervisor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// readBurst reads name from 50 goroutines, 10 times each, and returns the
// first error.
func readBurst(ctx context.Context, c *hypervisor.Client, name string) error {
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				info, err := c.ReadDomain(ctx, name)
				if err == nil && info.Spec.MemoryMiB != 16 {
					err = fmt.Errorf("read %s: memory %d MiB, want 16", name, info.Spec.MemoryMiB)
				}
				if err == nil {
					_, err = c.DomainState(ctx, name)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// TestAccConnections spreads reads over extra connections when the main
// one is busy, never beyond the configured number, and drops them when the
// number is lowered.
func TestAccConnections(t *testing.T) {
	acctest.PreCheck(t)
	ctx := context.Background()
	c, err := hypervisor.Open(ctx, acctest.URI(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	name := acctest.RandName("rpool")
	if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{Name: name, Type: acctest.Hypervisor(), MemoryMiB: 16, Kernel: "/nonexistent"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.UndefineDomain(ctx, name) }()
	if n := c.Connections(); n != 1 {
		t.Fatalf("a fresh client has %d read connections, want 1 (extra ones open on demand)", n)
	}
	// Extra connections open in the background; a few bursts give them time.
	for i := 0; i < 20 && c.Connections() < hypervisor.DefaultConnections; i++ {
		if err := readBurst(ctx, c, name); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Connections(); n != hypervisor.DefaultConnections {
		t.Fatalf("after 50 concurrent readers: %d read connections, want %d", n, hypervisor.DefaultConnections)
	}
	if err := readBurst(ctx, c, name); err != nil {
		t.Fatal(err)
	}
	if n := c.Connections(); n != hypervisor.DefaultConnections {
		t.Fatalf("the pool grew past its size: %d read connections", n)
	}
	c.SetConnections(2)
	if n := c.Connections(); n != 2 {
		t.Fatalf("after SetConnections(2): %d read connections", n)
	}
	c.SetConnections(1)
	if err := readBurst(ctx, c, name); err != nil {
		t.Fatal(err)
	}
	if n := c.Connections(); n != 1 {
		t.Fatalf("after SetConnections(1) and a burst: %d read connections", n)
	}
}

// TestAccRestartConnections restarts a private libvirtd while reads run
// on every read connection: each connection reopens, and every read succeeds.
func TestAccRestartConnections(t *testing.T) {
	acctest.PreCheck(t)
	d := acctest.StartPrivateDaemon(t, "acc-restart-reads")
	ctx := context.Background()
	c, err := hypervisor.Open(ctx, d.URI, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	c.SetReconnectWait(30 * time.Second)
	name := acctest.RandName("rpool")
	if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{Name: name, Type: acctest.Hypervisor(), MemoryMiB: 16, Kernel: "/nonexistent"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.UndefineDomain(ctx, name) }()
	for i := 0; i < 20 && c.Connections() < hypervisor.DefaultConnections; i++ {
		if err := readBurst(ctx, c, name); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Connections(); n != hypervisor.DefaultConnections {
		t.Fatalf("before the restart: %d read connections, want %d", n, hypervisor.DefaultConnections)
	}
	restarted := make(chan error, 1)
	go func() {
		took, err := d.Restart(2 * time.Second)
		t.Logf("libvirtd restart took %s", took.Round(time.Millisecond))
		restarted <- err
	}()
	start := time.Now()
	// Reads run across the restart and after it.
	for time.Since(start) < 4*time.Second {
		if err := readBurst(ctx, c, name); err != nil {
			t.Fatalf("read during the restart: %v", err)
		}
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if err := readBurst(ctx, c, name); err != nil {
		t.Fatalf("read after the restart: %v", err)
	}
	if n := c.Connections(); n != hypervisor.DefaultConnections {
		t.Errorf("after the restart: %d read connections, want %d", n, hypervisor.DefaultConnections)
	}
	t.Logf("reads across the restart all succeeded in %s", time.Since(start).Round(time.Millisecond))
}
