package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

var _ datasource.DataSourceWithConfigure = &InstanceConsoleDataSource{}

// consoleReadLimit bounds how much of a console log one read downloads.
// virtlogd rotates logs at 2 MiB, so this holds a whole log.
const consoleReadLimit = 4 << 20

// The console data source and ephemeral resource share their schema's words.
const (
	consoleDescription = "The serial console output of a `unikernel_instance`, read from its persistent log through " +
		"libvirt (so it works over remote URIs such as `qemu+ssh://`). Each start made by the provider writes a line " +
		"`=== unikernel: <why> at <RFC 3339 time> ===` into the log; `since` uses these markers. An " +
		"instance without a console log (never started, or no such instance) gives an empty `output`."
	consoleNameDesc  = "Name of the instance."
	consoleLinesDesc = "Return at most this many last lines. Defaults to 100."
	consoleSinceDesc = "An RFC 3339 time: return only the output of boots (started by the provider) at or " +
		"after it. `lines` still applies."
	consoleIDDesc     = "The instance name."
	consoleOutputDesc = "The console output, lines separated by `\\n`."
	consolePathDesc   = "Host path of the console log."
)

var consoleLinesValidator = int64validator.Between(1, 100000)

// InstanceConsoleDataSource returns an instance's serial console output.
type InstanceConsoleDataSource struct {
	data *Data
}

type instanceConsoleModel struct {
	Name   types.String `tfsdk:"name"`
	Lines  types.Int64  `tfsdk:"lines"`
	Since  types.String `tfsdk:"since"`
	ID     types.String `tfsdk:"id"`
	Output types.String `tfsdk:"output"`
	Path   types.String `tfsdk:"path"`
}

// NewInstanceConsoleDataSource is the constructor registered with the provider.
func NewInstanceConsoleDataSource() datasource.DataSource { return &InstanceConsoleDataSource{} }

func (d *InstanceConsoleDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance_console"
}

func (d *InstanceConsoleDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: consoleDescription + "\n\n" +
			"The output is stored in the state and in saved plan files, like every data source's values. Console text " +
			"can hold secrets (tokens, keys or passwords a guest prints): read it with the `unikernel_instance_console` " +
			"ephemeral resource instead (Terraform 1.10 or later, OpenTofu 1.11 or later), whose output never lands in " +
			"either.",
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

func (d *InstanceConsoleDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerData(req.ProviderData, &resp.Diagnostics)
}

var bootMarkerRe = regexp.MustCompile(`^=== unikernel: .* at (\S+) ===$`)

func (d *InstanceConsoleDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.data, "unikernel_instance_console", &resp.Diagnostics) {
		return
	}
	var m instanceConsoleModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(readInstanceConsole(ctx, d.data, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// readInstanceConsole fills id, output and path of m from the instance's
// console log, honouring lines and since. The data source and the ephemeral
// resource both read through it, so they return the same text.
func readInstanceConsole(ctx context.Context, data *Data, m *instanceConsoleModel) diag.Diagnostics {
	var diags diag.Diagnostics
	name := m.Name.ValueString()
	tflog.Debug(ctx, "reading console log", map[string]any{"instance": name})
	out, logPath, err := readConsoleLog(ctx, data, name, consoleReadLimit)
	if err != nil {
		diags.AddError(fmt.Sprintf("Unable to read the console of instance %q", name), err.Error())
		return diags
	}
	text := strings.ReplaceAll(string(out), "\r", "")
	if !m.Since.IsNull() {
		since, _ := time.Parse(time.RFC3339, m.Since.ValueString())
		text = outputSince(text, since)
	}
	n := 100
	if !m.Lines.IsNull() {
		n = int(m.Lines.ValueInt64())
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	m.ID = types.StringValue(name)
	m.Output = types.StringValue(strings.Join(lines, "\n"))
	m.Path = types.StringValue(logPath)
	return diags
}

// readConsoleLog returns the last limit bytes of the console log of the
// instance name, and the log's host path. An instance made by the provider
// logs into the console pool. An imported one may log elsewhere (a
// `<serial type='file'>` or a serial's `<log file>` that virt-install, virsh or
// the libvirt provider wrote): that file is read, through libvirt when a
// storage pool holds it, else from the local host.
func readConsoleLog(ctx context.Context, data *Data, name string, limit int) ([]byte, string, error) {
	c := data.Client
	own := data.Console.LogPath(name)
	info, err := c.ReadDomain(ctx, name)
	if err != nil && !hypervisor.IsNotFound(err) {
		return nil, own, err
	}
	logPath := info.Spec.ConsoleLog
	if err != nil || logPath == "" || logPath == own {
		out, err := c.ReadConsole(ctx, data.Console, name, 0, limit)
		return out, own, err
	}
	tflog.Debug(ctx, "reading the console log the domain names", map[string]any{"instance": name, "path": logPath})
	v, err := c.OpenVolumeByPath(ctx, logPath)
	switch {
	case err == nil:
		defer func() { _ = v.Close() }()
		out, err := readTail(v, v.Size(), limit)
		return out, logPath, err
	case !hypervisor.IsNotFound(err):
		return nil, logPath, err
	case !hypervisor.LocalURI(c.URI()):
		return nil, logPath, fmt.Errorf("the domain logs its console to %s, a file outside every storage pool of the remote "+
			"host %s, which libvirt cannot read back: define a dir pool on its directory to read it", logPath, c.URI())
	}
	f, err := os.Open(logPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, logPath, nil // nothing logged yet
	}
	if err != nil {
		return nil, logPath, err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return nil, logPath, err
	}
	out, err := readTail(f, st.Size(), limit)
	return out, logPath, err
}

// readTail reads the last limit bytes (all when limit is 0) of r, which
// holds size bytes.
func readTail(r io.ReaderAt, size int64, limit int) ([]byte, error) {
	off := int64(0)
	if limit > 0 && size > int64(limit) {
		off = size - int64(limit)
	}
	b := make([]byte, size-off)
	n, err := r.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return b[:n], err
}

// outputSince keeps the output from the first boot marker at or after since.
// Without such a marker nothing is returned.
func outputSince(text string, since time.Time) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if m := bootMarkerRe.FindStringSubmatch(l); m != nil {
			if t, err := time.Parse(time.RFC3339, m[1]); err == nil && !t.Before(since) {
				return strings.Join(lines[i:], "\n")
			}
		}
	}
	return ""
}
