package cdc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// Strict writes: the apply stage checks that the destination took every value as it is.

// execChecked runs a statement of run and fails with a *dbconn.ValueError, naming the row's
// key, when the destination could not take a value as it is: the writer session is strict,
// so a value too long or out of range fails the statement, and a value the server would
// round (a note) is found by the warnings. A run that writes ENUM error values goes out in
// the relaxed SQL mode, which alone stores them, with one warning expected per value.
func execChecked(ctx context.Context, tx checkpoint.Writer, stmt string, args []any, run []change) error {
	p := run[0].plan
	t := p.t
	table := t.DestDatabase + "." + t.DestTable
	enums := enumErrorValues(run)
	if enums > 0 {
		if _, err := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+dbconn.RelaxedSQLMode+"'"); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, stmt, args...)
	if enums > 0 {
		if _, rerr := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+dbconn.WriterSQLMode+"'"); err == nil {
			err = rerr
		}
	}
	if ve := dbconn.ValueErrorOf(table, err); ve != nil {
		return describeValueError(ve, run)
	}
	if err != nil || run[0].delete {
		return err
	}
	var count int
	if err := tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&count); err != nil {
		return err
	}
	if count == 0 || count == enums {
		return nil
	}
	rows, err := tx.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return err
	}
	defer rows.Close()
	var other []string
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return err
		}
		ve := dbconn.AsValueError(table, code, msg)
		if ve != nil && enums > 0 && enumColumn(p, ve.Column) {
			enums--
			continue
		}
		if ve != nil {
			return describeValueError(ve, run)
		}
		other = append(other, fmt.Sprintf("%s %d: %s", level, code, msg))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(other) > 0 {
		return fmt.Errorf("the destination changed or refused values (%d warnings): %s; check that the destination table's columns match the source's", count, strings.Join(other, "; "))
	}
	return nil
}

// enumErrorValues counts the ENUM error values (index 0) the upserts of run write.
func enumErrorValues(run []change) int {
	if run[0].delete {
		return 0
	}
	p := run[0].plan
	n := 0
	for _, c := range run {
		for k, i := range p.write {
			if p.t.Columns[i].DataType == "enum" && k < len(c.values) && c.values[k] == uint64(0) {
				n++
			}
		}
		if p.etl == nil {
			continue
		}
		// A computed value for an ENUM column is its member's text: "" where "" is no
		// member is the error value.
		k := len(p.write)
		for i, o := range p.etl.Outputs() {
			if col, ok := p.t.column(o.Name); ok && col.DataType == "enum" && k+i < len(c.values) &&
				c.values[k+i] == "" && !slices.Contains(col.Members, "") {
				n++
			}
		}
	}
	return n
}

// column returns t's source column named name.
func (t *Table) column(name string) (schema.Column, bool) {
	i := slices.IndexFunc(t.Columns, func(c schema.Column) bool { return strings.EqualFold(c.Name, name) })
	if i < 0 {
		return schema.Column{}, false
	}
	return t.Columns[i], true
}

// enumColumn reports whether destination column dest of p's table is written from an ENUM,
// or computed for one.
func enumColumn(p *tablePlan, dest string) bool {
	for k, i := range p.write {
		if strings.EqualFold(p.columns[k], dest) {
			return p.t.Columns[i].DataType == "enum"
		}
	}
	col, ok := p.t.column(dest)
	return ok && p.etl != nil && p.etl.Computes(dest) && col.DataType == "enum"
}

// describeValueError names the key and value size of the row of run the server named.
func describeValueError(ve *dbconn.ValueError, run []change) error {
	if ve.Row < 1 || ve.Row > len(run) {
		return ve
	}
	c := run[ve.Row-1]
	var key []string
	for i, k := range c.table().Key {
		if i < len(c.keyVals) {
			key = append(key, fmt.Sprintf("%s=%v", k, shown(c.keyVals[i])))
		}
	}
	ve.Key = strings.Join(key, ", ")
	for k := range c.plan.write {
		if strings.EqualFold(c.plan.columns[k], ve.Column) && k < len(c.values) {
			ve.Size = argBytes([]any{c.values[k]})
		}
	}
	return ve
}

// shown is a key value as messages show it: bytes as text.
func shown(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
