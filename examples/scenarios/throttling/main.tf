# Throttling and parallelism: keep the load on a busy source low during the full copy and on
# the destination during replication. Both throttling blocks change in place, also while the
# task runs; instance_class (the number of copy workers) replaces the task.
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

# Raise these in the evening, when the source is quiet, and apply again.
variable "full_rows_per_second" {
  type    = number
  default = 20000
}

resource "adbmigrate_connection" "source" {
  name                = "billing"
  database_type       = "mysql"
  host                = "10.0.3.40"
  username            = "replicator"
  password_wo         = var.source_password
  password_wo_version = 1
}

resource "adbmigrate_connection" "destination" {
  name                = "billing-analytics"
  database_type       = "adb_mysql3"
  host                = "am-billing.ads.aliyuncs.com"
  username            = "loader"
  password_wo         = var.destination_password
  password_wo_version = 1
}

resource "adbmigrate_migration_task" "billing" {
  name                      = "billing-throttled"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  instance_class            = "small"

  full_throttling {
    source_qps = 200
    rps        = var.full_rows_per_second
    mbps       = 40
  }

  incremental_throttling {
    rps  = 5000
    mbps = 10
  }

  object {
    database = "billing"
  }
}
