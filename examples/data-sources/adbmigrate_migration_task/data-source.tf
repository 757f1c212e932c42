# The status of a task managed elsewhere (another configuration, or created through the
# runner's API), by id.
data "adbmigrate_migration_task" "orders" {
  id = "task-0123456789abcdef"
}

output "orders_status" {
  value = "${data.adbmigrate_migration_task.orders.status} (${data.adbmigrate_migration_task.orders.phase}), ${data.adbmigrate_migration_task.orders.latency_seconds}s behind"
}

output "orders_position" {
  value = "${data.adbmigrate_migration_task.orders.binlog_file}:${data.adbmigrate_migration_task.orders.binlog_position}"
}
