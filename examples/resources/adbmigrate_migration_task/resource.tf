# Schema and full data migration of one whole database and one renamed table.
# Apply returns when the task is Completed (or after timeouts.create, leaving it running).
resource "adbmigrate_migration_task" "orders" {
  name                      = "orders-to-analytics"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full"]

  # Every table of the database, under a new database name.
  object {
    database  = "orders"
    rename_to = "orders_dw"
  }

  # One table of another database, renamed on the destination.
  object {
    database = "crm"
    table {
      name      = "customers"
      rename_to = "dim_customers"
    }
  }
}

# Schema, full and incremental migration: apply returns once the task is Running; the runner
# keeps replicating until desired_status = "stopped" (the cut-over).
resource "adbmigrate_migration_task" "live" {
  name                      = "orders-live"
  source_connection_id      = adbmigrate_connection.source.id
  destination_connection_id = adbmigrate_connection.destination.id
  migration_types           = ["schema", "full", "incremental"]
  environment_tag           = "production"

  retry_time_for_failed_connections = 120
  retry_time_for_other_issues       = 30

  incremental_throttling {
    rps = 10000
  }

  monitoring {
    latency_threshold_seconds = 60
    webhook_url               = "https://hooks.example.com/adbmigrate"
  }

  data_verification {
    mode = "full"
  }

  object {
    database = "orders"

    # Replicate inserts and updates only: deletes on the source are kept on the destination.
    table {
      name           = "orders"
      dml_operations = ["insert", "update"]
    }
  }

  timeouts {
    create = "4h"
  }
}

output "rows_migrated" {
  value = adbmigrate_migration_task.orders.rows_migrated
}
