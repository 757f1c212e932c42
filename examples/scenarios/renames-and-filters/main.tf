# Object selection: rename databases, tables and columns on the destination, migrate a
# subset of the columns, and only the rows a WHERE filter selects (checked at plan time).
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
  name                = "hr"
  database_type       = "mariadb"
  host                = "10.0.1.20"
  username            = "migrator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "warehouse"
  database_type       = "adb_mysql3"
  host                = "am-warehouse.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "people" {
  name                      = "hr-to-warehouse"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  object {
    database  = "hr"
    rename_to = "people"

    # Active staff of two departments, without the salary column, as people.employees.
    table {
      name      = "staff"
      rename_to = "employees"
      where     = "active AND dept IN ('dev', 'ops')"
      columns   = ["id", "name", "dept", "hired_on"]

      column {
        name      = "name"
        rename_to = "full_name"
      }
    }

    # Every column, rows of the last years only.
    table {
      name  = "absences"
      where = "started_on >= '2020-01-01'"
    }
  }
}
