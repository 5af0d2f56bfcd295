// Package provider is the Terraform-facing side of the unikernel provider:
// provider configuration, resources and data sources. It talks to libvirt only
// through the hypervisor package.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/oci"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// Environment variables read by the provider configuration.
const (
	EnvURI            = "UNIKERNEL_URI"
	EnvLibvirtURI     = "LIBVIRT_DEFAULT_URI"
	EnvHypervisor     = "UNIKERNEL_HYPERVISOR"
	DefaultURI        = "qemu:///system"
	DefaultHypervisor = "auto"
	// DefaultConsolePool and DefaultConsolePath place console logs on the host.
	DefaultConsolePool = "unikernel-console"
	DefaultConsolePath = "/var/lib/unikernel/console"
)

// Hypervisors accepted by the provider's `hypervisor` attribute.
var hypervisorChoices = []string{"auto", "kvm", "qemu", "xen"}

var _ provider.ProviderWithEphemeralResources = &UnikernelProvider{}

// UnikernelProvider is the provider implementation.
type UnikernelProvider struct {
	version string
}

// UnikernelProviderModel is the provider block.
type UnikernelProviderModel struct {
	URI         types.String `tfsdk:"uri"`
	Hypervisor  types.String `tfsdk:"hypervisor"`
	ConsolePool types.String `tfsdk:"console_pool"`
	ConsolePath types.String `tfsdk:"console_path"`

	SSHKeyFile        types.String `tfsdk:"ssh_key_file"`
	SSHKnownHostsFile types.String `tfsdk:"ssh_known_hosts_file"`
	SSHHostKeyCheck   types.String `tfsdk:"ssh_host_key_check"`
	TLSPKIPath        types.String `tfsdk:"tls_pki_path"`
	Insecure          types.Bool   `tfsdk:"insecure"`
	ReconnectTimeout  types.String `tfsdk:"reconnect_timeout"`
	Connections       types.Int64  `tfsdk:"connections"`

	Registries []RegistryModel `tfsdk:"registries"`
}

// RegistryModel is one entry of the provider's `registries`.
type RegistryModel struct {
	Address   types.String `tfsdk:"address"`
	Username  types.String `tfsdk:"username"`
	Password  types.String `tfsdk:"password"`
	CAFile    types.String `tfsdk:"ca_file"`
	PlainHTTP types.Bool   `tfsdk:"plain_http"`
}

// Data is what Configure hands to every resource and data source.
type Data struct {
	Client *hypervisor.Client
	// Hypervisor is the resolved default domain type: kvm, qemu or xen.
	Hypervisor string
	// Console is the storage pool that holds instance console logs.
	Console hypervisor.ConsolePool
	// OCI pulls images from registries.
	OCI *oci.Client

	archOnce sync.Once
	arch     string
	archErr  error
}

// hostArch is the libvirt host's architecture (x86_64, aarch64), read once.
func (d *Data) hostArch(ctx context.Context) (string, error) {
	d.archOnce.Do(func() {
		h, err := d.Client.Host(ctx)
		d.arch, d.archErr = h.Arch, err
	})
	return d.arch, d.archErr
}

// New returns a constructor for the provider at the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &UnikernelProvider{version: version} }
}

func (p *UnikernelProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "unikernel"
	resp.Version = p.version
}

// Schema is longer than most functions here: it is one declarative list of
// attributes, which reads best whole.
func (p *UnikernelProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Runs unikernels (MirageOS, Unikraft, Nanos, OSv) and tiny Linux microVMs on your own " +
			"hypervisors through libvirt: KVM/QEMU or Xen, local or remote.",
		Attributes: map[string]schema.Attribute{
			"uri": schema.StringAttribute{
				MarkdownDescription: "libvirt connection URI, for example `qemu:///system`, `qemu+ssh://root@host/system`, " +
					"`qemu+tls://host/system` or `xen:///system`. Defaults to the `" + EnvURI + "` environment variable, " +
					"then `" + EnvLibvirtURI + "`, then `" + DefaultURI + "`.",
				Optional: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
				},
			},
			"hypervisor": schema.StringAttribute{
				MarkdownDescription: "Default hypervisor type for instances: `auto`, `kvm`, `qemu` (software emulation) or `xen`. " +
					"`auto` picks `kvm` when the host offers it, else `qemu`, else `xen` (a host that offers none of them, such " +
					"as libvirt's `test:///default`, needs `qemu` set). Defaults to the `" + EnvHypervisor +
					"` environment variable, then `auto`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(hypervisorChoices...)},
			},
			"console_pool": schema.StringAttribute{
				MarkdownDescription: "Name of the libvirt `dir` storage pool that holds instance console logs. The provider " +
					"creates it on the host when it is missing, and reads logs through libvirt, so this works over remote URIs " +
					"too. Defaults to `" + DefaultConsolePool + "`, and on a Xen host to `" + DefaultXenConsolePool + "`. " +
					"The same name rule as `unikernel_pool.name`: 1 to 128 characters without `/` or control characters, " +
					"other than `.` and `..`.",
				Optional:   true,
				Validators: []validator.String{validators.PoolName()},
			},
			"console_path": schema.StringAttribute{
				MarkdownDescription: "Host directory of `console_pool` when the provider creates it (mode 0700; logs are 0600). " +
					"Defaults to `" + DefaultConsolePath + "`. On a Xen host it must be the directory that xenconsoled logs guest " +
					"consoles to (its `--log-dir`), and defaults to `" + hypervisor.XenConsolePath + "`. The same path rule as " +
					"`unikernel_pool.path`: absolute and clean, other than `/`.",
				Optional:   true,
				Validators: []validator.String{validators.PoolPath()},
			},
			"ssh_key_file": schema.StringAttribute{
				MarkdownDescription: "Private key for SSH URIs (`qemu+ssh://`, `qemu+libssh://`, `qemu+libssh2://`), passed to libvirt " +
					"as the URI parameter `keyfile`. It must not need a passphrase: libvirt cannot prompt from inside Terraform " +
					"(use an SSH agent for protected keys). See the Remote hosts guide.",
				Optional:   true,
				Validators: []validator.String{validators.AbsolutePath()},
			},
			"ssh_known_hosts_file": schema.StringAttribute{
				MarkdownDescription: "known_hosts file to check the host key against, passed as the URI parameter `known_hosts`. " +
					"Honoured by libvirt's built-in SSH clients (`qemu+libssh://`, `qemu+libssh2://`). `qemu+ssh://` runs OpenSSH, " +
					"which takes it from `UserKnownHostsFile` in `~/.ssh/config` instead; setting it there is refused with an error.",
				Optional:   true,
				Validators: []validator.String{validators.AbsolutePath()},
			},
			"ssh_host_key_check": schema.StringAttribute{
				MarkdownDescription: "How the SSH host key is checked: `normal` (the default: it must be known), `auto` (unknown " +
					"keys are added; `qemu+libssh://` and `qemu+libssh2://` only) or `ignore` (any key is accepted; needs " +
					"`insecure = true`). Maps to libvirt's `known_hosts_verify`, or `no_verify=1` for `qemu+ssh://`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(hostKeyChecks...)},
			},
			"tls_pki_path": schema.StringAttribute{
				MarkdownDescription: "Directory with `cacert.pem`, `clientcert.pem` and `clientkey.pem` for `qemu+tls://`, passed as " +
					"the URI parameter `pkipath`. Defaults to libvirt's own locations (`/etc/pki/...` for root).",
				Optional:   true,
				Validators: []validator.String{validators.AbsolutePath()},
			},
			"reconnect_timeout": schema.StringAttribute{
				MarkdownDescription: "How long calls wait for a libvirt daemon whose connection was lost (restarted, " +
					"unreachable) to answer again before they fail, as a Go duration such as `30s` or `2m`. The connection is " +
					"reopened once for all waiting calls, and calls that are safe to repeat run again. Defaults to `60s`.",
				Optional:   true,
				Validators: []validator.String{validators.Duration()},
			},
			"connections": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many connections to libvirt the provider spreads refreshes and instance "+
					"starts, stops and deletes over, counting the main one, from 1 to %d. libvirtd serves at most "+
					"`max_client_requests` (5 by default) calls of one connection at a time, so with Terraform's parallelism of "+
					"10 or more one connection makes them queue. The extra connections open only when calls wait, one at a time "+
					"and in the background; over SSH or TLS each costs a handshake. Network and pool changes stay on the main "+
					"connection; image transfers use their own. `1` keeps every call on one connection. Defaults to `%d`.",
					hypervisor.MaxConnections, hypervisor.DefaultConnections),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, hypervisor.MaxConnections)},
			},
			"registries": registriesAttribute(),
			"insecure": schema.BoolAttribute{
				MarkdownDescription: "Allow URI parameters that weaken the check of which host the provider talks to, or run " +
					"a local program: `no_verify=1`, `known_hosts_verify=ignore`, `command=`, a custom `proxy=`. Without it they " +
					"are refused; with it they produce a warning. Defaults to `false`.",
				Optional: true,
			},
		},
	}
}

// Settings is the resolved provider configuration.
type Settings struct {
	URI        string
	Hypervisor string
}

// ResolveSettings applies the precedence attribute, then environment, then
// default. getenv is os.Getenv outside tests.
func ResolveSettings(m UnikernelProviderModel, getenv func(string) string) (Settings, error) {
	s := Settings{URI: DefaultURI, Hypervisor: DefaultHypervisor}
	switch {
	case !m.URI.IsNull() && !m.URI.IsUnknown():
		s.URI = m.URI.ValueString()
	case getenv(EnvURI) != "":
		s.URI = getenv(EnvURI)
	case getenv(EnvLibvirtURI) != "":
		s.URI = getenv(EnvLibvirtURI)
	}
	switch {
	case !m.Hypervisor.IsNull() && !m.Hypervisor.IsUnknown():
		s.Hypervisor = m.Hypervisor.ValueString()
	case getenv(EnvHypervisor) != "":
		s.Hypervisor = getenv(EnvHypervisor)
		if !oneOf(s.Hypervisor, hypervisorChoices) {
			return s, fmt.Errorf("%s=%q is not one of auto, kvm, qemu, xen", EnvHypervisor, s.Hypervisor)
		}
	}
	return s, nil
}

// stringOr returns the value of v, or def when v is null, unknown or empty.
func stringOr(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return def
	}
	return v.ValueString()
}

func oneOf(v string, choices []string) bool {
	for _, c := range choices {
		if v == c {
			return true
		}
	}
	return false
}

func (p *UnikernelProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m UnikernelProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	checkKnownSettings(m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// Registry settings are checked before libvirt is asked anything.
	ociClient := ociClient(m.Registries, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	s, err := ResolveSettings(m, os.Getenv)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("hypervisor"), "Invalid hypervisor", err.Error())
		return
	}
	s.URI = connectionURI(s.URI, m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.SetField(ctx, "libvirt_uri", s.URI)
	client := connect(ctx, s.URI, m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	hv, err := client.ResolveHypervisor(ctx, s.Hypervisor)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("hypervisor"), "Unable to choose a hypervisor", err.Error())
		return
	}
	tflog.Debug(ctx, "connected to libvirt", map[string]any{"hypervisor": hv})
	console, err := consolePool(ctx, client, m)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("uri"), fmt.Sprintf("Unable to read the driver of %q", s.URI), err.Error())
		return
	}
	data := &Data{Client: client, Hypervisor: hv, Console: console, OCI: ociClient}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.EphemeralResourceData = data
}

// checkKnownSettings refuses a uri or hypervisor that is unknown at plan time: the provider
// connects before it plans anything.
func checkKnownSettings(m UnikernelProviderModel, diags *diag.Diagnostics) {
	if m.URI.IsUnknown() {
		diags.AddAttributeError(path.Root("uri"), "Unknown libvirt URI",
			"The provider cannot connect while `uri` is unknown at plan time. Set it to a known value, "+
				"or leave it out and set the "+EnvURI+" environment variable.")
	}
	if m.Hypervisor.IsUnknown() {
		diags.AddAttributeError(path.Root("hypervisor"), "Unknown hypervisor",
			"`hypervisor` is unknown at plan time. Set it to a known value, or leave it out and set the "+
				EnvHypervisor+" environment variable.")
	}
}

// connectionURI adds the SSH and TLS settings to uri; an error names the attribute at fault.
func connectionURI(uri string, m UnikernelProviderModel, diags *diag.Diagnostics) string {
	full, warnings, err := buildURI(uri, remoteSettings{
		SSHKeyFile: stringOr(m.SSHKeyFile, ""), SSHKnownHostsFile: stringOr(m.SSHKnownHostsFile, ""),
		SSHHostKeyCheck: stringOr(m.SSHHostKeyCheck, ""), TLSPKIPath: stringOr(m.TLSPKIPath, ""),
		Insecure: m.Insecure.ValueBool(),
	})
	if err != nil {
		attr := "uri"
		var ue *uriError
		if errors.As(err, &ue) {
			attr = ue.Attr
		}
		diags.AddAttributeError(path.Root(attr), "Invalid libvirt connection settings", err.Error())
		return ""
	}
	for _, w := range warnings {
		diags.AddAttributeWarning(path.Root("insecure"), "Insecure libvirt connection", w)
	}
	return full
}

// connect opens (or shares) the client of uri and applies the reconnect and connection settings.
func connect(ctx context.Context, uri string, m UnikernelProviderModel, diags *diag.Diagnostics) *hypervisor.Client {
	tflog.Debug(ctx, "connecting to libvirt")
	client, err := hypervisor.Shared(ctx, uri, hypervisor.OpenTimeout(uri))
	if summary, detail, ok := libraryError(err); ok {
		diags.AddError(summary, detail)
		return nil
	}
	if err != nil {
		diags.AddAttributeError(path.Root("uri"), fmt.Sprintf("Unable to connect to libvirt at %q", uri),
			fmt.Sprintf("%s.\n\nCheck that libvirtd (or virtqemud) runs on that host and answers on this URI, "+
				"for example with `virsh -c '%s' uri`, that this user may use its socket, and for remote URIs "+
				"that SSH or TLS to the host works without a prompt.", err, uri))
		return nil
	}
	if d := stringOr(m.ReconnectTimeout, ""); d != "" {
		wait, err := time.ParseDuration(d)
		if err != nil || wait <= 0 {
			diags.AddAttributeError(path.Root("reconnect_timeout"), "Invalid reconnect timeout",
				fmt.Sprintf("%q is not a positive Go duration such as 30s or 2m.", d))
			return nil
		}
		client.SetReconnectWait(wait)
	}
	// Unset gives the default (0): clients are shared per URI, and an earlier
	// provider block's setting must not stick.
	client.SetConnections(int(m.Connections.ValueInt64()))
	return client
}

func (p *UnikernelProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewInstanceResource,
		NewNetworkResource,
		NewPoolResource,
		NewImageResource,
		NewVolumeResource,
	}
}

func (p *UnikernelProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewHostDataSource,
		NewNetworkDataSource,
		NewInstanceDataSource,
		NewInstanceConsoleDataSource,
		NewInstancesDataSource,
		NewPoolDataSource,
		NewImageDataSource,
	}
}

// EphemeralResources are opened for a plan or apply and never stored.
func (p *UnikernelProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewInstanceConsoleEphemeral,
	}
}

// configured reports whether the provider handed over its Data. When it did
// not, it adds the error that every resource and data source reports.
func configured(d *Data, typeName string, diags *diag.Diagnostics) bool {
	if d == nil {
		diags.AddError("Provider not configured",
			"The unikernel provider was not configured before using "+typeName+". Check the provider block and its errors above.")
		return false
	}
	return true
}

// providerData extracts the provider's Data in a resource's or data source's
// Configure. It returns nil (and no error) before the provider is configured.
func providerData(raw any, diags interface {
	AddError(string, string)
}) *Data {
	if raw == nil {
		return nil
	}
	d, ok := raw.(*Data)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *provider.Data, got %T. Please report this issue.", raw))
		return nil
	}
	return d
}

// lookupFailed is the detail of a data source's failed lookup: what libvirt
// said, then notFound when there is no such object, else the advice to check
// that libvirt answers.
func lookupFailed(err error, notFound string) string {
	hint := "Check that libvirt answers."
	if hypervisor.IsNotFound(err) {
		hint = notFound
	}
	return fmt.Sprintf("%s.\n\n%s", err, hint)
}
