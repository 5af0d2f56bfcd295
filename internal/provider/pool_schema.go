package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

func (r *PoolResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A libvirt storage pool of type `dir`: a directory on the host that holds " +
			"`unikernel_image` volumes.\n\n" +
			"Create defines the pool, creates its directory, starts it and marks it to start with the host. " +
			"Delete refuses while the pool still holds volumes (images, or files put into the directory by hand): " +
			"nothing in it is ever deleted by this resource, and the directory is removed only when it is empty.\n\n" +
			"Drift: a pool deleted out of band is created again, and a pool stopped out of band shows as " +
			"`running = false` in the next plan and is started again by apply (its directory is recreated when it is gone).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The pool's UUID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The pool's name: 1 to 128 characters without `/` or control characters, other than " +
					"`.` and `..` (what libvirt accepts that is also safe as a directory name). Changing it replaces the pool.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{validators.PoolName()},
			},
			"path": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Absolute, clean path of the pool's directory on the host, other than `/`, for example " +
					"`/var/lib/unikernel/images`. It is created when missing. Changing it replaces the pool (which is " +
					"refused while the pool holds images).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{validators.PoolPath()},
			},
			"autostart": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				PlanModifiers:       []planmodifier.Bool{keepAdoptedAutostart()},
				MarkdownDescription: "Start the pool when the host (libvirtd) starts. Defaults to `true`." + adoptedRunNote,
			},
			"running": schema.BoolAttribute{
				Optional:      true,
				Computed:      true,
				Default:       booldefault.StaticBool(true),
				PlanModifiers: []planmodifier.Bool{keepAdoptedRunning()},
				MarkdownDescription: "Whether the pool is started. Defaults to `true`. Images in a stopped pool keep " +
					"their state but cannot be created, read or used until it runs again." + adoptedRunNote,
			},
			"capacity": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Size in bytes of the file system that holds the pool (0 while stopped).",
			},
			"allocation": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Bytes in use on that file system (0 while stopped).",
			},
			"available": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Bytes free on that file system (0 while stopped).",
			},
		},
	}
}
