package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// RowIDColumn is the auto-increment primary key added on the destination to a source table
// that has no key at all, as the seed describes for databases selected whole.
const RowIDColumn = "__adbmigrate_row_id"

// sourceColumnDefinition is the definition of merge_tables' __dts_data_source column: the
// source "database.table" of each row, at most 64 + 1 + 64 characters.
const sourceColumnDefinition = "varchar(129) NOT NULL DEFAULT ''"

// destinationTable builds what the destination's dialect needs to create a mapping's table:
// the source definition with the column subset and renames applied, the task's destination
// fields, and for an adb_mysql3 source the layout it had, unless the task sets its own. A
// table without any key gets RowIDColumn as its destination primary key.
func destinationTable(m mapping, sourceType, destType dialect.DatabaseType, merge bool) (dialect.Table, error) {
	t := m.table
	def, err := schema.ParseCreateTable(t.CreateSQL)
	if err != nil {
		return dialect.Table{}, fmt.Errorf("reading the definition of source table %s.%s: %w", t.Database, t.Name, err)
	}
	renames := map[string]string{}
	kept := map[string]bool{}
	for _, c := range t.Columns {
		kept[strings.ToLower(c.Name)] = included(m.spec, c.Name) && (m.etl == nil || !m.etl.Dropped(c.Name))
		if r := m.spec.ColumnRenames[c.Name]; r != "" && kept[strings.ToLower(c.Name)] {
			renames[c.Name] = r
		}
	}
	dest := func(name string) string {
		if r, ok := renames[name]; ok {
			return r
		}
		return name
	}
	out := dialect.Table{
		Database: m.destDB, Name: m.destName, Options: def.Options, SourceFlavor: sourceType,
		TableType: m.spec.TableType, PartitionKey: m.spec.PartitionKey, PartitionRule: m.spec.PartitionRule,
		PartitionLifecycle: m.spec.PartitionLifecycle,
		PrimaryKey:         slices.Clone(m.spec.PrimaryKey), DistributionKey: slices.Clone(m.spec.DistributionKey),
	}
	for _, c := range def.Columns {
		if !kept[strings.ToLower(c.Name)] {
			continue
		}
		out.Columns = append(out.Columns, dialect.Column{Name: dest(c.Name), Definition: dialect.RenameIdents(c.Definition, renames)})
	}
	if m.etl != nil {
		for _, o := range m.etl.Outputs() {
			if !slices.ContainsFunc(out.Columns, func(c dialect.Column) bool { return strings.EqualFold(c.Name, o.Name) }) {
				out.Columns = append(out.Columns, dialect.Column{Name: o.Name, Definition: dialect.ComputedColumnType(destType, o.Kind) + " DEFAULT NULL"})
			}
		}
	}
	if merge {
		out.Columns = append(out.Columns, dialect.Column{Name: tablemap.SourceColumn, Definition: sourceColumnDefinition})
	}
	if len(out.PrimaryKey) == 0 {
		key := def.PrimaryKey
		if len(key) == 0 && destType == dialect.ADBMySQL {
			// AnalyticDB needs a primary key: the NOT NULL unique key the copy uses becomes it.
			key = t.Key
		}
		for _, k := range key {
			out.PrimaryKey = append(out.PrimaryKey, dest(k))
		}
		switch {
		case len(out.PrimaryKey) == 0 && len(t.Key) == 0:
			out.Columns = append([]dialect.Column{{Name: RowIDColumn, Definition: "bigint NOT NULL AUTO_INCREMENT"}}, out.Columns...)
			out.PrimaryKey = []string{RowIDColumn}
		case merge && len(out.PrimaryKey) > 0:
			// Rows of different source tables may share a key: the source names keep them apart.
			out.PrimaryKey = append(out.PrimaryKey, tablemap.SourceColumn)
		}
	}
	for _, ix := range def.Indexes {
		if !columnsKept(ix, kept) {
			continue
		}
		di := dialect.Index{Kind: ix.Kind, Name: ix.Name, Raw: ix.Raw}
		if ix.Columns == nil {
			di.Raw = dialect.RenameIdents(ix.Raw, renames)
		} else {
			for _, c := range ix.Columns {
				di.Columns = append(di.Columns, dest(c))
			}
		}
		out.Indexes = append(out.Indexes, di)
	}
	if sourceType == dialect.ADBMySQL {
		// An AnalyticDB source's layout carries over unless the task sets its own.
		if out.TableType == "" {
			out.TableType = def.TableType
		}
		if len(out.DistributionKey) == 0 {
			for _, k := range def.DistributionKey {
				out.DistributionKey = append(out.DistributionKey, dest(k))
			}
		}
		if out.PartitionKey == "" && def.PartitionKey != "" {
			out.PartitionKey, out.PartitionRule, out.PartitionLifecycle = dest(def.PartitionKey), def.PartitionRule, def.PartitionLifecycle
		}
	}
	return out, nil
}

// included reports whether the table block migrates the column.
func included(tb Table, column string) bool {
	return tb.Columns == nil || slices.Contains(tb.Columns, column)
}

// columnsKept reports whether every column an index names survives the column subset
// (kept holds every source column, true when it is migrated). An index whose parts are
// expressions, or a CHECK, is kept when every column it quotes survives.
func columnsKept(ix schema.IndexDef, kept map[string]bool) bool {
	cols := ix.Columns
	if cols == nil {
		cols = quotedNames(ix.Raw)
	}
	for _, c := range cols {
		if in, isColumn := kept[strings.ToLower(c)]; isColumn && !in {
			return false
		}
	}
	return true
}

// quotedNames returns the backtick-quoted identifiers in text, outside string literals and
// comments.
func quotedNames(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		name, end, ok := sqltext.QuotedIdent(text, i)
		if ok {
			out = append(out, name)
		}
		i = end
	}
	return out
}
