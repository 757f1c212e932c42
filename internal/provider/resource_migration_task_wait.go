// Waiting for a migration task: Create and Update wait until the task has settled (or failed,
// or the timeout ran out), keeping the state current while they wait.

package provider

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// wait polls the runner until a running task settles (see settled), saving what it last
// saw, and reports a failed task as an error with the runner's message. When ctx ends first
// (the timeout, or Terraform interrupted), the task keeps running and wait says so in a
// warning: an error would taint a new task, and the next apply would replace it.
func (r *migrationTaskResource) wait(ctx context.Context, timeout time.Duration, m *taskModel, task api.Task, state *tfsdk.State, diags *diag.Diagnostics) {
	if task.DesiredStatus == api.DesiredStopped {
		return
	}
	incremental := slices.Contains(task.MigrationTypes, api.MigrationIncremental)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for !settled(task.State.Status, incremental) {
		select {
		case <-ctx.Done():
		case <-ticker.C:
			next, err := r.client.GetTask(ctx, task.ID)
			if err == nil {
				task = next
				continue
			}
			if ctx.Err() == nil {
				diags.AddError("Cannot Read Migration Task", fmt.Sprintf("Waiting for task %s: %v", m.ID.ValueString(), err))
				return
			}
		}
		// Save the last status seen with a context that has not ended.
		diags.Append(m.fill(context.WithoutCancel(ctx), task)...)
		diags.Append(state.Set(context.WithoutCancel(ctx), m)...)
		want := api.StatusCompleted
		if incremental {
			want = api.StatusRunning
		}
		diags.AddWarning("Migration Task Still Running",
			fmt.Sprintf("Stopped waiting for task %s after %s: it is %s, not yet %s (%v). The task keeps running in the runner. "+
				"The next terraform plan shows it as an in-place update, and terraform apply waits for it again; "+
				"raise the timeouts block's create and update to wait longer.", task.ID, timeout, task.State.Status, want, ctx.Err()))
		return
	}
	diags.Append(m.fill(ctx, task)...)
	diags.Append(state.Set(ctx, m)...)
	switch task.State.Status {
	case api.StatusCompleted, api.StatusRunning:
	case api.StatusPrecheckFailed:
		precheckDiagnostics(task, diags)
	default:
		diags.AddError("Migration Task "+string(task.State.Status),
			fmt.Sprintf("Task %s (%s) ended with status %s: %s", task.ID, task.Name, task.State.Status, task.State.ErrorMessage))
	}
}

// settled reports whether apply is done waiting for a task in status: a status that no
// longer changes without a start or a stop, or, with incremental migration, Running.
func settled(status api.Status, incremental bool) bool {
	switch status {
	case api.StatusCompleted, api.StatusFailed, api.StatusPrecheckFailed, api.StatusStopped:
		return true
	case api.StatusRunning:
		return incremental
	}
	return false
}
