// The diagnostics a migration task's precheck gives: one per failed or alerting item, with
// its remedy.

package provider

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// precheckDiagnostics reports each precheck item that stopped the task: every failure, and
// every alert not listed in ignore_precheck_alerts.
func precheckDiagnostics(task api.Task, diags *diag.Diagnostics) {
	if precheckItemDiagnostics(task.State.Precheck, task.IgnorePrecheckAlerts, diags) == 0 {
		diags.AddError("Precheck Failed", fmt.Sprintf("Task %s did not pass its precheck: %s", task.ID, task.State.ErrorMessage))
	}
}

// precheckItemDiagnostics adds one error per blocking item, with its remedy, and returns
// how many it added.
func precheckItemDiagnostics(items []api.PrecheckItem, ignored []string, diags *diag.Diagnostics) int {
	n := 0
	for _, item := range items {
		if item.Status == api.PrecheckPassed || (item.Status == api.PrecheckAlert && slices.Contains(ignored, item.Name)) {
			continue
		}
		detail := item.Message
		if item.Remedy != "" {
			detail += "\n\nRemedy: " + item.Remedy
		}
		if item.Status == api.PrecheckAlert {
			detail += fmt.Sprintf("\n\nThis is an alert: to accept it, add %q to ignore_precheck_alerts.", item.Name)
		}
		diags.AddError(fmt.Sprintf("Precheck %s: %s", strings.ToUpper(string(item.Status[:1]))+string(item.Status[1:]), item.Name), detail)
		n++
	}
	return n
}
