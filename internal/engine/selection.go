package engine

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskexpr"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// ETLError is what resolve reports when only etl blocks are wrong: the expressions do not
// type-check against the source tables. The precheck reports it as its own item.
type ETLError struct{ Err error }

func (e *ETLError) Error() string { return e.Err.Error() }
func (e *ETLError) Unwrap() error { return e.Err }

// catalog is what resolving a task reads of the source: whether a database exists, its
// tables, and their definitions. sourceCatalog reads a server; the plan tests read a map.
type catalog interface {
	databaseExists(ctx context.Context, database string) (bool, error)
	listTables(ctx context.Context, database string) ([]string, error)
	// describe returns the definitions of the tables, in the order of names.
	describe(ctx context.Context, database string, names []string) ([]*schema.Table, error)
}

// sourceCatalog reads the catalog of a source server.
type sourceCatalog struct{ db *sql.DB }

func (c sourceCatalog) databaseExists(ctx context.Context, database string) (bool, error) {
	return schema.DatabaseExists(ctx, c.db, database)
}

func (c sourceCatalog) listTables(ctx context.Context, database string) ([]string, error) {
	return schema.ListTables(ctx, c.db, database)
}

func (c sourceCatalog) describe(ctx context.Context, database string, names []string) ([]*schema.Table, error) {
	return schema.DescribeAll(ctx, c.db, database, names, describeWorkers)
}

// resolve expands the task's objects into the plans of their source tables, checking that
// every named database, table and column exists. The plans are in the order of the
// objects and their tables.
func resolve(ctx context.Context, src *sql.DB, task Task) ([]tablemap.Table, error) {
	return plan(ctx, sourceCatalog{src}, task)
}

// plan is resolve over a catalog. With an *ETLError it returns the plans too: only etl
// blocks are wrong, and the precheck reports them as an item of their own.
func plan(ctx context.Context, cat catalog, task Task) ([]tablemap.Table, error) {
	var out []tablemap.Table
	var etlErrs []error
	for _, o := range task.Objects {
		ok, err := cat.databaseExists(ctx, o.Database)
		if err != nil {
			return nil, fmt.Errorf("looking up source database %q: %w", o.Database, err)
		}
		if !ok {
			return nil, fmt.Errorf("source database %q does not exist or the source user cannot see it: check object.database and the user's privileges", o.Database)
		}
		tables := o.Tables
		all := len(tables) == 0
		if all {
			names, err := cat.listTables(ctx, o.Database)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				tables = append(tables, Table{Name: n})
			}
		}
		names := make([]string, len(tables))
		for i, tb := range tables {
			names[i] = tb.Name
		}
		described, err := cat.describe(ctx, o.Database, names)
		if err != nil {
			return nil, err
		}
		for i, tb := range tables {
			p, etlErr, err := planTable(task, cmp.Or(o.RenameTo, o.Database), described[i], tb, all)
			if err != nil {
				return nil, err
			}
			if etlErr != nil {
				etlErrs = append(etlErrs, etlErr)
			}
			out = append(out, p)
		}
	}
	if err := checkDestinations(out, task.MergeTables); err != nil {
		return nil, err
	}
	if len(etlErrs) > 0 {
		return out, &ETLError{errors.Join(etlErrs...)}
	}
	return out, nil
}

// planTable is the plan of source table t, selected by table block tb (a bare Table{Name}
// when all) into destination database destDB. etlErr says why tb's etl block does not
// compile; the plan then has no ETL program.
func planTable(task Task, destDB string, t *schema.Table, tb Table, all bool) (p tablemap.Table, etlErr, err error) {
	p = tablemap.Table{
		SourceDatabase: t.Database, SourceTable: t.Name, DestDatabase: destDB, DestTable: cmp.Or(tb.RenameTo, tb.Name),
		Source: t, AllTables: all, Selected: tb.Columns, Renames: tb.ColumnRenames, Where: tb.Where, ETLSpec: tb.ETL,
		Ops: append(operations(tb.DMLOperations, task.DMLOperations, vocab.DMLOrDefault),
			operations(tb.DDLOperations, task.DDLOperations, vocab.DDLOrDefault)...),
		Fields: tablemap.Fields{
			TableType: tb.TableType, PrimaryKey: tb.PrimaryKey, DistributionKey: tb.DistributionKey,
			PartitionKey: tb.PartitionKey, PartitionRule: tb.PartitionRule, PartitionLifecycle: tb.PartitionLifecycle,
		},
	}
	if p.Columns, err = mapColumns(t, tb); err != nil {
		return tablemap.Table{}, nil, err
	}
	if err := checkWhere(t, tb.Where); err != nil {
		return tablemap.Table{}, nil, err
	}
	if !tb.ETL.Empty() {
		etlErr = compileETL(&p)
	}
	if task.MergeTables {
		p.SourceTag = t.Database + "." + t.Name
	}
	return p, etlErr, nil
}

// describeWorkers is how many tables resolve describes at once.
const describeWorkers = 4

// compileETL compiles the plan's etl block and takes the dropped and computed columns out
// of the copied ones. A computed column that replaces a copied one travels as that column
// did; a new one as its value's kind says.
func compileETL(m *tablemap.Table) error {
	p, err := etl.Compile(m.Source, m.ETLSpec)
	if err != nil {
		return err
	}
	m.ETL = p
	var kept []tablemap.ColumnMap
	replaced := map[string]schema.Column{}
	for _, c := range m.Columns {
		switch {
		case p.Dropped(c.Source.Name):
		case p.Computes(c.Dest):
			replaced[strings.ToLower(c.Dest)] = c.Source
		default:
			kept = append(kept, c)
		}
	}
	m.Columns = kept
	m.Computed = nil
	for _, o := range p.Outputs() {
		carrier, ok := replaced[strings.ToLower(o.Name)]
		switch {
		case ok && (carrier.DataType == "year" || carrier.DataType == "bit"):
			// A number for these travels as a number (CAST AS UNSIGNED, as for YEAR): as
			// text, BIT would take the digits as bytes and YEAR would read "0" as 2000.
			carrier = schema.Column{Name: o.Name, DataType: "year"}
		case ok && carrier.Binary():
			carrier = schema.Column{Name: o.Name, DataType: "blob"}
		case ok && carrier.DataType == "enum":
			// A member travels as its text; "" where the ENUM has no such member is its
			// error value, which the writer expects a warning for.
			carrier = schema.Column{Name: o.Name, DataType: "enum", Members: carrier.Members}
		case o.Kind == etl.KindBytes:
			carrier = schema.Column{Name: o.Name, DataType: "blob"}
		default:
			carrier = schema.Column{Name: o.Name, DataType: "text"}
		}
		m.Computed = append(m.Computed, tablemap.ColumnMap{Source: carrier, Dest: o.Name})
	}
	return nil
}

// mapColumns applies the table's column subset and renames.
func mapColumns(t *schema.Table, tb Table) ([]tablemap.ColumnMap, error) {
	selected := tb.Columns
	for _, name := range selected {
		if _, ok := t.Column(name); !ok {
			return nil, fmt.Errorf("column %q of table %s.%s (in columns) does not exist on the source", name, t.Database, t.Name)
		}
	}
	for name := range tb.ColumnRenames {
		if _, ok := t.Column(name); !ok {
			return nil, fmt.Errorf("column %q of table %s.%s (in a column block) does not exist on the source", name, t.Database, t.Name)
		}
		if selected != nil && !slices.Contains(selected, name) {
			return nil, fmt.Errorf("column %q of table %s.%s is renamed but not in columns: add it to columns or remove its column block", name, t.Database, t.Name)
		}
	}
	if selected != nil {
		for _, k := range t.Key {
			if !slices.Contains(selected, k) {
				return nil, fmt.Errorf("columns of table %s.%s leave out key column %q: the destination needs the key to keep rows unique; add it to columns", t.Database, t.Name, k)
			}
		}
	}
	var out []tablemap.ColumnMap
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if selected != nil && !slices.Contains(selected, c.Name) {
			continue
		}
		dest := c.Name
		if r := tb.ColumnRenames[c.Name]; r != "" {
			dest = r
		}
		if seen[strings.ToLower(dest)] {
			return nil, fmt.Errorf("table %s.%s: two columns would be named %q on the destination: change a column's rename_to", t.Database, t.Name, dest)
		}
		seen[strings.ToLower(dest)] = true
		if !c.Generated {
			out = append(out, tablemap.ColumnMap{Source: c, Dest: dest})
		}
	}
	return out, nil
}

// checkWhere parses a filter with the SQL parser, which accepts only a plain boolean
// expression (no statement, subquery or comment can ride along), and checks its columns.
// Only a filter that passed here is ever put into a query.
func checkWhere(t *schema.Table, where string) error {
	if where == "" {
		return nil
	}
	cols, err := taskexpr.ParseWhere(where)
	if err != nil {
		return fmt.Errorf("where of table %s.%s: %w", t.Database, t.Name, err)
	}
	for _, c := range cols {
		if _, ok := t.Column(c); !ok {
			return fmt.Errorf("where of table %s.%s names column %q, which the table does not have", t.Database, t.Name, c)
		}
	}
	return nil
}

// checkDestinations refuses two source tables landing in one destination table, unless
// merge_tables asks for exactly that, and the runner's own checkpoint database.
func checkDestinations(plans []tablemap.Table, merge bool) error {
	seen := map[string]tablemap.Table{}
	for _, m := range plans {
		if m.DestDatabase == checkpoint.MetaDatabase {
			return fmt.Errorf("destination database %s holds the runner's checkpoints: choose another rename_to", checkpoint.MetaDatabase)
		}
		key := strings.ToLower(m.DestDatabase + "." + m.DestTable)
		if prev, ok := seen[key]; ok && !merge {
			return fmt.Errorf("source tables %s and %s would both be written to %s.%s: rename one of them, or set merge_tables = true to merge them",
				prev.Name(), m.Name(), m.DestDatabase, m.DestTable)
		}
		seen[key] = m
	}
	if merge && len(seen) != 1 {
		return fmt.Errorf("merge_tables puts every selected table into one destination table, but they map to %d tables: give them the same rename_to (and database rename_to)", len(seen))
	}
	return nil
}
