package engine

import (
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
)

// mapping is one selected source table and what it becomes on the destination.
type mapping struct {
	table            *schema.Table
	destDB, destName string
	columns          []tablemap.ColumnMap // stored columns to copy, destination names
	where            string
	// allTables is true when the table was selected through its database without table blocks.
	allTables bool
	// sourceTag is "db.table" with merge_tables, empty otherwise.
	sourceTag string
	spec      Table
	// etl is the table's compiled etl block; nil without one.
	etl *etl.Program
	// computed are the destination columns etl computes, with how their values travel.
	computed []tablemap.ColumnMap
}

// target is the mapping's source table with its destination, written in columns cols.
func (m mapping) target(cols []tablemap.ColumnMap) tablemap.Table {
	return tablemap.Table{Source: m.table, Columns: cols, Where: m.where, DestDatabase: m.destDB, DestTable: m.destName,
		SourceTag: m.sourceTag, ETL: m.etl, Computed: m.computed}
}

// ETLError is what resolve reports when only etl blocks are wrong: the expressions do not
// type-check against the source tables. The precheck reports it as its own item.
type ETLError struct{ Err error }

func (e *ETLError) Error() string { return e.Err.Error() }
func (e *ETLError) Unwrap() error { return e.Err }

// resolve expands the task's objects into source tables with destination names, checking
// that every named database, table and column exists.
func resolve(ctx context.Context, src *sql.DB, task Task) ([]mapping, error) {
	var out []mapping
	var etlErrs []error
	for _, o := range task.Objects {
		ok, err := schema.DatabaseExists(ctx, src, o.Database)
		if err != nil {
			return nil, fmt.Errorf("looking up source database %q: %w", o.Database, err)
		}
		if !ok {
			return nil, fmt.Errorf("source database %q does not exist or the source user cannot see it: check object.database and the user's privileges", o.Database)
		}
		destDB := o.Database
		if o.RenameTo != "" {
			destDB = o.RenameTo
		}
		tables := o.Tables
		all := len(tables) == 0
		if all {
			names, err := schema.ListTables(ctx, src, o.Database)
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
		described, err := schema.DescribeAll(ctx, src, o.Database, names, describeWorkers)
		if err != nil {
			return nil, err
		}
		for i, tb := range tables {
			t := described[i]
			m := mapping{table: t, destDB: destDB, destName: tb.Name, where: tb.Where, allTables: all, spec: tb}
			if tb.RenameTo != "" {
				m.destName = tb.RenameTo
			}
			if m.columns, err = mapColumns(t, tb); err != nil {
				return nil, err
			}
			if err := checkWhere(t, tb.Where); err != nil {
				return nil, err
			}
			if !tb.ETL.Empty() {
				if err := m.compileETL(); err != nil {
					etlErrs = append(etlErrs, err)
				}
			}
			if task.MergeTables {
				m.sourceTag = t.Database + "." + t.Name
			}
			out = append(out, m)
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

// describeWorkers is how many tables resolve describes at once.
const describeWorkers = 4

// compileETL compiles the table's etl block and takes the dropped and computed columns out
// of the copied ones. A computed column that replaces a copied one travels as that column
// did; a new one as its value's kind says.
func (m *mapping) compileETL() error {
	p, err := etl.Compile(m.table, m.spec.ETL)
	if err != nil {
		return err
	}
	m.etl = p
	var kept []tablemap.ColumnMap
	replaced := map[string]schema.Column{}
	for _, c := range m.columns {
		switch {
		case p.Dropped(c.Source.Name):
		case p.Computes(c.Dest):
			replaced[strings.ToLower(c.Dest)] = c.Source
		default:
			kept = append(kept, c)
		}
	}
	m.columns = kept
	m.computed = nil
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
		m.computed = append(m.computed, tablemap.ColumnMap{Source: carrier, Dest: o.Name})
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
func checkDestinations(maps []mapping, merge bool) error {
	seen := map[string]*schema.Table{}
	for _, m := range maps {
		if m.destDB == checkpoint.MetaDatabase {
			return fmt.Errorf("destination database %s holds the runner's checkpoints: choose another rename_to", checkpoint.MetaDatabase)
		}
		key := strings.ToLower(m.destDB + "." + m.destName)
		if prev, ok := seen[key]; ok && !merge {
			return fmt.Errorf("source tables %s.%s and %s.%s would both be written to %s.%s: rename one of them, or set merge_tables = true to merge them",
				prev.Database, prev.Name, m.table.Database, m.table.Name, m.destDB, m.destName)
		}
		seen[key] = m.table
	}
	if merge && len(seen) != 1 {
		return fmt.Errorf("merge_tables puts every selected table into one destination table, but they map to %d tables: give them the same rename_to (and database rename_to)", len(seen))
	}
	return nil
}
