# Unit tests of adbmigrate.rego: opa test examples/ci-policy/policy
package adbmigrate.plan_test

import data.adbmigrate.plan

task(actions, after) := {
	"address": "adbmigrate_migration_task.orders",
	"type": "adbmigrate_migration_task",
	"change": {"actions": actions, "after": after},
}

monitored_incremental := {
	"migration_types": ["schema", "full", "incremental"],
	"monitoring": {"on_failure": true, "latency_threshold_seconds": 60},
}

test_update_of_a_monitored_task_passes if {
	count(plan.deny) == 0 with input as {"resource_changes": [task(["update"], monitored_incremental)]}
}

test_full_only_task_needs_no_monitoring if {
	count(plan.deny) == 0 with input as {"resource_changes": [task(["create"], {"migration_types": ["schema", "full"], "monitoring": null})]}
}

test_other_resources_are_ignored if {
	rc := {"address": "adbmigrate_connection.source", "type": "adbmigrate_connection", "change": {"actions": ["delete"]}}
	count(plan.deny) == 0 with input as {"resource_changes": [rc]}
}

test_replacement_is_denied_naming_the_argument if {
	rc := object.union(task(["delete", "create"], monitored_incremental), {"change": {"actions": ["delete", "create"], "after": monitored_incremental, "replace_paths": [["objects", 0, "database"]]}})
	plan.deny == {"adbmigrate_migration_task.orders: would be replaced (forced by objects.0.database): a new task migrates everything again"} with input as {"resource_changes": [rc]}
}

test_create_before_destroy_replacement_is_denied if {
	some msg in plan.deny with input as {"resource_changes": [task(["create", "delete"], monitored_incremental)]}
	contains(msg, "would be replaced (forced by unknown)")
}

test_destroy_is_denied if {
	plan.deny == {"adbmigrate_migration_task.orders: would be destroyed"} with input as {"resource_changes": [task(["delete"], null)]}
}

test_unreviewed_precheck_alert_is_denied if {
	after := object.union(monitored_incremental, {"ignore_precheck_alerts": ["binlog_retention"]})
	some msg in plan.deny with input as {"resource_changes": [task(["update"], after)]}
	contains(msg, "ignore_precheck_alerts accepts binlog_retention without review")
}

test_reviewed_precheck_alert_passes if {
	after := object.union(monitored_incremental, {"ignore_precheck_alerts": ["binlog_retention"]})
	count(plan.deny) == 0 with input as {"resource_changes": [task(["no-op"], after)]}
		with data.adbmigrate.reviewed_precheck_alerts as {"adbmigrate_migration_task.orders": ["binlog_retention"]}
}

test_review_of_another_alert_does_not_count if {
	after := object.union(monitored_incremental, {"ignore_precheck_alerts": ["binlog_retention", "charset"]})
	plan.deny == {"adbmigrate_migration_task.orders: ignore_precheck_alerts accepts charset without review: list it under \"adbmigrate_migration_task.orders\" in reviewed_precheck_alerts once someone has checked the alert"} with input as {"resource_changes": [task(["update"], after)]}
		with data.adbmigrate.reviewed_precheck_alerts as {"adbmigrate_migration_task.orders": ["binlog_retention"]}
}

test_incremental_without_monitoring_is_denied if {
	after := {"migration_types": ["schema", "full", "incremental"], "monitoring": null}
	plan.deny == {"adbmigrate_migration_task.orders: incremental migration without monitoring: add a monitoring block with on_failure = true and latency_threshold_seconds"} with input as {"resource_changes": [task(["create"], after)]}
}

test_incremental_monitoring_without_lag_alert_is_denied if {
	after := {"migration_types": ["full", "incremental"], "monitoring": {"on_failure": true, "latency_threshold_seconds": null}}
	count(plan.deny) == 1 with input as {"resource_changes": [task(["create"], after)]}
}
