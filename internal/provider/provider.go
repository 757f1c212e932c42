// Package provider is the Terraform glue: the adbmigrate provider, its resources and data
// sources. It talks only to the runner, through runner/api.
package provider

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

var _ provider.Provider = (*adbmigrateProvider)(nil)

// New returns a constructor of the provider, as providerserver wants it.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &adbmigrateProvider{version: version} }
}

type adbmigrateProvider struct {
	version string
}

func (p *adbmigrateProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "adbmigrate"
	resp.Version = p.version
}

func (p *adbmigrateProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Declarative data migration between MySQL-compatible databases (AnalyticDB for MySQL 3.0, MySQL, MariaDB), " +
			"carried out by an `adbmigrate-runner` daemon that keeps tasks running between applies.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "URL of the adbmigrate-runner API. Defaults to the `ADBMIGRATE_ENDPOINT` environment variable, else `" + api.DefaultEndpoint + "`. " +
					"Conflicts with `endpoints`.",
				Optional: true,
				Validators: []validator.String{
					stringvalidator.ConflictsWith(path.MatchRoot("endpoints")),
				},
			},
			"endpoints": schema.ListAttribute{
				MarkdownDescription: "URLs of the runners of a runner cluster (`adbmigrate-runner --etcd-endpoints ...`). Any runner answers every request; " +
					"the provider sends requests to the one that answered last and tries the next one when a runner cannot be reached. Conflicts with `endpoint`.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1)),
				},
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "Bearer token of the runner API. Defaults to the `ADBMIGRATE_TOKEN` environment variable. " +
					"A runner started without a token writes one to `<data-dir>/token`.",
				Optional:  true,
				Sensitive: true,
			},
		},
	}
}

type providerModel struct {
	Endpoint  types.String `tfsdk:"endpoint"`
	Endpoints types.List   `tfsdk:"endpoints"`
	Token     types.String `tfsdk:"token"`
}

func (p *adbmigrateProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.Endpoint.IsUnknown() || cfg.Endpoints.IsUnknown() || cfg.Token.IsUnknown() {
		// Known only after apply of something else: resources will be configured later.
		return
	}
	endpoints := []string{firstSet(cfg.Endpoint.ValueString(), os.Getenv("ADBMIGRATE_ENDPOINT"), api.DefaultEndpoint)}
	attr := path.Root("endpoint")
	if !cfg.Endpoints.IsNull() {
		endpoints = nil
		resp.Diagnostics.Append(cfg.Endpoints.ElementsAs(ctx, &endpoints, false)...)
		if resp.Diagnostics.HasError() {
			return
		}
		attr = path.Root("endpoints")
	}
	token := firstSet(cfg.Token.ValueString(), os.Getenv("ADBMIGRATE_TOKEN"))
	if token == "" {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Missing Runner Token",
			"The provider needs the adbmigrate-runner API token. Set the provider's token argument or the ADBMIGRATE_TOKEN "+
				"environment variable; a runner started without a token wrote one to <data-dir>/token.")
		return
	}
	client, err := api.NewClusterClient(endpoints, token, nil)
	if err != nil {
		resp.Diagnostics.AddAttributeError(attr, "Invalid Runner Endpoint", err.Error())
		return
	}
	resp.ResourceData = client
	resp.DataSourceData = client
}

func (p *adbmigrateProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewConnectionResource, NewMigrationTaskResource}
}

func (p *adbmigrateProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewMigrationTaskDataSource, NewPrecheckDataSource}
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// clientFrom takes the provider's client out of ProviderData; it adds an error when the data
// is of an unexpected type, and returns nil while the provider is not configured yet.
func clientFrom(data any, diags interface{ AddError(string, string) }) *api.Client {
	if data == nil {
		return nil
	}
	c, ok := data.(*api.Client)
	if !ok {
		diags.AddError("Unexpected Provider Data", "The provider passed an unexpected value to a resource; this is a bug in the provider, please report it.")
		return nil
	}
	return c
}
