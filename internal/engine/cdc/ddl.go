package cdc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"
	// The parser needs a driver for literal values (DEFAULT 0 in ADD COLUMN); this is the
	// one made for tools. cdc imports it itself rather than rely on another package doing so.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// ddl handles a DDL statement from the binlog. ADD COLUMN and DROP COLUMN on a migrated
// table are applied to the destination (when ddl_operations allow them) and followed in the
// schema history; any other DDL that touches a migrated table is reported, never dropped in
// silence. Applying is idempotent: a statement replayed after a restart finds its column
// already added or dropped.
func (a *applier) ddl(ctx context.Context, defaultDB, query string) error {
	stmt, err := parseDDL(query)
	if err != nil {
		// Not something the parser knows (MariaDB-only syntax): report it if it names a
		// migrated table.
		if t := a.mentioned(defaultDB, query); t != nil {
			a.notice(t, query, "it could not be parsed")
		}
		return nil
	}
	alter, ok := stmt.(*ast.AlterTableStmt)
	if !ok {
		for _, tn := range tableNames(stmt) {
			if t := a.lookup(defaultDB, tn); t != nil {
				a.notice(t, query, "only ADD COLUMN and DROP COLUMN are migrated")
			}
		}
		return nil
	}
	t := a.lookup(defaultDB, alter.Table)
	if t == nil {
		return nil
	}
	for _, spec := range alter.Specs {
		switch spec.Tp {
		case ast.AlterTableAddColumns:
			for _, def := range spec.NewColumns {
				if err := a.addColumn(ctx, t, def, spec.Position); err != nil {
					return err
				}
			}
		case ast.AlterTableDropColumn:
			if err := a.dropColumn(ctx, t, spec.OldColumnName.Name.O); err != nil {
				return err
			}
		default:
			a.notice(t, query, "only ADD COLUMN and DROP COLUMN are migrated")
		}
	}
	// The columns moved: plan the table again (the etl block's expressions read them by
	// position, and the statements name them).
	return t.replan(a.cfg.Dialect)
}

// parseDDL parses one DDL statement from the binlog.
func parseDDL(query string) (ast.StmtNode, error) {
	return parser.New().ParseOneStmt(query, "", "")
}

func (a *applier) addColumn(ctx context.Context, t *Table, def *ast.ColumnDef, pos *ast.ColumnPosition) error {
	col := schema.Column{
		Name:     def.Name.Name.O,
		DataType: strings.ToLower(types.TypeToStr(def.Tp.GetType(), def.Tp.GetCharset())),
		Unsigned: pmysql.HasUnsignedFlag(def.Tp.GetFlag()),
		Nullable: !pmysql.HasNotNullFlag(def.Tp.GetFlag()),
		Members:  slices.Clone(def.Tp.GetElems()),
		Charset:  def.Tp.GetCharset(),
	}
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionGenerated:
			col.Generated = true
		case ast.ColumnOptionNotNull:
			col.Nullable = false
		}
	}
	// Follow the source's layout in the history first: later events have the new column.
	at := len(t.Columns)
	var where dialect.ColumnPosition
	if pos != nil {
		switch pos.Tp {
		case ast.ColumnPositionFirst:
			at, where.First = 0, true
		case ast.ColumnPositionAfter:
			rel := pos.RelativeColumn.Name.O
			if i := slices.IndexFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, rel) }); i >= 0 {
				at = i + 1
				where.After = t.Dest[t.Columns[i].Name] // "" (last) when that column is not migrated
			}
		}
	}
	t.Columns = slices.Insert(t.Columns, at, col)
	if !t.allows(OpAddColumn) {
		a.notice(t, "ADD COLUMN "+col.Name, "ddl_operations leave out add_column, so the column is not migrated")
		return nil
	}
	t.Dest[col.Name] = col.Name
	exists, err := a.destHasColumn(ctx, t, col.Name)
	if err != nil || exists {
		return err
	}
	var b strings.Builder
	if err := def.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		return fmt.Errorf("rendering ADD COLUMN %s for %s.%s: %w", col.Name, t.DestDB, t.DestTable, err)
	}
	stmt := a.cfg.Dialect.AddColumn(t.DestDB, t.DestTable, b.String(), where)
	if _, err := a.dst.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("applying ADD COLUMN %s to %s.%s: %w", col.Name, t.DestDB, t.DestTable, err)
	}
	a.cfg.Log.Info("applied DDL", "statement", stmt)
	return nil
}

func (a *applier) dropColumn(ctx context.Context, t *Table, name string) error {
	i := slices.IndexFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, name) })
	if i < 0 {
		return nil
	}
	src := t.Columns[i].Name
	t.Columns = slices.Delete(t.Columns, i, i+1)
	dest, migrated := t.Dest[src]
	if !migrated {
		return nil
	}
	if slices.ContainsFunc(t.Key, func(k string) bool { return strings.EqualFold(k, src) }) {
		return fmt.Errorf("DROP COLUMN %s on %s.%s removes a key column, which incremental migration cannot follow: create a new task", src, t.SourceDB, t.SourceTable)
	}
	if !t.allows(OpDropColumn) {
		// The destination keeps the column; rows written from now on leave it at its default.
		delete(t.Dest, src)
		a.notice(t, "DROP COLUMN "+src, "ddl_operations leave out drop_column, so the destination keeps the column")
		return nil
	}
	delete(t.Dest, src)
	exists, err := a.destHasColumn(ctx, t, dest)
	if err != nil || !exists {
		return err
	}
	stmt := a.cfg.Dialect.DropColumn(t.DestDB, t.DestTable, dest)
	if _, err := a.dst.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("applying DROP COLUMN %s to %s.%s: %w", dest, t.DestDB, t.DestTable, err)
	}
	a.cfg.Log.Info("applied DDL", "statement", stmt)
	return nil
}

func (a *applier) destHasColumn(ctx context.Context, t *Table, name string) (bool, error) {
	var n int
	err := a.dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
		t.DestDB, t.DestTable, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("checking column %s of %s.%s: %w", name, t.DestDB, t.DestTable, err)
	}
	return n > 0, nil
}

func (a *applier) notice(t *Table, query, why string) {
	msg := fmt.Sprintf("DDL on %s.%s not applied to the destination (%s): %s", t.SourceDB, t.SourceTable, why, query)
	a.notices = append(a.notices, msg)
	a.cfg.Log.Warn("DDL reported", "table", t.SourceDB+"."+t.SourceTable, "statement", query, "reason", why)
}

func (a *applier) lookup(defaultDB string, tn *ast.TableName) *Table {
	db := tn.Schema.O
	if db == "" {
		db = defaultDB
	}
	return a.tables[strings.ToLower(db+"."+tn.Name.O)]
}

// mentioned finds a migrated table whose name appears in a statement the parser refused.
func (a *applier) mentioned(defaultDB, query string) *Table {
	q := strings.ToLower(query)
	for _, t := range a.tables {
		if strings.Contains(q, strings.ToLower(t.SourceTable)) {
			return t
		}
	}
	return nil
}

// tableNames lists the tables a DDL statement touches, for statements that alter no table.
func tableNames(stmt ast.StmtNode) []*ast.TableName {
	switch s := stmt.(type) {
	case *ast.DropTableStmt:
		return s.Tables
	case *ast.TruncateTableStmt:
		return []*ast.TableName{s.Table}
	case *ast.RenameTableStmt:
		var out []*ast.TableName
		for _, t := range s.TableToTables {
			out = append(out, t.OldTable)
		}
		return out
	case *ast.CreateIndexStmt:
		return []*ast.TableName{s.Table}
	case *ast.DropIndexStmt:
		return []*ast.TableName{s.Table}
	}
	return nil
}
