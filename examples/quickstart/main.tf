# Quickstart: migrate the sample "shop" database between two local MariaDB servers.
# `make demo` starts the servers and the runner and fills in these variables.
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

provider "adbmigrate" {}

resource "adbmigrate_connection" "source" {
  name                = "demo-source"
  database_type       = "mariadb"
  host                = "127.0.0.1"
  port                = var.source_port
  username            = var.username
  password_wo         = var.password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "demo-destination"
  database_type       = "mariadb"
  host                = "127.0.0.1"
  port                = var.destination_port
  username            = var.username
  password_wo         = var.password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "shop" {
  name                      = "demo-shop"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  object {
    database  = "shop"
    rename_to = "shop_copy"
  }
}

output "task_id" {
  value = adbmigrate_migration_task.shop.id
}

output "status" {
  value = adbmigrate_migration_task.shop.status
}

output "rows_migrated" {
  value = adbmigrate_migration_task.shop.rows_migrated
}

output "binlog_position" {
  value = "${adbmigrate_migration_task.shop.binlog_file}:${adbmigrate_migration_task.shop.binlog_position} (GTID ${adbmigrate_migration_task.shop.gtid_set})"
}
