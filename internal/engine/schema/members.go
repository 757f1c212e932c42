package schema

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
)

// MariaDB prints table metadata through a 3-byte UTF-8 character set: in SHOW CREATE TABLE
// and information_schema, an ENUM or SET member holding a 4-byte character (an emoji) reads
// as '?'. The stored definition is exact, and a temporary table made from the column keeps
// it, so the members can be read back as data, byte for byte.

// recoverMembers rewrites, in t.CreateSQL, the type of every ENUM or SET column whose
// printed members contain '?' with the members read as data. colTypes maps column names to
// their information_schema COLUMN_TYPE; charsets to their character set.
func recoverMembers(ctx context.Context, db *sql.DB, t *Table, colTypes, charsets map[string]string) error {
	for _, c := range t.Columns {
		typ := colTypes[c.Name]
		if (c.DataType != "enum" && c.DataType != "set") || !strings.Contains(typ, "?") || !strings.HasPrefix(charsets[c.Name], "utf8") {
			continue
		}
		open := strings.IndexByte(typ, '(')
		if open < 0 {
			continue
		}
		n := len(sqltext.SplitTopLevel(typ[open+1 : len(typ)-1]))
		members, err := readMembers(ctx, db, t, c, n)
		if err != nil {
			return fmt.Errorf("reading the members of %s column %s.%s.%s exactly (they hold characters SHOW CREATE TABLE prints as '?'): %w; "+
				"grant the source user CREATE TEMPORARY TABLES on %s", strings.ToUpper(c.DataType), t.Database, t.Name, c.Name, err, dialect.QuoteIdent(t.Database))
		}
		quoted := make([]string, len(members))
		for i, m := range members {
			quoted[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(m) + "'"
		}
		for i := range t.Columns {
			if t.Columns[i].Name == c.Name {
				t.Columns[i].Members = members
			}
		}
		exact := typ[:open+1] + strings.Join(quoted, ",") + ")"
		head := dialect.QuoteIdent(c.Name) + " " + typ
		i := strings.Index(t.CreateSQL, head)
		if i < 0 {
			return fmt.Errorf("column %s of %s.%s: its type %q is not in SHOW CREATE TABLE", c.Name, t.Database, t.Name, typ)
		}
		i += len(dialect.QuoteIdent(c.Name)) + 1
		t.CreateSQL = t.CreateSQL[:i] + exact + t.CreateSQL[i+len(typ):]
	}
	return nil
}

// readMembers copies the column's type into a temporary table and reads member 1..n (ENUM
// index or SET bit) back as hex.
func readMembers(ctx context.Context, db *sql.DB, t *Table, c Column, n int) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Session-only, in the source database (a temporary table needs one); it shadows
	// nothing for anyone else.
	probe := dialect.QuoteTable(t.Database, "adbmigrate_member_probe")
	if _, err := conn.ExecContext(ctx, "CREATE TEMPORARY TABLE "+probe+" SELECT "+dialect.QuoteIdent(c.Name)+" AS m FROM "+dialect.QuoteTable(t.Database, t.Name)+" LIMIT 0"); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TEMPORARY TABLE IF EXISTS "+probe)
	var values []string
	for i := range n {
		v := uint64(i + 1)
		if c.DataType == "set" {
			v = 1 << i
		}
		values = append(values, fmt.Sprintf("(%d)", v))
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO "+probe+" (m) VALUES "+strings.Join(values, ",")); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, "SELECT HEX(m) FROM "+probe)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("read %d members, want %d", len(out), n)
	}
	return out, nil
}

// ParseMembers returns the members of an ENUM or SET column type as information_schema
// prints it: enum('a','it”s'). MariaDB prints a member's 4-byte characters as '?'.
func ParseMembers(typ string) []string { return parseMembers(typ) }

func parseMembers(typ string) []string {
	open := strings.IndexByte(typ, '(')
	if open < 0 || !strings.HasSuffix(typ, ")") {
		return nil
	}
	var out []string
	for _, p := range sqltext.SplitTopLevel(typ[open+1 : len(typ)-1]) {
		if len(p) >= 2 && p[0] == '\'' && p[len(p)-1] == '\'' {
			p = strings.ReplaceAll(p[1:len(p)-1], "''", "'")
		}
		out = append(out, p)
	}
	return out
}
