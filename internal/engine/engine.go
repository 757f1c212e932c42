// Package engine runs a migration task: schema migration, then the full copy, reporting its
// progress as it goes. It knows nothing of Terraform or HTTP; the runner drives it.
package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// Run runs the task to its end. It calls report whenever the progress changes; report must
// be safe to call from several goroutines and must not block for long. A task that is run
// again after a stop or a crash resumes from the checkpoints kept on the destination. Run
// returns ctx.Err() when ctx is cancelled.
func Run(ctx context.Context, task Task, report func(Progress)) error {
	src, dst, err := openServers(task, true)
	if err != nil {
		return err
	}
	defer src.Close()
	defer dst.Close()
	if err := src.PingContext(ctx); err != nil {
		return fmt.Errorf("source: %w", dbconn.Explain(task.Source, err))
	}
	if err := dst.PingContext(ctx); err != nil {
		return fmt.Errorf("destination: %w", dbconn.Explain(task.Destination, err))
	}
	// Every run measures the destination before it writes there: the fence below already
	// needs transactions and locking reads.
	caps, capItem := probeDestination(ctx, dst)
	if blocking := precheck.Blocking([]precheck.Result{capItem}, task.IgnorePrecheckAlerts); len(blocking) > 0 {
		report(Progress{Phase: PhasePrecheck, Capabilities: caps, CapabilityItem: capItem, Precheck: []precheck.Result{capItem}})
		return &PrecheckError{Results: []precheck.Result{capItem}, Blocking: blocking}
	}
	// The bulk load needs CHARACTER SET, ESCAPED BY and SET in LOAD DATA; a destination
	// that refuses any of them gets multi-row INSERTs instead.
	task.insertOnly = !loadDataUsable(caps)
	dd, err := dialect.For(task.Destination.Type)
	if err != nil {
		return err
	}
	if err := checkpoint.Ensure(ctx, dst, dd); err != nil {
		return err
	}
	// In a cluster, no checkpoint is read before this owner has fenced out the earlier ones.
	task.fence = checkpoint.NewFence(task.ID, task.Epoch, task.Owner, writesFor(caps))
	if err := task.fence.TakeOver(ctx, dst); err != nil {
		return err
	}
	maps, resolveErr := resolve(ctx, src, task)
	prog := Progress{Phase: PhasePrecheck, Capabilities: caps, CapabilityItem: capItem}
	// One estimate query per database rather than per table: thousands of small tables add
	// up.
	estimates := map[string]map[string]int64{}
	for _, m := range maps {
		db := m.SourceDatabase
		if estimates[db] == nil {
			estimates[db] = tablemap.EstimateDatabaseRows(ctx, src, db)
		}
		prog.Tables = append(prog.Tables, TableProgress{Database: db, Table: m.SourceTable, Total: estimates[db][m.SourceTable]})
	}
	send := sender(&prog, report)

	cut, ok, err := checkpoint.LoadCut(ctx, dst, task.ID)
	if err != nil {
		return err
	}
	var added []int
	if cut.FullDone {
		// The copy is done: its rows count in rows_migrated of every later run.
		if added, err = loadCopied(ctx, dst, task.ID, maps, &prog); err != nil {
			return err
		}
		if added, err = notFollowed(ctx, dst, task.ID, maps, added); err != nil {
			return err
		}
	}
	withSchema := slices.Contains(task.MigrationTypes, MigrationSchema)
	var ddl schemaDDL
	var schemaErr error
	if resolveErr == nil && withSchema && !cut.SchemaDone {
		ddl, schemaErr = renderSchema(task, maps)
	}
	if !ok {
		// First run: the precheck decides whether the task may start at all.
		send(func(p *Progress) {})
		err := runPrecheck(ctx, src, dst, task, maps, resolveErr, schemaErr, func(r []precheck.Result) {
			send(func(p *Progress) { p.Precheck = r })
		}, capItem)
		if err != nil {
			return err
		}
		// Record the position before anything is copied: every change after it reaches the
		// destination through the binlog, every change before it through the copy.
		pos, err := binlog.Current(ctx, src)
		if err != nil {
			if slices.Contains(task.MigrationTypes, MigrationIncremental) {
				return err
			}
			// Only incremental migration starts from the position: a task without it
			// needs no REPLICATION CLIENT privilege and records none.
			task.logger().Warn("the source binlog position is not recorded; only incremental migration needs it", "err", err)
			pos = binlog.Location{}
		}
		cut = checkpoint.Cut{Location: pos}
		if err := checkpoint.SaveCut(ctx, dst, dd, task.fence, task.ID, cut); err != nil {
			return err
		}
	} else if err := errors.Join(resolveErr, schemaErr); err != nil {
		return err
	}
	// A resumed run reports the phase it resumes in.
	phase := PhaseSchema
	switch withFull := slices.Contains(task.MigrationTypes, MigrationFull); {
	case withSchema && !cut.SchemaDone:
	case withFull && !cut.FullDone:
		phase = PhaseFull
	case slices.Contains(task.MigrationTypes, MigrationIncremental):
		phase = PhaseIncremental
	}
	send(func(p *Progress) {
		p.Phase = phase
		p.Position = cut.Location
	})

	if withSchema && !cut.SchemaDone {
		if err := createSchema(ctx, dst, task.fence, ddl); err != nil {
			return err
		}
		if err := migrateObjects(ctx, src, dst, task, maps, ObjectRoutines, ObjectViews); err != nil {
			return err
		}
		cut.SchemaDone = true
		if err := checkpoint.SaveCut(ctx, dst, dd, task.fence, task.ID, cut); err != nil {
			return err
		}
	}
	if slices.Contains(task.MigrationTypes, MigrationFull) && !cut.FullDone {
		all := make([]int, len(maps))
		for i := range all {
			all[i] = i
		}
		if err := fullCopy(ctx, src, dst, task, maps, all, send); err != nil {
			return err
		}
		cut.FullDone = true
		if err := checkpoint.SaveCut(ctx, dst, dd, task.fence, task.ID, cut); err != nil {
			return err
		}
	}
	if !slices.Contains(task.MigrationTypes, MigrationIncremental) {
		if task.Verification.enabled() && slices.Contains(task.MigrationTypes, MigrationFull) {
			if _, err := verifyOnce(ctx, src, dst, task, maps, 0, send); err != nil {
				return err
			}
		}
		// No row replicates any more: the cut-over objects can fire now.
		return migrateObjects(ctx, src, dst, task, maps, ObjectTriggers, ObjectEvents)
	}
	if len(added) > 0 {
		if err := addTables(ctx, src, dst, task, maps, added, withSchema, send); err != nil {
			return err
		}
	}
	return incremental(ctx, src, dst, dd, task, maps, added, cut, send)
}

// openServers opens the task's source, and its destination as a writer when write is set
// (repair writes), as a reader otherwise.
func openServers(task Task, write bool) (src, dst *sql.DB, err error) {
	if src, err = dbconn.Open(task.Source, ""); err != nil {
		return nil, nil, err
	}
	if write {
		dst, err = dbconn.OpenWriter(task.Destination, "")
	} else {
		dst, err = dbconn.Open(task.Destination, "")
	}
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return src, dst, nil
}

// sender returns the function through which progress changes: it applies each update to
// *prog and reports a copy, one update at a time.
func sender(prog *Progress, report func(Progress)) func(func(*Progress)) {
	var mu sync.Mutex
	return func(update func(*Progress)) {
		mu.Lock()
		defer mu.Unlock()
		update(prog)
		report(clone(*prog))
	}
}

func clone(p Progress) Progress {
	p.Tables = slices.Clone(p.Tables)
	if p.Verification != nil {
		v := *p.Verification
		v.Mismatched = slices.Clone(v.Mismatched)
		v.RecheckMismatched = slices.Clone(v.RecheckMismatched)
		p.Verification = &v
	}
	return p
}
