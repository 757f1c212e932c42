package dialect

import "strings"

// ColumnPosition says where ADD COLUMN puts a new column: first, after a named column, or
// (the zero value) last.
type ColumnPosition struct {
	First bool
	After string
}

// upsert renders REPLACE INTO, which MySQL, MariaDB and AnalyticDB read alike: a row whose
// primary or unique key exists is deleted, then the new row inserted.
func upsert(database, table string, columns []string, rows int) string {
	var b strings.Builder
	b.WriteString("REPLACE INTO ")
	b.WriteString(QuoteTable(database, table))
	b.WriteString(" (")
	b.WriteString(QuoteIdents(columns))
	b.WriteString(") VALUES ")
	writeTuples(&b, len(columns), rows)
	return b.String()
}

// writeTuples writes rows tuples of n placeholders, separated by commas.
func writeTuples(b *strings.Builder, n, rows int) {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
	b.Grow(rows * (len(tuple) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
}

// deleteByKey renders a DELETE of rows rows, each named by the values of its key columns.
func deleteByKey(database, table string, key []string, rows int) string {
	quoted := make([]string, len(key))
	for i, k := range key {
		quoted[i] = QuoteIdent(k)
	}
	term := "(" + strings.Join(quoted, " = ? AND ") + " = ?)"
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(QuoteTable(database, table))
	b.WriteString(" WHERE ")
	b.Grow(rows * (len(term) + 4))
	for i := range rows {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(term)
	}
	return b.String()
}

func dropColumn(database, table, column string) string {
	return "ALTER TABLE " + QuoteTable(database, table) + " DROP COLUMN " + QuoteIdent(column)
}

func (mysqlDialect) Upsert(database, table string, columns []string, rows int) string {
	return upsert(database, table, columns, rows)
}

func (mysqlDialect) DeleteByKey(database, table string, key []string, rows int) string {
	return deleteByKey(database, table, key, rows)
}

func (mysqlDialect) AddColumn(database, table, definition string, pos ColumnPosition) string {
	stmt := "ALTER TABLE " + QuoteTable(database, table) + " ADD COLUMN " + definition
	switch {
	case pos.First:
		stmt += " FIRST"
	case pos.After != "":
		stmt += " AFTER " + QuoteIdent(pos.After)
	}
	return stmt
}

func (mysqlDialect) DropColumn(database, table, column string) string {
	return dropColumn(database, table, column)
}

func (adbDialect) Upsert(database, table string, columns []string, rows int) string {
	return upsert(database, table, columns, rows)
}

func (adbDialect) DeleteByKey(database, table string, key []string, rows int) string {
	return deleteByKey(database, table, key, rows)
}

// AddColumn appends the column whatever pos says: AnalyticDB's ALTER TABLE ADD COLUMN takes
// a column definition without FIRST or AFTER. Rows are written by column name, so the
// destination's column order does not matter to incremental migration.
func (adbDialect) AddColumn(database, table, definition string, _ ColumnPosition) string {
	return "ALTER TABLE " + QuoteTable(database, table) + " ADD COLUMN " + definition
}

func (adbDialect) DropColumn(database, table, column string) string {
	return dropColumn(database, table, column)
}
