# Schema + full + incremental migration: the source stays online. After the full copy the
# runner replicates the source's binlog (ROW format, FULL row image) until the task is
# stopped; apply returns once the task is Running. See ../cut-over for the switch-over.
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

variable "alert_webhook_url" {
  type    = string
  default = "https://hooks.example.com/adbmigrate"
}

resource "adbmigrate_connection" "source" {
  name                = "orders-primary"
  database_type       = "mysql"
  host                = "10.0.0.12"
  username            = "replicator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "analytics"
  database_type       = "adb_mysql3"
  host                = "am-analytics.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "orders" {
  name                      = "orders-live"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  environment_tag           = "production"

  # What incremental migration applies (these are the defaults, spelled out).
  dml_operations = ["insert", "update", "delete"]
  ddl_operations = ["add_column", "drop_column"]

  # Retry a lost connection for 2 hours, anything else for 30 minutes (must be lower).
  retry_time_for_failed_connections = 120
  retry_time_for_other_issues       = 30

  monitoring {
    on_failure                = true
    latency_threshold_seconds = 60
    webhook_url               = var.alert_webhook_url
  }

  # Checksums compare a tenth of the chunks, after the full copy and during replication.
  data_verification {
    mode           = "sampled"
    sample_percent = 10
  }

  object {
    database = "orders"

    table {
      name = "orders"
    }

    # Audit rows are only ever appended: never replicate deletes or dropped columns here.
    table {
      name           = "order_events"
      dml_operations = ["insert", "update"]
      ddl_operations = ["add_column"]
    }
  }

  timeouts {
    create = "6h"
  }
}

output "latency_seconds" {
  value = adbmigrate_migration_task.orders.latency_seconds
}

output "position" {
  value = "${adbmigrate_migration_task.orders.binlog_file}:${adbmigrate_migration_task.orders.binlog_position}"
}
