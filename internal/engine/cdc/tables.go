package cdc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// DDL on whole tables: CREATE (and LIKE) in a database selected whole, DROP, TRUNCATE and
// RENAME TABLE. Statements about the tables of an online schema change are osc.go's.

func (f *follower) createTable(ctx context.Context, defaultDB string, s *ast.CreateTableStmt, query string) error {
	if s.TemporaryKeyword != ast.TemporaryNone {
		return nil
	}
	db, name := dbOf(defaultDB, s.Table), s.Table.Name.O
	key := tableKey(db, name)
	if f.onlineSchemaChange(db, name, key) {
		return nil
	}
	if f.tables[key] != nil {
		return nil // CREATE TABLE IF NOT EXISTS of a migrated table, or one replayed
	}
	d := f.database(db)
	if d == nil {
		return nil
	}
	t := &Table{Table: tablemap.Table{SourceDatabase: db, SourceTable: name, DestDatabase: d.DestDatabase, DestTable: name, Ops: d.Ops}, Dest: map[string]string{}}
	if !t.allows(vocab.DDLCreateTable) {
		f.notice(t, query, "ddl_operations leave out create_table, so the table is not migrated")
		return nil
	}
	var stmt string
	switch {
	case s.Select != nil:
		f.notice(t, query, "CREATE TABLE ... SELECT is not followed, so the table is not migrated")
		return nil
	case s.ReferTable != nil:
		like := f.lookup(defaultDB, s.ReferTable)
		if like == nil {
			f.notice(t, query, "the table it is LIKE is not migrated, so neither is this one")
			return nil
		}
		t.Columns, t.Key, t.OrderSensitive = slices.Clone(like.Columns), slices.Clone(like.Key), like.OrderSensitive
		def := like.definition()
		if def == nil {
			// The liked table changed since its definition was read: the destination copies
			// its own table, which the same changes reached.
			for src, dest := range like.Dest {
				t.Dest[src] = dest
			}
			stmt = f.cfg.Dialect.CreateTableLike(t.DestDatabase, t.DestTable, like.DestDatabase, like.DestTable)
			break
		}
		// The one road: the liked table's definition rendered for this table, as the schema
		// phase renders a table of the database.
		for _, c := range t.Columns {
			t.Dest[c.Name] = c.Name
		}
		t.def = def
		var err error
		if stmt, err = f.cfg.Dialect.CreateTable(t.destinationOf(def, f.cfg.Source.Type, f.cfg.Dialect.Name())); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrSchemaChange, query, err)
		}
		stmt = strings.Replace(stmt, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
	default:
		def, dropped, err := t.fromCreate(s, f.attrs, f.cfg.Dialect.Name())
		if err != nil {
			return fmt.Errorf("reading %s: %w", query, err)
		}
		for _, d := range dropped {
			f.notice(t, query, "the destination leaves out "+d)
		}
		if len(t.Key) == 0 {
			f.notice(t, query, "the table has no primary key and no NOT NULL unique key, which incremental migration needs, so it is not migrated")
			return nil
		}
		if stmt, err = f.cfg.Dialect.CreateTable(t.destinationOf(def, f.cfg.Source.Type, f.cfg.Dialect.Name())); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrSchemaChange, query, err)
		}
		stmt = strings.Replace(stmt, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
		t.def = def
	}
	if err := f.exec(ctx, t, "CREATE TABLE", stmt); err != nil {
		return err
	}
	if err := t.replan(f.cfg.Dialect); err != nil {
		return err
	}
	f.tables[key] = t
	return nil
}

// fromCreate reads a CREATE TABLE from the binlog into the source definition the schema
// phase reads from SHOW CREATE TABLE, and fills t's columns, key and order sensitivity
// from it. The statement is restored in canonical form (canonicalCreate), with the
// attributes preparse took out of it in the words of a destination of flavor dest, and
// read by schema.ParseCreateTable: one reading of a table definition, whichever road it
// came by. dropped names the attributes the destination has no place for.
func (t *Table) fromCreate(s *ast.CreateTableStmt, attrs statementAttrs, dest dialect.DatabaseType) (def *schema.Definition, dropped []string, err error) {
	text, dropped, err := canonicalCreate(s, attrs, dest)
	if err != nil {
		return nil, nil, err
	}
	def, err = schema.ParseCreateTable(text)
	if err != nil {
		return nil, nil, fmt.Errorf("reading its definition restored as %s: %w", text, err)
	}
	for _, c := range s.Cols {
		col := columnOf(c, attrs.of(c.Name.Name.O))
		t.Columns = append(t.Columns, col)
		t.Dest[col.Name] = col.Name
	}
	t.Key = slices.Clone(def.PrimaryKey)
	if len(t.Key) == 0 {
		// A unique key whose columns are all NOT NULL, as the precheck allows.
		t.Key = def.UniqueKey(func(c string) bool {
			i := t.columnIndex(c)
			return i >= 0 && !t.Columns[i].Nullable
		})
	}
	uniques := 0
	for _, ix := range def.Indexes {
		if ix.Kind == "UNIQUE" {
			uniques++
		}
	}
	t.OrderSensitive = uniques > 1 || (uniques == 1 && len(def.PrimaryKey) > 0)
	return def, dropped, nil
}

// destinationOf is the destination table of t, created in a database selected whole and
// read as def by fromCreate: its plan's Destination, the schema phase's road. Its plan
// selects and renames nothing, so every column keeps its own name, as the schema phase
// creates a table of such a database.
func (t *Table) destinationOf(def *schema.Definition, source, dest dialect.DatabaseType) dialect.Table {
	return t.Destination(def, t.Key, source, dest)
}

// canonicalCreate restores a CREATE TABLE as SHOW CREATE TABLE prints the table it
// creates, so that schema.ParseCreateTable reads it as it reads the schema phase's: one
// element a line, names quoted, keys declared on a column moved to key lines before the
// table's own (in column order, where the server puts them), every key named as the server
// names an unnamed one, CHECK constraints in the server's words. Column types, attributes
// and options are restored by columnText, with the attributes in attrs in the words of a
// destination of flavor dest; dropped names, by column, those it has no place for.
func canonicalCreate(s *ast.CreateTableStmt, attrs statementAttrs, dest dialect.DatabaseType) (text string, dropped []string, err error) {
	var lines []string
	var keys []*ast.Constraint
	for _, c := range s.Cols {
		d := *c
		d.Options = nil
		for _, o := range c.Options {
			switch o.Tp {
			case ast.ColumnOptionPrimaryKey:
				keys = append(keys, &ast.Constraint{Tp: ast.ConstraintPrimaryKey, Keys: []*ast.IndexPartSpecification{{Column: c.Name}}})
			case ast.ColumnOptionUniqKey:
				keys = append(keys, &ast.Constraint{Tp: ast.ConstraintUniq, Keys: []*ast.IndexPartSpecification{{Column: c.Name}}})
			case ast.ColumnOptionReference:
				// MySQL and MariaDB parse an inline REFERENCES and ignore it.
			default:
				d.Options = append(d.Options, o)
			}
		}
		text, left, err := columnText(&d, attrs.of(c.Name.Name.O), dest)
		if err != nil {
			return "", nil, fmt.Errorf("restoring column %s: %w", c.Name.Name.O, err)
		}
		for _, l := range left {
			dropped = append(dropped, "column "+c.Name.Name.O+": "+l)
		}
		lines = append(lines, dialect.QuoteIdent(c.Name.Name.O)+" "+text)
	}
	keys = append(keys, s.Constraints...)
	used := map[string]bool{}
	for _, k := range keys {
		if k.Name != "" && k.Tp != ast.ConstraintCheck {
			used[strings.ToLower(k.Name)] = true
		}
	}
	checks := 0
	for _, k := range keys {
		line, err := keyText(k, used, &checks)
		if err != nil {
			return "", nil, err
		}
		lines = append(lines, line)
	}
	var opts []string
	for _, o := range s.Options {
		text, err := restore(o)
		if err != nil {
			return "", nil, err
		}
		opts = append(opts, text)
	}
	return "CREATE TABLE " + dialect.QuoteIdent(s.Table.Name.O) + " (\n  " + strings.Join(lines, ",\n  ") + "\n) " + strings.Join(opts, " "), dropped, nil
}

// keyText is the line of a key or constraint in SHOW CREATE TABLE's words. An unnamed key
// takes the server's name for it: its first column's, made unique with _2, _3, ... among
// used (which it joins); an unnamed CHECK constraint is CONSTRAINT_n, counted by checks.
func keyText(c *ast.Constraint, used map[string]bool, checks *int) (string, error) {
	if c.Tp == ast.ConstraintCheck {
		*checks++
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("CONSTRAINT_%d", *checks)
		}
		expr, err := restore(c.Expr)
		if err != nil {
			return "", err
		}
		return "CONSTRAINT " + dialect.QuoteIdent(name) + " CHECK (" + expr + ")", nil
	}
	if c.Tp == ast.ConstraintForeignKey {
		return restore(c) // reported, never migrated
	}
	head := map[ast.ConstraintType]string{
		ast.ConstraintPrimaryKey: "PRIMARY KEY", ast.ConstraintKey: "KEY", ast.ConstraintIndex: "KEY",
		ast.ConstraintUniq: "UNIQUE KEY", ast.ConstraintUniqKey: "UNIQUE KEY", ast.ConstraintUniqIndex: "UNIQUE KEY",
		ast.ConstraintFulltext: "FULLTEXT KEY",
	}[c.Tp]
	if head == "" {
		return "", fmt.Errorf("unsupported constraint in CREATE TABLE")
	}
	parts := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		if k.Column == nil {
			expr, err := restore(k.Expr)
			if err != nil {
				return "", err
			}
			parts[i] = "(" + expr + ")"
		} else {
			parts[i] = dialect.QuoteIdent(k.Column.Name.O)
			if k.Length > 0 {
				parts[i] += fmt.Sprintf("(%d)", k.Length)
			}
		}
		if k.Desc {
			parts[i] += " DESC"
		}
	}
	line := head
	if c.Tp != ast.ConstraintPrimaryKey {
		name := c.Name
		if name == "" {
			name = serverKeyName(c, used)
		}
		line += " " + dialect.QuoteIdent(name)
	}
	line += " (" + strings.Join(parts, ",") + ")"
	if c.Option != nil {
		opt, err := restore(c.Option)
		if err != nil {
			return "", err
		}
		if opt != "" {
			line += " " + opt
		}
	}
	return line, nil
}

// serverKeyName names an unnamed key as MySQL and MariaDB do: after its first column
// (functional_index for an expression), with _2 ... appended when the name is PRIMARY or
// taken. The name joins used.
func serverKeyName(c *ast.Constraint, used map[string]bool) string {
	base := "functional_index"
	if len(c.Keys) > 0 && c.Keys[0].Column != nil {
		base = c.Keys[0].Column.Name.O
	}
	name := base
	for n := 2; used[strings.ToLower(name)] || strings.EqualFold(name, "PRIMARY"); n++ {
		name = fmt.Sprintf("%s_%d", base, n)
	}
	used[strings.ToLower(name)] = true
	return name
}

func (f *follower) dropTable(ctx context.Context, defaultDB string, tn *ast.TableName, query string) error {
	key := tableKey(dbOf(defaultDB, tn), tn.Name.O)
	if f.shadows[key] != nil {
		delete(f.shadows, key) // an online schema change given up
		return nil
	}
	t := f.tables[key]
	if t == nil {
		return nil
	}
	delete(f.tables, key)
	if !t.allows(vocab.DDLDropTable) {
		f.notice(t, query, "ddl_operations leave out drop_table, so the destination keeps the table")
		return nil
	}
	return f.exec(ctx, t, "DROP TABLE", f.cfg.Dialect.DropTable(t.DestDatabase, t.DestTable))
}

func (f *follower) truncateTable(ctx context.Context, defaultDB string, tn *ast.TableName, query string) error {
	t := f.lookup(defaultDB, tn)
	if t == nil {
		return nil
	}
	if !t.allows(vocab.DDLTruncateTable) {
		f.notice(t, query, "ddl_operations leave out truncate_table, so the destination keeps the rows")
		return nil
	}
	return f.exec(ctx, t, "TRUNCATE TABLE", f.cfg.Dialect.TruncateTable(t.DestDatabase, t.DestTable))
}

// renameTables follows RENAME TABLE, pair by pair: the swap of an online schema change
// applies the shadow's DDL to the table; a migrated table renamed within the selection
// keeps being migrated (renamed on the destination with rename_table), one renamed out of
// it stops; a table renamed into it is created and copied (Config.Copy).
func (f *follower) renameTables(ctx context.Context, defaultDB string, pairs []*ast.TableToTable, query string) error {
	for _, p := range pairs {
		oldDB, old := dbOf(defaultDB, p.OldTable), p.OldTable.Name.O
		newDB, name := dbOf(defaultDB, p.NewTable), p.NewTable.Name.O
		oldKey, newKey := tableKey(oldDB, old), tableKey(newDB, name)
		done, err := f.swap(ctx, oldKey, newKey, query)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		t := f.tables[oldKey]
		d := f.database(newDB)
		inSelection := d != nil && oscKind(name) == ""
		switch {
		case t != nil && !inSelection:
			delete(f.tables, oldKey)
			f.notice(t, query, "the table is renamed out of the task's selection: the task stops migrating it and the destination keeps it as it was")
		case t != nil:
			delete(f.tables, oldKey)
			if t.DestTable == t.SourceTable && t.allows(vocab.DDLRenameTable) {
				if err := f.renameDest(ctx, t, d.DestDatabase, name); err != nil {
					return err
				}
			} else {
				f.notice(t, query, "the destination table keeps its name "+t.DestTable)
			}
			t.SourceDatabase, t.SourceTable = newDB, name
			f.tables[newKey] = t
		case inSelection:
			if err := f.renamedIn(ctx, *d, name, query); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *follower) renameDest(ctx context.Context, t *Table, db, name string) error {
	has, err := f.destHasTable(ctx, t.DestDatabase, t.DestTable)
	if err != nil {
		return err
	}
	if has {
		if err := f.exec(ctx, t, "RENAME TABLE", f.cfg.Dialect.RenameTable(t.DestDatabase, t.DestTable, db, name)); err != nil {
			return err
		}
	}
	t.DestDatabase, t.DestTable = db, name
	return nil
}

// renamedIn takes in a table renamed into a database selected whole: its rows existed
// before, so it is copied, and the binlog from here on is applied over the copy (a change
// the copy already holds is written again as the source has it, as at the task's start).
func (f *follower) renamedIn(ctx context.Context, d Database, name, query string) error {
	probe := &Table{Table: tablemap.Table{SourceDatabase: d.SourceDatabase, SourceTable: name, DestDatabase: d.DestDatabase, DestTable: name, Ops: d.Ops}}
	if !probe.allows(vocab.DDLCreateTable) {
		f.notice(probe, query, "the table is renamed into the selection, and ddl_operations leave out create_table, so it is not migrated")
		return nil
	}
	if f.cfg.Copy == nil {
		return refuse(probe, query, "a table renamed into the selection must be copied, which this run cannot do",
			"create a new task for the table")
	}
	t, err := f.cfg.Copy(ctx, d, name)
	if err != nil {
		return fmt.Errorf("copying %s.%s, renamed into the task's selection: %w", d.SourceDatabase, name, err)
	}
	if err := t.replan(f.cfg.Dialect); err != nil {
		return err
	}
	f.tables[tableKey(d.SourceDatabase, name)] = t
	f.cfg.Log.Info("copied a table renamed into the selection", "table", d.SourceDatabase+"."+name)
	return nil
}
