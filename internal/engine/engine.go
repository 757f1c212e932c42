// Package engine runs a migration task: schema migration, then the full copy, reporting its
// progress as it goes. It knows nothing of Terraform or HTTP; the runner drives it.
package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// Migration types.
const (
	MigrationSchema      = "schema"
	MigrationFull        = "full"
	MigrationIncremental = "incremental"
)

// Phases a Progress reports.
const (
	PhaseSchema = "schema"
	PhaseFull   = "full"
)

// Task is what the engine needs to run one migration task.
type Task struct {
	ID             string
	Source         dbconn.Endpoint
	Destination    dbconn.Endpoint
	MigrationTypes []string
	Objects        []Object
}

// Object selects a source database, all of its tables when Tables is empty.
type Object struct {
	Database string
	RenameTo string
	Tables   []Table
}

// Table selects one table.
type Table struct {
	Name     string
	RenameTo string
}

// Position is a place in the source binlog.
type Position struct {
	File    string
	Pos     uint64
	GTIDSet string
}

// TableProgress is one table's full-copy progress.
type TableProgress struct {
	Database, Table   string
	RowsCopied, Total int64
	Done              bool
}

// Progress is a snapshot of a running task. Each report is a fresh value the receiver may keep.
type Progress struct {
	Phase        string
	Position     Position
	RowsMigrated int64
	Tables       []TableProgress
}

// Percent is the share of rows copied, by the source's row estimates, in 0..100.
func (p Progress) Percent() float64 {
	var done, total int64
	for _, t := range p.Tables {
		done += t.RowsCopied
		if t.Done {
			total += t.RowsCopied
		} else {
			total += max(t.Total, t.RowsCopied)
		}
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(done) / float64(total)
}

// mapping is one source table and the names it gets on the destination.
type mapping struct {
	table            *schema.Table
	destDB, destName string
}

// Run runs the task to its end. It calls report whenever the progress changes; report must
// not block for long. A task that is run again after a stop or a crash resumes from the
// checkpoints kept on the destination. Run returns ctx.Err() when ctx is cancelled.
func Run(ctx context.Context, task Task, report func(Progress)) error {
	if slices.Contains(task.MigrationTypes, MigrationIncremental) {
		return errors.New("incremental migration is not available in this build: use migration_types = [\"schema\", \"full\"]")
	}
	src, err := dbconn.Open(task.Source, "")
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := dbconn.OpenWriter(task.Destination, "")
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := src.PingContext(ctx); err != nil {
		return fmt.Errorf("source: %w", dbconn.Explain(task.Source, err))
	}
	if err := dst.PingContext(ctx); err != nil {
		return fmt.Errorf("destination: %w", dbconn.Explain(task.Destination, err))
	}
	if err := checkpoint.Ensure(ctx, dst); err != nil {
		return err
	}
	maps, err := resolve(ctx, src, task.Objects)
	if err != nil {
		return err
	}
	prog := Progress{Phase: PhaseSchema}
	for _, m := range maps {
		prog.Tables = append(prog.Tables, TableProgress{Database: m.table.Database, Table: m.table.Name, Total: estimateRows(ctx, src, m.table)})
	}

	cut, ok, err := checkpoint.LoadCut(ctx, dst, task.ID)
	if err != nil {
		return err
	}
	if !ok {
		if slices.Contains(task.MigrationTypes, MigrationSchema) {
			if err := checkConflicts(ctx, dst, maps); err != nil {
				return err
			}
		}
		// Record the position before anything is copied: every change after it reaches the
		// destination through the binlog, every change before it through the copy.
		pos, err := currentPosition(ctx, src)
		if err != nil {
			return err
		}
		cut = checkpoint.Cut{File: pos.File, Pos: pos.Pos, GTIDSet: pos.GTIDSet}
		if err := checkpoint.SaveCut(ctx, dst, task.ID, cut); err != nil {
			return err
		}
	}
	prog.Position = Position{File: cut.File, Pos: cut.Pos, GTIDSet: cut.GTIDSet}
	report(clone(prog))

	if slices.Contains(task.MigrationTypes, MigrationSchema) && !cut.SchemaDone {
		if err := createSchema(ctx, dst, maps); err != nil {
			return err
		}
		cut.SchemaDone = true
		if err := checkpoint.SaveCut(ctx, dst, task.ID, cut); err != nil {
			return err
		}
	}
	if !slices.Contains(task.MigrationTypes, MigrationFull) {
		return nil
	}
	prog.Phase = PhaseFull
	report(clone(prog))
	for i, m := range maps {
		base := prog.RowsMigrated
		n, err := fullload.Copy(ctx, src, dst, fullload.Job{
			TaskID: task.ID, Table: m.table, DestDatabase: m.destDB, DestTable: m.destName,
		}, func(rows int64) {
			prog.Tables[i].RowsCopied = rows
			prog.RowsMigrated = base + rows
			report(clone(prog))
		})
		if err != nil {
			return err
		}
		prog.Tables[i].RowsCopied, prog.Tables[i].Done = n, true
		prog.RowsMigrated = base + n
		report(clone(prog))
	}
	return nil
}

func clone(p Progress) Progress {
	p.Tables = slices.Clone(p.Tables)
	return p
}

// resolve expands the task's objects into source tables with destination names.
func resolve(ctx context.Context, src *sql.DB, objects []Object) ([]mapping, error) {
	var out []mapping
	for _, o := range objects {
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
		if len(tables) == 0 {
			names, err := schema.ListTables(ctx, src, o.Database)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				tables = append(tables, Table{Name: n})
			}
		}
		for _, tb := range tables {
			t, err := schema.Describe(ctx, src, o.Database, tb.Name)
			if err != nil {
				return nil, err
			}
			destName := tb.Name
			if tb.RenameTo != "" {
				destName = tb.RenameTo
			}
			out = append(out, mapping{table: t, destDB: destDB, destName: destName})
		}
	}
	return out, nil
}

func createSchema(ctx context.Context, dst *sql.DB, maps []mapping) error {
	created := map[string]bool{}
	for _, m := range maps {
		if !created[m.destDB] {
			if _, err := dst.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+dialect.QuoteIdent(m.destDB)); err != nil {
				return fmt.Errorf("creating destination database %q: %w", m.destDB, err)
			}
			created[m.destDB] = true
		}
		// IF NOT EXISTS: a run resumed after a crash finds the tables it created before.
		// Conflicts with tables that were there first are refused by checkConflicts.
		stmt, err := schema.DestinationDDL(m.table, m.destDB, m.destName)
		if err != nil {
			return err
		}
		stmt = strings.Replace(stmt, "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
		if _, err := dst.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating destination table %s.%s: %w", m.destDB, m.destName, err)
		}
	}
	return nil
}

// checkConflicts refuses destination tables that exist before the task first runs.
func checkConflicts(ctx context.Context, dst *sql.DB, maps []mapping) error {
	for _, m := range maps {
		var n int
		err := dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", m.destDB, m.destName).Scan(&n)
		if err != nil {
			return fmt.Errorf("checking destination table %s.%s: %w", m.destDB, m.destName, err)
		}
		if n > 0 {
			return fmt.Errorf("destination table %s.%s already exists (source %s.%s): rename it with object name mapping (rename_to), or rename or drop the destination table", m.destDB, m.destName, m.table.Database, m.table.Name)
		}
	}
	return nil
}

func estimateRows(ctx context.Context, src *sql.DB, t *schema.Table) int64 {
	var n sql.NullInt64
	_ = src.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", t.Database, t.Name).Scan(&n)
	return n.Int64
}

// currentPosition reads the source's current binlog file, position and GTID set. A source
// without a binlog gives the zero Position.
func currentPosition(ctx context.Context, src *sql.DB) (Position, error) {
	var version string
	var logBin int
	if err := src.QueryRowContext(ctx, "SELECT VERSION(), @@log_bin").Scan(&version, &logBin); err != nil {
		return Position{}, fmt.Errorf("reading source variables: %w", err)
	}
	if logBin == 0 {
		return Position{}, nil
	}
	rows, err := src.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return Position{}, fmt.Errorf("reading the source binlog position (the source user needs the REPLICATION CLIENT or BINLOG MONITOR privilege): %w", err)
	}
	defer rows.Close()
	var p Position
	if rows.Next() {
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return Position{}, err
		}
		p.File = string(vals[0])
		fmt.Sscan(string(vals[1]), &p.Pos)
	}
	if err := rows.Err(); err != nil {
		return Position{}, err
	}
	gtidVar := "@@gtid_executed"
	if dbconn.FlavorOf(version) == dbconn.TypeMariaDB {
		gtidVar = "@@gtid_binlog_pos"
	}
	var gtid sql.NullString
	if err := src.QueryRowContext(ctx, "SELECT "+gtidVar).Scan(&gtid); err == nil {
		p.GTIDSet = gtid.String
	}
	return p, nil
}
