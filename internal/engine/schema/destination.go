package schema

import (
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
)

// RowIDColumn is the auto-increment primary key added on the destination to a source table
// that has no key at all, as the seed describes for databases selected whole.
const RowIDColumn = "__adbmigrate_row_id"

// mergeColumnDefinition is the definition of merge_tables' column (Target.MergeColumn):
// the source "database.table" of each row, at most 64 + 1 + 64 characters.
const mergeColumnDefinition = "varchar(129) NOT NULL DEFAULT ''"

// Target is what decides, besides the source's Definition, how a selected table lands on
// the destination. Column names are source names unless said otherwise.
type Target struct {
	// Dest is the destination table as the task names it: Database, Name, and the task's
	// destination table fields (TableType, PrimaryKey, DistributionKey, Partition*) in
	// destination column names. Zero fields leave the choice to the source's definition
	// (an adb_mysql3 source's layout) or the dialect. DestinationTable fills in the rest.
	Dest dialect.Table
	// SourceFlavor and DestFlavor are the database types of the source and the
	// destination.
	SourceFlavor, DestFlavor dialect.DatabaseType
	// Keep reports whether a source column is migrated; nil migrates every column.
	Keep func(column string) bool
	// Renames maps source column names to destination names; a column not in it keeps its
	// name.
	Renames map[string]string
	// Key is the source key the copy and the replay identify rows by (the primary key, or
	// a NOT NULL unique key); nil when the table has none.
	Key []string
	// Computed are destination columns an etl block computes, added after the migrated
	// columns unless one of them has the same name.
	Computed []dialect.Column
	// MergeColumn, when set, is the column merge_tables adds to name each row's source
	// table; it joins a primary key so that rows of different sources stay apart.
	MergeColumn string
}

// DestinationTable is the one road from a source table definition to the table a dialect
// creates: the schema phase and a CREATE TABLE followed during incremental migration both
// take it. It applies the column subset and renames, adds the computed and merge columns,
// and the task's destination fields, or for an adb_mysql3 source and destination the layout
// the source table had. A table without any key gets RowIDColumn as its destination primary
// key; on an adb_mysql3 destination, which needs a primary key, Key becomes it when the
// source has none.
func DestinationTable(def *Definition, tg Target) dialect.Table {
	renames := map[string]string{}
	kept := map[string]bool{}
	for _, c := range def.Columns {
		kept[strings.ToLower(c.Name)] = tg.Keep == nil || tg.Keep(c.Name)
		if r := tg.Renames[c.Name]; r != "" && kept[strings.ToLower(c.Name)] {
			renames[c.Name] = r
		}
	}
	dest := func(name string) string {
		if r, ok := renames[name]; ok {
			return r
		}
		return name
	}
	out := tg.Dest
	out.Options, out.SourceFlavor = def.Options, tg.SourceFlavor
	out.Columns, out.Indexes = nil, nil
	out.PrimaryKey, out.DistributionKey = slices.Clone(tg.Dest.PrimaryKey), slices.Clone(tg.Dest.DistributionKey)
	for _, c := range def.Columns {
		if !kept[strings.ToLower(c.Name)] {
			continue
		}
		out.Columns = append(out.Columns, dialect.Column{Name: dest(c.Name), Definition: dialect.RenameIdents(c.Definition, renames)})
	}
	for _, o := range tg.Computed {
		if !slices.ContainsFunc(out.Columns, func(c dialect.Column) bool { return strings.EqualFold(c.Name, o.Name) }) {
			out.Columns = append(out.Columns, o)
		}
	}
	merge := tg.MergeColumn != ""
	if merge {
		out.Columns = append(out.Columns, dialect.Column{Name: tg.MergeColumn, Definition: mergeColumnDefinition})
	}
	if len(out.PrimaryKey) == 0 {
		key := def.PrimaryKey
		if len(key) == 0 && tg.DestFlavor == dialect.ADBMySQL {
			// AnalyticDB needs a primary key: the NOT NULL unique key the copy uses becomes it.
			key = tg.Key
		}
		for _, k := range key {
			out.PrimaryKey = append(out.PrimaryKey, dest(k))
		}
		switch {
		case len(out.PrimaryKey) == 0 && len(tg.Key) == 0:
			out.Columns = append([]dialect.Column{{Name: RowIDColumn, Definition: "bigint NOT NULL AUTO_INCREMENT"}}, out.Columns...)
			out.PrimaryKey = []string{RowIDColumn}
		case merge && len(out.PrimaryKey) > 0:
			// Rows of different source tables may share a key: the source names keep them apart.
			out.PrimaryKey = append(out.PrimaryKey, tg.MergeColumn)
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
	if tg.SourceFlavor == dialect.ADBMySQL && tg.DestFlavor == dialect.ADBMySQL {
		// An AnalyticDB source's layout carries over to an AnalyticDB destination unless
		// the task sets its own; MySQL and MariaDB have no such layout, so it stays behind.
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
	return out
}

// UniqueKey is the key incremental migration identifies a table's rows by when it has no
// primary key: its first UNIQUE index whose columns are all NOT NULL. notNull reports
// whether a column is declared NOT NULL. It returns nil when there is none.
func (d *Definition) UniqueKey(notNull func(column string) bool) []string {
	for _, ix := range d.Indexes {
		if ix.Kind == "UNIQUE" && ix.Columns != nil && !slices.ContainsFunc(ix.Columns, func(c string) bool { return !notNull(c) }) {
			return slices.Clone(ix.Columns)
		}
	}
	return nil
}

// columnsKept reports whether every column an index names survives the column subset
// (kept holds every source column, true when it is migrated). An index whose parts are
// expressions, or a CHECK, is kept when every column it quotes survives.
func columnsKept(ix IndexDef, kept map[string]bool) bool {
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
