package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12+, OpenTofu 1.12+): the attributes that
// name an object on the host, so that `import { identity = {...} }` works and
// the CLI can tell objects apart without parsing IDs. Instances, networks and
// pools are named by their libvirt name; an image and a volume by their pool
// and volume name.
// Every Create, Read, Update and ImportState sets it, because OpenTofu refuses
// a response without one.

var (
	_ resource.ResourceWithIdentity = &PoolResource{}
	_ resource.ResourceWithIdentity = &NetworkResource{}
	_ resource.ResourceWithIdentity = &InstanceResource{}
	_ resource.ResourceWithIdentity = &ImageResource{}
	_ resource.ResourceWithIdentity = &VolumeResource{}
)

// nameIdentity is the identity of pools, networks and instances.
type nameIdentity struct {
	Name types.String `tfsdk:"name"`
}

// imageIdentity is the identity of an image: its pool and volume name.
type imageIdentity struct {
	Pool types.String `tfsdk:"pool"`
	Name types.String `tfsdk:"name"`
}

func nameIdentitySchema(kind string) identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"name": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       fmt.Sprintf("The libvirt name of the %s.", kind),
			},
		},
	}
}

func (r *PoolResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentitySchema("storage pool")
}

func (r *NetworkResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentitySchema("network")
}

func (r *InstanceResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentitySchema("domain")
}

func (r *ImageResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = volumeIdentitySchema("image")
}

func (r *VolumeResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = volumeIdentitySchema("volume")
}

// volumeIdentitySchema is the identity of images and volumes: pool and name.
func volumeIdentitySchema(kind string) identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"pool": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       fmt.Sprintf("The name of the storage pool that holds the %s.", kind),
			},
			"name": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       fmt.Sprintf("The name of the %s's storage volume in the pool.", kind),
			},
		},
	}
}

// setNameIdentity records the identity of a pool, network or instance. The
// identity is nil only when the framework talks to a CLI without identity
// support.
func setNameIdentity(ctx context.Context, id *tfsdk.ResourceIdentity, name string, diags *diag.Diagnostics) {
	if id == nil || name == "" {
		return
	}
	diags.Append(id.Set(ctx, nameIdentity{Name: types.StringValue(name)})...)
}

// setImageIdentity records the identity of an image or a volume.
func setImageIdentity(ctx context.Context, id *tfsdk.ResourceIdentity, pool, name string, diags *diag.Diagnostics) {
	if id == nil || pool == "" || name == "" {
		return
	}
	diags.Append(id.Set(ctx, imageIdentity{Pool: types.StringValue(pool), Name: types.StringValue(name)})...)
}

// importID returns what to import: the string ID of `terraform import` and of
// `import { id = ... }`, or for `import { identity = {...} }` the same string
// built from the identity (the name, or `<pool>/<name>` for images and volumes).
func importID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) string {
	if req.ID != "" || req.Identity == nil {
		return req.ID
	}
	var pool, name types.String
	diags.Append(req.Identity.GetAttribute(ctx, path.Root("name"), &name)...)
	if diags.HasError() {
		return ""
	}
	if _, ok := req.Identity.Schema.GetAttributes()["pool"]; ok {
		diags.Append(req.Identity.GetAttribute(ctx, path.Root("pool"), &pool)...)
		if diags.HasError() {
			return ""
		}
		return pool.ValueString() + "/" + name.ValueString()
	}
	return name.ValueString()
}
