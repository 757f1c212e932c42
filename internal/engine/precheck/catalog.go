package precheck

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// tableRef names a table on one server.
type tableRef struct{ db, table string }

func (r tableRef) String() string { return r.db + "." + r.table }

// tableInfo is what information_schema says about one table.
type tableInfo struct {
	Database, Name string
	Type           string // TABLE_TYPE: BASE TABLE, VIEW, ...
	Engine         string
	Collation      string // the table's default collation
	Bytes          uint64 // DATA_LENGTH + INDEX_LENGTH
	Columns        []columnInfo
}

type columnInfo struct {
	Name               string
	Nullable           bool
	Charset, Collation string // "" for columns that hold no text
}

// hasColumn reports whether the table has the column, compared as MySQL compares column
// names: without regard to case.
func (t *tableInfo) hasColumn(name string) bool {
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// catalog holds the tables of one server that were asked for and exist.
type catalog map[tableRef]*tableInfo

// lookup finds a table by its exact name, else by a name differing only in case (servers
// with lower_case_table_names store names in lower case).
func (c catalog) lookup(db, table string) *tableInfo {
	if t, ok := c[tableRef{db, table}]; ok {
		return t
	}
	for k, t := range c {
		if strings.EqualFold(k.db, db) && strings.EqualFold(k.table, table) {
			return t
		}
	}
	return nil
}

// batch bounds the number of names in one IN list.
const batch = 500

// readCatalog reads the tables among refs that exist on the server, with their columns.
func readCatalog(ctx context.Context, db *sql.DB, refs []tableRef) (catalog, error) {
	cat := catalog{}
	for database, names := range groupByDatabase(refs) {
		for chunk := range slices.Chunk(names, batch) {
			if err := readTables(ctx, db, cat, database, chunk); err != nil {
				return nil, err
			}
			if err := readColumns(ctx, db, cat, database, chunk); err != nil {
				return nil, err
			}
		}
	}
	return cat, nil
}

func readTables(ctx context.Context, db *sql.DB, cat catalog, database string, names []string) error {
	args := append([]any{database}, anys(names)...)
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(TABLE_TYPE, ''), COALESCE(ENGINE, ''),
		COALESCE(TABLE_COLLATION, ''), COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0)
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (`+placeholders(len(names))+`)`, args...)
	if err != nil {
		return fmt.Errorf("reading information_schema.TABLES for database %s: %w", database, err)
	}
	defer rows.Close()
	for rows.Next() {
		t := &tableInfo{Database: database}
		if err := rows.Scan(&t.Name, &t.Type, &t.Engine, &t.Collation, &t.Bytes); err != nil {
			return fmt.Errorf("reading information_schema.TABLES for database %s: %w", database, err)
		}
		cat[tableRef{database, t.Name}] = t
	}
	return rows.Err()
}

func readColumns(ctx context.Context, db *sql.DB, cat catalog, database string, names []string) error {
	args := append([]any{database}, anys(names)...)
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE = 'YES',
		COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (`+placeholders(len(names))+`)
		ORDER BY TABLE_NAME, ORDINAL_POSITION`, args...)
	if err != nil {
		return fmt.Errorf("reading information_schema.COLUMNS for database %s: %w", database, err)
	}
	defer rows.Close()
	for rows.Next() {
		var table string
		var c columnInfo
		if err := rows.Scan(&table, &c.Name, &c.Nullable, &c.Charset, &c.Collation); err != nil {
			return fmt.Errorf("reading information_schema.COLUMNS for database %s: %w", database, err)
		}
		if t := cat[tableRef{database, table}]; t != nil {
			t.Columns = append(t.Columns, c)
		}
	}
	return rows.Err()
}

// groupByDatabase returns the distinct table names of refs per database.
func groupByDatabase(refs []tableRef) map[string][]string {
	out := map[string][]string{}
	for _, r := range refs {
		if !slices.Contains(out[r.db], r.table) {
			out[r.db] = append(out[r.db], r.table)
		}
	}
	return out
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// quoteIdent quotes a name for SQL in a remedy.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func quoteTable(db, table string) string { return quoteIdent(db) + "." + quoteIdent(table) }

// showCreateTable returns SHOW CREATE TABLE of a table.
func showCreateTable(ctx context.Context, db *sql.DB, database, table string) (string, error) {
	var name, ddl string
	if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteTable(database, table)).Scan(&name, &ddl); err != nil {
		return "", fmt.Errorf("SHOW CREATE TABLE %s.%s: %w", database, table, err)
	}
	return ddl, nil
}

// listNames joins names for a message, cutting long lists short.
func listNames(names []string) string {
	const limit = 20
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}
