// Package tablemap holds the table plan: how one selected source table maps onto one
// destination table, worked out once when the task's objects are resolved (as Vitess's
// TablePlan is). A Table names the source and destination tables, the columns and their
// destination names, the key, the row filter (where), the etl block, the merge_tables tag,
// the operations incremental migration applies and the destination table fields. The
// precheck, the full load, data verification and the schema phase read it, the
// destination's dialect is fed from it (Destination), and incremental migration's cdc.Table
// embeds it and adds the table's live state. None of them builds its own copy, so none
// depends on another phase.
//
// The package also reads such a table the way every phase needs it: key columns, key
// ranges as SQL predicates, key reads, key arguments.
package tablemap

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// SourceColumn is the column merge_tables adds to name the source table of each row.
const SourceColumn = "__dts_data_source"

// ColumnMap is one migrated column: its source definition and its destination name.
type ColumnMap struct {
	Source schema.Column
	Dest   string
}

// Table is the plan of one selected table: one source table and the destination table its
// rows go to, as the task resolved them. A plan is built once per table and per run
// (engine's resolve); a phase that needs a variant (the matching columns under
// ignore_errors_and_proceed) changes its own copy of the value, never the shared slices.
type Table struct {
	// SourceDatabase and SourceTable name the source table; DestDatabase and DestTable the
	// destination table, after the database's and the table's rename_to.
	SourceDatabase, SourceTable string
	DestDatabase, DestTable     string
	// Source is the source table's definition as resolved; nil in a plan that only names
	// its tables (a precheck input).
	Source *schema.Table
	// AllTables is true when the table was selected through its database, without table
	// blocks: a table without a usable key then gets an auto-increment key on the
	// destination.
	AllTables bool
	// Selected are the source columns the task lists (columns); nil selects every column,
	// and also those added later.
	Selected []string
	// Renames maps source column names to destination names (the column blocks).
	Renames map[string]string
	// Columns are the stored (not generated) columns to migrate, in order, under their
	// destination names; without the ones etl drops or computes.
	Columns []ColumnMap
	// Where is a filter already validated by the resolution; "" for none.
	Where string
	// SourceTag, when set, is written into SourceColumn of every row (merge_tables).
	SourceTag string
	// ETLSpec is the table's etl block as the task wrote it; empty for none. ETL, when set,
	// is it compiled against Source: it filters the rows and computes the Computed
	// columns; its expressions may read every stored column of the table, so all of them
	// are read.
	ETLSpec etl.Spec
	ETL     *etl.Program
	// Computed are the destination columns of ETL's outputs, in their order. Source is
	// how the value travels: a binary column as hex, YEAR as a number, others as text.
	Computed []ColumnMap
	// Ops are the dml and then the ddl operations incremental migration applies to the
	// table: the table's own, else the task's, else all of their kind.
	Ops []vocab.Operation
	// Fields are the task's destination table fields, in destination column names.
	Fields Fields
}

// Fields are the destination table fields of a table block (the seed's "Configure Database
// and Table Fields"); zero values leave the choice to the source's definition or the
// dialect, which renders or refuses them (dialect.Table).
type Fields struct {
	TableType          string   `json:"table_type,omitempty"`
	PrimaryKey         []string `json:"primary_key,omitempty"`
	DistributionKey    []string `json:"distribution_key,omitempty"`
	PartitionKey       string   `json:"partition_key,omitempty"`
	PartitionRule      string   `json:"partition_rule,omitempty"`
	PartitionLifecycle int      `json:"partition_lifecycle,omitempty"`
}

// DestName is the destination table's "db.table".
func (t Table) DestName() string { return t.DestDatabase + "." + t.DestTable }

// Subset reports whether the task lists the table's columns: a column added to the source
// table later is then not migrated.
func (t Table) Subset() bool { return len(t.Selected) > 0 }

// DestColumns are the destination names of the migrated columns when the task subsets or
// renames them; nil when every column keeps its source name (or none is migrated).
func (t Table) DestColumns() []string {
	if t.Selected == nil && len(t.Renames) == 0 {
		return nil
	}
	var out []string
	for _, c := range t.Columns {
		out = append(out, c.Dest)
	}
	return out
}

// Destination is what the destination's dialect needs to create the plan's table from
// def, the source table's definition, whose rows are identified by key: the one road
// (schema.DestinationTable) with the plan's column subset, renames, etl columns, merge
// column and destination fields applied.
func (t Table) Destination(def *schema.Definition, key []string, source, dest dialect.DatabaseType) dialect.Table {
	tg := schema.Target{
		Dest: dialect.Table{
			Database: t.DestDatabase, Name: t.DestTable,
			TableType: t.Fields.TableType, PrimaryKey: t.Fields.PrimaryKey, DistributionKey: t.Fields.DistributionKey,
			PartitionKey: t.Fields.PartitionKey, PartitionRule: t.Fields.PartitionRule, PartitionLifecycle: t.Fields.PartitionLifecycle,
		},
		SourceFlavor: source, DestFlavor: dest,
		Keep: func(c string) bool {
			return (t.Selected == nil || slices.Contains(t.Selected, c)) && (t.ETL == nil || !t.ETL.Dropped(c))
		},
		Renames: t.Renames, Key: key,
	}
	if t.ETL != nil {
		for _, o := range t.ETL.Outputs() {
			tg.Computed = append(tg.Computed, dialect.Column{Name: o.Name, Definition: dialect.ComputedColumnType(dest, o.Kind) + " DEFAULT NULL"})
		}
	}
	if t.SourceTag != "" {
		tg.MergeColumn = SourceColumn
	}
	return schema.DestinationTable(def, tg)
}

// MarshalJSON writes the plan in a stable form for tests and diagnostics: names, the key
// and the columns with their types, and what the task said about the table. It is not a
// stored format.
func (t Table) MarshalJSON() ([]byte, error) {
	type column struct {
		Source   string `json:"source"`
		Type     string `json:"type"`
		Dest     string `json:"dest"`
		Nullable bool   `json:"nullable,omitempty"`
	}
	columns := func(cms []ColumnMap) []column {
		out := make([]column, len(cms))
		for i, c := range cms {
			out[i] = column{Source: c.Source.Name, Type: c.Source.DataType, Dest: c.Dest, Nullable: c.Source.Nullable}
		}
		return out
	}
	var key []string
	if t.Source != nil {
		key = t.Source.Key
	}
	var etlSpec *etl.Spec
	if !t.ETLSpec.Empty() {
		etlSpec = &t.ETLSpec
	}
	return json.Marshal(struct {
		Source    string            `json:"source"`
		Dest      string            `json:"dest"`
		AllTables bool              `json:"all_tables,omitempty"`
		Key       []string          `json:"key"`
		Selected  []string          `json:"selected,omitempty"`
		Renames   map[string]string `json:"renames,omitempty"`
		Columns   []column          `json:"columns"`
		Where     string            `json:"where,omitempty"`
		SourceTag string            `json:"source_tag,omitempty"`
		ETL       *etl.Spec         `json:"etl,omitempty"`
		Computed  []column          `json:"computed,omitempty"`
		Ops       []vocab.Operation `json:"ops"`
		Fields    Fields            `json:"fields"`
	}{
		Source: t.SourceDatabase + "." + t.SourceTable, Dest: t.DestDatabase + "." + t.DestTable, AllTables: t.AllTables,
		Key: key, Selected: t.Selected, Renames: t.Renames, Columns: columns(t.Columns), Where: t.Where, SourceTag: t.SourceTag,
		ETL: etlSpec, Computed: columns(t.Computed), Ops: t.Ops, Fields: t.Fields,
	})
}

// Name is the source table's "db.table", as messages and mismatches name it.
func (t Table) Name() string { return t.SourceDatabase + "." + t.SourceTable }

// Outputs are the table's destination columns: the migrated ones, then the computed ones.
func (t Table) Outputs() []ColumnMap { return append(slices.Clone(t.Columns), t.Computed...) }

// Reads are the source columns a query for the table reads: the migrated ones, or with ETL
// every stored column of the table.
func (t Table) Reads() []schema.Column {
	if t.ETL != nil {
		return t.Source.Copied()
	}
	out := make([]schema.Column, len(t.Columns))
	for i, cm := range t.Columns {
		out[i] = cm.Source
	}
	return out
}

// ForDestination is the plan as the copy reads and writes it for a destination of flavor
// dest: an ENUM or SET column that dest stores as its member text (dialect.MembersAsText)
// is read and written as text, not as its index or bit mask; a copied BIT column that dest
// stores as its number (dialect.BitsAsNumber) is read as that number (Column.AsNumber)
// where it is copied, while Source keeps it as bytes for the key ranges and etl, which
// read the bits. With etl, Source keeps ENUM and SET too (the copy reads every column as
// Source has it and converts). t itself is not changed.
func (t Table) ForDestination(dest dialect.DatabaseType) Table {
	asText := func(cols []schema.Column) []schema.Column {
		var out []schema.Column
		for i, c := range cols {
			if dialect.MembersAsText(dest, c.DataType) {
				if out == nil {
					out = slices.Clone(cols)
				}
				out[i].DataType, out[i].Members = "varchar", nil
			}
		}
		return out
	}
	// With etl the source columns stay as the table holds them: the program reads an ENUM
	// or SET as its index or mask, and the copy turns a copied one into its text itself.
	if t.Source != nil && t.ETL == nil {
		if cols := asText(t.Source.Columns); cols != nil {
			src := *t.Source
			src.Columns = cols
			t.Source = &src
		}
	}
	var cols []ColumnMap
	for i, cm := range t.Columns {
		switch {
		case dialect.MembersAsText(dest, cm.Source.DataType):
			if cols == nil {
				cols = slices.Clone(t.Columns)
			}
			cols[i].Source.DataType, cols[i].Source.Members = "varchar", nil
		case dialect.BitsAsNumber(dest, cm.Source.DataType):
			if cols == nil {
				cols = slices.Clone(t.Columns)
			}
			cols[i].Source.AsNumber = true
		}
	}
	if cols != nil {
		t.Columns = cols
	}
	return t
}

// CopiedValue is a copied column's value v as the copy writes it, from v as the query read
// it: read is the column as Reads has it, written as the plan's ColumnMap.Source has it.
// They differ only where ForDestination changed the column and etl kept it as the table
// holds it: an ENUM index or SET mask written as its member text, a BIT's bytes written as
// its unsigned number. nil stays nil.
func CopiedValue(read, written schema.Column, v []byte) []byte {
	if v == nil {
		return nil
	}
	switch {
	case (read.DataType == "enum" || read.DataType == "set") && written.DataType != read.DataType:
		if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return []byte(schema.MemberText(read, n))
		}
	case written.AsNumber && !read.AsNumber:
		var n uint64
		for _, b := range v {
			n = n<<8 | uint64(b)
		}
		return strconv.AppendUint(nil, n, 10)
	}
	return v
}

// DestKey names the source key columns as the destination calls them.
func (t Table) DestKey() []string {
	out := make([]string, len(t.Source.Key))
	for i, k := range t.Source.Key {
		out[i] = k
		for _, cm := range t.Columns {
			if strings.EqualFold(cm.Source.Name, k) {
				out[i] = cm.Dest
			}
		}
	}
	return out
}

// KeyColumns returns the definitions of the table's key columns, in key order.
func KeyColumns(t *schema.Table) ([]schema.Column, error) {
	out := make([]schema.Column, len(t.Key))
	for i, k := range t.Key {
		c, ok := t.Column(k)
		if !ok || c.Generated {
			return nil, fmt.Errorf("table %s.%s: key column %q is generated or missing; migration needs a stored key", t.Database, t.Name, k)
		}
		out[i] = c
	}
	return out, nil
}

// EstimateDatabaseRows returns the server's row estimates of the tables of database by
// name, in one query; a table missing from the result is unknown (0, as for EstimateRows).
func EstimateDatabaseRows(ctx context.Context, db *sql.DB, database string) map[string]int64 {
	out := map[string]int64{}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n sql.NullInt64
		if rows.Scan(&name, &n) == nil {
			out[name] = n.Int64
		}
	}
	return out
}

// EstimateRows is the server's row estimate of a table (0 when unknown). MySQL 8 caches
// information_schema statistics for information_schema_stats_expiry (a day by default), so
// the session asks for fresh ones; MariaDB and 5.7 have no such cache (nor the variable).
func EstimateRows(ctx context.Context, db *sql.DB, t *schema.Table) int64 {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0"); err == nil {
		defer conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION information_schema_stats_expiry = DEFAULT")
	}
	var n sql.NullInt64
	_ = conn.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", t.Database, t.Name).Scan(&n)
	return n.Int64
}

// ReadKey returns the key values of the first row query answers, as bytes; nil when it
// answers no row.
func ReadKey(ctx context.Context, db *sql.DB, query string, args []any, n int) ([][]byte, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	raw := make([]sql.RawBytes, n)
	dest := make([]any, n)
	for i := range raw {
		dest[i] = &raw[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	key := make([][]byte, n)
	for i, r := range raw {
		key[i] = append([]byte{}, r...)
	}
	return key, rows.Err()
}

// KeyArgs turns key values read in the text protocol into arguments that select the same
// row: binary columns as bytes, others as strings.
func KeyArgs(cols []schema.Column, key [][]byte) []any {
	out := make([]any, len(key))
	for i, c := range cols {
		out[i] = TextValue(c, key[i])
	}
	return out
}

// TextValue turns a value read in the text protocol into an argument that writes the same
// bytes back: binary columns as bytes, others as strings in the connection's utf8mb4.
func TextValue(c schema.Column, b []byte) any {
	if b == nil {
		return nil
	}
	if c.Binary() {
		return append([]byte{}, b...)
	}
	return string(b)
}

// RangePredicate returns the conditions "key > lo" (when lo is set) and "key <= hi" (when hi
// is set) over the key columns named names, whose definitions are cols, ANDed with extra
// conditions; "" when there are none.
func RangePredicate(names []string, cols []schema.Column, lo, hi [][]byte, extra ...string) (string, []any) {
	var preds []string
	var args []any
	if lo != nil {
		p, a := After(names, KeyArgs(cols, lo))
		preds, args = append(preds, "("+p+")"), append(args, a...)
	}
	if hi != nil {
		p, a := compare(names, KeyArgs(cols, hi), "<", "<=")
		preds, args = append(preds, "("+p+")"), append(args, a...)
	}
	for _, e := range extra {
		if e != "" {
			preds = append(preds, "("+e+")")
		}
	}
	return strings.Join(preds, " AND "), args
}

// After returns "key > last" for a composite key, expanded as
// (k1 > ?) OR (k1 = ? AND k2 > ?) ..., which the optimizer turns into index ranges.
func After(key []string, last []any) (string, []any) { return compare(key, last, ">", ">") }

func compare(key []string, last []any, strict, final string) (string, []any) {
	var terms []string
	var args []any
	for i := range key {
		var parts []string
		for j := 0; j < i; j++ {
			parts = append(parts, dialect.QuoteIdent(key[j])+" = ?")
			args = append(args, last[j])
		}
		op := strict
		if i == len(key)-1 {
			op = final
		}
		parts = append(parts, dialect.QuoteIdent(key[i])+" "+op+" ?")
		args = append(args, last[i])
		terms = append(terms, "("+strings.Join(parts, " AND ")+")")
	}
	return strings.Join(terms, " OR "), args
}

// SelectExpr reads a column so that its text form writes back the identical value. FLOAT
// is widened to DOUBLE: the server prints FLOAT with too few digits to round-trip, while
// every FLOAT is exactly a DOUBLE whose printed form does. Numeric columns (ENUM, SET,
// YEAR) and a BIT column whose destination stores its number (Column.AsNumber) are read as
// numbers.
func SelectExpr(c schema.Column) string { return SelectAs(c, c.Name) }

// FloatAsDouble widens a FLOAT expression to DOUBLE by adding a DOUBLE zero: the same value
// and text as CAST(x AS DOUBLE), which MySQL has only from 8.0.17 (5.7 refuses it), on
// MySQL 5.7, 8.x and MariaDB alike.
func FloatAsDouble(expr string) string { return "(" + expr + " + 0e0)" }

// SelectAs is SelectExpr of column c under the name name: the same column on the other
// server, where it may be renamed.
func SelectAs(c schema.Column, name string) string {
	switch {
	case c.DataType == "float":
		return FloatAsDouble(dialect.QuoteIdent(name))
	case c.Numeric() || c.AsNumber:
		return "(" + dialect.QuoteIdent(name) + " + 0)"
	}
	return dialect.QuoteIdent(name)
}

// Where is " WHERE pred", or "" for an empty pred.
func Where(pred string) string {
	if pred == "" {
		return ""
	}
	return " WHERE " + pred
}

// Display shows a value read in the text protocol in a message: NULL, binary values in hex.
func Display(c schema.Column, b []byte) string {
	if b == nil {
		return "NULL"
	}
	if c.Binary() {
		return fmt.Sprintf("0x%X", b)
	}
	return string(b)
}
