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

// TextValue converts the bytes to the column's character set and collation. A name that
// is not a plain identifier (never from information_schema) leaves the value as bytes.
func (mysqlDialect) TextValue(charset, collation string) string {
	if !plainName(charset) || (collation != "" && !plainName(collation)) {
		return "?"
	}
	v := "CONVERT(? USING " + charset + ")"
	if collation != "" {
		v += " COLLATE " + collation
	}
	return v
}

// MemberValue picks the member text with ELT (an ENUM's index 0, the error value, reads as
// the empty string) or MAKE_SET (a SET's members joined by commas).
func (mysqlDialect) MemberValue(members []string, set bool, charset, collation string) string {
	quoted := make([]string, len(members))
	for i, m := range members {
		quoted[i] = QuoteString(m)
	}
	v := "ELT(? + 1, '', " + strings.Join(quoted, ", ") + ")"
	if set {
		v = "MAKE_SET(?, " + strings.Join(quoted, ", ") + ")"
	}
	if len(members) == 0 {
		return "?"
	}
	if !plainName(charset) || (collation != "" && !plainName(collation)) {
		return v
	}
	v = "CONVERT(" + v + " USING " + charset + ")"
	if collation != "" {
		v += " COLLATE " + collation
	}
	return v
}

// plainName reports whether s is a character set or collation name: letters, digits and
// underscores.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
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

// TextValue leaves the value as bytes: AnalyticDB's conversion functions and collations
// are not described for this use, so a filter compares text as binary strings there.
func (adbDialect) TextValue(charset, collation string) string { return "?" }

// MemberValue leaves the index or bit mask as a number on AnalyticDB, like TextValue.
func (adbDialect) MemberValue(members []string, set bool, charset, collation string) string {
	return "?"
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

// DDL that incremental migration follows. Every statement changes one thing, so that the
// applier can check before each whether it was applied already (a DDL replayed after a
// restart).

func alterTable(database, table, spec string) string {
	return "ALTER TABLE " + QuoteTable(database, table) + " " + spec
}

func withPosition(stmt string, pos ColumnPosition) string {
	switch {
	case pos.First:
		return stmt + " FIRST"
	case pos.After != "":
		return stmt + " AFTER " + QuoteIdent(pos.After)
	}
	return stmt
}

func (mysqlDialect) ModifyColumn(database, table, definition string, pos ColumnPosition) string {
	return withPosition(alterTable(database, table, "MODIFY COLUMN "+definition), pos)
}

func renameColumn(database, table, from, to string) string {
	return alterTable(database, table, "RENAME COLUMN "+QuoteIdent(from)+" TO "+QuoteIdent(to))
}

func setColumnDefault(database, table, column, expr string) string {
	return alterTable(database, table, "ALTER COLUMN "+QuoteIdent(column)+" SET DEFAULT "+expr)
}

func dropColumnDefault(database, table, column string) string {
	return alterTable(database, table, "ALTER COLUMN "+QuoteIdent(column)+" DROP DEFAULT")
}

func dropIndex(database, table, name string) string {
	return alterTable(database, table, "DROP INDEX "+QuoteIdent(name))
}

func truncateTable(database, table string) string {
	return "TRUNCATE TABLE " + QuoteTable(database, table)
}

func dropTable(database, table string) string {
	return "DROP TABLE IF EXISTS " + QuoteTable(database, table)
}

func (mysqlDialect) RenameColumn(database, table, from, to string) string {
	return renameColumn(database, table, from, to)
}

func (mysqlDialect) SetColumnDefault(database, table, column, _, expr string) string {
	return setColumnDefault(database, table, column, expr)
}

func (mysqlDialect) DropColumnDefault(database, table, column, _ string) string {
	return dropColumnDefault(database, table, column)
}

func (mysqlDialect) ColumnDefaultByModify() bool { return false }

func (mysqlDialect) AddIndex(database, table string, ix Index, sourceFlavor DatabaseType) (string, bool, error) {
	if ix.Kind == "CLUSTERED" || ix.Kind == "CHECK" {
		return "", false, nil // as in CreateTable
	}
	line, err := renderIndex(ix, mysqlIndexHeads[ix.Kind], sameFamily(sourceFlavor, false))
	if err != nil {
		return "", false, err
	}
	return alterTable(database, table, "ADD "+line), true, nil
}

func (mysqlDialect) DropIndex(database, table, name string) string {
	return dropIndex(database, table, name)
}

// DeferIndexes: InnoDB maintains a secondary index row by row during a load, in random
// order, but builds an added one from sorted rows. Measured on a local MariaDB 10.11, loading
// 500,000 sysbench rows cost the server 3.40 CPU-seconds with its secondary index and 2.41
// loading without it and adding it after.
func (mysqlDialect) DeferIndexes(database, table string, names, lines []string) (string, string, bool) {
	drops := make([]string, len(names))
	for i, n := range names {
		drops[i] = "DROP INDEX " + QuoteIdent(n)
	}
	adds := make([]string, len(lines))
	for i, l := range lines {
		adds[i] = "ADD " + l
	}
	return alterTable(database, table, strings.Join(drops, ", ")), alterTable(database, table, strings.Join(adds, ", ")), true
}

// TableOptions keeps every option but ENGINE (on the source usually a rebuild, which the
// destination need not repeat), AUTO_INCREMENT (the destination's counter follows the rows
// written) and partitioning (the destination owner's choice); those are reported.
func (mysqlDialect) TableOptions(database, table string, opts []Option) (string, []Option) {
	var kept []string
	var left []Option
	for _, o := range opts {
		switch o.Name {
		case "ENGINE", "AUTO_INCREMENT", "PARTITION BY", "/*":
			left = append(left, o)
		default:
			kept = append(kept, o.Raw)
		}
	}
	if len(kept) == 0 {
		return "", left
	}
	return alterTable(database, table, strings.Join(kept, " ")), left
}

func (mysqlDialect) CreateTableLike(database, table, likeDatabase, likeTable string) string {
	return "CREATE TABLE IF NOT EXISTS " + QuoteTable(database, table) + " LIKE " + QuoteTable(likeDatabase, likeTable)
}

func (mysqlDialect) DropTable(database, table string) string { return dropTable(database, table) }

func (mysqlDialect) TruncateTable(database, table string) string {
	return truncateTable(database, table)
}

func (mysqlDialect) RenameTable(fromDatabase, from, toDatabase, to string) string {
	return "RENAME TABLE " + QuoteTable(fromDatabase, from) + " TO " + QuoteTable(toDatabase, to)
}

// ModifyColumn ignores pos, as AddColumn does: AnalyticDB's MODIFY COLUMN takes a column
// definition without FIRST or AFTER. Rows are written by column name, so the order of the
// destination's columns does not matter to where values land.
func (adbDialect) ModifyColumn(database, table, definition string, _ ColumnPosition) string {
	return alterTable(database, table, "MODIFY COLUMN "+definition)
}

func (adbDialect) RenameColumn(database, table, from, to string) string {
	return renameColumn(database, table, from, to)
}

// SetColumnDefault restates the column with its new default: AnalyticDB changes a default
// through MODIFY COLUMN only, not ALTER COLUMN ... SET DEFAULT ("DDL differences").
func (adbDialect) SetColumnDefault(database, table, column, current, expr string) string {
	return alterTable(database, table, "MODIFY COLUMN "+QuoteIdent(column)+" "+current+" DEFAULT "+expr)
}

// DropColumnDefault restates the column without a default (see SetColumnDefault).
func (adbDialect) DropColumnDefault(database, table, column, current string) string {
	return alterTable(database, table, "MODIFY COLUMN "+QuoteIdent(column)+" "+current)
}

func (adbDialect) ColumnDefaultByModify() bool { return true }

// AddIndex creates KEY, FULLTEXT and CLUSTERED indexes as CreateTable does: AnalyticDB has
// no UNIQUE secondary index and indexes every column by default, so a UNIQUE key becomes a
// plain KEY (uniqueness stays the source's to enforce) and CHECK is not created.
//
// From MySQL or MariaDB, an index AnalyticDB cannot have as it is (several columns, a
// prefix, a direction, an expression: see ADBSecondaryIndexes) is created on its first
// column under its own name, so that a later DROP INDEX finds it; AnalyticDB indexes every
// column by default, so the other columns lose no lookup.
func (adbDialect) AddIndex(database, table string, ix Index, sourceFlavor DatabaseType) (string, bool, error) {
	if sourceFlavor != ADBMySQL && ix.Kind != "CHECK" {
		if ix.Columns == nil || ix.Kind == "SPATIAL" {
			return "", false, nil
		}
		kind := "KEY"
		if ix.Kind == "FULLTEXT" && len(ix.Columns) == 1 {
			kind = "FULLTEXT"
		}
		ix = Index{Kind: kind, Name: ix.Name, Columns: ix.Columns[:1], Raw: commentOnly(ix.Raw)}
	}
	head, ok := adbIndexHeads[ix.Kind]
	if !ok {
		return "", false, nil
	}
	line, err := renderIndex(ix, head, sameFamily(sourceFlavor, true))
	if err != nil {
		return "", false, err
	}
	return alterTable(database, table, "ADD "+line), true, nil
}

func (adbDialect) DropIndex(database, table, name string) string {
	return dropIndex(database, table, name)
}

// DeferIndexes returns ok false: AnalyticDB indexes every column by default with its own
// index build, not InnoDB's, and nothing measured here says a load gains by dropping an
// index first, so its tables keep their indexes.
func (adbDialect) DeferIndexes(string, string, []string, []string) (string, string, bool) {
	return "", "", false
}

// TableOptions keeps only COMMENT: the storage, distribution, partition and lifecycle of an
// AnalyticDB table are the task's destination fields, and the MySQL options (ENGINE,
// CHARSET, ROW_FORMAT) have no AnalyticDB meaning.
func (adbDialect) TableOptions(database, table string, opts []Option) (string, []Option) {
	var kept []string
	var left []Option
	for _, o := range opts {
		if o.Name == "COMMENT" {
			kept = append(kept, o.Raw)
		} else {
			left = append(left, o)
		}
	}
	if len(kept) == 0 {
		return "", left
	}
	return alterTable(database, table, strings.Join(kept, " ")), left
}

func (adbDialect) CreateTableLike(database, table, likeDatabase, likeTable string) string {
	return "CREATE TABLE IF NOT EXISTS " + QuoteTable(database, table) + " LIKE " + QuoteTable(likeDatabase, likeTable)
}

func (adbDialect) DropTable(database, table string) string { return dropTable(database, table) }

func (adbDialect) TruncateTable(database, table string) string {
	return truncateTable(database, table)
}

// RenameTable uses ALTER TABLE ... RENAME TO, the form AnalyticDB documents.
func (adbDialect) RenameTable(fromDatabase, from, toDatabase, to string) string {
	return "ALTER TABLE " + QuoteTable(fromDatabase, from) + " RENAME TO " + QuoteTable(toDatabase, to)
}
