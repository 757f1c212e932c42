package scheduler

// This file maps the API's tasks to the engine's and the engine's verification results back.

import (
	"fmt"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

// inherit returns ops, or nil when ops is empty: an empty list of operations names none,
// and the engine reads nil as "inherit, else the default" (vocab.DMLOrDefault,
// vocab.DDLOrDefault).
func inherit(ops []api.Operation) []api.Operation {
	if len(ops) == 0 {
		return nil
	}
	return ops
}

// engineTask builds the engine's view of a stored task, with passwords opened.
func (s *Scheduler) engineTask(t api.Task) (engine.Task, error) {
	src, err := s.endpoint(t.SourceConnectionID)
	if err != nil {
		return engine.Task{}, fmt.Errorf("source connection: %w", err)
	}
	dst, err := s.endpoint(t.DestinationConnectionID)
	if err != nil {
		return engine.Task{}, fmt.Errorf("destination connection: %w", err)
	}
	class := t.InstanceClass
	if class == "" {
		class = api.DefaultInstanceClass
	}
	et := engine.Task{
		ID: t.ID, ServerID: t.ServerID, Source: src, Destination: dst, MigrationTypes: t.MigrationTypes,
		ConflictHandling: t.ConflictHandling, MergeTables: t.MergeTables,
		Workers:              api.InstanceClassWorkers[class],
		IgnorePrecheckAlerts: t.IgnorePrecheckAlerts,
		RetryWindow:          s.connWindow(t),
		DMLOperations:        inherit(t.DMLOperations),
		DDLOperations:        inherit(t.DDLOperations),
		Verification:         engine.Verification{Settle: s.opts.VerifySettle, Every: s.opts.VerifyPause},
		Log:                  s.log,
		SchemaObjects:        t.SchemaObjects,
		KeepDefiner:          t.SchemaObjectsDefiner == api.DefinerKeep,
	}
	if v := t.DataVerification; v != nil {
		et.Verification.Mode, et.Verification.SamplePercent, et.Verification.Repair = v.Mode, v.SamplePercent, v.Repair
	}
	for _, o := range t.Objects {
		eo := engine.Object{Database: o.Database, RenameTo: o.RenameTo}
		for _, tb := range o.Tables {
			table := engine.Table{
				Name: tb.Name, RenameTo: tb.RenameTo, Where: tb.Where, Columns: tb.Columns,
				TableType: string(tb.TableType), PrimaryKey: tb.PrimaryKey, DistributionKey: tb.DistributionKey,
				PartitionKey: tb.PartitionKey, PartitionRule: string(tb.PartitionRule), PartitionLifecycle: tb.PartitionLifecycle,
				DMLOperations: inherit(tb.DMLOperations), DDLOperations: inherit(tb.DDLOperations),
			}
			if len(tb.ColumnRenames) > 0 {
				table.ColumnRenames = map[string]string{}
				for _, cr := range tb.ColumnRenames {
					table.ColumnRenames[cr.Name] = cr.RenameTo
				}
			}
			if e := tb.ETL; e != nil {
				table.ETL = engine.ETLSpec{Filter: e.Filter, Set: e.Set, DropColumns: e.DropColumns}
			}
			eo.Tables = append(eo.Tables, table)
		}
		et.Objects = append(et.Objects, eo)
	}
	return et, nil
}

// endpoint returns how to reach a stored connection, password included.
func (s *Scheduler) endpoint(connID string) (engine.Endpoint, error) {
	c, err := s.store.GetConnection(connID)
	if err != nil {
		return engine.Endpoint{}, fmt.Errorf("connection %s: %w", connID, err)
	}
	return Endpoint(s.box, c)
}

// Endpoint turns a stored connection into an engine endpoint, opening its password.
func Endpoint(box *secret.Box, c store.Connection) (engine.Endpoint, error) {
	ep := engine.Endpoint{Type: c.DatabaseType, Host: c.Host, Port: c.Port, User: c.Username}
	if c.TLS != nil {
		ep.TLSMode, ep.CAPEM = c.TLS.Mode, c.TLS.CAPEM
	}
	if len(c.SealedPassword) > 0 {
		pw, err := box.Open(c.SealedPassword)
		if err != nil {
			return ep, fmt.Errorf("connection %s: %w", c.ID, err)
		}
		ep.Password = pw
	}
	return ep, nil
}

// verificationOutcome is the API form of a sweep's progress or outcome: its status and what
// it compared and found. The counts of sweeps and the rechecks of changed rows are left to
// the caller (sweepWriter, setRechecks).
func verificationOutcome(v *engine.VerificationProgress) api.Verification {
	out := api.Verification{Status: v.Status, ChunksChecked: v.Chunks, RowsChecked: v.Rows, Mismatches: v.Mismatches,
		Repaired: v.Repaired}
	out.Mismatched = apiMismatches(v.Mismatched)
	for _, u := range v.Unverified {
		out.Unverified = append(out.Unverified, api.Unverified{Table: u.Table, Reason: u.Reason})
	}
	return out
}

func apiMismatches(ms []engine.Mismatch) []api.Mismatch {
	var out []api.Mismatch
	for _, m := range ms {
		out = append(out, api.Mismatch{Table: m.Table, Key: m.Key, Kind: m.Kind})
	}
	return out
}
