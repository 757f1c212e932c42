# A migration task is imported by the id the runner gave it.
terraform import adbmigrate_migration_task.orders task-0123456789abcdef
