package cdc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// alterTable applies the specs of an ALTER on migrated table t, one by one, then
// plans the table again (its statements name the columns, its etl block and where filter
// read them).
func (f *follower) alterTable(ctx context.Context, t *Table, specs []*ast.AlterTableSpec, query string) error {
	t.altered = true
	for _, spec := range specs {
		if err := f.alterSpec(ctx, t, spec, query); err != nil {
			return err
		}
	}
	if err := t.replan(f.cfg.Dialect); err != nil {
		return fmt.Errorf("%w: %w", ErrSchemaChange, err)
	}
	return nil
}

func (f *follower) alterSpec(ctx context.Context, t *Table, spec *ast.AlterTableSpec, query string) error {
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		for _, def := range spec.NewColumns {
			if err := f.addColumn(ctx, t, def, spec.Position); err != nil {
				return err
			}
		}
	case ast.AlterTableDropColumn:
		return f.dropColumn(ctx, t, spec.OldColumnName.Name.O)
	case ast.AlterTableModifyColumn:
		return f.changeColumn(ctx, t, spec.NewColumns[0].Name.Name.O, spec.NewColumns[0], spec.Position, query)
	case ast.AlterTableChangeColumn:
		return f.changeColumn(ctx, t, spec.OldColumnName.Name.O, spec.NewColumns[0], spec.Position, query)
	case ast.AlterTableRenameColumn:
		return f.renameColumn(ctx, t, spec.OldColumnName.Name.O, spec.NewColumnName.Name.O, query)
	case ast.AlterTableAlterColumn:
		return f.columnDefault(ctx, t, spec.NewColumns[0], query)
	case ast.AlterTableAddConstraint:
		return f.addConstraint(ctx, t, spec.Constraint, query)
	case ast.AlterTableDropPrimaryKey:
		return refuse(t, query, "the primary key changes, and incremental migration writes and deletes rows by it",
			"change a primary key before the task starts, or create a new task after the change")
	case ast.AlterTableDropIndex:
		return f.dropIndex(ctx, t, spec.Name, query)
	case ast.AlterTableOption:
		return f.tableOptions(ctx, t, spec.Options, query)
	case ast.AlterTableLock, ast.AlterTableAlgorithm, ast.AlterTableForce, ast.AlterTableDropForeignKey:
		// How the source runs the change, a rebuild, a foreign key (not migrated).
	default:
		f.notice(t, query, "incremental migration does not follow this kind of ALTER")
	}
	return nil
}

// columnOf is the schema history's view of a column definition, with the attributes
// preparse took out of it (a): a spatial column is of its spatial type, not the LONGBLOB
// the parser read. An invisible column is a column like any other: row events carry it.
func columnOf(def *ast.ColumnDef, a columnAttrs) schema.Column {
	dataType := strings.ToLower(types.TypeToStr(def.Tp.GetType(), def.Tp.GetCharset()))
	if a.Spatial != "" {
		dataType = strings.ToLower(a.Spatial)
	}
	col := schema.Column{
		Name:     def.Name.Name.O,
		DataType: dataType,
		Unsigned: pmysql.HasUnsignedFlag(def.Tp.GetFlag()),
		Nullable: !pmysql.HasNotNullFlag(def.Tp.GetFlag()),
		Members:  slices.Clone(def.Tp.GetElems()),
		Charset:  def.Tp.GetCharset(),
		// "" unless the definition names one: the character set's default then applies.
		Collation: def.Tp.GetCollate(),
	}
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionGenerated:
			col.Generated = true
		case ast.ColumnOptionNotNull, ast.ColumnOptionPrimaryKey:
			col.Nullable = false
		}
	}
	return col
}

func (t *Table) columnIndex(name string) int {
	return slices.IndexFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, name) })
}

func (t *Table) isKey(name string) bool {
	return slices.ContainsFunc(t.Key, func(k string) bool { return strings.EqualFold(k, name) })
}

// positioned reports whether a column definition says FIRST or AFTER.
func positioned(pos *ast.ColumnPosition) bool {
	return pos != nil && (pos.Tp == ast.ColumnPositionFirst || pos.Tp == ast.ColumnPositionAfter)
}

// place is where a positioned column goes in t.Columns (without the column itself), and
// where the destination puts it: after the destination column of the source column it
// follows ("" for last when that one is not migrated). Without a position it is last.
func (t *Table) place(pos *ast.ColumnPosition) (at int, where dialect.ColumnPosition) {
	at = len(t.Columns)
	if !positioned(pos) {
		return at, where
	}
	switch pos.Tp {
	case ast.ColumnPositionFirst:
		at, where.First = 0, true
	case ast.ColumnPositionAfter:
		if i := t.columnIndex(pos.RelativeColumn.Name.O); i >= 0 {
			at = i + 1
			where.After = t.Dest[t.Columns[i].Name]
		}
	}
	return at, where
}

// definitionFor renders def under the destination name dest, as columnText renders a
// column of a created table, with its type mapped for the destination as a created
// table's is (dialect.DestinationColumn). A type the destination cannot hold unchanged
// fails the DDL with ErrSchemaChange, naming the column: no precheck asked the user to
// accept the change, and later rows would not fit.
func (f *follower) definitionFor(t *Table, def *ast.ColumnDef, dest string) (string, error) {
	text, dropped, err := columnText(def, f.attrs.of(def.Name.Name.O), f.cfg.Dialect.Name())
	if err != nil {
		return "", err
	}
	for _, d := range dropped {
		f.notice(t, "column "+dest, "the destination leaves out "+d)
	}
	mapped, loss, err := dialect.DestinationColumn(text, f.cfg.Source.Type, f.cfg.Dialect.Name())
	if err == nil && loss != "" {
		// No precheck saw this column: its values would change without anyone agreeing to it.
		err = errors.New(loss)
	}
	if err != nil {
		return "", refuse(t, "column "+dest, err.Error(), "create a new task after the change")
	}
	return dialect.QuoteIdent(dest) + " " + mapped, nil
}

func (f *follower) addColumn(ctx context.Context, t *Table, def *ast.ColumnDef, pos *ast.ColumnPosition) error {
	col := columnOf(def, f.attrs.of(def.Name.Name.O))
	// Follow the source's layout in the history first: later events have the new column.
	at, where := t.place(pos)
	if t.columnIndex(col.Name) >= 0 {
		return nil // already in the history
	}
	t.Columns = slices.Insert(t.Columns, at, col)
	if t.Subset() {
		f.notice(t, "ADD COLUMN "+col.Name, "the task lists the table's columns, and not this one, so it is not migrated")
		return nil
	}
	if !t.allows(vocab.DDLAddColumn) {
		f.notice(t, "ADD COLUMN "+col.Name, "ddl_operations leave out add_column, so the column is not migrated")
		return nil
	}
	t.Dest[col.Name] = col.Name
	exists, err := f.destHasColumn(ctx, t, col.Name)
	if err != nil || exists {
		return err
	}
	definition, err := f.definitionFor(t, def, col.Name)
	if err != nil {
		return fmt.Errorf("rendering ADD COLUMN %s for %s.%s: %w", col.Name, t.DestDatabase, t.DestTable, err)
	}
	return f.exec(ctx, t, "ADD COLUMN "+col.Name, f.cfg.Dialect.AddColumn(t.DestDatabase, t.DestTable, definition, where))
}

func (f *follower) dropColumn(ctx context.Context, t *Table, name string) error {
	i := t.columnIndex(name)
	if i < 0 {
		return nil
	}
	src := t.Columns[i].Name
	if t.isKey(src) {
		return refuse(t, "DROP COLUMN "+src, "it removes a key column, by which incremental migration writes and deletes rows",
			"create a new task after the change")
	}
	if t.Where != "" && readsColumn(t.Where, src) {
		return refuse(t, "DROP COLUMN "+src, "the table's where filter reads the column",
			"change the task's where filter and create the task again")
	}
	if t.named(src) {
		return refuse(t, "DROP COLUMN "+src, "the task names the column (in the table's columns or a column block), so it could not start again",
			"take the column out of the task's table block and create the task again")
	}
	t.Columns = slices.Delete(t.Columns, i, i+1)
	dest, migrated := t.Dest[src]
	if !migrated {
		return nil
	}
	delete(t.Dest, src)
	if !t.allows(vocab.DDLDropColumn) {
		// The destination keeps the column; rows written from now on leave it at its default.
		f.notice(t, "DROP COLUMN "+src, "ddl_operations leave out drop_column, so the destination keeps the column")
		return nil
	}
	exists, err := f.destHasColumn(ctx, t, dest)
	if err != nil || !exists {
		return err
	}
	return f.exec(ctx, t, "DROP COLUMN "+dest, f.cfg.Dialect.DropColumn(t.DestDatabase, t.DestTable, dest))
}

// changeColumn follows MODIFY COLUMN (old is the column's name) and CHANGE COLUMN. Not
// applied, a new type or place would make later values land in a column that may not hold
// them, so it fails; a new name alone is followed by writing the old destination column.
func (f *follower) changeColumn(ctx context.Context, t *Table, old string, def *ast.ColumnDef, pos *ast.ColumnPosition, query string) error {
	i := t.columnIndex(old)
	if i < 0 {
		return nil
	}
	src := t.Columns[i].Name
	col := columnOf(def, f.attrs.of(def.Name.Name.O))
	renamed := !strings.EqualFold(src, col.Name)
	dest, migrated := t.Dest[src]
	if migrated && !t.allows(vocab.DDLModifyColumn) {
		// The destination column keeps its type and place. A value it cannot hold fails
		// the task when it comes (writes are strict), but some changes would be rounded
		// there without a warning, and a new place would not be followed: those fail now.
		if why := unfollowedChange(def, pos); why != "" {
			return refuse(t, query, "ddl_operations leave out modify_column, and "+why+", so later rows would land wrong",
				"add modify_column to the task's (or the table's) ddl_operations and create the task again, or create a new task after the change")
		}
		f.notice(t, query, "ddl_operations leave out modify_column, so the destination column keeps its type: a value it cannot hold fails the task")
	}
	t.Columns = slices.Delete(t.Columns, i, i+1)
	at, where := t.place(pos)
	if !positioned(pos) {
		at = i // MODIFY and CHANGE keep the column's place
	}
	t.Columns = slices.Insert(t.Columns, at, col)
	if renamed {
		if err := t.renameInHistory(src, col.Name, query); err != nil {
			return err
		}
	}
	if !migrated {
		return nil
	}
	newDest := dest
	if renamed && dest == src && t.allows(vocab.DDLRenameColumn) {
		newDest = col.Name // the destination column had the source's name: it follows
	}
	t.Dest[col.Name] = newDest
	if renamed && dest == newDest && dest == src {
		f.notice(t, query, "ddl_operations leave out rename_column, so the destination column keeps its name "+dest)
	}
	if renamed && newDest != dest {
		has, err := f.destHasColumn(ctx, t, dest)
		if err != nil {
			return err
		}
		if has {
			if err := f.exec(ctx, t, "RENAME COLUMN "+dest, f.cfg.Dialect.RenameColumn(t.DestDatabase, t.DestTable, dest, newDest)); err != nil {
				return err
			}
		}
	}
	if !t.allows(vocab.DDLModifyColumn) {
		return nil // reported above
	}
	definition, err := f.definitionFor(t, def, newDest)
	if err != nil {
		return fmt.Errorf("rendering MODIFY COLUMN %s for %s.%s: %w", newDest, t.DestDatabase, t.DestTable, err)
	}
	return f.exec(ctx, t, "MODIFY COLUMN "+newDest, f.cfg.Dialect.ModifyColumn(t.DestDatabase, t.DestTable, definition, where))
}

// unfollowedChange says why a MODIFY or CHANGE COLUMN left unapplied would make later rows
// land wrong without any error: a new place for the column, or a type whose values the
// destination's older column would round in silence (fractional seconds, floating point).
// "" when strict writes catch every value the old column cannot hold.
func unfollowedChange(def *ast.ColumnDef, pos *ast.ColumnPosition) string {
	if positioned(pos) {
		return "the columns are reordered on the source"
	}
	switch tp := def.Tp; tp.GetType() {
	case pmysql.TypeDatetime, pmysql.TypeTimestamp, pmysql.TypeDuration:
		if tp.GetDecimal() > 0 {
			return "the destination column would round fractional seconds it does not have"
		}
	case pmysql.TypeFloat, pmysql.TypeDouble:
		return "the destination column would round floating-point values in silence"
	}
	return ""
}

// renameInHistory renames source column from to to in the history: the key and the
// destination mapping follow; a where filter that reads the column cannot.
func (t *Table) renameInHistory(from, to, query string) error {
	if t.Where != "" && readsColumn(t.Where, from) {
		return refuse(t, query, fmt.Sprintf("the table's where filter reads column %s, which is renamed", from),
			"change the task's where filter to the new name and create the task again")
	}
	if t.named(from) {
		return refuse(t, query, fmt.Sprintf("the task names column %s (in the table's columns or a column block), so it could not start again", from),
			"name the column by its new name in the task's table block and create the task again")
	}
	for k, c := range t.Key {
		if strings.EqualFold(c, from) {
			t.Key[k] = to
		}
	}
	if d, ok := t.Dest[from]; ok {
		delete(t.Dest, from)
		t.Dest[to] = d
	}
	return nil
}

func (f *follower) renameColumn(ctx context.Context, t *Table, from, to, query string) error {
	i := t.columnIndex(from)
	if i < 0 {
		return nil
	}
	src := t.Columns[i].Name
	t.Columns[i].Name = to
	dest, migrated := t.Dest[src]
	if err := t.renameInHistory(src, to, query); err != nil {
		return err
	}
	if !migrated {
		return nil
	}
	if dest != src || !t.allows(vocab.DDLRenameColumn) {
		// The destination column keeps its name (the task's rename, or no rename_column):
		// rows go on landing in it.
		if dest == src {
			f.notice(t, query, "ddl_operations leave out rename_column, so the destination column keeps its name "+dest)
		}
		return nil
	}
	t.Dest[to] = to
	has, err := f.destHasColumn(ctx, t, dest)
	if err != nil || !has {
		return err
	}
	return f.exec(ctx, t, "RENAME COLUMN "+dest, f.cfg.Dialect.RenameColumn(t.DestDatabase, t.DestTable, dest, to))
}

// columnDefault follows ALTER COLUMN SET DEFAULT and DROP DEFAULT. A default does not
// change the rows the binlog carries, so one not applied is only reported.
func (f *follower) columnDefault(ctx context.Context, t *Table, def *ast.ColumnDef, query string) error {
	i := t.columnIndex(def.Name.Name.O)
	if i < 0 {
		return nil
	}
	dest, migrated := t.Dest[t.Columns[i].Name]
	if !migrated {
		return nil
	}
	if !t.allows(vocab.DDLModifyColumn) {
		f.notice(t, query, "ddl_operations leave out modify_column")
		return nil
	}
	// The parser gives SET DEFAULT's value as an option of no type, DROP DEFAULT as none.
	var expr ast.ExprNode
	for _, o := range def.Options {
		if o.Expr != nil {
			expr = o.Expr
		}
	}
	var current string
	if f.cfg.Dialect.ColumnDefaultByModify() {
		var err error
		if current, err = f.destColumnDefinition(ctx, t, dest); err != nil {
			return err
		}
	}
	if expr == nil {
		return f.exec(ctx, t, "DROP DEFAULT of "+dest, f.cfg.Dialect.DropColumnDefault(t.DestDatabase, t.DestTable, dest, current))
	}
	text, err := restore(expr)
	if err != nil {
		return fmt.Errorf("rendering the default of %s.%s.%s: %w", t.DestDatabase, t.DestTable, dest, err)
	}
	return f.exec(ctx, t, "SET DEFAULT of "+dest, f.cfg.Dialect.SetColumnDefault(t.DestDatabase, t.DestTable, dest, current, text))
}

// destColumnDefinition reads a destination column's definition without its default: its
// type, NULL or NOT NULL, and its comment, as information_schema.COLUMNS gives them.
func (f *follower) destColumnDefinition(ctx context.Context, t *Table, column string) (string, error) {
	var typ, nullable, comment string
	err := f.dst.QueryRowContext(ctx, "SELECT COLUMN_TYPE, IS_NULLABLE, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
		t.DestDatabase, t.DestTable, column).Scan(&typ, &nullable, &comment)
	if err != nil {
		return "", fmt.Errorf("reading the definition of destination column %s.%s.%s, to change its default: %w", t.DestDatabase, t.DestTable, column, err)
	}
	def := typ
	if nullable == "NO" {
		def += " NOT NULL"
	} else {
		def += " NULL"
	}
	if comment != "" {
		def += " COMMENT " + dialect.QuoteString(comment)
	}
	return def, nil
}

// indexOf is a dialect.Index of a key constraint, on destination columns; ok is false when
// a key part is not a migrated column.
func (t *Table) indexOf(c *ast.Constraint) (ix dialect.Index, ok bool, err error) {
	switch c.Tp {
	case ast.ConstraintKey, ast.ConstraintIndex:
		ix.Kind = "KEY"
	case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		ix.Kind = "UNIQUE"
	case ast.ConstraintFulltext:
		ix.Kind = "FULLTEXT"
	default:
		return ix, false, nil
	}
	ix.Name = c.Name
	parts := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		if k.Column == nil {
			return ix, false, nil // an expression part
		}
		src := k.Column.Name.O
		if i := t.columnIndex(src); i >= 0 {
			src = t.Columns[i].Name
		}
		dest, migrated := t.Dest[src]
		if !migrated {
			return ix, false, nil
		}
		ix.Columns = append(ix.Columns, dest)
		parts[i] = dialect.QuoteIdent(dest)
		if k.Length > 0 {
			parts[i] += fmt.Sprintf("(%d)", k.Length)
		}
		if k.Desc {
			parts[i] += " DESC"
		}
	}
	ix.Raw = "KEY (" + strings.Join(parts, ",") + ")"
	if c.Option != nil {
		opt, err := restore(c.Option)
		if err != nil {
			return ix, false, err
		}
		ix.Raw += " " + opt
	}
	return ix, true, nil
}

func (f *follower) addConstraint(ctx context.Context, t *Table, c *ast.Constraint, query string) error {
	switch c.Tp {
	case ast.ConstraintPrimaryKey:
		return refuse(t, query, "the primary key changes, and incremental migration writes and deletes rows by it",
			"change a primary key before the task starts, or create a new task after the change")
	case ast.ConstraintForeignKey, ast.ConstraintCheck:
		return nil // not migrated (foreign keys), enforced by the source (CHECK)
	}
	ix, ok, err := t.indexOf(c)
	if err != nil {
		return fmt.Errorf("reading %s on %s.%s: %w", query, t.SourceDatabase, t.SourceTable, err)
	}
	if ix.Kind == "UNIQUE" {
		t.OrderSensitive = true // changes to different rows may now conflict
	}
	if !ok {
		f.notice(t, query, "the index has a part that is not a migrated column")
		return nil
	}
	if !t.allows(vocab.DDLAddIndex) {
		f.notice(t, query, "ddl_operations leave out add_index")
		return nil
	}
	if ix.Name == "" {
		ix.Name = ix.Columns[0] // MySQL's name for an unnamed index
	}
	has, err := f.destHasIndex(ctx, t, ix.Name)
	if err != nil || has {
		return err
	}
	stmt, created, err := f.cfg.Dialect.AddIndex(t.DestDatabase, t.DestTable, ix, f.cfg.Source.Type)
	if err != nil {
		return fmt.Errorf("rendering %s for %s.%s: %w", query, t.DestDatabase, t.DestTable, err)
	}
	if !created {
		f.notice(t, query, "the destination does not create this kind of index")
		return nil
	}
	return f.exec(ctx, t, "ADD INDEX "+ix.Name, stmt)
}

// dropIndex follows DROP INDEX. A unique key the destination kept would make REPLACE
// delete rows the source keeps, so one not dropped fails the run.
func (f *follower) dropIndex(ctx context.Context, t *Table, name, query string) error {
	if strings.EqualFold(name, "PRIMARY") {
		return refuse(t, query, "the primary key changes, and incremental migration writes and deletes rows by it",
			"change a primary key before the task starts, or create a new task after the change")
	}
	has, err := f.destHasIndex(ctx, t, name)
	if err != nil || !has {
		return err
	}
	if !t.allows(vocab.DDLDropIndex) {
		unique, err := f.destIndexUnique(ctx, t, name)
		if err != nil {
			return err
		}
		if unique {
			return refuse(t, query, "the destination would keep a unique key the source no longer enforces, and rows the source allows would replace each other there",
				"add drop_index to ddl_operations and create the task again, or drop the key on the destination yourself and restart the task")
		}
		f.notice(t, query, "ddl_operations leave out drop_index")
		return nil
	}
	return f.exec(ctx, t, "DROP INDEX "+name, f.cfg.Dialect.DropIndex(t.DestDatabase, t.DestTable, name))
}

// tableOptions follows the table options the destination supports.
func (f *follower) tableOptions(ctx context.Context, t *Table, options []*ast.TableOption, query string) error {
	var opts []dialect.Option
	for _, o := range options {
		raw, err := restore(o)
		if err != nil {
			return fmt.Errorf("reading %s on %s.%s: %w", query, t.SourceDatabase, t.SourceTable, err)
		}
		opts = append(opts, dialect.Option{Name: optionName(o.Tp, raw), Raw: raw})
	}
	if !t.allows(vocab.DDLTableOptions) {
		f.notice(t, query, "ddl_operations leave out table_options")
		return nil
	}
	stmt, left := f.cfg.Dialect.TableOptions(t.DestDatabase, t.DestTable, opts)
	if len(left) > 0 {
		var names []string
		for _, o := range left {
			names = append(names, o.Raw)
		}
		f.notice(t, query, "the destination keeps its own "+strings.Join(names, ", "))
	}
	if stmt == "" {
		return nil
	}
	return f.exec(ctx, t, "table options", stmt)
}

// optionName is the dialect's name of a table option (SplitOptions' names).
func optionName(tp ast.TableOptionType, raw string) string {
	switch tp {
	case ast.TableOptionEngine:
		return "ENGINE"
	case ast.TableOptionAutoIncrement:
		return "AUTO_INCREMENT"
	case ast.TableOptionCharset:
		return "DEFAULT CHARSET"
	case ast.TableOptionCollate:
		return "COLLATE"
	case ast.TableOptionComment:
		return "COMMENT"
	case ast.TableOptionRowFormat:
		return "ROW_FORMAT"
	}
	name, _, _ := strings.Cut(raw, " ")
	return strings.ToUpper(name)
}

// named reports whether the task's table block names a migrated source column: in its
// columns list, or in a column block that renames it. The task resolves those names on the
// source whenever it starts, so they must go on existing.
func (t *Table) named(col string) bool {
	dest, migrated := t.Dest[col]
	return migrated && (t.Subset() || dest != col)
}

// readsColumn reports whether a where filter reads column name (or does not parse, which
// the precheck has ruled out).
func readsColumn(where, name string) bool {
	stmt, err := parseDDL("SELECT 1 FROM t WHERE " + where)
	if err != nil {
		return true
	}
	v := &columnReader{name: name}
	stmt.Accept(v)
	return v.found
}

type columnReader struct {
	name  string
	found bool
}

func (v *columnReader) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnName); ok && strings.EqualFold(c.Name.O, v.name) {
		v.found = true
	}
	return n, v.found
}

func (v *columnReader) Leave(n ast.Node) (ast.Node, bool) { return n, true }
