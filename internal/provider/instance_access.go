package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// hostPathUse is a host path that the provider hands QEMU, with the
// attribute it comes from and the access QEMU needs to the path itself (0
// when libvirt's dynamic ownership gives QEMU's user the file: then only its
// directories count).
type hostPathUse struct {
	attr  path.Path
	name  string // for messages: "kernel", "filesystems[0].source"
	path  string
	want  uint32
	share bool
}

// qemuHostPaths lists the host paths of m that QEMU opens itself.
func qemuHostPaths(m *instanceModel) []hostPathUse {
	var out []hostPathUse
	add := func(attr path.Path, name, p string, want uint32, share bool) {
		if p != "" {
			out = append(out, hostPathUse{attr, name, p, want, share})
		}
	}
	if !m.Kernel.IsUnknown() {
		add(path.Root("kernel"), "kernel", m.Kernel.ValueString(), 0, false)
	}
	if !m.Initrd.IsUnknown() {
		add(path.Root("initrd"), "initrd", m.Initrd.ValueString(), 0, false)
	}
	for i, d := range m.Disks {
		if d.Image.IsUnknown() || d.Path.IsUnknown() || d.Volume.IsUnknown() || d.BaseImage.IsUnknown() {
			continue
		}
		add(path.Root("disks").AtListIndex(i), fmt.Sprintf("disks[%d]", i), d.source(), 0, false)
	}
	for i, f := range m.Filesystems {
		if f.Source.IsUnknown() {
			continue
		}
		// Shares are not relabelled: QEMU reads (and, unless read-only, writes) the directory as its own user.
		want := uint32(hypervisor.AccessRead | hypervisor.AccessExec)
		if !f.ReadOnly.ValueBool() {
			want |= hypervisor.AccessWrite
		}
		add(path.Root("filesystems").AtListIndex(i).AtName("source"), fmt.Sprintf("filesystems[%d].source", i),
			f.Source.ValueString(), want, true)
	}
	return out
}

// checkQEMUAccess refuses, at plan time on a local hypervisor, a host path
// that the user QEMU runs as (the DAC label of the host's capabilities)
// cannot reach: a directory above it that the user may not enter, or for a
// shared directory, the directory itself. Paths that did not change since
// the state are not checked again.
func (r *InstanceResource) checkQEMUAccess(ctx context.Context, plan, state *instanceModel, diags *diag.Diagnostics) {
	c := r.data.Client
	typ := plan.Hypervisor.ValueString()
	if !hypervisor.LocalURI(c.URI()) || typ == "xen" || plan.Hypervisor.IsUnknown() {
		return
	}
	uses := qemuHostPaths(plan)
	if state != nil {
		old := map[string]bool{}
		for _, u := range qemuHostPaths(state) {
			old[u.name+"\x00"+u.path+fmt.Sprint(u.want)] = true
		}
		uses = slices.DeleteFunc(uses, func(u hostPathUse) bool { return old[u.name+"\x00"+u.path+fmt.Sprint(u.want)] })
	}
	if len(uses) == 0 {
		return
	}
	sec, err := c.Security(ctx, typ)
	if err != nil {
		tflog.Warn(ctx, "cannot read the host's security model for plan-time checks", map[string]any{"error": err.Error()})
		return
	}
	if sec.UID <= 0 {
		return // QEMU runs as root (or the host does not say): nothing to check
	}
	for _, u := range uses {
		blocked := hypervisor.PathBlocked(u.path, sec.UID, sec.GID, u.want)
		if blocked == "" {
			continue
		}
		diags.AddAttributeError(u.attr, "QEMU's user cannot read "+u.name, r.accessMessage(ctx, sec, u, blocked))
	}
}

// accessMessage says who cannot reach what, and the fix.
func (r *InstanceResource) accessMessage(ctx context.Context, sec hypervisor.Security, u hostPathUse, blocked string) string {
	who := sec.User(true)
	mode := hypervisor.FileMode(blocked)
	if mode != "" {
		mode = " (" + mode + ")"
	}
	var b strings.Builder
	if blocked == u.path {
		need := "read"
		if u.want&hypervisor.AccessWrite != 0 {
			need = "read and write"
		}
		fmt.Fprintf(&b, "QEMU on this host runs as %s, which may not %s %s%s, given as %s. libvirt does not hand "+
			"shared directories to QEMU's user.\n\nFix: give that user access to the directory (for example with "+
			"chown, chmod or setfacl), or share a directory it owns.", who, need, blocked, mode, u.name)
		return b.String()
	}
	fmt.Fprintf(&b, "QEMU on this host runs as %s, which cannot enter %s%s, so it cannot open %s = %q. libvirt "+
		"gives QEMU's user the file itself (dynamic ownership), but not the directories above it.\n\n",
		who, blocked, mode, u.name, u.path)
	if u.share {
		fmt.Fprintf(&b, "Fix: make %s searchable by that user (for example chmod o+x %s), or share a directory "+
			"outside it.", blocked, blocked)
		return b.String()
	}
	if pool := r.poolOf(ctx, u.path); pool != "" {
		fmt.Fprintf(&b, "The file is a volume of the storage pool %q, whose directory lies under %s. Fix: create the "+
			"pool in a directory that user can enter (for example under /var/lib/unikernel), or make %s searchable "+
			"by that user (for example chmod o+x %s).", pool, blocked, blocked, blocked)
		return b.String()
	}
	fmt.Fprintf(&b, "Fix: put the file in a storage pool as a unikernel_image and use its path (the recommended "+
		"way: the pool's directory is one QEMU can read), or make %s searchable by that user (for example "+
		"chmod o+x %s).", blocked, blocked)
	return b.String()
}

// poolOf is the storage pool that holds the volume at p, "" when p is not a volume.
func (r *InstanceResource) poolOf(ctx context.Context, p string) string {
	v, err := r.data.Client.OpenVolumeByPath(ctx, p)
	if err != nil {
		return ""
	}
	defer func() { _ = v.Close() }()
	return v.Pool()
}

// permissionDeniedRe finds the path in libvirt's and QEMU's "Permission
// denied" errors: `could not open kernel file '/root/k': Permission denied`.
var permissionDeniedRe = regexp.MustCompile(`'(/[^']+)'[^']*Permission denied`)

// explainStartError adds to a start failure that names a path with
// "Permission denied" who QEMU runs as and what to do. This is how such a path
// is reported where the provider cannot look at the host's files beforehand
// (remote URIs), or where something other than file modes refused it
// (AppArmor, SELinux).
func (r *InstanceResource) explainStartError(ctx context.Context, typ string, err error) error {
	if !permissionDeniedRe.MatchString(err.Error()) {
		return err
	}
	who, models := "", []string(nil)
	if sec, serr := r.data.Client.Security(ctx, typ); serr == nil {
		if sec.UID >= 0 {
			who = sec.User(hypervisor.LocalURI(r.data.Client.URI()))
		}
		models = sec.Models
	}
	if hint := permissionHint(err.Error(), who, models); hint != "" {
		return errors.Join(err, errors.New(hint))
	}
	return err
}

// permissionHint explains a "Permission denied" on a path in msg: who QEMU
// runs as (who; "" when unknown), the mandatory access control models of the
// host among models, and the fix. "" when msg names no such path. Pure.
func permissionHint(msg, who string, models []string) string {
	m := permissionDeniedRe.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	if who == "" {
		who = "the user the host runs QEMU as"
	}
	var mac []string
	for _, s := range models {
		if s == "apparmor" || s == "selinux" {
			mac = append(mac, s)
		}
	}
	extra := ""
	if len(mac) > 0 {
		extra = fmt.Sprintf(" The host also confines QEMU with %s: the file must be one its policy lets QEMU read "+
			"(libvirt labels the files it is given, not their directories).", strings.Join(mac, " and "))
	}
	return fmt.Sprintf("QEMU runs as %s and could not open %s: that user must be able to enter every directory "+
		"above the file.%s Fix: put the file in a storage pool as a unikernel_image and use its path (the "+
		"recommended way: the pool's directory is one QEMU can read), or make the directories above it searchable "+
		"by that user on the host.", who, m[1], extra)
}
