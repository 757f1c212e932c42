# Destination table fields for AnalyticDB for MySQL 3.0 (needs schema migration): table type,
# primary key, distribution key, partition key, rule and lifecycle. A composite primary key
# must include every distribution key column and the partition key (checked at plan time).
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

resource "adbmigrate_migration_task" "dw" {
  name                      = "dw-relayout"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  object {
    database = "dw"

    # A fact table hashed on customer_id, one partition per day, the last 365 days kept.
    table {
      name                = "orders"
      table_type          = "fact"
      primary_key         = ["order_id", "customer_id", "order_date"]
      distribution_key    = ["customer_id"]
      partition_key       = "order_date"
      partition_rule      = "day"
      partition_lifecycle = 365
    }

    # A small lookup table, copied to every node: no distribution key.
    table {
      name        = "regions"
      table_type  = "dimension"
      primary_key = ["region_id"]
    }
  }
}
