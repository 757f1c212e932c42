# ETL: filter rows and compute destination columns with CEL expressions, applied the same
# way to the full copy and to every change from the binlog. Syntax is checked at plan time;
# the precheck type-checks each expression against the source table's columns.
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
  name                = "shop"
  database_type       = "mysql"
  host                = "10.0.1.10"
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

resource "adbmigrate_migration_task" "orders" {
  name                      = "shop-orders-etl"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]

  object {
    database = "shop"

    table {
      name = "customers"

      etl {
        # Deleted and empty accounts stay behind; an update that deletes or empties an
        # account deletes its row on the destination, and one that revives it inserts it.
        filter = "row.status != \"deleted\" && has(row.balance) && row.balance > 0"

        set = {
          # Replaces a migrated column's value (NULL stays NULL).
          email = "row.email == null ? null : row.email.lowerAscii()"
          # New columns, declared from the expression's type: varchar and decimal here.
          full_name     = "row.first_name + \" \" + row.last_name"
          balance_cents = "row.balance * 100"
        }

        # Not migrated, but still readable by the expressions above.
        drop_columns = ["first_name", "last_name"]
      }
    }
  }
}
