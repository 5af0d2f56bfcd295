package hypervisor_test

import (
	"context"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// A sidecar is written, read back for its own object only, replaced, and
// deleted; a missing one (or pool) reads as none.
func TestAccCreateSidecar(t *testing.T) {
	c := accClient(t)
	ctx := context.Background()
	if m, err := c.ReadCreateSidecar(ctx, hypervisor.ConsolePool{Name: acctest.RandName("nopool")}, hypervisor.SidecarNetwork, "", "n"); m != nil || err != nil {
		t.Fatalf("without a pool: %+v, %v", m, err)
	}
	name, dir := acctest.TestPool(t, c)
	p := hypervisor.ConsolePool{Name: name, Path: dir}
	if err := c.EnsureConsolePool(ctx, p); err != nil {
		t.Fatal(err)
	}
	m := hypervisor.NewCreateMarker(time.Now().Add(time.Minute))
	if err := c.WriteCreateSidecar(ctx, p, hypervisor.SidecarNetwork, "", "n", m); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadCreateSidecar(ctx, p, hypervisor.SidecarNetwork, "", "n")
	if err != nil || got == nil || *got != *m {
		t.Fatalf("read back %+v, %v; want %+v", got, err, m)
	}
	if other, err := c.ReadCreateSidecar(ctx, p, hypervisor.SidecarVolume, "", "n"); other != nil || err != nil {
		t.Errorf("another kind's sidecar: %+v, %v", other, err)
	}
	m2 := hypervisor.NewCreateMarker(time.Now().Add(time.Minute))
	if err := c.WriteCreateSidecar(ctx, p, hypervisor.SidecarNetwork, "", "n", m2); err != nil {
		t.Fatalf("replacing: %v", err)
	}
	if got, _ := c.ReadCreateSidecar(ctx, p, hypervisor.SidecarNetwork, "", "n"); got == nil || got.ID != m2.ID {
		t.Errorf("after replacing: %+v", got)
	}
	for range 2 {
		if err := c.DeleteCreateSidecar(ctx, p, hypervisor.SidecarNetwork, "", "n"); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := c.ReadCreateSidecar(ctx, p, hypervisor.SidecarNetwork, "", "n"); got != nil || err != nil {
		t.Errorf("after deleting: %+v, %v", got, err)
	}
}
