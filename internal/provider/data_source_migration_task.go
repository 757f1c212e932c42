package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

var (
	_ datasource.DataSource              = (*migrationTaskDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*migrationTaskDataSource)(nil)
)

// NewMigrationTaskDataSource returns the adbmigrate_migration_task data source.
func NewMigrationTaskDataSource() datasource.DataSource { return &migrationTaskDataSource{} }

type migrationTaskDataSource struct {
	client *api.Client
}

func (d *migrationTaskDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_migration_task"
}

func (d *migrationTaskDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The status of a migration task, by id, as the runner reports it now: for tasks managed in another " +
			"configuration, or to watch a task with incremental migration (its latency, binlog position and verification) " +
			"between applies. Reading it changes nothing.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Id of the task, as in `adbmigrate_migration_task.<name>.id`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"name": str("Task name."),
			"status": str("Task status: `NotStarted`, `Prechecking`, `PrecheckFailed`, `SchemaMigrating`, `FullMigrating`, " +
				"`Running`, `Retrying`, `Stopped`, `Completed` or `Failed`."),
			"phase": str("Phase the task is in or ended in: `precheck`, `schema`, `full` or `incremental`."),
			"progress_percent": schema.Float64Attribute{
				MarkdownDescription: "Share of the source rows copied by the full migration, 0..100, by the source's row estimates.",
				Computed:            true,
			},
			"rows_migrated": schema.Int64Attribute{MarkdownDescription: "Rows written to the destination by the full migration.", Computed: true},
			"binlog_file":   str("Source binlog file of the task's position: recorded before the full copy, then the last applied change."),
			"binlog_position": schema.Int64Attribute{
				MarkdownDescription: "Source binlog offset of the task's position.",
				Computed:            true,
			},
			"gtid_set": str("Source GTID set at the task's position (empty without GTIDs)."),
			"latency_seconds": schema.Float64Attribute{
				MarkdownDescription: "Seconds the destination is behind the source during incremental migration; 0 otherwise.",
				Computed:            true,
			},
			"error_message": str("Why the task failed, with what to do about it; empty otherwise."),
			"precheck": schema.ListNestedAttribute{
				MarkdownDescription: "Results of the last precheck: one item per check.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":    str("Item name, as used in `ignore_precheck_alerts`."),
					"status":  str("`passed`, `alert` or `failed`."),
					"message": str("What the check found."),
					"remedy":  str("What to do about it."),
				}},
			},
			"verification": schema.SingleNestedAttribute{
				MarkdownDescription: "Results of data verification so far; null until verification has run.",
				Computed:            true,
				Attributes:          dataSourceAttributes(verificationAttributes()),
			},
			"started_at":  str("When the task's current run started (RFC 3339, UTC); null until it first starts."),
			"finished_at": str("When the task's last run ended (RFC 3339, UTC); null while it runs or before it ran."),
			"updated_at":  str("When the runner last changed the task's status or progress (RFC 3339, UTC)."),
		},
	}
}

func (d *migrationTaskDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *migrationTaskDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m migrationTaskDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.client == nil {
		resp.Diagnostics.AddError("Provider Not Configured",
			"The adbmigrate provider has no runner endpoint and token yet, so the task cannot be read. Set them in the provider block or in "+
				"ADBMIGRATE_ENDPOINT and ADBMIGRATE_TOKEN.")
		return
	}
	task, err := d.client.GetTask(ctx, m.ID.ValueString())
	if api.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Migration Task Not Found",
			fmt.Sprintf("The runner has no task %q. Check the id (terraform state show on the task resource, or GET /v1/tasks on the runner).", m.ID.ValueString()))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot Read Migration Task", fmt.Sprintf("Reading task %s from the runner: %v", m.ID.ValueString(), err))
		return
	}
	m.Name = types.StringValue(task.Name)
	resp.Diagnostics.Append(m.fillState(ctx, task.State)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

type migrationTaskDataModel struct {
	ID   types.String `tfsdk:"id"`
	Name types.String `tfsdk:"name"`
	taskStatusModel
}
