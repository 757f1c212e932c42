package vocab

// Precheck item names: stable identifiers, as users write them in ignore_precheck_alerts.
// The engine's precheck package runs the items up to ItemWhereFilter (see its doc for what
// each checks); the engine adds the ones after it.
const (
	ItemSourceConnectivity      = "source_connectivity"
	ItemDestinationConnectivity = "destination_connectivity"
	ItemSourcePrivileges        = "source_privileges"
	ItemDestinationPrivileges   = "destination_privileges"
	ItemDestinationDiskSpace    = "destination_disk_space"
	ItemBinlogEnabled           = "binlog_enabled"
	ItemBinlogFormat            = "binlog_format"
	ItemBinlogRowImage          = "binlog_row_image"
	ItemServerID                = "server_id"
	ItemBinlogRetention         = "binlog_retention"
	ItemSourceEngineVersion     = "source_engine_version"
	ItemADBSourceIncremental    = "adb_source_incremental"
	ItemSourceTables            = "source_tables"
	ItemPrimaryKey              = "primary_key"
	ItemADBAutoID               = "adb_auto_id"
	ItemDestinationConflict     = "destination_conflict"
	ItemDestinationBackup       = "destination_backup"
	ItemCharsetSupport          = "charset_support"
	ItemWhereFilter             = "where_filter"
	// ItemObjects fails when the selection names what the source does not have, or maps
	// tables onto each other.
	ItemObjects = "objects"
	// ItemTableFields fails when the destination's dialect cannot create a table as asked.
	ItemTableFields = "destination_table_fields"
	// ItemETL fails when an etl block's expressions do not type-check against the columns
	// of their source table.
	ItemETL = "etl_expressions"
	// ItemSchemaObjects fails when schema_objects cannot be migrated: without schema
	// migration, kinds the destination does not have, or definitions the source user
	// cannot read. Only when schema_objects is set.
	ItemSchemaObjects = "schema_objects"
	// ItemDestinationCapabilities shows what the capability probes measured on the
	// destination, a line per probe; an alert when BEGIN ... ROLLBACK does not undo a write.
	ItemDestinationCapabilities = "destination_capabilities"
	// ItemDestinationValueRange alerts on the values of selected columns that an AnalyticDB
	// destination keeps only in part (a DECIMAL over 38 digits, fractional seconds beyond
	// milliseconds, a TIME outside a day, zero dates), naming each column.
	ItemDestinationValueRange = "destination_value_range"
)

// PrecheckItems returns every precheck item name: the names ignore_precheck_alerts accepts,
// the precheck package's in the order it runs them, then the engine's.
func PrecheckItems() []string {
	return []string{
		ItemSourceConnectivity, ItemDestinationConnectivity, ItemSourcePrivileges, ItemDestinationPrivileges,
		ItemDestinationDiskSpace, ItemBinlogEnabled, ItemBinlogFormat, ItemBinlogRowImage, ItemServerID,
		ItemBinlogRetention, ItemSourceEngineVersion, ItemADBSourceIncremental, ItemSourceTables, ItemPrimaryKey, ItemADBAutoID,
		ItemDestinationConflict, ItemDestinationBackup, ItemCharsetSupport, ItemWhereFilter,
		ItemObjects, ItemTableFields, ItemETL, ItemSchemaObjects, ItemDestinationCapabilities, ItemDestinationValueRange,
	}
}

// PrecheckStatus is the outcome of one precheck item.
type PrecheckStatus string

// Precheck statuses. Failed always blocks the task; Alert blocks it unless
// ignore_precheck_alerts names the item.
const (
	PrecheckPassed PrecheckStatus = "passed"
	PrecheckAlert  PrecheckStatus = "alert"
	PrecheckFailed PrecheckStatus = "failed"
)
