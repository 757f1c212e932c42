package cdc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// tablePlan is how one table's changes are decoded and written, worked out once from the
// table's columns (as Vitess's TablePlan is) and made again only when they change by ADD or
// DROP COLUMN. A plan is not changed after it is made: changes decoded with it keep it, and
// apply workers read it concurrently.
type tablePlan struct {
	t *Table
	d dialect.Dialect
	// write are the positions in t.Columns of the columns written (migrated, not
	// generated), in order; key are those of the key columns, in key order.
	write, key []int
	// columns are the destination names of write, then the etl block's outputs: the
	// columns of an upsert. keyColumns are the destination names of the key columns.
	columns, keyColumns []string
	// etl is the table's etl block compiled against t.Columns, nil without one; etlRow is
	// the row it evaluates, used by the reading goroutine only.
	etl    *etl.Program
	etlRow *etl.Row
	// upsertRun and deleteRun are the statements of a run of maxRun changes, the length of
	// every run of a large batch but its last.
	upsertRun, deleteRun string
	// The where filter's query (filter.go): the positions in t.Columns of the columns it
	// reads (a change's image holds their values), the name of its index column, the most
	// images one query carries, and the query for that many. Unset without a filter.
	filterColumns []int
	indexColumn   string
	filterRows    int
	filterRun     string
}

// maxRun is the most changes one statement writes.
const maxRun = 500

// replan makes t's plan for its current columns with d's statements.
func (t *Table) replan(d dialect.Dialect) error {
	p := &tablePlan{t: t, d: d}
	for i, c := range t.Columns {
		if dest, ok := t.Dest[c.Name]; ok && !c.Generated {
			p.write = append(p.write, i)
			p.columns = append(p.columns, dest)
		}
	}
	for _, k := range t.Key {
		i := slices.IndexFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, k) })
		if i < 0 {
			return fmt.Errorf("%s.%s: key column %s is not in the table's columns", t.SourceDatabase, t.SourceTable, k)
		}
		p.key = append(p.key, i)
		p.keyColumns = append(p.keyColumns, t.Dest[k])
	}
	if !t.ETLSpec.Empty() {
		prog, err := etl.Compile(&schema.Table{Database: t.SourceDatabase, Name: t.SourceTable, Columns: t.Columns, Key: t.Key}, t.ETLSpec)
		if err != nil {
			return fmt.Errorf("%w: after a schema change on the source: %w; create a new task with expressions the table's columns allow", etl.ErrEvaluation, err)
		}
		p.etl, p.etlRow = prog, prog.NewRow()
		for _, o := range prog.Outputs() {
			p.columns = append(p.columns, o.Name)
		}
	}
	p.upsertRun = d.Upsert(t.DestDatabase, t.DestTable, p.columns, maxRun)
	p.deleteRun = d.DeleteByKey(t.DestDatabase, t.DestTable, p.keyColumns, maxRun)
	p.planFilter()
	t.plan = p
	return nil
}

// statement renders a run of changes of one kind to the plan's table, with their arguments.
func (p *tablePlan) statement(run []change) (string, []any) {
	var args []any
	for _, c := range run {
		args = append(args, c.values...)
	}
	switch {
	case run[0].delete && len(run) == maxRun:
		return p.deleteRun, args
	case run[0].delete:
		return p.d.DeleteByKey(p.t.DestDatabase, p.t.DestTable, p.keyColumns, len(run)), args
	case len(run) == maxRun:
		return p.upsertRun, args
	}
	return p.d.Upsert(p.t.DestDatabase, p.t.DestTable, p.columns, len(run)), args
}
