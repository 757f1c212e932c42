package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
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
		},
		Blocks: map[string]schema.Block{
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
	if task.State.Status != api.StatusCompleted {
		diags.AddError("Migration Task "+task.State.Status,
			fmt.Sprintf("Task %s (%s) ended with status %s: %s", task.ID, task.Name, task.State.Status, task.State.ErrorMessage))
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

type taskModel struct {
	ID                      types.String  `tfsdk:"id"`
	Name                    types.String  `tfsdk:"name"`
	SourceConnectionID      types.String  `tfsdk:"source_connection_id"`
	DestinationConnectionID types.String  `tfsdk:"destination_connection_id"`
	MigrationTypes          types.Set     `tfsdk:"migration_types"`
	DesiredStatus           types.String  `tfsdk:"desired_status"`
	Objects                 []objectModel `tfsdk:"object"`
	Status                  types.String  `tfsdk:"status"`
	Phase                   types.String  `tfsdk:"phase"`
	ProgressPercent         types.Float64 `tfsdk:"progress_percent"`
	RowsMigrated            types.Int64   `tfsdk:"rows_migrated"`
	BinlogFile              types.String  `tfsdk:"binlog_file"`
	BinlogPosition          types.Int64   `tfsdk:"binlog_position"`
	GTIDSet                 types.String  `tfsdk:"gtid_set"`
	ErrorMessage            types.String  `tfsdk:"error_message"`
}

type objectModel struct {
	Database types.String `tfsdk:"database"`
	RenameTo types.String `tfsdk:"rename_to"`
	Tables   []tableModel `tfsdk:"table"`
}

type tableModel struct {
	Name     types.String `tfsdk:"name"`
	RenameTo types.String `tfsdk:"rename_to"`
}

func (m *taskModel) spec(ctx context.Context) (api.TaskSpec, diag.Diagnostics) {
	var migrationTypes []string
	diags := m.MigrationTypes.ElementsAs(ctx, &migrationTypes, false)
	spec := api.TaskSpec{
		Name:                    m.Name.ValueString(),
		SourceConnectionID:      m.SourceConnectionID.ValueString(),
		DestinationConnectionID: m.DestinationConnectionID.ValueString(),
		MigrationTypes:          migrationTypes,
		DesiredStatus:           m.DesiredStatus.ValueString(),
	}
	for _, o := range m.Objects {
		obj := api.Object{Database: o.Database.ValueString(), RenameTo: o.RenameTo.ValueString()}
		for _, t := range o.Tables {
			obj.Tables = append(obj.Tables, api.Table{Name: t.Name.ValueString(), RenameTo: t.RenameTo.ValueString()})
		}
		spec.Objects = append(spec.Objects, obj)
	}
	return spec, diags
}

// fill copies the runner's view of the task into the model.
func (m *taskModel) fill(ctx context.Context, t api.Task) diag.Diagnostics {
	mt, diags := types.SetValueFrom(ctx, types.StringType, t.MigrationTypes)
	m.ID = types.StringValue(t.ID)
	m.Name = types.StringValue(t.Name)
	m.SourceConnectionID = types.StringValue(t.SourceConnectionID)
	m.DestinationConnectionID = types.StringValue(t.DestinationConnectionID)
	m.MigrationTypes = mt
	m.DesiredStatus = types.StringValue(t.DesiredStatus)
	m.Objects = make([]objectModel, 0, len(t.Objects))
	for _, o := range t.Objects {
		om := objectModel{Database: types.StringValue(o.Database), RenameTo: optionalString(o.RenameTo), Tables: []tableModel{}}
		for _, tb := range o.Tables {
			om.Tables = append(om.Tables, tableModel{Name: types.StringValue(tb.Name), RenameTo: optionalString(tb.RenameTo)})
		}
		m.Objects = append(m.Objects, om)
	}
	s := t.State
	m.Status = types.StringValue(s.Status)
	m.Phase = types.StringValue(s.Phase)
	m.ProgressPercent = types.Float64Value(s.ProgressPercent)
	m.RowsMigrated = types.Int64Value(s.RowsMigrated)
	m.BinlogFile = types.StringValue(s.Position.File)
	m.BinlogPosition = types.Int64Value(int64(s.Position.Pos))
	m.GTIDSet = types.StringValue(s.Position.GTIDSet)
	m.ErrorMessage = types.StringValue(s.ErrorMessage)
	return diags
}
