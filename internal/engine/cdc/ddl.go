package cdc

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/format"

	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	// The parser needs a driver for literal values (DEFAULT 0 in ADD COLUMN); this is the
	// one made for tools. cdc imports it itself rather than rely on another package doing so.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// ErrSchemaChange wraps the error of a DDL that incremental migration cannot follow and
// must not step over: later rows would land wrong. No retry fixes it.
var ErrSchemaChange = errors.New("schema change not followed")

// The DDL stage: a DDL statement from the binlog, on a migrated table or in a database
// selected whole, is applied to the destination through its dialect when the table's
// ddl_operations name it, and followed in the schema history whether applied or not (later
// events are written with the new columns). A DDL left out is reported (Status.Notices);
// one whose absence would make later rows land wrong (a column type the destination does
// not follow, a unique key the destination keeps, a key that changes) fails the run with
// ErrSchemaChange. Every statement is checked against the destination before it is
// applied, so a DDL replayed after a restart is not applied twice.

// ddl handles a DDL statement from the binlog.
func (f *follower) ddl(ctx context.Context, defaultDB, query string) error {
	text, attrs := preparse(query)
	f.attrs = attrs
	defer func() { f.attrs = nil }()
	stmt, err := parseDDL(text)
	if err != nil {
		if ignoredStatement(query) {
			return nil
		}
		// Not something the parser knows, even without the column attributes preparse
		// takes out (syntax of one server only). A statement that changes a migrated table,
		// or creates a table in a database selected whole, fails the run: left unfollowed,
		// later rows would land wrong or the table would go missing. Any other is reported
		// if it names a migrated table.
		if t, structural := f.unreadable(defaultDB, query); structural {
			return refuse(t, query, fmt.Sprintf("it cannot be read (%v), so the destination cannot follow it", err),
				"run DDL the task can read (docs/mysql.md lists what it cannot), or create a new task after the change")
		}
		if t := f.mentioned(defaultDB, query); t != nil {
			f.notice(t, query, "it could not be parsed")
		}
		return nil
	}
	switch s := stmt.(type) {
	case *ast.AlterTableStmt:
		return f.alterStmt(ctx, defaultDB, s, query)
	case *ast.CreateTableStmt:
		return f.createTable(ctx, defaultDB, s, query)
	case *ast.DropTableStmt:
		if s.IsView || s.TemporaryKeyword != ast.TemporaryNone {
			return nil
		}
		for _, tn := range s.Tables {
			if err := f.dropTable(ctx, defaultDB, tn, query); err != nil {
				return err
			}
		}
		return nil
	case *ast.TruncateTableStmt:
		return f.truncateTable(ctx, defaultDB, s.Table, query)
	case *ast.RenameTableStmt:
		return f.renameTables(ctx, defaultDB, s.TableToTables, query)
	case *ast.CreateIndexStmt:
		return f.alterStmt(ctx, defaultDB, &ast.AlterTableStmt{Table: s.Table, Specs: []*ast.AlterTableSpec{{
			Tp: ast.AlterTableAddConstraint, Constraint: &ast.Constraint{Tp: indexConstraint(s.KeyType), Name: s.IndexName, Keys: s.IndexPartSpecifications, Option: s.IndexOption},
		}}}, query)
	case *ast.DropIndexStmt:
		return f.alterStmt(ctx, defaultDB, &ast.AlterTableStmt{Table: s.Table, Specs: []*ast.AlterTableSpec{{Tp: ast.AlterTableDropIndex, Name: s.IndexName}}}, query)
	case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt, *ast.LoadDataStmt:
		return f.statementRows(defaultDB, stmt, query)
	}
	return nil
}

// parseDDL parses one DDL statement from the binlog.
func parseDDL(query string) (ast.StmtNode, error) {
	return parser.New().ParseOneStmt(query, "", "")
}

// ignoredStatement reports statements the parser refuses that change no table: the
// triggers pt-online-schema-change creates and drops on the table it alters (a trigger's
// row changes are in the binlog as rows events of their own).
func ignoredStatement(query string) bool {
	q := strings.ToLower(query)
	return strings.Contains(q, "trigger") && strings.Contains(q, "pt_osc_")
}

func indexConstraint(k ast.IndexKeyType) ast.ConstraintType {
	switch k {
	case ast.IndexKeyTypeUnique:
		return ast.ConstraintUniq
	case ast.IndexKeyTypeFulltext:
		return ast.ConstraintFulltext
	}
	return ast.ConstraintIndex
}

// alterStmt handles ALTER: on a migrated table its specs, on the shadow table of an
// online schema change their recording for the swap.
func (f *follower) alterStmt(ctx context.Context, defaultDB string, s *ast.AlterTableStmt, query string) error {
	if sh, key := f.shadowOf(defaultDB, s.Table); sh != nil {
		return f.recordShadowAlter(sh, key, s)
	}
	t := f.lookup(defaultDB, s.Table)
	if t == nil {
		return nil
	}
	// ALTER ... RENAME TO is a RENAME TABLE once the other specs are done.
	var rename *ast.TableName
	specs := slices.DeleteFunc(slices.Clone(s.Specs), func(sp *ast.AlterTableSpec) bool {
		if sp.Tp == ast.AlterTableRenameTable {
			rename = sp.NewTable
			return true
		}
		return false
	})
	if err := f.alterTable(ctx, t, specs, query); err != nil {
		return err
	}
	if rename != nil {
		return f.renameTables(ctx, defaultDB, []*ast.TableToTable{{OldTable: s.Table, NewTable: rename}}, query)
	}
	return nil
}

// restoreFlags are how restore writes SQL: keywords upper case, names in backticks, string
// literals in single quotes with backslashes escaped (a restored 'a\\b' must keep its
// backslash), and without the introducer the parser gives every literal of the default
// character set (_utf8mb4'x' written back would differ from what the user wrote).
const restoreFlags = format.DefaultRestoreFlags | format.RestoreStringEscapeBackslash | format.RestoreStringWithoutDefaultCharset

// restore renders a node as SQL.
func restore(n ast.Node) (string, error) {
	var b strings.Builder
	if err := n.Restore(format.NewRestoreCtx(restoreFlags, &b)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// columnText renders a column definition without its name, as the destination of flavor
// dest is to read it: type, attributes and options. It writes what the parser's own
// Restore does not: the character set and collation of an ENUM or SET, a CHECK in
// MariaDB's words (the parser's adds ENFORCED, which MariaDB refuses), and the attributes
// preparse took out of the statement (a), in the destination's words
// (dialect.ColumnAttributes); dropped names those the destination has no place for.
func columnText(def *ast.ColumnDef, a columnAttrs, dest dialect.DatabaseType) (text string, dropped []string, err error) {
	var b strings.Builder
	ctx := format.NewRestoreCtx(restoreFlags, &b)
	if def.Tp == nil {
		return "", nil, fmt.Errorf("column %s has no type", def.Name.Name.O)
	}
	afterType, trailing, dropped := dialect.ColumnAttributes(dest, a.Invisible, a.SRID)
	if a.Spatial != "" {
		b.WriteString(a.Spatial) // the parser read LONGBLOB in its place
	} else if err := def.Tp.Restore(ctx); err != nil {
		return "", nil, err
	}
	if afterType != "" {
		b.WriteString(" " + afterType)
	}
	if tp := def.Tp.GetType(); tp == pmysql.TypeEnum || tp == pmysql.TypeSet {
		if cs := def.Tp.GetCharset(); cs != "" && cs != charset.CharsetBin {
			b.WriteString(" CHARACTER SET " + cs)
		}
		if co := def.Tp.GetCollate(); co != "" && co != charset.CollationBin {
			b.WriteString(" COLLATE " + co)
		}
	}
	for _, o := range def.Options {
		b.WriteString(" ")
		if o.Tp == ast.ColumnOptionCheck {
			if o.ConstraintName != "" {
				b.WriteString("CONSTRAINT " + dialect.QuoteIdent(o.ConstraintName) + " ")
			}
			expr, err := restore(o.Expr)
			if err != nil {
				return "", nil, err
			}
			b.WriteString("CHECK (" + expr + ")")
			continue
		}
		if err := o.Restore(ctx); err != nil {
			return "", nil, err
		}
	}
	if trailing != "" {
		b.WriteString(" " + trailing)
	}
	return b.String(), dropped, nil
}

func (f *follower) exec(ctx context.Context, t *Table, what, stmt string) error {
	if err := f.cfg.Fence.Guard(ctx, f.dst); err != nil {
		return err
	}
	if _, err := f.dst.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("applying %s to %s.%s: %w (statement: %.300s)", what, t.DestDatabase, t.DestTable, err, stmt)
	}
	f.cfg.Log.Info("applied DDL", "statement", stmt)
	return nil
}

func (f *follower) notice(t *Table, query, why string) {
	msg := fmt.Sprintf("DDL on %s.%s not applied to the destination (%s): %s", t.SourceDatabase, t.SourceTable, why, query)
	f.notices = append(f.notices, msg)
	f.cfg.Log.Warn("DDL reported", "table", t.SourceDatabase+"."+t.SourceTable, "statement", query, "reason", why)
}

// refuse is the error of a DDL that cannot be stepped over.
func refuse(t *Table, query, why, remedy string) error {
	return fmt.Errorf("%w: %s on %s.%s: %s; %s", ErrSchemaChange, query, t.SourceDatabase, t.SourceTable, why, remedy)
}

func (f *follower) lookup(defaultDB string, tn *ast.TableName) *Table {
	return f.tables[tableKey(dbOf(defaultDB, tn), tn.Name.O)]
}

func dbOf(defaultDB string, tn *ast.TableName) string {
	if tn.Schema.O != "" {
		return tn.Schema.O
	}
	return defaultDB
}

// mentioned finds a migrated table whose name appears in a statement the parser refused.
// structuralDDL matches the start of a statement that changes or creates a table, and the
// table it names first; ident matches a name, quoted or not.
var (
	structuralDDL = regexp.MustCompile("(?is)^\\s*(?:/\\*.*?\\*/\\s*)*(CREATE\\s+(?:OR\\s+REPLACE\\s+)?(TEMPORARY\\s+)?TABLE|ALTER\\s+(?:ONLINE\\s+|IGNORE\\s+)*TABLE|DROP\\s+TABLE|RENAME\\s+TABLE|TRUNCATE(?:\\s+TABLE)?|CREATE\\s+(?:UNIQUE\\s+|FULLTEXT\\s+|SPATIAL\\s+)?INDEX\\s+\\S+\\s+ON|DROP\\s+INDEX\\s+\\S+\\s+ON)\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?(" + identPattern + "(?:\\s*\\.\\s*" + identPattern + ")?)")
	identPart     = regexp.MustCompile(identPattern)
)

// identPattern is an identifier, backquoted or not.
const identPattern = "(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)"

// unreadable is, for a statement the parser cannot read, whether it changes a migrated
// table (that table) or creates a table in a database selected whole (t nil): structural
// is true then.
func (f *follower) unreadable(defaultDB, query string) (t *Table, structural bool) {
	m := structuralDDL.FindStringSubmatch(query)
	if m == nil {
		return nil, false
	}
	parts := identPart.FindAllString(m[3], -1)
	db, name := defaultDB, parts[0]
	if len(parts) == 2 {
		db, name = parts[0], parts[1]
	}
	db, name = unquoteIdent(db), unquoteIdent(name)
	if t := f.tables[tableKey(db, name)]; t != nil {
		return t, true
	}
	create := strings.HasPrefix(strings.ToUpper(strings.TrimSpace(m[1])), "CREATE") && strings.Contains(strings.ToUpper(m[1]), "TABLE")
	if create && m[2] == "" && f.database(db) != nil {
		return &Table{Table: tablemap.Table{SourceDatabase: db, SourceTable: name}}, true
	}
	return nil, false
}

// unquoteIdent removes an identifier's backquotes.
func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}

func (f *follower) mentioned(defaultDB, query string) *Table {
	q := strings.ToLower(query)
	for _, t := range f.tables {
		if strings.Contains(q, strings.ToLower(t.SourceTable)) {
			return t
		}
	}
	return nil
}

// database is the selected-whole database a source database is, nil when none.
func (f *follower) database(name string) *Database {
	for i, d := range f.cfg.Databases {
		if strings.EqualFold(d.SourceDatabase, name) {
			return &f.cfg.Databases[i]
		}
	}
	return nil
}

// destHas reports whether the destination has what query counts (its arguments).
func (f *follower) destHas(ctx context.Context, query string, args ...any) (bool, error) {
	var n int
	if err := f.dst.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("reading the destination's catalog: %w", err)
	}
	return n > 0, nil
}

func (f *follower) destHasTable(ctx context.Context, db, table string) (bool, error) {
	return f.destHas(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, table)
}

func (f *follower) destHasColumn(ctx context.Context, t *Table, name string) (bool, error) {
	return f.destHas(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?", t.DestDatabase, t.DestTable, name)
}

func (f *follower) destHasIndex(ctx context.Context, t *Table, name string) (bool, error) {
	return f.destHas(ctx, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?", t.DestDatabase, t.DestTable, name)
}

func (f *follower) destIndexUnique(ctx context.Context, t *Table, name string) (bool, error) {
	return f.destHas(ctx, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ? AND NON_UNIQUE = 0", t.DestDatabase, t.DestTable, name)
}
