# Cut-over: a full + incremental task runs until you switch the application to the
# destination. Stop writes to the source, wait until latency_seconds is about 0, then apply
# with -var cut_over=true: desired_status becomes "stopped", an in-place update that stops
# replication. Point the application at the destination afterwards.
terraform {
  required_providers {
    adbmigrate = {
      source = "adbmigrate/adbmigrate"
    }
  }
}

provider "adbmigrate" {}

variable "source_password" {
  type      = string
  sensitive = true
}

variable "destination_password" {
  type      = string
  sensitive = true
}

variable "cut_over" {
  description = "true once writes to the source have stopped and the destination has caught up"
  type        = bool
  default     = false
}

resource "adbmigrate_connection" "source" {
  name                = "adb-old"
  database_type       = "adb_mysql3"
  host                = "am-source.ads.aliyuncs.com"
  username            = "migrator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "adb-new"
  database_type       = "adb_mysql3"
  host                = "am-destination.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "live" {
  name                      = "adb-old-to-adb-new-live"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  desired_status            = var.cut_over ? "stopped" : "running"

  object {
    database = "sales"
  }
}

# Read between applies (terraform refresh, or terraform plan) to see how far behind it is.
data "adbmigrate_migration_task" "live" {
  id = adbmigrate_migration_task.live.id
}

output "latency_seconds" {
  value = data.adbmigrate_migration_task.live.latency_seconds
}

output "status" {
  value = data.adbmigrate_migration_task.live.status
}
