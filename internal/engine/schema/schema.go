// Package schema reads table definitions from a source server and turns them into the
// statements that create the tables on the destination, with names mapped.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

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
	// AsNumber is set only on the copy's view of a BIT column whose destination stores its
	// unsigned number (dialect.BitsAsNumber, tablemap.Table.ForDestination): the value is
	// read as that number and written as its text, not as bytes. It is never stored.
	AsNumber bool `json:"-"`
}

// Binary reports whether the column holds bytes rather than characters, so values must be
// written back as binary strings instead of being converted through a character set.
func (c Column) Binary() bool {
	if c.AsNumber {
		return false
	}
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

// MemberText is the text of an ENUM's index or a SET's bit mask n, as the server shows the
// value: the member (the empty string for index 0, the error value), or the members whose
// bits are set, joined by commas.
func MemberText(c Column, n uint64) string {
	if c.DataType == "enum" {
		if n == 0 || n > uint64(len(c.Members)) {
			return ""
		}
		return c.Members[n-1]
	}
	var parts []string
	for i, m := range c.Members {
		if i < 64 && n&(1<<uint(i)) != 0 {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, ",")
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
	rows, err := db.QueryContext(ctx, columnsQuery+" AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", database, table)
	if err != nil {
		return nil, fmt.Errorf("reading columns of %s.%s: %w", database, table, err)
	}
	found, err := readColumns(rows, database)
	if err != nil {
		return nil, fmt.Errorf("reading columns of %s.%s: %w", database, table, err)
	}
	// The server matched the name as it compares table names, which may ignore case: the
	// table keeps the name it was asked for.
	var d *described
	for _, d = range found { // one table at most
		d.Name = table
	}
	if d == nil {
		return nil, fmt.Errorf("table %s.%s does not exist on the source or the user cannot see it: check the name and the user's SELECT privilege", database, table)
	}
	rows, err = db.QueryContext(ctx, keysQuery+" AND TABLE_NAME = ?"+keysOrder, database, table)
	if err != nil {
		return nil, fmt.Errorf("reading keys of %s.%s: %w", database, table, err)
	}
	keys, err := readKeys(rows)
	if err != nil {
		return nil, fmt.Errorf("reading keys of %s.%s: %w", database, table, err)
	}
	for _, k := range keys { // one table at most
		d.Key = k
	}
	return d.finish(ctx, db)
}

// DescribeAll reads the tables of database named in tables, in that order, as Describe
// reads one: the columns and keys of them all with one query each, then SHOW CREATE TABLE
// of workers tables at a time. Per-table queries add up with thousands of tables (2,000:
// about 2 s one by one on a local MariaDB). A table the two queries do not find by its
// exact name is read by Describe, which says what is wrong with it. On failure it returns
// the error of the first table, in order, that failed.
func DescribeAll(ctx context.Context, db *sql.DB, database string, tables []string, workers int) ([]*Table, error) {
	if len(tables) < describeAllFrom {
		out := make([]*Table, len(tables))
		for i, name := range tables {
			t, err := Describe(ctx, db, database, name)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	}
	rows, err := db.QueryContext(ctx, columnsQuery+" ORDER BY TABLE_NAME, ORDINAL_POSITION", database)
	if err != nil {
		return nil, fmt.Errorf("reading columns of database %s: %w", database, err)
	}
	found, err := readColumns(rows, database)
	if err != nil {
		return nil, fmt.Errorf("reading columns of database %s: %w", database, err)
	}
	rows, err = db.QueryContext(ctx, keysQuery+keysOrder, database)
	if err != nil {
		return nil, fmt.Errorf("reading keys of database %s: %w", database, err)
	}
	keys, err := readKeys(rows)
	if err != nil {
		return nil, fmt.Errorf("reading keys of database %s: %w", database, err)
	}
	out := make([]*Table, len(tables))
	errs := make([]error, len(tables))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, len(tables))) {
		wg.Go(func() {
			for i := range next {
				if d := found[tables[i]]; d != nil {
					d.Key = keys[tables[i]]
					out[i], errs[i] = d.finish(ctx, db)
				} else {
					out[i], errs[i] = Describe(ctx, db, database, tables[i])
				}
			}
		})
	}
	for i := range tables {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// describeAllFrom is the number of tables from which DescribeAll reads the columns and keys
// of the whole database at once: for a few tables of a large database, reading only theirs
// costs less.
const describeAllFrom = 16

// columnsQuery reads the columns of the tables of a database (the first argument); the
// caller adds the rest of the WHERE clause and the order, ORDINAL_POSITION within a table.
const columnsQuery = `SELECT TABLE_NAME, COLUMN_NAME, LOWER(DATA_TYPE), IS_NULLABLE = 'YES',
	COALESCE(GENERATION_EXPRESSION, '') <> '', COLUMN_TYPE, COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, '')
	FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`

// described is a table whose columns were read, with what finish needs of them.
type described struct {
	*Table
	colTypes, charsets map[string]string // information_schema COLUMN_TYPE and character set by column
}

// readColumns reads the rows of columnsQuery, by table name, and closes them.
func readColumns(rows *sql.Rows, database string) (map[string]*described, error) {
	defer rows.Close()
	out := map[string]*described{}
	for rows.Next() {
		var table, typ, charset string
		var c Column
		if err := rows.Scan(&table, &c.Name, &c.DataType, &c.Nullable, &c.Generated, &typ, &charset, &c.Collation); err != nil {
			return nil, err
		}
		c.Unsigned = strings.Contains(typ, " unsigned")
		c.Charset = charset
		if c.DataType == "enum" || c.DataType == "set" {
			c.Members = parseMembers(typ)
		}
		d := out[table]
		if d == nil {
			d = &described{Table: &Table{Database: database, Name: table}, colTypes: map[string]string{}, charsets: map[string]string{}}
			out[table] = d
		}
		d.Columns = append(d.Columns, c)
		d.colTypes[c.Name], d.charsets[c.Name] = typ, charset
	}
	return out, rows.Err()
}

// finish reads the table's CREATE statement and recovers its ENUM and SET members.
func (d *described) finish(ctx context.Context, db *sql.DB) (*Table, error) {
	t := d.Table
	var name string
	if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+dialect.QuoteTable(t.Database, t.Name)).Scan(&name, &t.CreateSQL); err != nil {
		return nil, fmt.Errorf("reading the definition of %s.%s: %w", t.Database, t.Name, err)
	}
	t.Shown = t.CreateSQL
	if err := recoverMembers(ctx, db, t, d.colTypes, d.charsets); err != nil {
		return nil, err
	}
	return t, nil
}

// keysQuery and keysOrder read the unique keys of the tables of a database (the first
// argument), by table in the order chooseKey takes them; the caller may add to the WHERE
// clause between the two.
const (
	keysQuery = `SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, NULLABLE = 'YES', SUB_PART IS NOT NULL
		FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND NON_UNIQUE = 0`
	keysOrder = " ORDER BY TABLE_NAME, INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX"
)

// readKeys reads the rows of keysQuery and returns, by table name, the key chooseKey picks:
// the primary key, else the first unique key (by name) with only NOT NULL columns and no
// prefix or expression parts; a table with neither is missing. It closes rows.
func readKeys(rows *sql.Rows) (map[string][]string, error) {
	defer rows.Close()
	type index struct {
		cols   []string
		usable bool
	}
	type table struct {
		order   []string
		indexes map[string]*index
	}
	tables := map[string]*table{}
	for rows.Next() {
		var tname, name string
		var col sql.NullString
		var nullable, prefix bool
		if err := rows.Scan(&tname, &name, &col, &nullable, &prefix); err != nil {
			return nil, err
		}
		t := tables[tname]
		if t == nil {
			t = &table{indexes: map[string]*index{}}
			tables[tname] = t
		}
		ix, ok := t.indexes[name]
		if !ok {
			ix = &index{usable: true}
			t.indexes[name] = ix
			t.order = append(t.order, name)
		}
		ix.cols = append(ix.cols, col.String)
		// A functional key part (MySQL 8.0.13+) has no COLUMN_NAME: an expression cannot
		// identify rows for the copy, so such a key is not one.
		if nullable || prefix || !col.Valid {
			ix.usable = false
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for tname, t := range tables {
		for _, name := range t.order {
			if t.indexes[name].usable {
				out[tname] = t.indexes[name].cols
				break
			}
		}
	}
	return out, nil
}
