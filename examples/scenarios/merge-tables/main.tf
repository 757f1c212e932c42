# Merge tables: the same table of several shard databases lands in one destination table.
# The runner adds a __dts_data_source column (the source database.table of each row) to the
# primary key. Only without incremental migration.
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

variable "shards" {
  type    = list(string)
  default = ["shop_00", "shop_01", "shop_02", "shop_03"]
}

resource "adbmigrate_connection" "source" {
  name                = "shop-shards"
  database_type       = "mysql"
  host                = "10.0.2.30"
  username            = "migrator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "shop-analytics"
  database_type       = "adb_mysql3"
  host                = "am-shop.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "merge" {
  name                      = "merge-shop-shards"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]
  merge_tables              = true

  # Every shard's orders table becomes shop.orders.
  dynamic "object" {
    for_each = var.shards
    content {
      database  = object.value
      rename_to = "shop"

      table {
        name = "orders"
      }
    }
  }
}
