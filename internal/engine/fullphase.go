// The full phase: the copy of the planned tables, and of the tables added to a running task.

package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// fullCopy runs the full migration of the mappings maps[i] for i in which; the progress of
// maps[i] is Progress.Tables[i].
func fullCopy(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, which []int, send func(func(*Progress))) error {
	var err error
	jobs := make([]tablemap.Table, len(which))
	for i, mi := range which {
		m := maps[mi]
		if task.ConflictHandling == ConflictIgnore {
			if m.Columns, err = matchingColumns(ctx, dst, m); err != nil {
				return err
			}
		}
		jobs[i] = m.ForDestination(task.Destination.Type)
	}
	send(func(p *Progress) { p.Phase = PhaseFull })
	var written atomic.Int64
	base := int64(0)
	send(func(p *Progress) { base = p.BytesWritten })
	d, err := dialect.For(task.Destination.Type)
	if err != nil {
		return err
	}
	err = fullload.Run(ctx, src, dst, jobs, fullload.Options{
		TaskID:          task.ID,
		Dialect:         d,
		Workers:         task.Workers,
		ChunkRows:       task.ChunkRows,
		IgnoreConflicts: task.ConflictHandling == ConflictIgnore,
		FollowDDL:       slices.Contains(task.MigrationTypes, MigrationIncremental),
		Limits:          task.FullLimits,
		Fence:           task.fence,
		InsertOnly:      task.insertOnly,
		Written:         &written,
		Progress: func(job int, rows int64) {
			send(func(p *Progress) {
				t := &p.Tables[which[job]]
				p.BytesWritten = base + written.Load()
				p.RowsMigrated += rows - t.RowsCopied
				t.RowsCopied = rows
			})
		},
	})
	if err != nil {
		return err
	}
	send(func(p *Progress) {
		for _, i := range which {
			p.Tables[i].Done = true
		}
	})
	return nil
}

// addTables creates and copies the tables added to the selection of a task whose full copy
// was done, before incremental migration resumes. The binlog stream stands still meanwhile,
// and resumes from its applied position, which precedes the copy: the tables' changes since
// then are replayed over the copied rows exactly as at the task's first handover.
func addTables(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, added []int, withSchema bool, send func(func(*Progress))) error {
	var names []string
	subset := make([]tablemap.Table, len(added))
	for i, mi := range added {
		subset[i] = maps[mi]
		names = append(names, maps[mi].SourceDatabase+"."+maps[mi].SourceTable)
	}
	task.logger().Info("copying tables added to the task", "tables", names)
	if withSchema {
		ddl, err := renderSchema(task, subset)
		if err != nil {
			return fmt.Errorf("tables added to the task: %w", err)
		}
		send(func(p *Progress) { p.Phase = PhaseSchema })
		if err := createSchema(ctx, dst, task.fence, ddl); err != nil {
			return err
		}
	}
	return fullCopy(ctx, src, dst, task, maps, added, send)
}

// loadCopied fills p's table progress from the copy checkpoints of a finished full copy. It
// returns the indexes of the mappings that have none: tables added to the task since.
func loadCopied(ctx context.Context, dst *sql.DB, taskID string, maps []tablemap.Table, p *Progress) (added []int, err error) {
	for i, m := range maps {
		plan, ok, err := checkpoint.LoadPlan(ctx, dst, taskID, m.SourceDatabase, m.SourceTable)
		if err != nil {
			return nil, err
		}
		if !ok {
			added = append(added, i)
			continue
		}
		var rows int64
		for _, c := range plan.Chunks {
			rows += c.RowsCopied
		}
		p.Tables[i].RowsCopied, p.Tables[i].Done = rows, true
		p.RowsMigrated += rows
	}
	return added, nil
}

// notFollowed keeps, of the mappings added, those incremental migration does not already
// follow: a table created in, or renamed into, a database selected whole was taken in from
// the binlog and has no copy checkpoint, but is not new to the task.
func notFollowed(ctx context.Context, dst *sql.DB, taskID string, maps []tablemap.Table, added []int) ([]int, error) {
	if len(added) == 0 {
		return nil, nil
	}
	done, ok, err := checkpoint.LoadWorkers(ctx, dst, taskID)
	if err != nil || !ok {
		return added, err
	}
	followed, ok, err := cdc.Followed(checkpoint.Earliest(done).Tables)
	if err != nil || !ok {
		return added, err
	}
	return slices.DeleteFunc(added, func(i int) bool {
		return followed[strings.ToLower(maps[i].SourceDatabase+"."+maps[i].SourceTable)]
	}), nil
}

// matchingColumns keeps, under ignore_errors_and_proceed, only the columns the existing
// destination table has: "if schemas differ, only matching columns are migrated".
func matchingColumns(ctx context.Context, dst *sql.DB, m tablemap.Table) ([]tablemap.ColumnMap, error) {
	rows, err := dst.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", m.DestDatabase, m.DestTable)
	if err != nil {
		return nil, fmt.Errorf("reading columns of destination table %s.%s: %w", m.DestDatabase, m.DestTable, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[strings.ToLower(n)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []tablemap.ColumnMap
	for _, c := range m.Columns {
		if have[strings.ToLower(c.Dest)] {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("destination table %s.%s shares no column with source table %s.%s: fix its columns or rename the source table with rename_to", m.DestDatabase, m.DestTable, m.SourceDatabase, m.SourceTable)
	}
	return out, nil
}
