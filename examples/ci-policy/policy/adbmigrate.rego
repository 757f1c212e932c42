# METADATA
# title: adbmigrate plan policy
# description: |
#   The rules of ../check-plan.sh as Rego, for Open Policy Agent or conftest, evaluated on the
#   JSON of a plan (terraform show -json PLANFILE). Each rule adds a message to deny, naming
#   the task and the reason:
#     - no adbmigrate_migration_task is replaced or destroyed (a new task migrates everything
#       again; a live task's replication restarts from a new full copy);
#     - no task accepts precheck alerts (ignore_precheck_alerts) that nobody reviewed: a
#       reviewed alert is listed for the task's address in
#       data.adbmigrate.reviewed_precheck_alerts (reviews.json beside this file);
#     - every task with incremental migration has a monitoring block that alerts on failure
#       and on lag (on_failure and latency_threshold_seconds), since it runs for weeks.
#
#   opa eval -d policy -i plan.json 'data.adbmigrate.plan.deny'
#   conftest test --policy policy --data policy --namespace adbmigrate.plan plan.json
package adbmigrate.plan

tasks contains rc if {
	some rc in input.resource_changes
	rc.type == "adbmigrate_migration_task"
}

deny contains msg if {
	some rc in tasks
	"delete" in rc.change.actions
	"create" in rc.change.actions
	msg := sprintf("%s: would be replaced (forced by %s): a new task migrates everything again", [rc.address, forced_by(rc)])
}

deny contains msg if {
	some rc in tasks
	rc.change.actions == ["delete"]
	msg := sprintf("%s: would be destroyed", [rc.address])
}

deny contains msg if {
	some rc in tasks
	some alert in object.get(rc.change, ["after", "ignore_precheck_alerts"], [])
	not reviewed(rc.address, alert)
	msg := sprintf("%s: ignore_precheck_alerts accepts %s without review: list it under %q in reviewed_precheck_alerts once someone has checked the alert", [rc.address, alert, rc.address])
}

deny contains msg if {
	some rc in tasks
	"incremental" in object.get(rc.change, ["after", "migration_types"], [])
	not monitored(rc.change.after)
	msg := sprintf("%s: incremental migration without monitoring: add a monitoring block with on_failure = true and latency_threshold_seconds", [rc.address])
}

# forced_by names the arguments that force a replacement, as replace_paths gives them.
forced_by(rc) := "unknown" if {
	count(object.get(rc.change, "replace_paths", [])) == 0
} else := concat(", ", [path_text |
	some path in rc.change.replace_paths
	path_text := concat(".", [format_int_or_string(step) | some step in path])
])

format_int_or_string(x) := sprintf("%v", [x])

reviewed(address, alert) if {
	alert in data.adbmigrate.reviewed_precheck_alerts[address]
}

monitored(after) if {
	after.monitoring.on_failure == true
	after.monitoring.latency_threshold_seconds > 0
}
