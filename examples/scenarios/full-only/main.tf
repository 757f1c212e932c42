# Schema migration + full data migration between two AnalyticDB for MySQL 3.0 clusters: a
# one-time copy. Stop writes to the source first; apply returns when the task is Completed.
terraform {
  required_providers {
    adbmigrate = {
      source = "adbmigrate/adbmigrate"
    }
  }
}

# The runner's endpoint and token come from ADBMIGRATE_ENDPOINT and ADBMIGRATE_TOKEN.
provider "adbmigrate" {}

variable "source_password" {
  type      = string
  sensitive = true
}

variable "destination_password" {
  type      = string
  sensitive = true
}

resource "adbmigrate_connection" "source" {
  name                = "adb-old"
  database_type       = "adb_mysql3"
  host                = "am-source.ads.aliyuncs.com"
  username            = "migrator"
  password_wo         = var.source_password
  password_wo_version = 1
  region              = "cn-hangzhou"
  instance_id         = "am-source"
}

resource "adbmigrate_connection" "destination" {
  name                = "adb-new"
  database_type       = "adb_mysql3"
  host                = "am-destination.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
  region              = "cn-hangzhou"
  instance_id         = "am-destination"
}

resource "adbmigrate_migration_task" "copy" {
  name                      = "adb-old-to-adb-new"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  # A database without table blocks: all of its tables.
  object {
    database = "sales"
  }

  object {
    database = "inventory"
  }

  timeouts {
    create = "4h"
  }
}

output "status" {
  value = adbmigrate_migration_task.copy.status
}

output "rows_migrated" {
  value = adbmigrate_migration_task.copy.rows_migrated
}
