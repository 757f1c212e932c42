# Run a task's precheck at `terraform plan`, before the task exists: a CI pipeline fails on
# the plan when an item would block the task. The connections must already exist (their ids
# known at plan time); otherwise the check runs during apply.
variable "source_connection_id" {
  type = string
}

variable "destination_connection_id" {
  type = string
}

data "adbmigrate_precheck" "orders" {
  source_connection_id      = var.source_connection_id
  destination_connection_id = var.destination_connection_id
  migration_types           = ["schema", "full", "incremental"]
  ignore_precheck_alerts    = ["destination_disk_space"]

  object {
    database = "shop"
    table {
      name  = "orders"
      where = "status <> 'deleted'"
    }
  }
}

output "precheck_items" {
  value = { for item in data.adbmigrate_precheck.orders.items : item.name => item.status }
}
