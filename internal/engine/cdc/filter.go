package cdc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// The where filters of a batch are evaluated by the destination's SQL engine, so that a
// filter means exactly what it means in the full migration's SELECT on the source: the row
// images of one table go out together as a derived table, one row per image with its
// index, and the query returns the indexes of the rows the filter keeps:
//
//	SELECT r.`__adbmigrate_row` FROM (SELECT ? AS `__adbmigrate_row`, ? AS `id`, ... UNION ALL SELECT ?, ?, ...) AS r WHERE (<where>)
//
// The derived table has the columns the filter reads, with the values the row image holds.
// A row whose filter is NULL is not kept, as in a WHERE clause.

// filterRows is the most row images one filter query carries; fewer when the filter reads
// many columns, so that a query stays under the server's 65,535 placeholders. (Measured on
// MariaDB: 250 to 1,000 images a query cost the least per image; 5,000 three times more.)
const filterRows = 500

// filterQuery is the plan's filter query for rows images.
func (p *tablePlan) filterQuery(rows int) string {
	if rows == p.filterRows && p.filterRun != "" {
		return p.filterRun
	}
	var b strings.Builder
	b.WriteString("SELECT r." + dialect.QuoteIdent(p.indexColumn) + " FROM (SELECT ? AS " + dialect.QuoteIdent(p.indexColumn))
	var values []string
	for _, i := range p.filterColumns {
		c := p.t.Columns[i]
		v := "?"
		switch {
		case character(c):
			v = p.d.TextValue(c.Charset, c.Collation)
		case c.DataType == "enum" || c.DataType == "set":
			v = p.d.MemberValue(c.Members, c.DataType == "set", c.Charset, c.Collation)
		}
		values = append(values, v)
		b.WriteString(", " + v + " AS " + dialect.QuoteIdent(c.Name))
	}
	more := " UNION ALL SELECT ?"
	if len(values) > 0 {
		more += ", " + strings.Join(values, ", ")
	}
	b.Grow(len(more) * (rows - 1))
	for range rows - 1 {
		b.WriteString(more)
	}
	b.WriteString(") AS r WHERE (" + p.t.Where + ")")
	return b.String()
}

// character reports whether a filter reads the column as text of its character set: the
// row image holds the column's bytes, which compare as the source compares them only once
// converted to its character set and collation. ENUM and SET images are numbers, turned
// into their member text by Dialect.MemberValue.
func character(c schema.Column) bool {
	switch c.DataType {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		return c.Charset != "" && c.Charset != "binary"
	}
	return false
}

// planFilter works out the table's filter query, when it has a where filter.
func (p *tablePlan) planFilter() {
	t := p.t
	if t.Where == "" {
		return
	}
	names, ok := whereColumns(t.Where)
	for i, c := range t.Columns {
		if !ok || slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, c.Name) }) {
			p.filterColumns = append(p.filterColumns, i)
		}
	}
	// The index column's name must not hide one of the table's.
	p.indexColumn = "__adbmigrate_row"
	for slices.ContainsFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, p.indexColumn) }) {
		p.indexColumn += "_"
	}
	p.filterRows = max(1, min(filterRows, 65000/(len(p.filterColumns)+1)))
	p.filterRun = p.filterQuery(p.filterRows)
}

// whereColumns returns the column names a where filter reads; ok is false when it does not
// parse here, and then every column must be given to it.
func whereColumns(where string) (names []string, ok bool) {
	stmt, err := parseDDL("SELECT 1 FROM t WHERE (" + where + ")")
	if err != nil {
		return nil, false
	}
	sel, isSelect := stmt.(*ast.SelectStmt)
	if !isSelect || sel.Where == nil {
		return nil, false
	}
	v := &columnNames{}
	sel.Where.Accept(v)
	return v.names, true
}

// columnNames collects the names of the columns an expression reads.
type columnNames struct{ names []string }

func (v *columnNames) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnNameExpr); ok {
		v.names = append(v.names, c.Name.Name.O)
	}
	return n, false
}

func (v *columnNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// filter evaluates the where filters of a batch's changes, a query per table and per
// filterRows images, up to a.workers() queries at once, and returns the changes with every
// filter decided (see filtered).
func (a *applier) filter(ctx context.Context, changes []change) ([]change, error) {
	byPlan := map[*tablePlan][]int{}
	var plans []*tablePlan
	for i, c := range changes {
		if c.image == nil {
			continue
		}
		if _, ok := byPlan[c.plan]; !ok {
			plans = append(plans, c.plan)
		}
		byPlan[c.plan] = append(byPlan[c.plan], i)
	}
	if len(plans) == 0 {
		return changes, nil
	}
	type job struct {
		p     *tablePlan
		chunk []int
	}
	var jobs []job
	for _, p := range plans {
		for chunk := range slices.Chunk(byPlan[p], p.filterRows) {
			jobs = append(jobs, job{p, chunk})
		}
	}
	keep := make([]bool, len(changes)) // each job sets the entries of its own chunk
	errs := make([]error, len(jobs))
	slots := make(chan struct{}, a.workers())
	var wg sync.WaitGroup
	for n, j := range jobs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[n] = a.evaluate(ctx, j.p, changes, j.chunk, keep)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return filtered(changes, keep)
}

// evaluate runs p's filter on the images of changes[i] for each i in chunk, and sets
// keep[i] for those it keeps.
//
// The query is not prepared on the server: the destination's pool interpolates the values
// (dbconn), so a character column's bytes travel as binary strings and the query converts
// them to the column's character set and collation (Dialect.TextValue): 'Alice' matches
// name = 'alice' under a case-insensitive collation, in the binlog as in the full copy.
func (a *applier) evaluate(ctx context.Context, p *tablePlan, changes []change, chunk []int, keep []bool) error {
	t := p.t
	args := make([]any, 0, len(chunk)*(len(p.filterColumns)+1))
	for k, i := range chunk {
		args = append(args, int64(k))
		args = append(args, changes[i].image...)
	}
	rows, err := a.dst.QueryContext(ctx, p.filterQuery(len(chunk)), args...)
	if err != nil {
		return fmt.Errorf("evaluating the where filter of %s.%s: %w", t.SourceDatabase, t.SourceTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("evaluating the where filter of %s.%s: %w", t.SourceDatabase, t.SourceTable, err)
		}
		if k < 0 || k >= len(chunk) {
			return fmt.Errorf("evaluating the where filter of %s.%s: the destination returned row %d of %d", t.SourceDatabase, t.SourceTable, k, len(chunk))
		}
		keep[chunk[k]] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("evaluating the where filter of %s.%s: %w", t.SourceDatabase, t.SourceTable, err)
	}
	return nil
}
