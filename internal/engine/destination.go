package engine

import (
	"fmt"
	"slices"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// RowIDColumn is the auto-increment primary key added on the destination to a source table
// that has no key at all, as the seed describes for databases selected whole.
const RowIDColumn = schema.RowIDColumn

// destinationTable builds what the destination's dialect needs to create a mapping's table,
// through schema.DestinationTable (the road a CREATE TABLE followed by incremental
// migration takes too): the mapping's column subset, renames, etl columns and destination
// fields applied to the source's definition.
func destinationTable(m mapping, sourceType, destType dialect.DatabaseType, merge bool) (dialect.Table, error) {
	t := m.table
	def, err := schema.ParseCreateTable(t.CreateSQL)
	if err != nil {
		return dialect.Table{}, fmt.Errorf("reading the definition of source table %s.%s: %w", t.Database, t.Name, err)
	}
	tg := schema.Target{
		Dest: dialect.Table{
			Database: m.destDB, Name: m.destName,
			TableType: m.spec.TableType, PrimaryKey: m.spec.PrimaryKey, DistributionKey: m.spec.DistributionKey,
			PartitionKey: m.spec.PartitionKey, PartitionRule: m.spec.PartitionRule, PartitionLifecycle: m.spec.PartitionLifecycle,
		},
		SourceFlavor: sourceType, DestFlavor: destType,
		Keep: func(c string) bool {
			return included(m.spec, c) && (m.etl == nil || !m.etl.Dropped(c))
		},
		Renames: m.spec.ColumnRenames, Key: t.Key,
	}
	if m.etl != nil {
		for _, o := range m.etl.Outputs() {
			tg.Computed = append(tg.Computed, dialect.Column{Name: o.Name, Definition: dialect.ComputedColumnType(destType, o.Kind) + " DEFAULT NULL"})
		}
	}
	if merge {
		tg.MergeColumn = tablemap.SourceColumn
	}
	return schema.DestinationTable(def, tg), nil
}

// included reports whether the table block migrates the column.
func included(tb Table, column string) bool {
	return tb.Columns == nil || slices.Contains(tb.Columns, column)
}
