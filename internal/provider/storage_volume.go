package provider

// What unikernel_image and unikernel_volume do alike with the storage volume
// each manages: read it, treat a failed read, delete it and import it.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// storageKind is what a resource's storage volume holds, as its messages
// name it.
type storageKind struct {
	noun       string // "image"
	title      string // "Image", at the start of a summary
	article    string // "an image"
	example    string // an import ID
	deleteHint string // what to do when a delete fails for another reason than the pool
}

var (
	imageKind = storageKind{noun: "image", title: "Image", article: "an image", example: "images/kernel.elf",
		deleteHint: "The state was kept. If an instance still uses the image, remove it first."}
	volumeKind = storageKind{noun: "volume", title: "Volume", article: "a volume", example: "data/db.img",
		deleteHint: "The state was kept. Check that libvirt answers, then destroy again."}
)

// readStorageVolume reads a storage volume's facts from libvirt.
func readStorageVolume(ctx context.Context, c *hypervisor.Client, pool, name string) (hypervisor.VolumeInfo, error) {
	tflog.Debug(ctx, "reading storage volume", map[string]any{"pool": pool, "volume": name})
	return c.ReadVolume(ctx, pool, name)
}

// keepReading handles what Read's reading of the volume returned: it reports
// whether Read goes on to set the state. A volume that is gone is removed from
// the state; an inactive pool keeps the state with a warning, and any other
// error keeps it with an error.
func (k storageKind) keepReading(ctx context.Context, err error, pool, name string, resp *resource.ReadResponse) bool {
	switch {
	case err == nil:
		return true
	case hypervisor.IsNotFound(err):
		tflog.Info(ctx, "storage volume is gone, removing it from state", map[string]any{"pool": pool, "volume": name})
		resp.State.RemoveResource(ctx)
	case hypervisor.IsPoolInactive(err):
		resp.Diagnostics.AddWarning(fmt.Sprintf("%s %q not checked", k.title, name), fmt.Sprintf("%s, so the %s could not "+
			"be read and its state was kept as it was. Start the pool to check it.", err, k.noun))
	default:
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read %s %q", k.noun, name),
			fmt.Sprintf("%s.\n\nThe state was kept. Check that libvirt answers, then refresh again.", err))
	}
	return false
}

// delete deletes the storage volume; one that is gone already is fine.
func (k storageKind) delete(ctx context.Context, c *hypervisor.Client, pool, name string, diags *diag.Diagnostics) {
	tflog.Debug(ctx, "deleting storage volume", map[string]any{"pool": pool, "volume": name})
	err := c.DeleteVolume(ctx, pool, name)
	summary := fmt.Sprintf("Unable to delete %s %q", k.noun, name)
	switch {
	case err == nil, hypervisor.IsNotFound(err):
	case hypervisor.IsPoolInactive(err):
		diags.AddError(summary, fmt.Sprintf("%s.\n\nStart the pool (`virsh pool-start %s`), then destroy again.", err, pool))
	default:
		diags.AddError(summary, fmt.Sprintf("%s.\n\n%s", err, k.deleteHint))
	}
}

// importVolume parses an import ID, `pool/name`, and reads that volume. ok
// is false after an error was added.
func (k storageKind) importVolume(ctx context.Context, c *hypervisor.Client, id string, diags *diag.Diagnostics) (pool, name string, info hypervisor.VolumeInfo, ok bool) {
	summary := fmt.Sprintf("Unable to import %s %q", k.noun, id)
	pool, name, ok = strings.Cut(id, "/")
	if !ok || pool == "" || name == "" || strings.Contains(name, "/") {
		diags.AddError(summary, fmt.Sprintf("Import %s by `<pool>/<volume name>`, for example `%s`.", k.article, k.example))
		return "", "", info, false
	}
	info, err := readStorageVolume(ctx, c, pool, name)
	if err != nil {
		diags.AddError(summary, fmt.Sprintf("%s.\n\n`virsh vol-list %s` lists the volumes of the pool.", err, pool))
		return "", "", info, false
	}
	return pool, name, info, true
}
