package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

var (
	_ datasource.DataSource              = (*precheckDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*precheckDataSource)(nil)
)

// NewPrecheckDataSource returns the adbmigrate_precheck data source.
func NewPrecheckDataSource() datasource.DataSource { return &precheckDataSource{} }

type precheckDataSource struct {
	client *api.Client
}

type precheckModel struct {
	SourceConnectionID            types.String  `tfsdk:"source_connection_id"`
	DestinationConnectionID       types.String  `tfsdk:"destination_connection_id"`
	MigrationTypes                types.Set     `tfsdk:"migration_types"`
	ConflictHandling              types.String  `tfsdk:"conflict_handling"`
	MergeTables                   types.Bool    `tfsdk:"merge_tables"`
	IgnorePrecheckAlerts          types.Set     `tfsdk:"ignore_precheck_alerts"`
	RetryTimeForFailedConnections types.Int64   `tfsdk:"retry_time_for_failed_connections"`
	FailOnBlocking                types.Bool    `tfsdk:"fail_on_blocking"`
	Objects                       []objectModel `tfsdk:"object"`
	Passed                        types.Bool    `tfsdk:"passed"`
	Blocking                      types.List    `tfsdk:"blocking"`
	Items                         types.List    `tfsdk:"items"`
}

func (d *precheckDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_precheck"
}

func (d *precheckDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	// The object blocks are the migration task's, so that a task's selection can be checked
	// by copying it here.
	var task resource.SchemaResponse
	(&migrationTaskResource{}).Schema(ctx, resource.SchemaRequest{}, &task)
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Runs the precheck of a would-be `adbmigrate_migration_task` on the runner, without creating the task and " +
			"without writing to either database, when Terraform reads data sources: at `terraform plan` when every argument is known " +
			"(connection ids of connections that already exist), otherwise during apply. By default a blocking item (a failure, or an " +
			"alert not in `ignore_precheck_alerts`) fails the read, so a CI pipeline fails on `terraform plan`; with " +
			"`fail_on_blocking = false` the results are only reported, for policy checks on the plan.",
		Attributes: map[string]schema.Attribute{
			"source_connection_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `adbmigrate_connection` the task would read from.",
				Required:            true,
			},
			"destination_connection_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `adbmigrate_connection` the task would write to.",
				Required:            true,
			},
			"migration_types": schema.SetAttribute{
				MarkdownDescription: "As in the task: `schema`, `full` and `incremental`. `incremental` adds the binlog checks.",
				Required:            true,
				ElementType:         types.StringType,
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(fromNames(api.MigrationTypes)...)),
				},
			},
			"conflict_handling": schema.StringAttribute{
				MarkdownDescription: "As in the task: `precheck_and_report_errors` (default) or `ignore_errors_and_proceed`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(fromNames(api.ConflictHandlings)...)},
			},
			"merge_tables": schema.BoolAttribute{
				MarkdownDescription: "As in the task. Default false.",
				Optional:            true,
			},
			"ignore_precheck_alerts": schema.SetAttribute{
				MarkdownDescription: "Names of alert-level items to accept, as in the task.",
				Optional:            true,
				ElementType:         types.StringType,
				Validators:          []validator.Set{setvalidator.ValueStringsAre(stringvalidator.OneOf(vocab.PrecheckItems()...))},
			},
			"retry_time_for_failed_connections": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("As in the task, in minutes (%d..%d, default %d): the binlog retention check compares with it.",
					api.MinRetryTimeForFailedConnections, api.MaxRetryTime, api.DefaultRetryTimeForFailedConnections),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(api.MinRetryTimeForFailedConnections, api.MaxRetryTime)},
			},
			"fail_on_blocking": schema.BoolAttribute{
				MarkdownDescription: "Fail the read, and so the plan, with one error per blocking item naming its remedy. Default true.",
				Optional:            true,
			},
			"passed": schema.BoolAttribute{
				MarkdownDescription: "True when no item would block the task.",
				Computed:            true,
			},
			"blocking": schema.ListAttribute{
				MarkdownDescription: "Names of the items that would block the task.",
				Computed:            true,
				ElementType:         types.StringType,
			},
			"items": schema.ListNestedAttribute{
				MarkdownDescription: "Every precheck item.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":    str("Item name, as used in `ignore_precheck_alerts`."),
					"status":  str("`passed`, `alert` or `failed`."),
					"message": str("What the check found."),
					"remedy":  str("What to do about it."),
				}},
			},
		},
		Blocks: map[string]schema.Block{
			"object": withDescription(dataSourceBlock(task.Schema.Blocks["object"]),
				"A source database the task would migrate, exactly as in `adbmigrate_migration_task`. At least one."),
		},
	}
}

func (d *precheckDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *precheckDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m precheckModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.client == nil {
		resp.Diagnostics.AddError("Provider Not Configured",
			"The adbmigrate provider has no runner endpoint and token yet, so the precheck cannot run. Set them in the provider block or in "+
				"ADBMIGRATE_ENDPOINT and ADBMIGRATE_TOKEN.")
		return
	}
	task := taskModel{
		SourceConnectionID: m.SourceConnectionID, DestinationConnectionID: m.DestinationConnectionID,
		MigrationTypes: m.MigrationTypes, ConflictHandling: m.ConflictHandling, MergeTables: m.MergeTables,
		IgnorePrecheckAlerts: m.IgnorePrecheckAlerts, RetryTimeForFailedConnections: m.RetryTimeForFailedConnections,
		DMLOperations: types.SetNull(types.StringType), DDLOperations: types.SetNull(types.StringType), Objects: m.Objects,
	}
	spec, diags := task.spec(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	res, err := d.client.Precheck(ctx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Precheck Not Run", fmt.Sprintf("The runner could not run the precheck: %v", err))
		return
	}
	m.Passed = types.BoolValue(res.Passed)
	blocking, diags := types.ListValueFrom(ctx, types.StringType, res.Blocking)
	resp.Diagnostics.Append(diags...)
	m.Blocking = blocking
	m.Items = precheckItemsValue(ctx, res.Items, &resp.Diagnostics)
	if !res.Passed && (m.FailOnBlocking.IsNull() || m.FailOnBlocking.ValueBool()) {
		precheckItemDiagnostics(res.Items, spec.IgnorePrecheckAlerts, &resp.Diagnostics)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func withDescription(b schema.ListNestedBlock, desc string) schema.ListNestedBlock {
	b.MarkdownDescription = desc
	return b
}

// dataSourceBlock turns a resource's list block into the same block for a data source:
// names, types, descriptions and validators carry over; plan modifiers and defaults, which
// data sources do not have, are left out.
func dataSourceBlock(b rschema.Block) schema.ListNestedBlock {
	lb := b.(rschema.ListNestedBlock)
	out := schema.ListNestedBlock{
		MarkdownDescription: lb.MarkdownDescription,
		Validators:          lb.Validators,
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{},
			Blocks:     map[string]schema.Block{},
		},
	}
	out.NestedObject.Attributes = dataSourceAttributes(lb.NestedObject.Attributes)
	for name, nb := range lb.NestedObject.Blocks {
		out.NestedObject.Blocks[name] = dataSourceBlock(nb)
	}
	return out
}

// dataSourceAttributes is dataSourceAttribute of each attribute.
func dataSourceAttributes(attrs map[string]rschema.Attribute) map[string]schema.Attribute {
	out := make(map[string]schema.Attribute, len(attrs))
	for name, a := range attrs {
		out[name] = dataSourceAttribute(a)
	}
	return out
}

func dataSourceAttribute(a rschema.Attribute) schema.Attribute {
	switch a := a.(type) {
	case rschema.StringAttribute:
		return schema.StringAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Validators: a.Validators}
	case rschema.Int64Attribute:
		return schema.Int64Attribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Validators: a.Validators}
	case rschema.BoolAttribute:
		return schema.BoolAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Validators: a.Validators}
	case rschema.ListAttribute:
		return schema.ListAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional, Computed: a.Computed, ElementType: a.ElementType, Validators: a.Validators}
	case rschema.MapAttribute:
		return schema.MapAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional, Computed: a.Computed, ElementType: a.ElementType, Validators: a.Validators}
	case rschema.SetAttribute:
		return schema.SetAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional, Computed: a.Computed, ElementType: a.ElementType, Validators: a.Validators}
	case rschema.ListNestedAttribute:
		return schema.ListNestedAttribute{MarkdownDescription: a.MarkdownDescription, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			NestedObject: schema.NestedAttributeObject{Attributes: dataSourceAttributes(a.NestedObject.Attributes)}}
	}
	panic(fmt.Sprintf("dataSourceAttribute: no data source form for %T", a))
}
