// Data verification: on demand (Verify) and as a phase of Run.

package engine

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/capability"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/verify"
)

// Verify compares the task's destination tables with its source tables once, on demand,
// reporting the verification's progress through report. With incremental migration, rows
// that differ get the settle delay to catch up before they count.
func Verify(ctx context.Context, task Task, report func(Progress)) error {
	src, dst, err := openServers(task, true)
	if err != nil {
		return err
	}
	defer src.Close()
	defer dst.Close()
	// A repair writes: as the task's owner, fenced (the run took the task over), and
	// directly where the destination has no atomic transactions.
	caps, err := capability.Run(ctx, dst, capability.Options{Only: []string{capability.Transactions, capability.Kill}})
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	task.fence = checkpoint.NewFence(task.ID, task.Epoch, task.Owner, writesFor(caps))
	maps, err := resolve(ctx, src, task)
	if err != nil {
		return err
	}
	var prog Progress
	send := sender(&prog, report)
	if task.Verification.Mode != VerifySampled {
		task.Verification.Mode = VerifyFull
	}
	var settle time.Duration
	if slices.Contains(task.MigrationTypes, MigrationIncremental) {
		settle = cmp.Or(task.Verification.Settle, DefaultSettle)
	}
	_, err = verifyOnce(ctx, src, dst, task, maps, settle, send)
	return err
}

// verifyServers gives verification the task's servers with their dialects.
func verifyServers(task Task, src, dst *sql.DB) (verify.Server, verify.Server, error) {
	sd, err := dialect.For(task.Source.Type)
	if err != nil {
		return verify.Server{}, verify.Server{}, err
	}
	dd, err := dialect.For(task.Destination.Type)
	if err != nil {
		return verify.Server{}, verify.Server{}, err
	}
	return verify.Server{DB: src, Dialect: sd}, verify.Server{DB: dst, Dialect: dd}, nil
}

func (v Verification) enabled() bool { return v.Mode == VerifyFull || v.Mode == VerifySampled }

// verifyOnce compares every mapping's destination table with its source, reporting as it
// goes; settle > 0 lets rows in flight catch up before they count.
func verifyOnce(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, settle time.Duration, send func(func(*Progress))) (verify.Result, error) {
	var sweeps int64
	send(func(p *Progress) {
		if p.Verification != nil {
			sweeps = p.Verification.Sweeps
		}
		p.Verification = p.Verification.next(VerificationRunning, verify.Result{}, sweeps)
	})
	opts := verify.Options{
		SamplePercent: task.Verification.SamplePercent, Repair: task.Verification.Repair, Settle: settle, Limits: task.FullLimits,
		Progress: func(r verify.Result) {
			send(func(p *Progress) {
				p.Verification = p.Verification.next(VerificationRunning, r, sweeps)
			})
		},
	}
	if task.Verification.Mode == VerifyFull {
		opts.SamplePercent = 0
	}
	vs, vd, err := verifyServers(task, src, dst)
	if err != nil {
		return verify.Result{}, err
	}
	opts.Rewrite = func(ctx context.Context, t tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any) (int64, error) {
		return fullload.Rewrite(ctx, src, dst, t.ForDestination(task.Destination.Type), srcPred, srcArgs, dstPred, dstArgs, fullload.Options{Dialect: vd.Dialect, Limits: task.FullLimits, Fence: task.fence})
	}
	res, err := verify.Run(ctx, vs, vd, maps, opts)
	if err != nil {
		return res, err
	}
	status := VerificationPassed
	switch {
	case res.Mismatches > 0:
		status = VerificationMismatched
	case res.Repaired > 0:
		status = VerificationRepaired
	}
	task.logger().Info("verification done", "status", status, "rows", res.Rows, "mismatches", res.Mismatches, "repaired", res.Repaired)
	for _, u := range res.Unverified {
		task.logger().Warn("table not verified", "table", u.Table, "reason", u.Reason)
	}
	send(func(p *Progress) {
		p.Verification = p.Verification.next(status, res, sweeps+1)
	})
	return res, nil
}
