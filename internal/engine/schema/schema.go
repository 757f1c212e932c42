// Package schema reads table definitions from a source server and turns them into the
// statements that create the tables on the destination, with names mapped.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
)

// Column is one source column as the engine needs to know it.
type Column struct {
	Name     string
	DataType string // information_schema DATA_TYPE, lower case: int, varchar, blob, ...
	Nullable bool
	// Unsigned is true for unsigned numeric columns.
	Unsigned bool
	// Generated columns are computed by the server: they are created but never copied.
	Generated bool
	// Members are the members of an ENUM or SET column, in order.
	Members []string `json:",omitempty"`
	// Charset is a character column's character set; "" for other columns.
	Charset string `json:",omitempty"`
	// Collation is a character column's collation; "" for other columns, and in schema
	// histories recorded before it was kept (the character set's default then applies).
	Collation string `json:",omitempty"`
}

// Binary reports whether the column holds bytes rather than characters, so values must be
// written back as binary strings instead of being converted through a character set.
func (c Column) Binary() bool {
	switch c.DataType {
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit",
		"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection":
		return true
	}
	return false
}

// Integer reports whether the column is of an integer type.
func (c Column) Integer() bool {
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
		return true
	}
	return false
}

// Numeric reports whether the column's value is best moved as its number: ENUM and SET as
// their index and bitmask (which also keeps ENUM's error value apart from a ” member),
// and YEAR, whose text "0" would be read back as 2000 rather than 0000.
func (c Column) Numeric() bool {
	switch c.DataType {
	case "enum", "set", "year":
		return true
	}
	return false
}

// Table is one source table.
type Table struct {
	Database string
	Name     string
	Columns  []Column
	// Key holds the columns of the primary key, or of the first unique key whose columns
	// are all NOT NULL when there is no primary key; empty when the table has neither.
	Key []string
	// CreateSQL is the source's SHOW CREATE TABLE, with ENUM and SET members the server
	// printed as '?' replaced by their exact text (see recoverMembers).
	CreateSQL string
	// Shown is SHOW CREATE TABLE as the server printed it: comparing it with a later one
	// reveals DDL.
	Shown string
}

// Copied returns the columns whose values are copied: every column but generated ones.
func (t *Table) Copied() []Column {
	out := make([]Column, 0, len(t.Columns))
	for _, c := range t.Columns {
		if !c.Generated {
			out = append(out, c)
		}
	}
	return out
}

// Column returns the column named name.
// Column names are case-insensitive, as MySQL compares them; an exact match wins.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}

// ListTables returns the base tables (not views) of a database, in name order.
func ListTables(ctx context.Context, db *sql.DB, database string) ([]string, error) {
	rows, err := db.QueryContext(ctx,
		"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
		database)
	if err != nil {
		return nil, fmt.Errorf("listing tables of database %q: %w", database, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// DatabaseExists reports whether the server has the database.
func DatabaseExists(ctx context.Context, db *sql.DB, database string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database).Scan(&n)
	return n > 0, err
}

// Describe reads one table's columns, key and CREATE statement.
func Describe(ctx context.Context, db *sql.DB, database, table string) (*Table, error) {
	t := &Table{Database: database, Name: table}
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, LOWER(DATA_TYPE), IS_NULLABLE = 'YES',
		COALESCE(GENERATION_EXPRESSION, '') <> '', COLUMN_TYPE, COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
		database, table)
	if err != nil {
		return nil, fmt.Errorf("reading columns of %s.%s: %w", database, table, err)
	}
	colTypes, charsets := map[string]string{}, map[string]string{}
	for rows.Next() {
		var c Column
		var typ, charset string
		if err := rows.Scan(&c.Name, &c.DataType, &c.Nullable, &c.Generated, &typ, &charset, &c.Collation); err != nil {
			rows.Close()
			return nil, err
		}
		c.Unsigned = strings.Contains(typ, " unsigned")
		c.Charset = charset
		if c.DataType == "enum" || c.DataType == "set" {
			c.Members = parseMembers(typ)
		}
		t.Columns = append(t.Columns, c)
		colTypes[c.Name], charsets[c.Name] = typ, charset
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s.%s does not exist on the source or the user cannot see it: check the name and the user's SELECT privilege", database, table)
	}
	if t.Key, err = chooseKey(ctx, db, t); err != nil {
		return nil, err
	}
	var name string
	if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+dialect.QuoteTable(database, table)).Scan(&name, &t.CreateSQL); err != nil {
		return nil, fmt.Errorf("reading the definition of %s.%s: %w", database, table, err)
	}
	t.Shown = t.CreateSQL
	if err := recoverMembers(ctx, db, t, colTypes, charsets); err != nil {
		return nil, err
	}
	return t, nil
}

// chooseKey returns the primary key, else the first unique key (by name) with only NOT NULL
// columns and no prefix parts.
func chooseKey(ctx context.Context, db *sql.DB, t *Table) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT INDEX_NAME, COLUMN_NAME, NULLABLE = 'YES', SUB_PART IS NOT NULL
		FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
		ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`, t.Database, t.Name)
	if err != nil {
		return nil, fmt.Errorf("reading keys of %s.%s: %w", t.Database, t.Name, err)
	}
	defer rows.Close()
	type index struct {
		cols   []string
		usable bool
	}
	var order []string
	indexes := map[string]*index{}
	for rows.Next() {
		var name, col string
		var nullable, prefix bool
		if err := rows.Scan(&name, &col, &nullable, &prefix); err != nil {
			return nil, err
		}
		ix, ok := indexes[name]
		if !ok {
			ix = &index{usable: true}
			indexes[name] = ix
			order = append(order, name)
		}
		ix.cols = append(ix.cols, col)
		if nullable || prefix {
			ix.usable = false
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range order {
		if indexes[name].usable {
			return indexes[name].cols, nil
		}
	}
	return nil, nil
}
