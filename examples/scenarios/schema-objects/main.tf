# Schema objects: a MySQL database moves to MariaDB with its views and stored routines,
# created right after the tables, and its triggers and events, created only at cut-over
# (desired_status = "stopped" once the source takes no more writes): while rows replicate,
# a trigger on the destination would apply its effect a second time.
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
  name                = "shop-mysql"
  database_type       = "mysql"
  host                = "mysql.internal.example"
  username            = "migrator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "shop-mariadb"
  database_type       = "mariadb"
  host                = "mariadb.internal.example"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "shop" {
  name                      = "shop-with-objects"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  desired_status            = var.cut_over ? "stopped" : "running"

  schema_objects         = ["views", "routines", "triggers", "events"]
  schema_objects_definer = "rewrite" # the destination user defines them

  object {
    database = "shop"
  }
}
