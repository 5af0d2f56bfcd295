package provider

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/oci"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

func registriesAttribute() schema.ListNestedAttribute {
	return schema.ListNestedAttribute{
		Optional: true,
		MarkdownDescription: "Settings of the OCI registries that `unikernel_image.oci` pulls from, one entry per " +
			"registry host. A registry without an entry is reached over https with the system's CA roots, with the " +
			"credentials of the Docker configuration (`DOCKER_CONFIG`, else `~/.docker/config.json`, and the " +
			"credential helpers it names), else anonymously. Credentials never reach the state, the plan or the logs. " +
			"Pulled blobs are kept in a cache on the machine that runs Terraform: `UNIKERNEL_OCI_CACHE`, else " +
			"`$XDG_CACHE_HOME/terraform-provider-unikernel/oci` (`~/.cache/...`).",
		Validators: []validator.List{validators.UniqueNestedString("address")},
		NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"address": schema.StringAttribute{
					Required: true,
					MarkdownDescription: "The registry's host and optional port as references write it, for example " +
						"`registry.example.com` or `127.0.0.1:5000`.",
					Validators: []validator.String{stringvalidator.RegexMatches(registryAddressPattern,
						"must be a host name or address with an optional :port, without a scheme or path")},
				},
				"username": schema.StringAttribute{
					Optional: true,
					MarkdownDescription: "User name for basic auth and for the registry's token service. Set with " +
						"`password`; these win over the Docker configuration.",
				},
				"password": schema.StringAttribute{
					Optional:  true,
					Sensitive: true,
					MarkdownDescription: "Password (or access token) for `username`. Without `username` it is sent as " +
						"an identity (refresh) token to the registry's token service.",
				},
				"ca_file": schema.StringAttribute{
					Optional: true,
					MarkdownDescription: "A PEM file of CA certificates to trust for this registry, in addition to " +
						"the system's roots.",
					Validators: []validator.String{validators.AbsolutePath()},
				},
				"plain_http": schema.BoolAttribute{
					Optional: true,
					MarkdownDescription: "Talk plain http to this registry instead of https. Nothing protects the " +
						"transfer then (digests still protect the bytes of references pinned by digest), so the " +
						"provider warns. Defaults to `false`.",
				},
			},
		},
	}
}

// registryAddressPattern is host[:port], an IPv6 address in brackets.
var registryAddressPattern = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// ociClient builds the registry client from the provider's registries.
func ociClient(regs []RegistryModel, diags *diag.Diagnostics) *oci.Client {
	opts := oci.Options{DockerConfig: true, MaxBlobBytes: maxImageDownload}
	for i, r := range regs {
		at := path.Root("registries").AtListIndex(i)
		if r.Address.IsUnknown() || r.Username.IsUnknown() || r.Password.IsUnknown() || r.CAFile.IsUnknown() ||
			r.PlainHTTP.IsUnknown() {
			diags.AddAttributeError(at, "Unknown registry settings", "The registry settings must be known when the "+
				"provider is configured: use values that do not depend on resources of the same apply.")
			continue
		}
		if r.Username.ValueString() != "" && r.Password.ValueString() == "" {
			diags.AddAttributeError(at.AtName("password"), "Missing registry password",
				fmt.Sprintf("registries[%d]: username is set, so password must be set too.", i))
			continue
		}
		reg := oci.Registry{Address: r.Address.ValueString(), Username: r.Username.ValueString(),
			Password: r.Password.ValueString(), CAFile: r.CAFile.ValueString(), PlainHTTP: r.PlainHTTP.ValueBool()}
		if reg.PlainHTTP {
			diags.AddAttributeWarning(at.AtName("plain_http"), "Registry reached over plain http",
				fmt.Sprintf("Registry %s is reached without TLS: anybody on the path can read or change what is "+
					"sent, and see its credentials. Digests still protect images pinned by digest.", reg.Address))
		}
		opts.Registries = append(opts.Registries, reg)
	}
	if diags.HasError() {
		return nil
	}
	c, err := oci.NewClient(opts)
	if err != nil {
		diags.AddAttributeError(path.Root("registries"), "Invalid registry settings", err.Error())
		return nil
	}
	return c
}
