package cdc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// DDL on whole tables: CREATE (and LIKE) in a database selected whole, DROP, TRUNCATE and
// RENAME TABLE. Statements about the tables of an online schema change are osc.go's.

func (a *applier) createTable(ctx context.Context, defaultDB string, s *ast.CreateTableStmt, query string) error {
	if s.TemporaryKeyword != ast.TemporaryNone {
		return nil
	}
	db, name := dbOf(defaultDB, s.Table), s.Table.Name.O
	key := tableKey(db, name)
	if a.onlineSchemaChange(db, name, key) {
		return nil
	}
	if a.tables[key] != nil {
		return nil // CREATE TABLE IF NOT EXISTS of a migrated table, or one replayed
	}
	d := a.database(db)
	if d == nil {
		return nil
	}
	t := &Table{SourceDB: db, SourceTable: name, DestDB: d.DestDB, DestTable: name, Dest: map[string]string{}, Ops: d.Ops}
	if !t.allows(vocab.DDLCreateTable) {
		a.notice(t, query, "ddl_operations leave out create_table, so the table is not migrated")
		return nil
	}
	var stmt string
	switch {
	case s.Select != nil:
		a.notice(t, query, "CREATE TABLE ... SELECT is not followed, so the table is not migrated")
		return nil
	case s.ReferTable != nil:
		like := a.lookup(defaultDB, s.ReferTable)
		if like == nil {
			a.notice(t, query, "the table it is LIKE is not migrated, so neither is this one")
			return nil
		}
		t.Columns, t.Key, t.OrderSensitive = slices.Clone(like.Columns), slices.Clone(like.Key), like.OrderSensitive
		for src, dest := range like.Dest {
			t.Dest[src] = dest
		}
		stmt = a.cfg.Dialect.CreateTableLike(t.DestDB, t.DestTable, like.DestDB, like.DestTable)
	default:
		dt, err := t.fromCreate(s, a.cfg.Source.Type)
		if err != nil {
			return fmt.Errorf("reading %s: %w", query, err)
		}
		if len(t.Key) == 0 {
			a.notice(t, query, "the table has no primary key and no NOT NULL unique key, which incremental migration needs, so it is not migrated")
			return nil
		}
		if stmt, err = a.cfg.Dialect.CreateTable(dt); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrSchemaChange, query, err)
		}
		stmt = strings.Replace(stmt, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
	}
	if err := a.exec(ctx, t, "CREATE TABLE", stmt); err != nil {
		return err
	}
	if err := t.replan(a.cfg.Dialect); err != nil {
		return err
	}
	a.tables[key] = t
	return nil
}

// fromCreate fills t's columns and key from a CREATE TABLE and returns the destination
// table: its columns as the statement defines them, keys and indexes on the migrated
// columns, its options for the dialect to keep what the destination supports.
func (t *Table) fromCreate(s *ast.CreateTableStmt, sourceFlavor dialect.DatabaseType) (dialect.Table, error) {
	dt := dialect.Table{Database: t.DestDB, Name: t.DestTable, SourceFlavor: sourceFlavor}
	constraints := slices.Clone(s.Constraints)
	for _, def := range s.Cols {
		col := columnOf(def)
		t.Columns = append(t.Columns, col)
		t.Dest[col.Name] = col.Name
		d := *def
		d.Options = nil
		for _, o := range def.Options {
			switch o.Tp {
			case ast.ColumnOptionPrimaryKey:
				constraints = append(constraints, &ast.Constraint{Tp: ast.ConstraintPrimaryKey, Keys: []*ast.IndexPartSpecification{{Column: def.Name}}})
			case ast.ColumnOptionUniqKey:
				constraints = append(constraints, &ast.Constraint{Tp: ast.ConstraintUniq, Name: col.Name, Keys: []*ast.IndexPartSpecification{{Column: def.Name}}})
			default:
				d.Options = append(d.Options, o)
			}
		}
		text, err := restore(&d)
		if err != nil {
			return dt, err
		}
		dt.Columns = append(dt.Columns, dialect.Column{Name: col.Name, Definition: strings.TrimPrefix(text, dialect.QuoteIdent(col.Name)+" ")})
	}
	var uniques [][]string
	for _, c := range constraints {
		if c.Tp == ast.ConstraintPrimaryKey {
			for _, k := range c.Keys {
				if k.Column == nil {
					return dt, fmt.Errorf("the primary key has an expression part")
				}
				t.Key = append(t.Key, t.Columns[t.columnIndex(k.Column.Name.O)].Name)
			}
			dt.PrimaryKey = slices.Clone(t.Key)
			continue
		}
		ix, ok, err := t.indexOf(c)
		if err != nil {
			return dt, err
		}
		if !ok {
			continue
		}
		if ix.Name == "" {
			ix.Name = ix.Columns[0]
		}
		dt.Indexes = append(dt.Indexes, ix)
		if ix.Kind == "UNIQUE" {
			uniques = append(uniques, ix.Columns)
		}
	}
	if len(t.Key) == 0 {
		// A unique key whose columns are all NOT NULL, as the precheck allows.
		for _, u := range uniques {
			if !slices.ContainsFunc(u, func(c string) bool { return t.Columns[t.columnIndex(c)].Nullable }) {
				t.Key = slices.Clone(u)
				break
			}
		}
	}
	t.OrderSensitive = len(uniques) > 1 || (len(uniques) == 1 && len(dt.PrimaryKey) > 0)
	var opts []string
	for _, o := range s.Options {
		text, err := restore(o)
		if err != nil {
			return dt, err
		}
		opts = append(opts, text)
	}
	dt.Options = strings.Join(opts, " ")
	return dt, nil
}

func (a *applier) dropTable(ctx context.Context, defaultDB string, tn *ast.TableName, query string) error {
	key := tableKey(dbOf(defaultDB, tn), tn.Name.O)
	if a.shadows[key] != nil {
		delete(a.shadows, key) // an online schema change given up
		return nil
	}
	t := a.tables[key]
	if t == nil {
		return nil
	}
	delete(a.tables, key)
	if !t.allows(vocab.DDLDropTable) {
		a.notice(t, query, "ddl_operations leave out drop_table, so the destination keeps the table")
		return nil
	}
	return a.exec(ctx, t, "DROP TABLE", a.cfg.Dialect.DropTable(t.DestDB, t.DestTable))
}

func (a *applier) truncateTable(ctx context.Context, defaultDB string, tn *ast.TableName, query string) error {
	t := a.lookup(defaultDB, tn)
	if t == nil {
		return nil
	}
	if !t.allows(vocab.DDLTruncateTable) {
		a.notice(t, query, "ddl_operations leave out truncate_table, so the destination keeps the rows")
		return nil
	}
	return a.exec(ctx, t, "TRUNCATE TABLE", a.cfg.Dialect.TruncateTable(t.DestDB, t.DestTable))
}

// renameTables follows RENAME TABLE, pair by pair: the swap of an online schema change
// applies the shadow's DDL to the table; a migrated table renamed within the selection
// keeps being migrated (renamed on the destination with rename_table), one renamed out of
// it stops; a table renamed into it is created and copied (Config.Copy).
func (a *applier) renameTables(ctx context.Context, defaultDB string, pairs []*ast.TableToTable, query string) error {
	for _, p := range pairs {
		oldDB, old := dbOf(defaultDB, p.OldTable), p.OldTable.Name.O
		newDB, name := dbOf(defaultDB, p.NewTable), p.NewTable.Name.O
		oldKey, newKey := tableKey(oldDB, old), tableKey(newDB, name)
		done, err := a.swap(ctx, oldKey, newKey, query)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		t := a.tables[oldKey]
		d := a.database(newDB)
		inSelection := d != nil && oscKind(name) == ""
		switch {
		case t != nil && !inSelection:
			delete(a.tables, oldKey)
			a.notice(t, query, "the table is renamed out of the task's selection: the task stops migrating it and the destination keeps it as it was")
		case t != nil:
			delete(a.tables, oldKey)
			if t.DestTable == t.SourceTable && t.allows(vocab.DDLRenameTable) {
				if err := a.renameDest(ctx, t, d.DestDB, name); err != nil {
					return err
				}
			} else {
				a.notice(t, query, "the destination table keeps its name "+t.DestTable)
			}
			t.SourceDB, t.SourceTable = newDB, name
			a.tables[newKey] = t
		case inSelection:
			if err := a.renamedIn(ctx, *d, name, query); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) renameDest(ctx context.Context, t *Table, db, name string) error {
	has, err := a.destHasTable(ctx, t.DestDB, t.DestTable)
	if err != nil {
		return err
	}
	if has {
		if err := a.exec(ctx, t, "RENAME TABLE", a.cfg.Dialect.RenameTable(t.DestDB, t.DestTable, db, name)); err != nil {
			return err
		}
	}
	t.DestDB, t.DestTable = db, name
	return nil
}

// renamedIn takes in a table renamed into a database selected whole: its rows existed
// before, so it is copied, and the binlog from here on is applied over the copy (a change
// the copy already holds is written again as the source has it, as at the task's start).
func (a *applier) renamedIn(ctx context.Context, d Database, name, query string) error {
	probe := &Table{SourceDB: d.SourceDB, SourceTable: name, DestDB: d.DestDB, DestTable: name, Ops: d.Ops}
	if !probe.allows(vocab.DDLCreateTable) {
		a.notice(probe, query, "the table is renamed into the selection, and ddl_operations leave out create_table, so it is not migrated")
		return nil
	}
	if a.cfg.Copy == nil {
		return refuse(probe, query, "a table renamed into the selection must be copied, which this run cannot do",
			"create a new task for the table")
	}
	t, err := a.cfg.Copy(ctx, d, name)
	if err != nil {
		return fmt.Errorf("copying %s.%s, renamed into the task's selection: %w", d.SourceDB, name, err)
	}
	if err := t.replan(a.cfg.Dialect); err != nil {
		return err
	}
	a.tables[tableKey(d.SourceDB, name)] = t
	a.cfg.Log.Info("copied a table renamed into the selection", "table", d.SourceDB+"."+name)
	return nil
}
