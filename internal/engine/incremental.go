package engine

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/verify"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// incremental runs incremental migration from the last applied position, or from the cut
// recorded before the full copy: the changes made while the copy ran are applied again, as
// REPLACE and DELETE by key, so they end as the source has them. added are the mappings
// this run copied because they were added to the task: they are migrated from the stored
// position on, though its schema history does not know them.
func incremental(ctx context.Context, src, dst *sql.DB, dd dialect.Dialect, task Task, maps []tablemap.Table, added []int, cut checkpoint.Cut, send func(func(*Progress))) error {
	var tables []*cdc.Table
	for _, m := range maps {
		t, err := cdcTable(m)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	// selected are the tables in the order of maps; tables are those incremental migration
	// starts with, after the stored schema history (which may hold others).
	selected := tables
	var databases []cdc.Database
	for _, o := range task.Objects {
		if len(o.Tables) == 0 {
			databases = append(databases, cdc.Database{SourceDatabase: o.Database, DestDatabase: cmp.Or(o.RenameTo, o.Database),
				Ops: append(operations(nil, task.DMLOperations, vocab.DMLOrDefault),
					operations(nil, task.DDLOperations, vocab.DDLOrDefault)...)})
		}
	}
	done, ok, err := checkpoint.LoadWorkers(ctx, dst, task.ID)
	if err != nil {
		return err
	}
	var start checkpoint.Applied
	if ok {
		start = checkpoint.Earliest(done)
		// Events after the stored position were written with the columns stored with it.
		if tables, err = cdc.Restore(selected, start.Tables); err != nil {
			return err
		}
		// A table the history does not know comes back through the binlog only in a
		// database selected whole (its CREATE or RENAME is followed). A table named in a
		// table block and unknown to the history was added to the task since the stored
		// position: its rows were copied, and its changes are replayed from here as they
		// are for every other table. So are the tables this run copied as added (a
		// database selected whole added to the task brings its tables that way).
		for i, t := range selected {
			if (!maps[i].AllTables || slices.Contains(added, i)) && !slices.Contains(tables, t) {
				tables = append(tables, t)
			}
		}
	} else {
		start = checkpoint.Applied{Location: cut.Location}
	}
	send(func(p *Progress) {
		p.Phase = PhaseIncremental
		p.Position = start.Location
	})
	base, baseBytes := int64(0), int64(0)
	send(func(p *Progress) { base, baseBytes = p.RowsMigrated, p.BytesWritten })
	var changed func(*cdc.Table, [][]any)
	if task.Verification.enabled() {
		vctx, stop := context.WithCancel(ctx)
		defer stop()
		go sweep(vctx, src, dst, task, maps, send)
		if changed, err = recheck(vctx, src, dst, task, maps, selected, send); err != nil {
			return err
		}
	}
	err = cdc.Run(ctx, src, dst, cdc.Config{
		Changed: changed, Dialect: dd, Databases: databases,
		Copy: func(ctx context.Context, d cdc.Database, name string) (*cdc.Table, error) {
			return copyRenamed(ctx, src, dst, task, d, name)
		},
		TaskID: task.ID, Fence: task.fence, Source: task.Source, ServerID: cmp.Or(task.ServerID, serverID(task.ID)), Start: start, Done: done, Workers: applyWorkers(task.Workers), Tables: tables,
		Limits: task.IncrementalLimits, Drain: task.Drain, Yield: task.Yield, Log: task.logger(),
		Report: func(s cdc.Status) {
			send(func(p *Progress) {
				p.Position = s.Position
				p.LatencySeconds, p.BehindSince, p.CaughtUp, p.ChangesApplied, p.Notices = s.Latency, s.BehindSince, s.CaughtUp, s.RowsApplied, s.Notices
				p.RowsMigrated = base + s.RowsApplied
				p.BytesWritten = baseBytes + s.BytesApplied
			})
		},
	})
	if errors.Is(err, ErrDrained) {
		// The cut-over: every change is applied and the source stops being the one that
		// writes, so triggers and events may fire on the destination from now on.
		if oerr := migrateObjects(ctx, src, dst, task, maps, ObjectTriggers, ObjectEvents); oerr != nil {
			return oerr
		}
	}
	return err
}

// cdcTable is how incremental migration sees a plan: the plan, with the live state it
// starts from (the source's columns and key, the destination name of each column).
func cdcTable(m tablemap.Table) (*cdc.Table, error) {
	if len(m.Source.Key) == 0 {
		return nil, fmt.Errorf("table %s.%s has no primary key and no NOT NULL unique key: incremental migration needs one to apply updates and deletes; add a primary key on the source", m.SourceDatabase, m.SourceTable)
	}
	t := &cdc.Table{Table: m, Columns: slices.Clone(m.Source.Columns), Dest: map[string]string{}, Key: slices.Clone(m.Source.Key)}
	for _, c := range m.Columns {
		t.Dest[c.Source.Name] = c.Dest
	}
	var err error
	if t.OrderSensitive, err = otherUniqueKeys(m); err != nil {
		return nil, err
	}
	return t, nil
}

// copyRenamed creates and copies a table renamed into a database the task selects whole,
// as the schema and full migration would have, and returns it for incremental migration.
func copyRenamed(ctx context.Context, src, dst *sql.DB, task Task, d cdc.Database, name string) (*cdc.Table, error) {
	st, err := schema.Describe(ctx, src, d.SourceDatabase, name)
	if err != nil {
		return nil, err
	}
	m, _, err := planTable(task, d.DestDatabase, st, Table{Name: name}, true)
	if err != nil {
		return nil, err
	}
	ddl, err := renderSchema(task, []tablemap.Table{m})
	if err != nil {
		return nil, err
	}
	if err := createSchema(ctx, dst, task.fence, ddl); err != nil {
		return nil, err
	}
	dd, err := dialect.For(task.Destination.Type)
	if err != nil {
		return nil, err
	}
	// As before plans were shared: the copy of a table renamed into the selection writes
	// no merge_tables tag (incremental migration writes none either), though its
	// destination table has the merge column.
	m.SourceTag = ""
	err = fullload.Run(ctx, src, dst, []tablemap.Table{m.ForDestination(task.Destination.Type)}, fullload.Options{
		TaskID: task.ID, Dialect: dd, Workers: task.Workers, ChunkRows: task.ChunkRows, Limits: task.FullLimits,
		IgnoreConflicts: task.ConflictHandling == ConflictIgnore, FollowDDL: true, Fence: task.fence, InsertOnly: task.insertOnly,
	})
	if err != nil {
		return nil, err
	}
	return cdcTable(m)
}

// sweep verifies the destination over and over while incremental migration runs: a row
// that differs counts only if it still differs after the settle delay, so changes in flight
// raise no false alarm, while a row changed on the destination behind the task's back is
// found by the next sweep. It returns when ctx ends.
func sweep(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, send func(func(*Progress))) {
	settle := cmp.Or(task.Verification.Settle, DefaultSettle)
	pause := cmp.Or(task.Verification.Every, DefaultSweepPause)
	for {
		// Each sweep compares the tables as they are now: DDL the task followed changed
		// their columns, and created, renamed or dropped tables.
		if now, err := resolve(ctx, src, task); err == nil {
			maps = now
		}
		if _, err := verifyOnce(ctx, src, dst, task, maps, settle, send); err != nil {
			if ctx.Err() != nil {
				return
			}
			task.logger().Warn("verification sweep failed; the next one retries", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// recheck starts comparing the rows incremental migration changes, after the settle delay,
// and returns the function that hands them over; mismatches go into the verification
// progress. It stops when ctx ends.
func recheck(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, tables []*cdc.Table, send func(func(*Progress))) (func(*cdc.Table, [][]any), error) {
	ensure := func(p *Progress) *VerificationProgress {
		if p.Verification == nil {
			p.Verification = &VerificationProgress{Status: VerificationRunning}
		}
		return p.Verification
	}
	found := func(ms []verify.Mismatch) {
		for _, m := range ms {
			task.logger().Warn("changed row differs after the settle delay", "table", m.Table, "key", m.Key, "kind", m.Kind)
		}
		send(func(p *Progress) {
			v := ensure(p)
			v.RecheckMismatches += int64(len(ms))
			v.RecheckMismatched = append(v.RecheckMismatched, ms[:min(len(ms), 100-len(v.RecheckMismatched))]...)
		})
	}
	checked := func(n int) { send(func(p *Progress) { ensure(p).KeysRechecked += int64(n) }) }
	vs, vd, err := verifyServers(task, src, dst)
	if err != nil {
		return nil, err
	}
	rc, err := verify.NewRechecker(ctx, vs, vd, maps, cmp.Or(task.Verification.Settle, DefaultSettle), task.FullLimits, found, checked)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := rc.Run(ctx); err != nil && ctx.Err() == nil {
			task.logger().Warn("checking changed rows stopped", "error", err)
		}
	}()
	index := make(map[*cdc.Table]int, len(tables))
	for i, t := range tables {
		index[t] = i
	}
	columns := make(map[*cdc.Table][]schema.Column, len(tables))
	for i, t := range tables {
		columns[t] = maps[i].Source.Columns
	}
	return func(t *cdc.Table, keys [][]any) {
		// A table whose columns a DDL changed is no longer the mapping the rechecker
		// compares: the sweeps, which take the tables as they are, cover it.
		if i, ok := index[t]; ok && slices.EqualFunc(t.Columns, columns[t], func(a, b schema.Column) bool { return a.Name == b.Name }) {
			rc.Add(i, keys)
		}
	}, nil
}

// applyWorkers is how many transactions apply incremental changes at once: the task's
// full-copy workers, at most 8.
func applyWorkers(copyWorkers int) int {
	if copyWorkers <= 0 {
		return 4
	}
	return min(copyWorkers, 8)
}

// otherUniqueKeys reports whether the source table has a UNIQUE key besides the one the
// migration keys rows by.
func otherUniqueKeys(m tablemap.Table) (bool, error) {
	def, err := schema.ParseCreateTable(m.Source.CreateSQL)
	if err != nil {
		return false, err
	}
	n := 0
	for _, ix := range def.Indexes {
		if ix.Kind == "UNIQUE" && !slices.Equal(ix.Columns, m.Source.Key) {
			n++
		}
	}
	return n > 0, nil
}

// operations returns the table's operations, else the task's, else orDefault(nil): the
// vocabulary's default for their kind (vocab.DMLOrDefault or vocab.DDLOrDefault).
func operations(table, task []vocab.Operation, orDefault func([]vocab.Operation) []vocab.Operation) []vocab.Operation {
	switch {
	case table != nil:
		return table
	case task != nil:
		return task
	}
	return orDefault(nil)
}

// serverID derives a replica server id from a task id, in the upper half of the id space
// where servers' own ids rarely are; for a task whose runner did not allocate one.
func serverID(taskID string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(taskID))
	return 1<<31 | h.Sum32()>>1
}
