package provider

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

var (
	_ resource.Resource                     = (*connectionResource)(nil)
	_ resource.ResourceWithConfigure        = (*connectionResource)(nil)
	_ resource.ResourceWithImportState      = (*connectionResource)(nil)
	_ resource.ResourceWithConfigValidators = (*connectionResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*connectionResource)(nil)
)

// NewConnectionResource returns the adbmigrate_connection resource.
func NewConnectionResource() resource.Resource { return &connectionResource{} }

type connectionResource struct {
	client *api.Client
}

func (r *connectionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

func (r *connectionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A database registered with the runner: the source or destination of a migration task, which names it by `id`. " +
			"Creating or updating it tests connectivity from the runner and fails with a diagnostic naming the cause: " +
			"connection refused, authentication, TLS or timeout. All arguments update in place.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Connection id assigned by the runner; use it in `adbmigrate_migration_task` and to import.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Display name of the connection. Updates in place.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 128)},
			},
			"database_type": schema.StringAttribute{
				MarkdownDescription: "Kind of database: `adb_mysql3` (AnalyticDB for MySQL 3.0), `mysql` (5.7/8.x) or `mariadb` (10.x/11.x). " +
					"The runner checks it against the server's reported flavor. Updates in place.",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(fromNames(api.DatabaseTypes)...)},
			},
			"host": schema.StringAttribute{
				MarkdownDescription: "Host name or IP address the runner connects to. Updates in place.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"port": schema.Int64Attribute{
				MarkdownDescription: "TCP port, 1..65535. Default `3306`. Updates in place.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(3306),
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
			},
			"username": schema.StringAttribute{
				MarkdownDescription: "Database account. The source account needs read access to the migrated objects (and replication " +
					"privileges for incremental migration); the destination account needs read and write access. Updates in place.",
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "Password of the account, stored in state (marked sensitive). Prefer `password_wo` with Terraform 1.11 or later. " +
					"Exactly one of `password` and `password_wo` is required. Updates in place.",
				Optional:  true,
				Sensitive: true,
			},
			"password_wo": schema.StringAttribute{
				MarkdownDescription: "Write-only password (Terraform 1.11 or later): sent to the runner, never stored in plan or state. " +
					"Change `password_wo_version` to send a new one.",
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
			},
			"password_wo_version": schema.Int64Attribute{
				MarkdownDescription: "Version of `password_wo`. Terraform cannot see a write-only value change; increase this number to " +
					"send the current `password_wo` to the runner. Updates in place.",
				Optional: true,
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "Optional metadata: the region where the database runs. Updates in place.",
				Optional:            true,
			},
			"instance_id": schema.StringAttribute{
				MarkdownDescription: "Optional metadata: the cloud instance or cluster id of the database. Updates in place.",
				Optional:            true,
			},
			"server_version":   computed("Server version reported by the database (`SELECT VERSION()`) when the connection was last tested."),
			"flavor":           computed("Server flavor detected from the version: `mysql` or `mariadb`."),
			"binlog_enabled":   schema.BoolAttribute{MarkdownDescription: "Whether the server writes a binary log (`@@log_bin`). Incremental migration needs it on the source.", Computed: true},
			"binlog_format":    computed("`@@binlog_format`; incremental migration needs `ROW` on the source."),
			"binlog_row_image": computed("`@@binlog_row_image`; incremental migration needs `FULL` on the source."),
			"gtid_mode":        computed("Whether the binlog carries GTIDs: MySQL's `@@gtid_mode`; `ON` for MariaDB with a binlog."),
			"connectivity": computed("`ok` when the runner could connect with the stored settings at the last refresh; otherwise why it " +
				"could not (for example a password changed on the server). Every refresh tests the connection again, and reads the " +
				"server facts above anew; a connection that fails its test shows as an update on the next plan, which tests the " +
				"configured settings."),
		},
		Blocks: map[string]schema.Block{
			"tls": schema.SingleNestedBlock{
				MarkdownDescription: "How the runner secures its connections to the database. Without this block, `mode = \"disabled\"`. " +
					"Updates in place.",
				Attributes: map[string]schema.Attribute{
					"mode": schema.StringAttribute{
						MarkdownDescription: "`disabled` (default): plain TCP. `preferred`: TLS when the server offers it. `required`: TLS, " +
							"without verifying the server's certificate. `verify_identity`: TLS, with a certificate that `ca_pem` (or the " +
							"system's roots) signed and that names `host`.",
						Optional:   true,
						Computed:   true,
						Default:    stringdefault.StaticString(tlsDisabled),
						Validators: []validator.String{stringvalidator.OneOf(tlsDisabled, "preferred", "required", tlsVerifyIdentity)},
					},
					"ca_pem": schema.StringAttribute{
						MarkdownDescription: "PEM bundle of the CA that signed the server's certificate, for `mode = \"verify_identity\"` " +
							"(the system's roots when not set). Stored in state, marked sensitive.",
						Optional:   true,
						Sensitive:  true,
						Validators: []validator.String{pemCertificates{}},
					},
				},
			},
		},
	}
}

func (r *connectionResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("password"), path.MatchRoot("password_wo")),
		resourcevalidator.Conflicting(path.MatchRoot("password"), path.MatchRoot("password_wo_version")),
		caPEMNeedsVerifyIdentity{},
	}
}

func (r *connectionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *connectionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, cfg connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec := plan.spec()
	spec.Password = firstSet(plan.Password.ValueString(), cfg.PasswordWO.ValueString())
	conn, err := r.client.CreateConnection(ctx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Connection Test Failed",
			fmt.Sprintf("The runner could not register connection %q: %v", plan.Name.ValueString(), err))
		return
	}
	plan.fill(conn)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *connectionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	conn, err := r.client.GetConnection(ctx, state.ID.ValueString())
	if api.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot Read Connection", fmt.Sprintf("Reading connection %s from the runner: %v", state.ID.ValueString(), err))
		return
	}
	// Test it again: a password or binlog setting changed on the server shows now.
	tested, err := r.client.TestConnection(ctx, conn.ID)
	var apiErr *api.Error
	switch {
	case err == nil:
		state.fill(tested)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity:
		state.fill(conn)
		state.Connectivity = types.StringValue(apiErr.Message)
	default:
		resp.Diagnostics.AddError("Cannot Read Connection", fmt.Sprintf("Testing connection %s on the runner: %v", conn.ID, err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// connectivityOK is the connectivity of a connection that passed its test.
const connectivityOK = "ok"

// ModifyPlan plans an update of a connection that failed its test at refresh, so that
// apply tests the configured settings again, and says why.
func (r *connectionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var connectivity, name types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("connectivity"), &connectivity)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &name)...)
	if resp.Diagnostics.HasError() || connectivity.IsNull() || connectivity.ValueString() == connectivityOK {
		return
	}
	resp.Diagnostics.AddWarning("Connection Test Failed",
		fmt.Sprintf("The runner can no longer connect with connection %q: %s\n\nIf the password changed on the server, set the new one "+
			"(with password_wo, also increase password_wo_version). Apply tests the configured settings again.", name.ValueString(), connectivity.ValueString()))
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("connectivity"), types.StringUnknown())...)
}

func (r *connectionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, cfg connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec := plan.spec()
	// An empty password keeps the one the runner holds.
	switch {
	case !plan.Password.Equal(state.Password):
		spec.Password = plan.Password.ValueString()
	case !plan.PasswordWOVersion.Equal(state.PasswordWOVersion):
		spec.Password = cfg.PasswordWO.ValueString()
	}
	conn, err := r.client.UpdateConnection(ctx, state.ID.ValueString(), spec)
	if err != nil {
		resp.Diagnostics.AddError("Connection Test Failed",
			fmt.Sprintf("The runner could not update connection %q: %v", plan.Name.ValueString(), err))
		return
	}
	plan.ID = state.ID
	plan.fill(conn)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *connectionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.client.DeleteConnection(ctx, state.ID.ValueString())
	if err != nil && !api.IsNotFound(err) {
		resp.Diagnostics.AddError("Cannot Delete Connection", fmt.Sprintf("Deleting connection %s: %v", state.ID.ValueString(), err))
	}
}

func (r *connectionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}

type connectionModel struct {
	ID                types.String `tfsdk:"id"`
	Name              types.String `tfsdk:"name"`
	DatabaseType      types.String `tfsdk:"database_type"`
	Host              types.String `tfsdk:"host"`
	Port              types.Int64  `tfsdk:"port"`
	Username          types.String `tfsdk:"username"`
	Password          types.String `tfsdk:"password"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
	Region            types.String `tfsdk:"region"`
	InstanceID        types.String `tfsdk:"instance_id"`
	ServerVersion     types.String `tfsdk:"server_version"`
	Flavor            types.String `tfsdk:"flavor"`
	BinlogEnabled     types.Bool   `tfsdk:"binlog_enabled"`
	BinlogFormat      types.String `tfsdk:"binlog_format"`
	BinlogRowImage    types.String `tfsdk:"binlog_row_image"`
	GTIDMode          types.String `tfsdk:"gtid_mode"`
	Connectivity      types.String `tfsdk:"connectivity"`
	TLS               *tlsModel    `tfsdk:"tls"`
}

type tlsModel struct {
	Mode  types.String `tfsdk:"mode"`
	CAPEM types.String `tfsdk:"ca_pem"`
}

// spec is the API request for the model, without any password.
func (m *connectionModel) spec() api.ConnectionSpec {
	spec := api.ConnectionSpec{
		Name:         m.Name.ValueString(),
		DatabaseType: api.DatabaseType(m.DatabaseType.ValueString()),
		Host:         m.Host.ValueString(),
		Port:         int(m.Port.ValueInt64()),
		Username:     m.Username.ValueString(),
		Region:       m.Region.ValueString(),
		InstanceID:   m.InstanceID.ValueString(),
	}
	if m.TLS != nil {
		spec.TLS = &api.TLSConfig{Mode: m.TLS.Mode.ValueString(), CAPEM: m.TLS.CAPEM.ValueString()}
	}
	return spec
}

// fill copies what the runner returned into the model. Passwords stay as they are: the
// runner never returns them, and password_wo is always null outside the config.
func (m *connectionModel) fill(c api.Connection) {
	m.ID = types.StringValue(c.ID)
	m.Name = types.StringValue(c.Name)
	m.DatabaseType = types.StringValue(string(c.DatabaseType))
	m.Host = types.StringValue(c.Host)
	m.Port = types.Int64Value(int64(c.Port))
	m.Username = types.StringValue(c.Username)
	m.Region = optionalString(c.Region)
	m.InstanceID = optionalString(c.InstanceID)
	m.PasswordWO = types.StringNull()
	m.ServerVersion = types.StringValue(c.Server.ServerVersion)
	m.Flavor = types.StringValue(c.Server.Flavor)
	m.BinlogEnabled = types.BoolValue(c.Server.BinlogEnabled)
	m.BinlogFormat = types.StringValue(c.Server.BinlogFormat)
	m.BinlogRowImage = types.StringValue(c.Server.BinlogRowImage)
	m.GTIDMode = types.StringValue(c.Server.GTIDMode)
	m.Connectivity = types.StringValue(connectivityOK)
	m.TLS = nil
	if c.TLS != nil {
		m.TLS = &tlsModel{Mode: types.StringValue(c.TLS.Mode), CAPEM: optionalString(c.TLS.CAPEM)}
	}
}

// TLS modes the runner knows; the others are only listed in the schema.
const (
	tlsDisabled       = "disabled"
	tlsVerifyIdentity = "verify_identity"
)

// pemCertificates checks that a string holds at least one PEM certificate.
type pemCertificates struct{}

func (pemCertificates) Description(context.Context) string {
	return "must hold one or more PEM certificates"
}

func (v pemCertificates) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (pemCertificates) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if !x509.NewCertPool().AppendCertsFromPEM([]byte(req.ConfigValue.ValueString())) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid CA Certificate",
			"ca_pem holds no PEM certificate. Paste the CA bundle that signed the server's certificate, "+
				"from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----, for example with file(\"ca.pem\").")
	}
}

// caPEMNeedsVerifyIdentity refuses a ca_pem that the TLS mode would ignore.
type caPEMNeedsVerifyIdentity struct{}

func (caPEMNeedsVerifyIdentity) Description(context.Context) string {
	return "tls.ca_pem only with tls.mode = \"verify_identity\""
}

func (v caPEMNeedsVerifyIdentity) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (caPEMNeedsVerifyIdentity) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var mode, caPEM types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("tls").AtName("mode"), &mode)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("tls").AtName("ca_pem"), &caPEM)...)
	if resp.Diagnostics.HasError() || mode.IsUnknown() || caPEM.IsNull() || caPEM.IsUnknown() {
		return
	}
	if m := cmp.Or(mode.ValueString(), tlsDisabled); m != tlsVerifyIdentity {
		resp.Diagnostics.AddAttributeError(path.Root("tls").AtName("ca_pem"), "CA Certificate Not Used",
			fmt.Sprintf("ca_pem verifies the server's certificate, which only tls.mode = %q does; mode is %q. "+
				"Set mode = %q, or remove ca_pem.", tlsVerifyIdentity, m, tlsVerifyIdentity))
	}
}

// optionalString maps the API's "" (absent) to null, so that an unset optional argument
// reads back as unset.
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
