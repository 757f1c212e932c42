# MariaDB to AnalyticDB for MySQL 3.0 as its documentation says it behaves: `make demo-adb`
# applies this against the emulator (internal/adbfront) in front of a local MariaDB. The
# destination fields lay the tables out as AnalyticDB does; the source's types are mapped
# to AnalyticDB's (unsigned integers widened, TEXT and BLOB to VARCHAR and BINARY, YEAR to
# SMALLINT). Values AnalyticDB keeps only in part stop the task at the precheck until
# accept_value_range says the change is accepted. Cut over with -var desired_status=stopped.
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
  description = "the port of the (emulated) AnalyticDB"
  type        = number
}

variable "username" {
  type    = string
  default = "adbm"
}

variable "password" {
  type      = string
  sensitive = true
}

variable "accept_value_range" {
  description = "accept the values AnalyticDB keeps only in part (the destination_value_range precheck alert)"
  type        = bool
  default     = false
}

variable "desired_status" {
  description = "running to replicate; stopped to cut over"
  type        = string
  default     = "running"
}

provider "adbmigrate" {}

resource "adbmigrate_connection" "source" {
  name                = "demo-adb-source"
  database_type       = "mariadb"
  host                = "127.0.0.1"
  port                = var.source_port
  username            = var.username
  password_wo         = var.password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "demo-adb-destination"
  database_type       = "adb_mysql3"
  host                = "127.0.0.1"
  port                = var.destination_port
  username            = var.username
  password_wo         = var.password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "dw" {
  name                      = "demo-adb"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  desired_status            = var.desired_status
  # The emulator shows its disk use nowhere. It refuses BEGIN, as AnalyticDB documents: the
  # probes find no transactions, and the task writes directly (destination_capabilities says so).
  ignore_precheck_alerts = concat(["destination_disk_space"],
  var.accept_value_range ? ["destination_value_range"] : [])

  object {
    database = "sales"

    table {
      name                = "orders"
      table_type          = "fact"
      primary_key         = ["id", "customer_id", "ordered_at"]
      distribution_key    = ["customer_id"]
      partition_key       = "ordered_at"
      partition_rule      = "day"
      partition_lifecycle = 365
    }

    table {
      name        = "regions"
      table_type  = "dimension"
      primary_key = ["id"]
    }
  }
}

output "status" {
  value = adbmigrate_migration_task.dw.status
}

output "rows_migrated" {
  value = adbmigrate_migration_task.dw.rows_migrated
}
