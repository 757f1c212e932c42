// Package dialect holds the SQL that differs between the destinations the engine writes to
// (mysql, mariadb, adb_mysql3), and the quoting all of them share.
package dialect

import "strings"

// QuoteIdent quotes a MySQL identifier with backticks, doubling any backtick inside it, so
// that no object name from a task can break out of its place in a statement.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteTable quotes database.table.
func QuoteTable(database, table string) string {
	return QuoteIdent(database) + "." + QuoteIdent(table)
}

// QuoteIdents quotes each name and joins them with commas.
func QuoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}
