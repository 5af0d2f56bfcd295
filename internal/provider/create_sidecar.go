package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Deadlines of creates without a timeouts block: after it, a create still
// marked in flight was killed (on this machine a gone process says so at
// once; the deadline matters for a provider on another machine). Defining
// and starting a network takes seconds; an upload or a copy of a large
// image over a slow link may take long.
const (
	networkCreateDeadline = 10 * time.Minute
	volumeCreateDeadline  = 2 * time.Hour
)

// createSidecar is the create marker of an object that libvirt keeps no
// metadata of (a network or a storage volume): hypervisor/volume_sidecar.go.
type createSidecar struct {
	data             *Data
	kind, pool, name string
	label            string // the object as messages name it: "libvirt network", "storage volume"
	display          string // its name in messages: "web", "pool/disk.img"
}

// adopt decides about an object of the planned name that exists before a
// create (exists returns nil): one left by an abandoned create (its sidecar
// says in flight, and that create can no longer finish) is removed, so that
// the create builds it anew to the plan, with a warning: a half-written
// upload is never trusted. Anything else is refused, and adopt returns
// false. A free name (exists says not found) returns true.
func (s createSidecar) adopt(ctx context.Context, summary string, exists, remove func() error, diags *diag.Diagnostics) bool {
	c := s.data.Client
	err := exists()
	if hypervisor.IsNotFound(err) {
		return true
	}
	if err != nil {
		diags.AddError(summary, err.Error())
		return false
	}
	m, err := c.ReadCreateSidecar(ctx, s.data.Console, s.kind, s.pool, s.name)
	if err != nil {
		diags.AddError(summary, fmt.Sprintf("Reading the create marker of the existing %s failed: %s", s.label, err))
		return false
	}
	now := time.Now()
	if why := hypervisor.SidecarRefusal(m, s.label, s.display, now); why != "" {
		diags.AddAttributeError(path.Root("name"), summary, fmt.Sprintf("On %s: %s", c.URI(), why))
		return false
	}
	tflog.Info(ctx, "taking over an object left by an interrupted create", map[string]any{"kind": s.kind, "create": m.ID})
	if err := remove(); err != nil {
		diags.AddError(summary, fmt.Sprintf("The %s left by an interrupted create (%s) could not be removed: %s", s.label, m.Describe(), err))
		return false
	}
	diags.AddWarning(fmt.Sprintf("Adopted %s %q", s.label, s.display), m.Adopted(s.label, s.display, now))
	return true
}

// begin records that this create is in flight and returns the function
// that ends the record, to be deferred: when the create returns, its object
// is in the state or removed again either way.
func (s createSidecar) begin(ctx context.Context, within time.Duration, summary string, diags *diag.Diagnostics) (end func(), ok bool) {
	c := s.data.Client
	if err := c.EnsureConsolePool(ctx, s.data.Console); err != nil {
		diags.AddError(summary, fmt.Sprintf("The console log pool, which holds the create markers, could not be prepared: %s", err))
		return nil, false
	}
	err := c.WriteCreateSidecar(ctx, s.data.Console, s.kind, s.pool, s.name, hypervisor.NewCreateMarker(time.Now().Add(within)))
	if hypervisor.IsUnsupported(err) {
		// A driver without volume uploads (libvirt's test driver) keeps no
		// marker: what a killed create leaves there is refused, as before.
		tflog.Warn(ctx, "the console pool takes no create marker; a killed create's object will not be taken over", map[string]any{"error": err.Error()})
		return func() {}, true
	}
	if err != nil {
		diags.AddError(summary, "Recording the create in flight (a marker volume in the console pool) failed: "+err.Error())
		return nil, false
	}
	return func() {
		if err := c.DeleteCreateSidecar(context.WithoutCancel(ctx), s.data.Console, s.kind, s.pool, s.name); err != nil {
			tflog.Warn(ctx, "cannot remove the create marker", map[string]any{"kind": s.kind, "error": err.Error()})
		}
	}, true
}
