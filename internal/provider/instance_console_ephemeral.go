package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

var _ ephemeral.EphemeralResourceWithConfigure = &InstanceConsoleEphemeral{}

// InstanceConsoleEphemeral reads an instance's serial console like the
// unikernel_instance_console data source, but as an ephemeral resource: the
// text reaches the expressions that use it and is never written to the state
// or to a plan file.
type InstanceConsoleEphemeral struct {
	data *Data
}

// NewInstanceConsoleEphemeral is the constructor registered with the provider.
func NewInstanceConsoleEphemeral() ephemeral.EphemeralResource { return &InstanceConsoleEphemeral{} }

func (e *InstanceConsoleEphemeral) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance_console"
}

func (e *InstanceConsoleEphemeral) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: consoleDescription + "\n\n" +
			"As an ephemeral resource (Terraform 1.10 or later, OpenTofu 1.11 or later), its output is read each time " +
			"Terraform plans or applies and is never written to the state or to a saved plan file: use it where console " +
			"text may hold secrets, and pass it only to places that take ephemeral values (provider blocks, write-only " +
			"attributes, other ephemeral resources, `locals`, ephemeral module outputs). The `unikernel_instance_console` " +
			"data source returns the same text and stores it in the state and in plan files.\n\n" +
			"Terraform opens it during plan as soon as `name` is known, and again during apply (after the resources " +
			"it refers to): in the run that creates the instance, the plan sees an empty console, so conditions on " +
			"its text belong in a later run.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{Required: true, MarkdownDescription: consoleNameDesc},
			"lines": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: consoleLinesDesc,
				Validators:          []validator.Int64{consoleLinesValidator},
			},
			"since": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: consoleSinceDesc,
				Validators:          []validator.String{validators.RFC3339()},
			},
			"id":     schema.StringAttribute{Computed: true, MarkdownDescription: consoleIDDesc},
			"output": schema.StringAttribute{Computed: true, MarkdownDescription: consoleOutputDesc},
			"path":   schema.StringAttribute{Computed: true, MarkdownDescription: consolePathDesc},
		},
	}
}

func (e *InstanceConsoleEphemeral) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (e *InstanceConsoleEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	if !configured(e.data, "ephemeral unikernel_instance_console", &resp.Diagnostics) {
		return
	}
	var m instanceConsoleModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(readInstanceConsole(ctx, e.data, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
