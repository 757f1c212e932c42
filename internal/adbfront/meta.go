package adbfront

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
)

// metaDatabase holds, on the MariaDB behind the front, what MariaDB itself
// cannot keep. Layout (version 1):
//
//	table_clauses(schema_name, table_name) -> AnalyticDB table clauses as written
const metaDatabase = "adbfront_meta"

// tableClauses are AnalyticDB's table clauses of one table, each as written
// by the client (without its keyword), "" when absent.
type tableClauses struct {
	Distributed string // HASH(`id`) or BROADCAST
	PartitionBy string // VALUE(...)
	Lifecycle   string // a number
	Binlog      string // true or false
	BinlogTTL   string // '1d', or a bare number of milliseconds
}

func (c tableClauses) empty() bool { return c == tableClauses{} }

// merge returns c with every clause that o sets replaced by o's.
func (c tableClauses) merge(o tableClauses) tableClauses {
	pick := func(a, b string) string {
		if b != "" {
			return b
		}
		return a
	}
	return tableClauses{
		Distributed: pick(c.Distributed, o.Distributed),
		PartitionBy: pick(c.PartitionBy, o.PartitionBy),
		Lifecycle:   pick(c.Lifecycle, o.Lifecycle),
		Binlog:      pick(c.Binlog, o.Binlog),
		BinlogTTL:   pick(c.BinlogTTL, o.BinlogTTL),
	}
}

// render writes the clauses in AnalyticDB's order: distribution, partition,
// lifecycle, then the storage options.
func (c tableClauses) render() string {
	var parts []string
	if c.Distributed != "" {
		parts = append(parts, "DISTRIBUTED BY "+c.Distributed)
	}
	if c.PartitionBy != "" {
		parts = append(parts, "PARTITION BY "+c.PartitionBy)
	}
	if c.Lifecycle != "" {
		parts = append(parts, "LIFECYCLE "+c.Lifecycle)
	}
	if c.Binlog != "" {
		parts = append(parts, "BINLOG="+c.Binlog)
	}
	if c.BinlogTTL != "" {
		parts = append(parts, "binlog_ttl="+c.BinlogTTL)
	}
	return strings.Join(parts, " ")
}

// stripClauses cuts AnalyticDB's table clauses out of the top level of a
// CREATE or ALTER TABLE statement, from token index from on. It returns the
// statement without them and the clauses it found.
func stripClauses(text string, toks []token, from int) (string, tableClauses, error) {
	var c tableClauses
	var ranges [][2]int
	word := func(i int) string {
		if i < len(toks) {
			return strings.ToUpper(toks[i].text)
		}
		return ""
	}
	// value reads "[=] value" at i and returns the value and the index after.
	value := func(i int) (string, int, bool) {
		if word(i) == "=" {
			i++
		}
		if i >= len(toks) {
			return "", i, false
		}
		return toks[i].text, i + 1, true
	}
	bad := func(i int, what string) error {
		return refuse(codeSyntax, "CREATE TABLE", "malformed %s clause near %q; write it as in the documentation", what, text[toks[i].pos:min(len(text), toks[i].pos+40)])
	}
	for i := from; i < len(toks); {
		t := toks[i]
		if t.depth != 0 {
			i++
			continue
		}
		start, next := i, i
		switch {
		case t.is("DISTRIBUTED"):
			switch {
			case word(i+1) == "BY" && word(i+2) == "BROADCAST":
				c.Distributed, next = "BROADCAST", i+3
			case word(i+1) == "BY" && word(i+2) == "HASH" && word(i+3) == "(":
				j := closing(toks, i+3)
				if j < 0 {
					return "", c, bad(i, "DISTRIBUTED BY")
				}
				c.Distributed, next = "HASH"+text[toks[i+3].pos:toks[j].end], j+1
			default:
				return "", c, bad(i, "DISTRIBUTED BY")
			}
		case t.is("PARTITION") && word(i+1) == "BY" && word(i+2) == "VALUE":
			if word(i+3) != "(" {
				return "", c, bad(i, "PARTITION BY VALUE")
			}
			j := closing(toks, i+3)
			if j < 0 {
				return "", c, bad(i, "PARTITION BY VALUE")
			}
			c.PartitionBy, next = "VALUE"+text[toks[i+3].pos:toks[j].end], j+1
		case t.is("LIFECYCLE"):
			v, n, ok := value(i + 1)
			if !ok {
				return "", c, bad(i, "LIFECYCLE")
			}
			c.Lifecycle, next = v, n
		case t.is("BINLOG"):
			v, n, ok := value(i + 1)
			if !ok {
				return "", c, bad(i, "BINLOG")
			}
			c.Binlog, next = strings.ToLower(v), n
		case t.is("BINLOG_TTL"):
			v, n, ok := value(i + 1)
			if !ok {
				return "", c, bad(i, "binlog_ttl")
			}
			c.BinlogTTL, next = v, n
		default:
			i++
			continue
		}
		// Take one comma with the clause (ALTER TABLE t ADD ..., BINLOG=true).
		lo, hi := toks[start].pos, toks[next-1].end
		if start > from && toks[start-1].text == "," {
			lo = toks[start-1].pos
		} else if next < len(toks) && toks[next].text == "," {
			hi = toks[next].end
			next++
		}
		ranges = append(ranges, [2]int{lo, hi})
		i = next
	}
	if len(ranges) == 0 {
		return text, c, nil
	}
	return cut(text, ranges), c, nil
}

// metaStore reads and writes metaDatabase through the front's own
// connection pool.
type metaStore struct{ db *sql.DB }

func (m *metaStore) init(ctx context.Context) error {
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + metaDatabase,
		"CREATE TABLE IF NOT EXISTS " + metaDatabase + ".table_clauses (" +
			"schema_name VARCHAR(64) NOT NULL, table_name VARCHAR(64) NOT NULL," +
			"distributed VARCHAR(1024) NOT NULL, partition_by VARCHAR(1024) NOT NULL," +
			"lifecycle VARCHAR(32) NOT NULL, binlog VARCHAR(8) NOT NULL, binlog_ttl VARCHAR(64) NOT NULL," +
			"PRIMARY KEY (schema_name, table_name)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
	} {
		if _, err := m.db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// get returns the clauses of ref (all empty when none are recorded).
func (m *metaStore) get(ctx context.Context, ref tableRef) (tableClauses, error) {
	var c tableClauses
	err := m.db.QueryRowContext(ctx, "SELECT distributed, partition_by, lifecycle, binlog, binlog_ttl FROM "+metaDatabase+
		".table_clauses WHERE schema_name = ? AND table_name = ?", ref.Schema, ref.Table).
		Scan(&c.Distributed, &c.PartitionBy, &c.Lifecycle, &c.Binlog, &c.BinlogTTL)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	return c, err
}

// put records the clauses of ref, replacing what was recorded.
func (m *metaStore) put(ctx context.Context, ref tableRef, c tableClauses) error {
	_, err := m.db.ExecContext(ctx, "REPLACE INTO "+metaDatabase+".table_clauses VALUES (?, ?, ?, ?, ?, ?, ?)",
		ref.Schema, ref.Table, c.Distributed, c.PartitionBy, c.Lifecycle, c.Binlog, c.BinlogTTL)
	return err
}

func (m *metaStore) drop(ctx context.Context, ref tableRef) error {
	_, err := m.db.ExecContext(ctx, "DELETE FROM "+metaDatabase+".table_clauses WHERE schema_name = ? AND table_name = ?", ref.Schema, ref.Table)
	return err
}

// showCreateTable answers SHOW CREATE TABLE ref: MariaDB's answer with the
// recorded AnalyticDB clauses after the column list.
func (m *metaStore) showCreateTable(ctx context.Context, ref tableRef) ([]string, [][]string, error) {
	rows, err := m.db.QueryContext(ctx, "SHOW CREATE TABLE "+ref.String())
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = rows.Close() }()
	columns, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(columns))
		ptrs := make([]any, len(columns))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		row := make([]string, len(columns))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(columns) != 2 || columns[0] != "Table" || len(out) != 1 {
		return columns, out, nil // a view: nothing to add
	}
	c, err := m.get(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if !c.empty() {
		out[0][1] = insertClauses(out[0][1], c.render())
	}
	return columns, out, nil
}

// insertClauses puts clauses right after the column list of a CREATE TABLE.
func insertClauses(create, clauses string) string {
	toks := tokenize(create)
	for i, t := range toks {
		if t.text == "(" && t.depth == 0 {
			if j := closing(toks, i); j >= 0 {
				return create[:toks[j].end] + " " + clauses + create[toks[j].end:]
			}
		}
	}
	return create + " " + clauses
}

// installTriggers (re)creates the BEFORE INSERT and BEFORE UPDATE triggers
// that apply the value rules to ref's current columns: a zero DATE, DATETIME
// or TIMESTAMP becomes NULL; a TIME outside 00:00:00-23:59:59 is refused.
func installTriggers(ctx context.Context, db *sql.DB, ref tableRef, zeroDate, timeRange bool) error {
	rows, err := db.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", ref.Schema, ref.Table)
	if err != nil {
		return err
	}
	var body []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			_ = rows.Close()
			return err
		}
		col := "NEW." + quoteName(name)
		switch {
		case zeroDate && typ == "date":
			body = append(body, fmt.Sprintf("IF %s = '0000-00-00' THEN SET %s = NULL; END IF;", col, col))
		case zeroDate && (typ == "datetime" || typ == "timestamp"):
			body = append(body, fmt.Sprintf("IF %s = '0000-00-00 00:00:00' THEN SET %s = NULL; END IF;", col, col))
		case timeRange && typ == "time":
			msg := fmt.Sprintf("[adbfront] TIME value of column %s is outside 00:00:00-23:59:59 (AnalyticDB for MySQL 3.0 documentation: \"Basic data types\")", quoteName(name))
			body = append(body, fmt.Sprintf("IF %s < '00:00:00' OR %s >= '24:00:00' THEN SIGNAL SQLSTATE '22007' SET MESSAGE_TEXT = '%s', MYSQL_ERRNO = 1292; END IF;",
				col, col, strings.ReplaceAll(msg, "'", "''")))
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(ref.Table))
	for _, timing := range []string{"INSERT", "UPDATE"} {
		name := tableRef{Schema: ref.Schema, Table: fmt.Sprintf("adbfront_%08x_%s", h.Sum32(), strings.ToLower(timing[:3]))}
		if _, err := db.ExecContext(ctx, "DROP TRIGGER IF EXISTS "+name.String()); err != nil {
			return err
		}
		if len(body) == 0 {
			continue
		}
		q := fmt.Sprintf("CREATE TRIGGER %s BEFORE %s ON %s FOR EACH ROW BEGIN %s END", name, timing, ref, strings.Join(body, " "))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("creating trigger %s: %w", name, err)
		}
	}
	return nil
}
