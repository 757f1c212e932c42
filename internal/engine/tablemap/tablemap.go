// Package tablemap says how one source table maps onto one destination table (its columns,
// filter, merged-table tag and computed columns) and reads such a table the way every phase
// needs it: key columns, key ranges as SQL predicates, key reads, key arguments. The full
// load, data verification and incremental migration share it, so none of them depends on
// another phase.
package tablemap

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// SourceColumn is the column merge_tables adds to name the source table of each row.
const SourceColumn = "__dts_data_source"

// ColumnMap is one migrated column: its source definition and its destination name.
type ColumnMap struct {
	Source schema.Column
	Dest   string
}

// Table is one source table and the destination table its rows go to.
type Table struct {
	Source       *schema.Table
	Columns      []ColumnMap // stored (not generated) columns to migrate, in order
	Where        string      // a filter already validated by the precheck; "" for none
	DestDatabase string
	DestTable    string
	// SourceTag, when set, is written into SourceColumn of every row (merge_tables).
	SourceTag string
	// ETL, when set, filters the rows and computes the Computed columns; its expressions
	// may read every stored column of the table, so all of them are read.
	ETL *etl.Program
	// Computed are the destination columns of ETL's outputs, in their order. Source is
	// how the value travels: a binary column as hex, YEAR as a number, others as text.
	Computed []ColumnMap
}

// Name is the source table's "db.table", as messages and mismatches name it.
func (t Table) Name() string { return t.Source.Database + "." + t.Source.Name }

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

// EstimateRows is the server's row estimate of a table (0 when unknown).
func EstimateRows(ctx context.Context, db *sql.DB, t *schema.Table) int64 {
	var n sql.NullInt64
	_ = db.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", t.Database, t.Name).Scan(&n)
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
// YEAR) are read as numbers.
func SelectExpr(c schema.Column) string { return SelectAs(c, c.Name) }

// SelectAs is SelectExpr of column c under the name name: the same column on the other
// server, where it may be renamed.
func SelectAs(c schema.Column, name string) string {
	switch {
	case c.DataType == "float":
		return "CAST(" + dialect.QuoteIdent(name) + " AS DOUBLE)"
	case c.Numeric():
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
