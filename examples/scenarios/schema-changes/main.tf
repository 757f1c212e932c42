# Schema changes during replication: a whole database migrated with schema + full +
# incremental, following the DDL the application's migrations run (new tables, column
# changes, indexes, renames, truncates) and the online schema changes of gh-ost and
# pt-online-schema-change, without a full copy. The default ddl_operations are the cloud
# service's ["add_column", "drop_column"]; everything else is an opt-in, listed here.
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
  name                = "shop-primary"
  database_type       = "mysql"
  host                = "mysql.internal.example.com"
  port                = 3306
  username            = "replicator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "shop-analytics"
  database_type       = "adb_mysql3"
  host                = "am-analytics.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "shop" {
  name                      = "shop-live"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]

  # Every DDL incremental migration can follow. Left out, a DDL is reported as a notice;
  # one whose absence would make later rows land wrong in silence (a column moved, a unique
  # key dropped without drop_index) fails the task instead.
  ddl_operations = [
    "add_column", "drop_column", "modify_column", "rename_column",
    "add_index", "drop_index", "table_options",
    "create_table", "drop_table", "rename_table", "truncate_table",
  ]

  # A database without table blocks: tables created in it (or renamed into it) later are
  # migrated too, under the database's rename_to.
  object {
    database  = "shop"
    rename_to = "shop_dw"
  }
}
