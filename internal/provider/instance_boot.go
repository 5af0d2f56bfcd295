package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// boot writes a boot marker into the console log, starts the domain, and
// waits for the readiness gate. The marker separates this boot's output from
// earlier ones, and the gate only looks at what follows it.
func (r *InstanceResource) boot(ctx context.Context, m *instanceModel, why string) error {
	c := r.data.Client
	name := m.Name.ValueString()
	marker := fmt.Sprintf("\n=== unikernel: %s at %s ===\n", why, time.Now().UTC().Format(time.RFC3339))
	if err := c.AppendConsole(ctx, r.data.Console, name, marker); err != nil {
		return err
	}
	offset, err := c.ConsoleSize(ctx, r.data.Console, name)
	if err != nil {
		return err
	}
	tflog.Debug(ctx, "starting domain", map[string]any{"instance": name, "console_offset": offset})
	start := time.Now()
	if err := c.StartDomain(ctx, name); err != nil {
		return r.explainStartError(ctx, m.Hypervisor.ValueString(), err)
	}
	if err := r.waitReady(ctx, m, offset); err != nil {
		return err
	}
	tflog.Info(ctx, "instance ready", map[string]any{"instance": name, "seconds": time.Since(start).Seconds()})
	return nil
}

// imageChanges tells checkBootImages which images an update changes. Without
// prior (a create) every image is new. With prior (state), a kernel or disk
// whose path (and configured format) is the same is unchanged: it was
// accepted when it was attached, and is not inspected or refused again, so an
// imported instance whose disk the provider would not attach today (a qcow2
// with a backing file) can still be changed in everything else. rebuilt says
// that an image was rebuilt under its path (the fingerprint changed): the
// kernel is inspected again, and unchanged disks only for their format.
type imageChanges struct {
	prior   *instanceModel
	rebuilt bool
}

func (c imageChanges) kernelChanged(m *instanceModel) bool {
	return c.prior == nil || c.rebuilt || !m.Kernel.Equal(c.prior.Kernel) || !m.Initrd.Equal(c.prior.Initrd) ||
		!known(c.prior.BootFormat)
}

// priorDisk is the disk at index i of prior when the plan keeps it unchanged.
func (c imageChanges) priorDisk(m *instanceModel, i int) (diskModel, bool) {
	if c.prior == nil || i >= len(c.prior.Disks) {
		return diskModel{}, false
	}
	d, p := m.Disks[i], c.prior.Disks[i]
	same := d.source() == p.source() && d.BaseImage.Equal(p.BaseImage) && d.Volume.Equal(p.Volume) &&
		(d.Format.IsUnknown() || d.Format.IsNull() || d.Format.Equal(p.Format)) && known(p.Format)
	return p, same
}

// checkBootImages inspects the kernel and boot disk when they are volumes
// of a storage pool (reading their headers through libvirt), refuses
// combinations that cannot boot, and fills in detected disk formats. It
// returns the boot format for state. Only the images that ch says change are
// inspected and can be refused.
func (r *InstanceResource) checkBootImages(ctx context.Context, m *instanceModel, ch imageChanges, diags *diag.Diagnostics) (string, bool) {
	bootFormat, ok := r.checkKernelImages(ctx, m, ch, diags)
	if !ok || !r.checkDiskImages(ctx, m, ch, diags) {
		return "", false
	}
	return bootFormat, !diags.HasError()
}

// checkKernelImages inspects a changed kernel and initrd, refuses what
// cannot boot as such, and returns the boot format: the kernel's, "unknown"
// for a host path that cannot be read, or "disk" without a kernel.
func (r *InstanceResource) checkKernelImages(ctx context.Context, m *instanceModel, ch imageChanges, diags *diag.Diagnostics) (string, bool) {
	bootFormat := "disk"
	if k := m.Kernel.ValueString(); k != "" && !ch.kernelChanged(m) {
		bootFormat = ch.prior.BootFormat.ValueString()
	} else if k != "" {
		bootFormat = "unknown"
		res, found := r.detect(ctx, k, path.Root("kernel"), diags)
		xenFormat, ok := r.checkXenImage(m, path.Root("kernel"), k, true, res, found, diags)
		if !ok {
			return "", false
		}
		res.Format = xenFormat
		if found {
			if res.Format == "" || res.Format.Boot() != imageformat.BootKernel {
				what := string(res.Format)
				if res.Refused != "" {
					what = res.Refused
				}
				diags.AddAttributeError(path.Root("kernel"), "Image cannot boot as a kernel",
					fmt.Sprintf("%s is a %s image, which does not boot as a kernel. Kernels must be multiboot, multiboot2, PVH or "+
						"Linux bzImage. Attach disk images through `disks` instead.", k, what))
				return "", false
			}
			bootFormat = string(res.Format)
		}
		if in := m.Initrd.ValueString(); in != "" {
			res, found := r.detect(ctx, in, path.Root("initrd"), diags)
			if _, ok := r.checkXenImage(m, path.Root("initrd"), in, false, res, found, diags); !ok {
				return "", false
			}
			if found && res.Format == imageformat.QCOW2 {
				diags.AddAttributeError(path.Root("initrd"), "Image cannot be an initrd",
					fmt.Sprintf("%s is a qcow2 disk image; an initrd is a cpio archive (format raw).", in))
				return "", false
			}
		}
	}
	return bootFormat, true
}

// checkDiskImages inspects the changed disks, refuses an image that cannot
// be attached or a kernel given as the boot disk, and fills in detected disk
// formats; an unchanged disk keeps its prior format.
func (r *InstanceResource) checkDiskImages(ctx context.Context, m *instanceModel, ch imageChanges, diags *diag.Diagnostics) bool {
	for i := range m.Disks {
		d := &m.Disks[i]
		p := path.Root("disks").AtListIndex(i)
		if d.BaseImage.ValueString() != "" {
			d.Format = types.StringValue("qcow2") // the overlay's; the base's own format is detected at create
		}
		prior, unchanged := ch.priorDisk(m, i)
		if unchanged && (!ch.rebuilt || !d.Format.IsUnknown() && !d.Format.IsNull()) {
			if d.Format.IsUnknown() || d.Format.IsNull() {
				d.Format = prior.Format
			}
			continue
		}
		var scratch diag.Diagnostics
		into := diags
		if unchanged {
			into = &scratch // a rebuilt image under an unchanged path: only its format is read again
		}
		res, found := r.detect(ctx, d.source(), p, into)
		if !unchanged && found && res.Refused != "" {
			attr := "path"
			for _, a := range []string{"image", "base_image", "volume"} {
				if d.attribute(a).ValueString() != "" {
					attr = a
					break
				}
			}
			// Terraform points at the disk (it cannot point inside a list of objects); the detail names the attribute.
			diags.AddAttributeError(p, "Disk image refused", fmt.Sprintf("disks[%d].%s = %q: %s", i, attr, d.source(), res.Refused))
			return false
		}
		if !unchanged && found && i == 0 && m.Kernel.IsNull() && res.Format.Boot() == imageformat.BootKernel {
			diags.AddAttributeError(p, "Kernel given as boot disk",
				fmt.Sprintf("%s is a %s kernel, which does not boot from a disk. Set it as `kernel` instead.", d.source(), res.Format))
			return false
		}
		if d.Format.IsUnknown() || d.Format.IsNull() {
			f := "raw"
			if found && (res.Format == imageformat.QCOW2 || res.Format == imageformat.ISO) {
				f = string(res.Format)
			} else if unchanged && !found {
				f = prior.Format.ValueString()
			}
			d.Format = types.StringValue(f)
		}
	}
	return true
}

// attribute is the disk's attribute of that name among its sources.
func (d diskModel) attribute(name string) types.String {
	switch name {
	case "image":
		return d.Image
	case "base_image":
		return d.BaseImage
	case "volume":
		return d.Volume
	}
	return d.Path
}

// detect reads an image's headers: through libvirt when it is a storage
// volume, and from the file itself when it is a host path and the hypervisor
// is local (see hypervisor.LocalURI), where a missing file is an
// error at plan time. found is false for host paths on a remote hypervisor,
// which are used as given.
func (r *InstanceResource) detect(ctx context.Context, p string, attr path.Path, diags *diag.Diagnostics) (imageformat.Result, bool) {
	v, err := r.data.Client.OpenVolumeByPath(ctx, p)
	if hypervisor.IsNotFound(err) {
		if hypervisor.LocalURI(r.data.Client.URI()) {
			return detectHostFile(p, attr, diags)
		}
		tflog.Debug(ctx, "path is not a storage volume on a remote host; not inspecting it", map[string]any{"path": p})
		return imageformat.Result{}, false
	}
	if err != nil {
		diags.AddAttributeError(attr, "Unable to inspect image", err.Error())
		return imageformat.Result{}, false
	}
	defer func() { _ = v.Close() }()
	res, err := imageformat.Detect(v, v.Size())
	if err != nil {
		diags.AddAttributeError(attr, "Unable to inspect image", err.Error())
		return imageformat.Result{}, false
	}
	return res, true
}

// detectHostFile reads the headers of a host path on the local hypervisor.
func detectHostFile(p string, attr path.Path, diags *diag.Diagnostics) (imageformat.Result, bool) {
	f, err := os.Open(p)
	if err == nil {
		defer func() { _ = f.Close() }()
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && !st.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", p)
		}
		if err == nil {
			var res imageformat.Result
			if res, err = imageformat.Detect(f, st.Size()); err == nil {
				return res, true
			}
		}
	}
	what := "Check the path, or upload the file as a unikernel_image and refer to its id."
	if errors.Is(err, os.ErrNotExist) {
		err = fmt.Errorf("%s does not exist on the hypervisor host", p)
	}
	diags.AddAttributeError(attr, "Unable to inspect image", fmt.Sprintf("%s.\n\n%s", err, what))
	return imageformat.Result{}, false
}

// cancelledError says that an operation on an instance ended because
// Terraform was interrupted or the operation's timeout (the resource's
// `timeouts`) passed, rather than because the guest failed.
func cancelledError(ctx context.Context, name, during string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s for instance %q was cancelled: the operation's time limit (the resource's `timeouts`) passed", during, name)
	}
	return fmt.Errorf("%s for instance %q was cancelled: Terraform was interrupted", during, name)
}
