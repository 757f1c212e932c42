package provider

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

var (
	_ resource.Resource                     = (*migrationTaskResource)(nil)
	_ resource.ResourceWithConfigure        = (*migrationTaskResource)(nil)
	_ resource.ResourceWithImportState      = (*migrationTaskResource)(nil)
	_ resource.ResourceWithConfigValidators = (*migrationTaskResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*migrationTaskResource)(nil)
)

const (
	// pollInterval is how often apply asks the runner for a task's status while it waits.
	pollInterval = time.Second
	// defaultTimeout bounds apply's wait for a task when timeouts does not say otherwise.
	defaultTimeout = 60 * time.Minute
)

// NewMigrationTaskResource returns the adbmigrate_migration_task resource.
func NewMigrationTaskResource() resource.Resource { return &migrationTaskResource{} }

type migrationTaskResource struct {
	client *api.Client
}

func (r *migrationTaskResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_migration_task"
}

func (r *migrationTaskResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan makes the run state unknown when apply will change it: on an update, and when
// the last apply stopped waiting for a task that is still on its way (the plan then shows an
// in-place update, whose apply waits again).
func (r *migrationTaskResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		// Create: everything computed is unknown already. Destroy: nothing to plan.
		return
	}
	// Single attributes rather than the whole model: a plan may hold unknown blocks.
	var status, desired types.String
	var migrationTypes types.Set
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("status"), &status)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("migration_types"), &migrationTypes)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("desired_status"), &desired)...)
	if resp.Diagnostics.HasError() {
		return
	}
	incremental := slices.Contains(namesOf[api.MigrationType](ctx, migrationTypes, &resp.Diagnostics), api.MigrationIncremental)
	waiting := api.DesiredStatus(desired.ValueString()) == api.DesiredRunning && !settled(api.Status(status.ValueString()), incremental)
	// Drift: a task that should run but failed, failed its precheck, or was stopped is
	// started again by the update (api.Restartable), after the cause has been fixed.
	restart := api.DesiredStatus(desired.ValueString()) == api.DesiredRunning && api.Restartable(api.Status(status.ValueString()))
	if req.Plan.Raw.Equal(req.State.Raw) && !waiting && !restart {
		return
	}
	if restart {
		var msg types.String
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("error_message"), &msg)...)
		detail := fmt.Sprintf("The task is %s although desired_status is %q", status.ValueString(), api.DesiredRunning)
		if msg.ValueString() != "" {
			detail += ": " + msg.ValueString()
		}
		resp.Diagnostics.AddWarning("Migration Task Not Running",
			detail+". Apply starts it again; it resumes from its checkpoints. Set desired_status = \"stopped\" to keep it stopped.")
	}
	for name, unknown := range map[string]attr.Value{
		"status": types.StringUnknown(), "phase": types.StringUnknown(), "progress_percent": types.Float64Unknown(),
		"rows_migrated": types.Int64Unknown(), "binlog_file": types.StringUnknown(), "binlog_position": types.Int64Unknown(),
		"gtid_set": types.StringUnknown(), "latency_seconds": types.Float64Unknown(), "error_message": types.StringUnknown(),
		"precheck": types.ListUnknown(precheckItemType), "table_progress": types.ListUnknown(tableProgressType),
		"verification": types.ObjectUnknown(verificationType.AttrTypes),
		"started_at":   types.StringUnknown(), "finished_at": types.StringUnknown(), "updated_at": types.StringUnknown(),
	} {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), unknown)...)
	}
}

func (r *migrationTaskResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan taskModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
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
	// Save the task before waiting: if the task fails, Terraform still knows it exists (and
	// marks it tainted, so the next apply replaces it). A timeout is only a warning, so that
	// the task, still running, is not replaced.
	resp.Diagnostics.Append(plan.fill(ctx, task)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.wait(ctx, timeout, &plan, task, &resp.State, &resp.Diagnostics)
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
	timeout, diags := plan.Timeouts.Update(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
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
	r.wait(ctx, timeout, &plan, task, &resp.State, &resp.Diagnostics)
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
