package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

var (
	_ resource.Resource                = (*migrationTaskResource)(nil)
	_ resource.ResourceWithConfigure   = (*migrationTaskResource)(nil)
	_ resource.ResourceWithImportState = (*migrationTaskResource)(nil)
)

// pollInterval is how often apply asks the runner for a task's status while it waits.
const pollInterval = time.Second

// NewMigrationTaskResource returns the adbmigrate_migration_task resource.
func NewMigrationTaskResource() resource.Resource { return &migrationTaskResource{} }

type migrationTaskResource struct {
	client *api.Client
}

func (r *migrationTaskResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_migration_task"
}

func (r *migrationTaskResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	stable := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A migration task run by the adbmigrate-runner: schema migration and full data migration of the selected " +
			"databases and tables from the source connection to the destination connection. Apply waits until a full-only task is " +
			"`Completed`; a task that fails makes apply fail with the runner's message.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Task id assigned by the runner; use it to import.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Task name; need not be unique. Generated from the id when not set. Updates in place.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       stable,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 128)},
			},
			"source_connection_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `adbmigrate_connection` to read from. Changing it replaces the task.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"destination_connection_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `adbmigrate_connection` to write to. Changing it replaces the task.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"migration_types": schema.SetAttribute{
				MarkdownDescription: "What the task does: `schema` (create databases and tables on the destination) and `full` " +
					"(copy all existing rows). Changing it replaces the task.",
				Required:      true,
				ElementType:   types.StringType,
				PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(api.MigrationSchema, api.MigrationFull, api.MigrationIncremental)),
				},
			},
			"desired_status": schema.StringAttribute{
				MarkdownDescription: "`running` (default) runs the task; `stopped` stops it. Updates in place.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(api.DesiredRunning),
				Validators:          []validator.String{stringvalidator.OneOf(api.DesiredRunning, api.DesiredStopped)},
			},
			"status": schema.StringAttribute{
				MarkdownDescription: "Task status: `NotStarted`, `Prechecking`, `PrecheckFailed`, `SchemaMigrating`, `FullMigrating`, " +
					"`Running`, `Retrying`, `Stopped`, `Completed` or `Failed`.",
				Computed:      true,
				PlanModifiers: stable,
			},
			"phase": schema.StringAttribute{
				MarkdownDescription: "Phase the task is in or ended in: `schema` or `full`.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"progress_percent": schema.Float64Attribute{
				MarkdownDescription: "Share of the source rows copied, 0..100, by the source's row estimates.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Float64{float64planmodifier.UseStateForUnknown()},
			},
			"rows_migrated": schema.Int64Attribute{
				MarkdownDescription: "Rows written to the destination by the full migration.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"binlog_file": schema.StringAttribute{
				MarkdownDescription: "Source binlog file of the position recorded before the full copy started.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"binlog_position": schema.Int64Attribute{
				MarkdownDescription: "Source binlog offset of the position recorded before the full copy started.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"gtid_set": schema.StringAttribute{
				MarkdownDescription: "Source GTID set at the position recorded before the full copy started (empty without GTIDs).",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"error_message": schema.StringAttribute{
				MarkdownDescription: "Why the task failed, with what to do about it; empty otherwise.",
				Computed:            true,
				PlanModifiers:       stable,
			},
			"conflict_handling": schema.StringAttribute{
				MarkdownDescription: "What to do about destination tables that already exist. `precheck_and_report_errors` (default): the precheck " +
					"fails and the task does not start. `ignore_errors_and_proceed`: no check; during full migration destination rows with the same key are " +
					"kept (the source rows are not migrated), and when schemas differ only matching columns are migrated. Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(api.ConflictReport),
				Validators:    []validator.String{stringvalidator.OneOf(api.ConflictReport, api.ConflictIgnore)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"merge_tables": schema.BoolAttribute{
				MarkdownDescription: "Merge every selected table into one destination table (give them the same `rename_to`); a `__dts_data_source` " +
					"column holds each row's source `database.table` and joins the primary key. Only without incremental migration. Default `false`. " +
					"Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				Default:       booldefault.StaticBool(false),
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"instance_class": schema.StringAttribute{
				MarkdownDescription: "Sets the parallelism of the full copy: `small` (2 workers), `medium` (4, default), `large` (8), `xlarge` (16), " +
					"`2xlarge` (32). Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(api.DefaultInstanceClass),
				Validators:    []validator.String{stringvalidator.OneOf("small", "medium", "large", "xlarge", "2xlarge")},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"ignore_precheck_alerts": schema.SetAttribute{
				MarkdownDescription: "Names of alert-level precheck items to accept (for example `primary_key` or `destination_disk_space`); " +
					"every other alert stops the task like a failure. Ignoring alerts may cause data inconsistency. Updates in place.",
				Optional:    true,
				ElementType: types.StringType,
			},
			"precheck": schema.ListNestedAttribute{
				MarkdownDescription: "Results of the last precheck: one item per check, with `name`, `status` (`passed`, `alert` or `failed`), `message` and `remedy`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":    schema.StringAttribute{Computed: true, MarkdownDescription: "Item name, as used in `ignore_precheck_alerts`."},
					"status":  schema.StringAttribute{Computed: true, MarkdownDescription: "`passed`, `alert` or `failed`."},
					"message": schema.StringAttribute{Computed: true, MarkdownDescription: "What the check found."},
					"remedy":  schema.StringAttribute{Computed: true, MarkdownDescription: "What to do about it."},
				}},
			},
			"table_progress": schema.ListNestedAttribute{
				MarkdownDescription: "Full-migration progress per source table.",
				Computed:            true,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"database":      schema.StringAttribute{Computed: true, MarkdownDescription: "Source database."},
					"table":         schema.StringAttribute{Computed: true, MarkdownDescription: "Source table."},
					"rows_migrated": schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows written to the destination."},
					"rows_total":    schema.Int64Attribute{Computed: true, MarkdownDescription: "The source's row estimate."},
					"done":          schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the table's copy is complete."},
				}},
			},
		},
		Blocks: map[string]schema.Block{
			"full_throttling": schema.SingleNestedBlock{
				MarkdownDescription: "Limits the full migration to reduce the load on both databases. Unset or 0 means unlimited. Updates in place, " +
					"also on a running task.",
				Attributes: map[string]schema.Attribute{
					"source_qps": schema.Int64Attribute{
						MarkdownDescription: "Queries per second sent to the source.",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.AtLeast(1)},
					},
					"rps": schema.Int64Attribute{
						MarkdownDescription: "Rows per second written to the destination.",
						Optional:            true,
						Validators:          []validator.Int64{int64validator.AtLeast(1)},
					},
					"mbps": schema.Float64Attribute{
						MarkdownDescription: "MiB per second written to the destination.",
						Optional:            true,
						Validators:          []validator.Float64{float64validator.AtLeast(0.01)},
					},
				},
			},
			"object": schema.ListNestedBlock{
				MarkdownDescription: "A source database to migrate. At least one. Changing the selection replaces the task.",
				Validators:          []validator.List{listvalidator.SizeAtLeast(1)},
				PlanModifiers:       []planmodifier.List{listplanmodifier.RequiresReplace()},
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"database": schema.StringAttribute{
							MarkdownDescription: "Source database name.",
							Required:            true,
							Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
						},
						"rename_to": schema.StringAttribute{
							MarkdownDescription: "Destination database name; the source name when not set.",
							Optional:            true,
							Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
						},
					},
					Blocks: map[string]schema.Block{
						"table": schema.ListNestedBlock{
							MarkdownDescription: "A table of the database to migrate. Without table blocks, every table of the database is migrated.",
							NestedObject: schema.NestedBlockObject{
								Attributes: map[string]schema.Attribute{
									"name": schema.StringAttribute{
										MarkdownDescription: "Source table name.",
										Required:            true,
										Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
									},
									"rename_to": schema.StringAttribute{
										MarkdownDescription: "Destination table name; the source name when not set.",
										Optional:            true,
										Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
									},
									"where": schema.StringAttribute{
										MarkdownDescription: "Migrate only the rows matching this boolean SQL expression over the source columns, " +
											"for example `status <> 'deleted' AND id > 100`. Checked by the SQL parser at plan time; subqueries and statements are refused.",
										Optional: true,
									},
									"columns": schema.ListAttribute{
										MarkdownDescription: "Source columns to migrate; all when not set. Must include the table's key columns.",
										Optional:            true,
										ElementType:         types.StringType,
										Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
									},
									"table_type": schema.StringAttribute{
										MarkdownDescription: "Destination table type for AnalyticDB: `fact` (partitioned, `DISTRIBUTED BY HASH`) or " +
											"`dimension` (replicated, `DISTRIBUTED BY BROADCAST`; for small tables).",
										Optional:   true,
										Validators: []validator.String{stringvalidator.OneOf("fact", "dimension")},
									},
									"primary_key": schema.ListAttribute{
										MarkdownDescription: "Destination primary key columns. A composite key must include the distribution key and the partition key.",
										Optional:            true,
										ElementType:         types.StringType,
										Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
									},
									"distribution_key": schema.ListAttribute{
										MarkdownDescription: "Destination distribution key columns (AnalyticDB `DISTRIBUTED BY HASH`); the primary key when not set.",
										Optional:            true,
										ElementType:         types.StringType,
										Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
									},
									"partition_key": schema.StringAttribute{
										MarkdownDescription: "Destination partition key column (AnalyticDB `PARTITION BY VALUE`).",
										Optional:            true,
									},
									"partition_rule": schema.StringAttribute{
										MarkdownDescription: "How the partition key becomes a partition value: `value` (the column itself), `day`, `month` or `year` " +
											"(`DATE_FORMAT` of a date column with `%Y%m%d`, `%Y%m` or `%Y`). Default `value`.",
										Optional:   true,
										Validators: []validator.String{stringvalidator.OneOf("value", "day", "month", "year")},
									},
									"partition_lifecycle": schema.Int64Attribute{
										MarkdownDescription: "Number of partitions AnalyticDB keeps (`LIFECYCLE n`): those with the largest partition values.",
										Optional:            true,
										Validators:          []validator.Int64{int64validator.AtLeast(1)},
									},
								},
								Blocks: map[string]schema.Block{
									"column": schema.ListNestedBlock{
										MarkdownDescription: "Renames a column on the destination.",
										NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
											"name": schema.StringAttribute{
												MarkdownDescription: "Source column name.",
												Required:            true,
											},
											"rename_to": schema.StringAttribute{
												MarkdownDescription: "Destination column name.",
												Required:            true,
												Validators:          []validator.String{stringvalidator.LengthBetween(1, 64)},
											},
										}},
									},
								},
							},
						},
					},
				},
			},
		},
	}
}

func (r *migrationTaskResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *migrationTaskResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan taskModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec, diags := plan.spec(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	task, err := r.client.CreateTask(ctx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Cannot Create Migration Task", fmt.Sprintf("The runner refused the task: %v", err))
		return
	}
	// Save the task before waiting: if the wait fails, Terraform still knows the task exists
	// (and marks it tainted, so the next apply replaces it).
	resp.Diagnostics.Append(plan.fill(ctx, task)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.wait(ctx, &plan, task, &resp.State, &resp.Diagnostics)
}

func (r *migrationTaskResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state taskModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	task, err := r.client.GetTask(ctx, state.ID.ValueString())
	if api.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot Read Migration Task", fmt.Sprintf("Reading task %s from the runner: %v", state.ID.ValueString(), err))
		return
	}
	resp.Diagnostics.Append(state.fill(ctx, task)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *migrationTaskResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state taskModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec, diags := plan.spec(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	task, err := r.client.UpdateTask(ctx, state.ID.ValueString(), spec)
	if err != nil {
		resp.Diagnostics.AddError("Cannot Update Migration Task", fmt.Sprintf("The runner refused the change to task %s: %v", state.ID.ValueString(), err))
		return
	}
	resp.Diagnostics.Append(plan.fill(ctx, task)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.wait(ctx, &plan, task, &resp.State, &resp.Diagnostics)
}

func (r *migrationTaskResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state taskModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.client.DeleteTask(ctx, state.ID.ValueString())
	if err != nil && !api.IsNotFound(err) {
		resp.Diagnostics.AddError("Cannot Delete Migration Task", fmt.Sprintf("Deleting task %s: %v", state.ID.ValueString(), err))
	}
}

func (r *migrationTaskResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}

// wait polls the runner until a running task ends, saving each status it sees, and reports
// a failed task as an error with the runner's message.
func (r *migrationTaskResource) wait(ctx context.Context, m *taskModel, task api.Task, state *tfsdk.State, diags *diag.Diagnostics) {
	if task.DesiredStatus == api.DesiredStopped {
		return
	}
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for !final(task.State.Status) {
		select {
		case <-ctx.Done():
			diags.AddError("Migration Task Still Running",
				fmt.Sprintf("Stopped waiting for task %s (%s): %v. The task keeps running in the runner; run terraform apply again to wait for it.",
					task.ID, task.State.Status, ctx.Err()))
			return
		case <-ticker.C:
		}
		var err error
		if task, err = r.client.GetTask(ctx, task.ID); err != nil {
			diags.AddError("Cannot Read Migration Task", fmt.Sprintf("Waiting for task %s: %v", m.ID.ValueString(), err))
			return
		}
	}
	diags.Append(m.fill(ctx, task)...)
	diags.Append(state.Set(ctx, m)...)
	switch task.State.Status {
	case api.StatusCompleted:
	case api.StatusPrecheckFailed:
		precheckDiagnostics(task, diags)
	default:
		diags.AddError("Migration Task "+task.State.Status,
			fmt.Sprintf("Task %s (%s) ended with status %s: %s", task.ID, task.Name, task.State.Status, task.State.ErrorMessage))
	}
}

// precheckDiagnostics reports each precheck item that stopped the task: every failure, and
// every alert not listed in ignore_precheck_alerts.
func precheckDiagnostics(task api.Task, diags *diag.Diagnostics) {
	n := 0
	for _, item := range task.State.Precheck {
		if item.Status == "passed" || (item.Status == "alert" && slices.Contains(task.IgnorePrecheckAlerts, item.Name)) {
			continue
		}
		detail := item.Message
		if item.Remedy != "" {
			detail += "\n\nRemedy: " + item.Remedy
		}
		if item.Status == "alert" {
			detail += fmt.Sprintf("\n\nThis is an alert: to accept it, add %q to ignore_precheck_alerts.", item.Name)
		}
		diags.AddError(fmt.Sprintf("Precheck %s: %s", strings.ToUpper(item.Status[:1])+item.Status[1:], item.Name), detail)
		n++
	}
	if n == 0 {
		diags.AddError("Precheck Failed", fmt.Sprintf("Task %s did not pass its precheck: %s", task.ID, task.State.ErrorMessage))
	}
}

// final reports whether a status no longer changes without a start or a stop.
func final(status string) bool {
	switch status {
	case api.StatusCompleted, api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
		return true
	}
	return false
}
