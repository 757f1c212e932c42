# Schema and full data migration of one whole database and one renamed table.
# Apply returns when the task is Completed.
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

output "rows_migrated" {
  value = adbmigrate_migration_task.orders.rows_migrated
}
