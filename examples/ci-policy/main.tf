# The configuration the CI policy (check-plan.sh, beside this file) guards: a live task whose
# replacement would copy everything again, and whose precheck alerts nobody may silence
# without review.
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

  # Uncommented, this makes check-plan.sh fail: accepting a precheck alert needs a review.
  # ignore_precheck_alerts = ["binlog_retention"]

  object {
    database = "orders"
  }
}
