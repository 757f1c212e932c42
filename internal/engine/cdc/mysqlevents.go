package cdc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Binlog features MariaDB never writes and MySQL writes when a setting asks for them,
// globally or in one session: compressed transactions (binlog_transaction_compression),
// partial JSON updates (binlog_row_value_options), row images without every column
// (binlog_row_image) and DML as statements (binlog_format). Each is either applied exactly
// or fails the run with ErrSourceSetting, naming the setting and the remedy: a row is
// never dropped in silence.

// ErrSourceSetting wraps the error of binlog events the source wrote with a setting whose
// changes incremental migration cannot apply exactly (binlog_row_value_options=PARTIAL_JSON,
// binlog_row_image=MINIMAL or NOBLOB, binlog_format=STATEMENT or MIXED). The events stay in
// the binlog, so no retry fixes it: the task needs the setting changed and a new start.
var ErrSourceSetting = errors.New("binlog written with a source setting incremental migration cannot apply")

// newTaskRemedy ends the remedy of every ErrSourceSetting: the event that failed cannot be
// applied, so the task's destination cannot be completed from its binlog.
const newTaskRemedy = "sessions already open keep their own value, so restart the writers; then create a new task (a new full migration): the changes of this event are not on the destination"

// payload handles a TRANSACTION_PAYLOAD_EVENT (MySQL 8.0.20+ with
// binlog_transaction_compression=ON): the events of the transaction it carries, which
// go-mysql decompresses and decodes, are handled in order as if they had come one by one.
// The transaction's end (its XID or COMMIT, the last event) is at the end of the payload
// event: a position is saved there only, never inside it.
func (a *applier) payload(ctx context.Context, h *replication.EventHeader, e *replication.TransactionPayloadEvent) error {
	if len(e.Events) == 0 {
		return nil
	}
	e.Events[len(e.Events)-1].Header.LogPos = h.LogPos
	for _, inner := range e.Events {
		if _, nested := inner.Event.(*replication.TransactionPayloadEvent); nested {
			return fmt.Errorf("%w: a compressed transaction payload holds another one, which MySQL never writes; the binlog at %s:%d is not one incremental migration can read",
				ErrSourceSetting, a.file, h.LogPos)
		}
		if err := a.handle(ctx, inner); err != nil {
			return err
		}
	}
	return nil
}

// checkRows fails with ErrSourceSetting when a rows event of t cannot be applied exactly:
// its type is unknown, an after image holds a partial JSON update (binlog_row_value_options
// = PARTIAL_JSON), or an image leaves out a column the change needs (binlog_row_image =
// MINIMAL or NOBLOB). A column left out that the change does not need (one not migrated,
// or any but the key of a deleted row) is no reason to fail. Call it before decode, with
// t's current plan.
func checkRows(t *Table, kind rowsKind, e *replication.RowsEvent) error {
	name := t.SourceDatabase + "." + t.SourceTable
	if kind == 0 {
		return fmt.Errorf("%w: a rows event of %s has a type incremental migration does not know; its rows cannot be applied. Report it with the source's version and binlog settings",
			ErrSourceSetting, name)
	}
	for _, row := range e.Rows {
		for j, v := range row {
			if _, ok := v.(*replication.JsonDiff); ok {
				return fmt.Errorf("%w: an UPDATE of %s was written as a partial JSON update of column %s (binlog_row_value_options=PARTIAL_JSON): the binlog holds only the changed part of the document, and the row cannot be applied exactly. "+
					"Set binlog_row_value_options to '' on the source: SET GLOBAL binlog_row_value_options = '' and in its configuration, and in every session that sets it; %s",
					ErrSourceSetting, name, columnName(t, j), newTaskRemedy)
			}
		}
	}
	for i, skipped := range e.SkippedColumns {
		if len(skipped) == 0 {
			continue
		}
		image := kind == rowsInsert || (kind == rowsUpdate && i%2 == 1)
		var missing []string
		for _, j := range skipped {
			if t.plan.needs(j, image) {
				missing = append(missing, columnName(t, j))
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: binlog rows of %s leave out column(s) %s (written with binlog_row_image=MINIMAL or NOBLOB), which incremental migration needs to apply the change exactly. "+
				"Set binlog_row_image to FULL on the source: SET GLOBAL binlog_row_image = 'FULL' and in its configuration, and in every session that sets it; %s",
				ErrSourceSetting, name, strings.Join(missing, ", "), newTaskRemedy)
		}
	}
	return nil
}

// needs reports whether a change needs column i of a row image: every image needs the key;
// an image written as an upsert (image) also needs the migrated columns, those the where
// filter reads and, with an etl block, every column.
func (p *tablePlan) needs(i int, image bool) bool {
	if i >= len(p.t.Columns) {
		return true
	}
	if slices.Contains(p.key, i) {
		return true
	}
	if !image {
		return false
	}
	return p.etl != nil || slices.Contains(p.write, i) || (p.t.Where != "" && slices.Contains(p.filterColumns, i))
}

func columnName(t *Table, i int) string {
	if i < len(t.Columns) {
		return t.Columns[i].Name
	}
	return fmt.Sprintf("#%d", i+1)
}

// statementRows fails with ErrSourceSetting on a DML statement in the binlog (its session
// wrote with binlog_format=STATEMENT or MIXED) that names a table in a database of the
// task: the rows it changed are not in the binlog, so they cannot be applied. A table of
// another database is not migrated and is left alone (a trigger of it that writes a
// migrated table in another database is not seen: docs/mysql.md).
func (f *follower) statementRows(defaultDB string, stmt ast.StmtNode, query string) error {
	var refs ast.Node
	switch s := stmt.(type) {
	case *ast.InsertStmt:
		refs = s.Table
	case *ast.UpdateStmt:
		refs = s.TableRefs
	case *ast.DeleteStmt:
		refs = s.TableRefs
	case *ast.LoadDataStmt:
		refs = s.Table
	}
	if refs == nil {
		return nil
	}
	v := &tableNames{}
	refs.Accept(v)
	dbs := sourceDatabases(f.cfg)
	for _, tn := range v.names {
		db := dbOf(defaultDB, tn)
		if !dbs[strings.ToLower(db)] {
			continue
		}
		return fmt.Errorf("%w: the binlog holds the statement %q on %s.%s instead of its rows (written with binlog_format=STATEMENT or MIXED): the rows it changed cannot be applied. "+
			"Set binlog_format to ROW on the source: SET GLOBAL binlog_format = 'ROW' and in its configuration, and in every session that sets it; %s",
			ErrSourceSetting, truncate(query, 200), db, tn.Name.O, newTaskRemedy)
	}
	return nil
}

// tableNames collects the tables a statement names.
type tableNames struct{ names []*ast.TableName }

func (v *tableNames) Enter(n ast.Node) (ast.Node, bool) {
	if tn, ok := n.(*ast.TableName); ok {
		v.names = append(v.names, tn)
	}
	return n, false
}

func (v *tableNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// mysqlJSONText spaces a JSON document decoded from MySQL's binary JSON (compact, as
// go-mysql renders it) as MySQL shows it, and so as the full load copies it: a space after
// every ',' and ':' between tokens, none elsewhere. Text inside strings is unchanged.
func mysqlJSONText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == ':'):
			b.WriteByte(' ')
		}
	}
	return b.String()
}
