package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// SchemaObject names a kind of schema object other than tables that a task migrates
// (schema_objects); vocab.SchemaObject says when each kind is created.
type SchemaObject = vocab.SchemaObject

// Schema objects.
const (
	ObjectViews    = vocab.SchemaViews
	ObjectRoutines = vocab.SchemaRoutines
	ObjectTriggers = vocab.SchemaTriggers
	ObjectEvents   = vocab.SchemaEvents
)

// object is one schema object to create on the destination.
type object struct {
	kind       SchemaObject
	what       string // PROCEDURE, FUNCTION, VIEW, TRIGGER, EVENT
	sourceDB   string
	destDB     string
	name       string
	create     string // the statement, renamed and with the definer as the task wants it
	sqlMode    string // the SQL mode it was created in ("" for views)
	timeZone   string // events: the time zone their schedule is in
	sourceName string // "db.name" on the source, for messages
}

// objectsFor returns the task's objects of the given kinds, in the order they can be
// created (routines before the views that may call them).
func objectsFor(ctx context.Context, src *sql.DB, task Task, maps []tablemap.Table, kinds ...SchemaObject) ([]object, error) {
	var out []object
	dbs := map[string]string{} // source database -> destination database
	var order []string
	for _, m := range maps {
		if _, ok := dbs[m.SourceDatabase]; !ok {
			dbs[m.SourceDatabase] = m.DestDatabase
			order = append(order, m.SourceDatabase)
		}
	}
	want := func(k SchemaObject) bool { return slices.Contains(task.SchemaObjects, k) && slices.Contains(kinds, k) }
	for _, db := range order {
		read := func(kind SchemaObject, what, list string, args ...any) error {
			names, err := dbconn.Strings(ctx, src, list, args...)
			if err != nil {
				return fmt.Errorf("listing the %s of source database %s: %w", kind, db, err)
			}
			for _, n := range names {
				o, err := showCreate(ctx, src, kind, what, db, n)
				if err != nil {
					return err
				}
				o.destDB = dbs[db]
				out = append(out, o)
			}
			return nil
		}
		if want(ObjectRoutines) {
			for _, what := range []string{"FUNCTION", "PROCEDURE"} {
				if err := read(ObjectRoutines, what, "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = ? ORDER BY ROUTINE_NAME", db, what); err != nil {
					return nil, err
				}
			}
		}
		if want(ObjectViews) {
			if err := read(ObjectViews, "VIEW", "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", db); err != nil {
				return nil, err
			}
		}
		if want(ObjectTriggers) {
			// Only the triggers of migrated tables, on the table's destination name.
			for _, m := range maps {
				if m.SourceDatabase != db {
					continue
				}
				n := len(out)
				if err := read(ObjectTriggers, "TRIGGER", "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? ORDER BY ACTION_ORDER, TRIGGER_NAME", db, m.SourceTable); err != nil {
					return nil, err
				}
				for i := n; i < len(out); i++ {
					out[i].create = renameTriggerTable(out[i].create, m.SourceTable, m.DestTable)
				}
			}
		}
		if want(ObjectEvents) {
			if err := read(ObjectEvents, "EVENT", "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", db); err != nil {
				return nil, err
			}
		}
	}
	for i := range out {
		o := &out[i]
		o.create = renameDatabase(o.create, o.sourceDB, o.destDB)
		if o.kind == ObjectViews {
			// A view's definition, as the server shows it, names tables quoted and
			// qualified when they are in another database: follow their rename_to.
			for _, m := range maps {
				if m.SourceTable != m.DestTable {
					o.create = strings.ReplaceAll(o.create, dialect.QuoteTable(m.DestDatabase, m.SourceTable)+".", dialect.QuoteTable(m.DestDatabase, m.DestTable)+".")
					o.create = strings.ReplaceAll(o.create, dialect.QuoteTable(m.DestDatabase, m.SourceTable)+" ", dialect.QuoteTable(m.DestDatabase, m.DestTable)+" ")
				}
			}
		}
		if !task.KeepDefiner {
			o.create = definerClause.ReplaceAllString(o.create, "")
		}
	}
	return out, nil
}

// showCreate reads one object's definition.
func showCreate(ctx context.Context, src *sql.DB, kind SchemaObject, what, db, name string) (object, error) {
	o := object{kind: kind, what: what, sourceDB: db, name: name, sourceName: db + "." + name}
	rows, err := src.QueryContext(ctx, "SHOW CREATE "+what+" "+dialect.QuoteTable(db, name))
	if err != nil {
		return o, fmt.Errorf("reading the definition of %s %s on the source (the source user needs to see it: SHOW VIEW, or SELECT on mysql.proc / TRIGGER / EVENT): %w", strings.ToLower(what), o.sourceName, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return o, err
	}
	if !rows.Next() {
		return o, fmt.Errorf("%s %s vanished from the source while it was read: %w", strings.ToLower(what), o.sourceName, errors.Join(rows.Err(), sql.ErrNoRows))
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return o, err
	}
	for i, c := range cols {
		switch c {
		case "Create View", "Create Function", "Create Procedure", "SQL Original Statement", "Create Event":
			o.create = vals[i].String
		case "sql_mode":
			o.sqlMode = vals[i].String
		case "time_zone":
			o.timeZone = vals[i].String
		}
	}
	if o.create == "" {
		return o, fmt.Errorf("the source shows no definition of %s %s: the source user lacks the privilege to read it", strings.ToLower(what), o.sourceName)
	}
	return o, rows.Err()
}

// definerClause matches "DEFINER=`user`@`host` " (quoted or not): without it an object is
// defined by the destination user that creates it.
var definerClause = regexp.MustCompile("DEFINER=(`[^`]*`|'[^']*'|[^@\\s]+)@(`[^`]*`|'[^']*'|[^\\s]+)\\s+")

// renameDatabase makes qualified references to the source database (`db`.x or db.x,
// outside strings and comments) name the destination database; unqualified ones resolve
// there by themselves, as objects are created in it.
func renameDatabase(stmt, from, to string) string {
	if from == to {
		return stmt
	}
	bare := strings.IndexFunc(to, func(r rune) bool { return r > 0x7f || !sqltext.IsWordByte(byte(r)) }) < 0
	var b strings.Builder
	for i := 0; i < len(stmt); {
		if name, end, ok := sqltext.QuotedIdent(stmt, i); ok {
			if name == from && end < len(stmt) && stmt[end] == '.' {
				b.WriteString(dialect.QuoteIdent(to))
			} else {
				b.WriteString(stmt[i:end])
			}
			i = end
			continue
		}
		if sqltext.IsWordByte(stmt[i]) && (i == 0 || !sqltext.IsWordByte(stmt[i-1])) {
			end := i
			for end < len(stmt) && sqltext.IsWordByte(stmt[end]) {
				end++
			}
			switch {
			case stmt[i:end] == from && end < len(stmt) && stmt[end] == '.' && bare:
				b.WriteString(to)
			case stmt[i:end] == from && end < len(stmt) && stmt[end] == '.':
				b.WriteString(dialect.QuoteIdent(to))
			default:
				b.WriteString(stmt[i:end])
			}
			i = end
			continue
		}
		end := sqltext.SkipAtom(stmt, i)
		b.WriteString(stmt[i:end])
		i = end
	}
	return b.String()
}

// renameTriggerTable points a trigger at its table's destination name.
func renameTriggerTable(stmt, from, to string) string {
	if from == to {
		return stmt
	}
	re := regexp.MustCompile("(?i)(\\s(?:BEFORE|AFTER)\\s+(?:INSERT|UPDATE|DELETE)\\s+ON\\s+(?:(?:`[^`]*`|\\w+)\\.)?)(?:`" + regexp.QuoteMeta(strings.ReplaceAll(from, "`", "``")) + "`|" + regexp.QuoteMeta(from) + ")(\\s)")
	return re.ReplaceAllString(stmt, "${1}"+strings.ReplaceAll(dialect.QuoteIdent(to), "$", "$$")+"${2}")
}

// createObjects creates objects on the destination, replacing any of the same name, each
// in its destination database and in the SQL mode (and for events the time zone) it was
// created in. Views that need views created later are retried until none progresses.
func createObjects(ctx context.Context, dst *sql.DB, task Task, objs []object) error {
	if len(objs) == 0 {
		return nil
	}
	if err := task.fence.Guard(ctx, dst); err != nil {
		return err
	}
	conn, err := dst.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode, zone string
	if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode, @@SESSION.time_zone").Scan(&mode, &zone); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION sql_mode = ?, time_zone = ?", mode, zone)
	pending := objs
	for len(pending) > 0 {
		var again []object
		var lastErr error
		for _, o := range pending {
			err := createObject(ctx, conn, o, task.Destination.Type)
			var myErr *mysql.MySQLError
			if o.kind == ObjectViews && errors.As(err, &myErr) && myErr.Number == 1146 { // a view it reads comes later
				again, lastErr = append(again, o), err
				continue
			}
			if err != nil {
				return err
			}
			task.logger().Info("created schema object", "kind", o.what, "name", o.destDB+"."+o.name)
		}
		if len(again) == len(pending) {
			return fmt.Errorf("creating %s %s on the destination: %w; it reads a table or view the task does not migrate under that name "+
				"(a view follows a table's rename_to only where it names the table with its database): add the table to the task's objects, "+
				"drop its rename_to, or leave views out of schema_objects", strings.ToLower(again[0].what), again[0].sourceName, lastErr)
		}
		pending = again
	}
	return nil
}

// createObject creates o on the destination, of type dest, in the SQL mode and time zone
// it was created in on the source, less the modes dest does not know (dialect.SQLModeFor).
func createObject(ctx context.Context, conn *sql.Conn, o object, dest dialect.DatabaseType) error {
	setup := []string{"USE " + dialect.QuoteIdent(o.destDB)}
	args := [][]any{nil}
	if o.sqlMode != "" {
		mode, _ := dialect.SQLModeFor(o.sqlMode, dest)
		setup, args = append(setup, "SET SESSION sql_mode = ?"), append(args, []any{mode})
	}
	if o.timeZone != "" {
		setup, args = append(setup, "SET SESSION time_zone = ?"), append(args, []any{o.timeZone})
	}
	setup, args = append(setup, "DROP "+o.what+" IF EXISTS "+dialect.QuoteIdent(o.name)), append(args, nil)
	for i, s := range setup {
		if _, err := conn.ExecContext(ctx, s, args[i]...); err != nil {
			return fmt.Errorf("creating %s %s on the destination: %s: %w", strings.ToLower(o.what), o.sourceName, s, err)
		}
	}
	if _, err := conn.ExecContext(ctx, o.create); err != nil {
		return fmt.Errorf("creating %s %s on the destination: %w (statement: %.300s)", strings.ToLower(o.what), o.sourceName, err, o.create)
	}
	return nil
}

// migrateObjects creates the task's schema objects of the given kinds.
func migrateObjects(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, kinds ...SchemaObject) error {
	objs, err := objectsFor(ctx, src, task, maps, kinds...)
	if err != nil {
		return err
	}
	return createObjects(ctx, dst, task, objs)
}
