package engine

import (
	"fmt"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// RowIDColumn is the auto-increment primary key added on the destination to a source table
// that has no key at all, as the seed describes for databases selected whole.
const RowIDColumn = schema.RowIDColumn

// destinationTable builds what the destination's dialect needs to create a plan's table:
// the source's definition read from its CREATE TABLE, then the plan's Destination (the
// road a CREATE TABLE followed by incremental migration takes too).
func destinationTable(m tablemap.Table, sourceType, destType dialect.DatabaseType) (dialect.Table, error) {
	def, err := schema.ParseCreateTable(m.Source.CreateSQL)
	if err != nil {
		return dialect.Table{}, fmt.Errorf("reading the definition of source table %s: %w", m.Name(), err)
	}
	return m.Destination(def, m.Source.Key, sourceType, destType), nil
}
