package cdc

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// The decode stage: the row images of a rows event become row changes, with no database
// access. What needs the destination (the where filter, evaluated with its SQL engine) is
// left to the batch stage, marked on the change.

// change is one row change for the destination: an upsert of the row's migrated columns, or
// a delete by key.
type change struct {
	plan    *tablePlan
	delete  bool
	values  []any // upsert: values of plan.columns; delete: key values
	key     string
	keyVals []any // the row's key values
	// end is the end of the source transaction that made the change, shared by its changes
	// (a change is copied whole as batches grow and coalesce: it stays small).
	end *checkpoint.Applied
	// image, when set, is the row's values of the columns its where filter reads (the
	// plan's filterColumns), which the batch stage evaluates before the batch is applied: a row
	// the filter keeps stays an upsert, a row it rejects is dropped, or with orDelete
	// becomes a delete of its key. Nil when the change needs no filter.
	image    []any
	orDelete bool
	// etlIn, when set, is the row's etl input: the etl outputs are computed once the where
	// filter kept the row (an expression is never evaluated on a row the filter rejects).
	etlIn []any
}

func (c *change) table() *Table { return c.plan.t }

// rowsKind is what a rows event does.
type rowsKind int

const (
	rowsInsert rowsKind = iota + 1
	rowsUpdate
	rowsDelete
)

func kindOf(e *replication.RowsEvent) rowsKind {
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		return rowsInsert
	case replication.EnumRowsEventTypeUpdate:
		return rowsUpdate
	case replication.EnumRowsEventTypeDelete:
		return rowsDelete
	}
	if e.ColumnBitmap2 != nil {
		// PARTIAL_UPDATE_ROWS_EVENT (binlog_row_value_options=PARTIAL_JSON), the one rows
		// event with before and after images go-mysql's Type does not name.
		return rowsUpdate
	}
	return 0
}

// decode turns the row images of one rows event of t into changes, honouring dml_operations,
// the etl block and (through the batch stage) the where filter: an update that takes a row
// out of the filter deletes it, one that brings it in inserts it, and one that changes the
// key is a delete and an insert. An update's rows are before and after images in turn.
func decode(t *Table, kind rowsKind, rows [][]any) ([]change, error) {
	for _, row := range rows {
		if len(row) != len(t.Columns) {
			return nil, fmt.Errorf("binlog rows of %s.%s have %d columns, but the table had %d at this point: its schema changed in a way incremental migration did not follow; create a new task",
				t.SourceDatabase, t.SourceTable, len(row), len(t.Columns))
		}
	}
	p := t.plan
	var out []change
	switch kind {
	case rowsInsert:
		if !t.allows(vocab.DMLInsert) {
			return nil, nil
		}
		for _, row := range rows {
			c, in, err := p.upsert(row)
			if err != nil {
				return nil, err
			}
			if in != rejected {
				out = append(out, c)
			}
		}
	case rowsDelete:
		if !t.allows(vocab.DMLDelete) {
			return nil, nil
		}
		for _, row := range rows {
			c, err := p.remove(row)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	case rowsUpdate:
		if !t.allows(vocab.DMLUpdate) {
			return nil, nil
		}
		for i := 0; i+1 < len(rows); i += 2 {
			gone, err := p.remove(rows[i])
			if err != nil {
				return nil, err
			}
			c, in, err := p.upsert(rows[i+1])
			if err != nil {
				return nil, err
			}
			moved := gone.key != c.key
			switch {
			case in == rejected:
				out = append(out, gone)
			case moved:
				out = append(out, gone, c)
			case in == pending:
				// Kept, it is written; rejected, the row left the filter.
				c.orDelete = true
				out = append(out, c)
			default:
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// verdict is what decoding knows of whether a row passes the table's filters.
type verdict int

const (
	kept verdict = iota
	rejected
	pending // the where filter decides, in the batch stage
)

// upsert decodes a row image into an upsert, and says whether the etl filter rejected it
// or the where filter is still to decide.
func (p *tablePlan) upsert(row []any) (change, verdict, error) {
	t := p.t
	key, err := p.keyValues(row)
	if err != nil {
		return change{}, 0, err
	}
	c := change{plan: p, key: encodeKey(key), keyVals: key}
	var etlIn []any
	if p.etl != nil {
		if etlIn, err = p.etlInput(row); err != nil {
			return change{}, 0, err
		}
		p.etlRow.Reset(etlIn)
		if keep, err := p.etl.Keep(p.etlRow); err != nil || !keep {
			return c, rejected, err
		}
	}
	c.values = make([]any, 0, len(p.columns))
	for _, i := range p.write {
		v, err := p.writeValue(t.Columns[i], row[i])
		if err != nil {
			return change{}, 0, fmt.Errorf("%s.%s: %w", t.SourceDatabase, t.SourceTable, err)
		}
		c.values = append(c.values, v)
	}
	if t.Where != "" {
		c.image = make([]any, len(p.filterColumns))
		for k, i := range p.filterColumns {
			if c.image[k], err = argValue(t.Columns[i], row[i]); err != nil {
				return change{}, 0, err
			}
		}
		c.etlIn = etlIn
		return c, pending, nil
	}
	if p.etl != nil {
		if c.values, err = p.etlOutputs(c.values, etlIn); err != nil {
			return change{}, 0, err
		}
	}
	return c, kept, nil
}

// etlInput is the etl block's input for a row image: its values converted as they are
// written, text decoded from its character set.
func (p *tablePlan) etlInput(row []any) ([]any, error) {
	t := p.t
	in := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		v, err := argValue(c, row[i])
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.SourceDatabase, t.SourceTable, err)
		}
		if b, ok := v.([]byte); ok && c.Charset != "" && !c.Binary() {
			if v, err = etl.Decode(c, b); err != nil {
				return nil, fmt.Errorf("%w: %s.%s: %w", etl.ErrEvaluation, t.SourceDatabase, t.SourceTable, err)
			}
		}
		in[i] = v
	}
	return in, nil
}

// etlOutputs appends to values the etl block's outputs for the input in. It uses the
// plan's etl row: call it from the reading goroutine only.
func (p *tablePlan) etlOutputs(values, in []any) ([]any, error) {
	p.etlRow.Reset(in)
	for i := range p.etl.Outputs() {
		v, err := p.etl.Value(p.etlRow, i)
		if err != nil {
			return nil, err
		}
		values = append(values, v)
	}
	return values, nil
}

// remove decodes a row image into a delete by key.
func (p *tablePlan) remove(row []any) (change, error) {
	key, err := p.keyValues(row)
	if err != nil {
		return change{}, err
	}
	return change{plan: p, delete: true, values: key, key: encodeKey(key), keyVals: key}, nil
}

// rejectedBy turns a change whose where filter rejected its row into what is applied
// instead: a delete of its key when orDelete is set; ok is false when nothing is.
func (c change) rejectedBy() (change, bool) {
	if !c.orDelete {
		return change{}, false
	}
	return change{plan: c.plan, delete: true, values: slices.Clone(c.keyVals), key: c.key, keyVals: c.keyVals, end: c.end}, true
}

func (p *tablePlan) keyValues(row []any) ([]any, error) {
	out := make([]any, len(p.key))
	for i, j := range p.key {
		v, err := p.writeValue(p.t.Columns[j], row[j])
		if err != nil {
			return nil, err
		}
		if b, ok := v.([]byte); ok {
			// Keys outlive the batch (Config.Changed): a copy, not a view of the event.
			v = slices.Clone(b)
		}
		out[i] = v
	}
	return out, nil
}

// encodeKey turns key values into a string that is equal for equal keys only: each value
// is tagged with its kind, and bytes carry their length.
func encodeKey(key []any) string {
	var b []byte
	for _, v := range key {
		switch x := v.(type) {
		case nil:
			b = append(b, 'n')
		case int64:
			b = strconv.AppendInt(append(b, 'i'), x, 10)
		case uint64:
			b = strconv.AppendUint(append(b, 'u'), x, 10)
		case string:
			b = append(strconv.AppendInt(append(b, 's'), int64(len(x)), 10), ':')
			b = append(b, x...)
		case []byte:
			b = append(strconv.AppendInt(append(b, 'b'), int64(len(x)), 10), ':')
			b = append(b, x...)
		default:
			b = fmt.Appendf(append(b, 'v'), "%#v", x)
		}
		b = append(b, ';')
	}
	return string(b)
}

// writeValue is argValue for a value written to the destination: an ENUM's index or a SET's
// bit mask becomes its member text where the destination stores that
// (dialect.MembersAsText), as the copy writes it.
func (p *tablePlan) writeValue(c schema.Column, v any) (any, error) {
	a, err := argValue(c, v)
	if err != nil || a == nil || !dialect.MembersAsText(p.d.Name(), c.DataType) {
		return a, err
	}
	n, ok := a.(uint64)
	if !ok {
		return nil, fmt.Errorf("column %s: the binlog gave %T for an %s, not its number", c.Name, v, strings.ToUpper(c.DataType))
	}
	return schema.MemberText(c, n), nil
}
