# Live replication on the demo's servers: `make demo` applies this after the quickstart.
# The task copies the "shop" database into "shop_live" and then follows the source's
# binlog; apply returns once the task is Running and replicating. Cut over with
# -var desired_status=stopped: the runner drains to the source's current position and
# stops, and the outputs show where it stopped.
terraform {
  required_providers {
    adbmigrate = {
      source = "adbmigrate/adbmigrate"
    }
  }
}

variable "source_port" {
  type = number
}

variable "destination_port" {
  type = number
}

variable "username" {
  type    = string
  default = "adbm"
}

variable "password" {
  type      = string
  sensitive = true
}

variable "desired_status" {
  description = "running to replicate; stopped to cut over (drain to the source's current position and stop)"
  type        = string
  default     = "running"
}

provider "adbmigrate" {}

resource "adbmigrate_connection" "source" {
  name                = "demo-live-source"
  database_type       = "mariadb"
  host                = "127.0.0.1"
  port                = var.source_port
  username            = var.username
  password_wo         = var.password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "demo-live-destination"
  database_type       = "mariadb"
  host                = "127.0.0.1"
  port                = var.destination_port
  username            = var.username
  password_wo         = var.password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "live" {
  name                      = "demo-shop-live"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  desired_status            = var.desired_status

  object {
    database  = "shop"
    rename_to = "shop_live"
  }

  # A task that replicates for weeks alerts when it fails or falls behind (alerts are
  # logged; add webhook_url to have them posted).
  monitoring {
    on_failure                = true
    latency_threshold_seconds = 30
  }
}

output "task_id" {
  value = adbmigrate_migration_task.live.id
}

output "status" {
  value = adbmigrate_migration_task.live.status
}

output "latency_seconds" {
  value = adbmigrate_migration_task.live.latency_seconds
}

output "binlog_position" {
  value = "${adbmigrate_migration_task.live.binlog_file}:${adbmigrate_migration_task.live.binlog_position} (GTID ${adbmigrate_migration_task.live.gtid_set})"
}
