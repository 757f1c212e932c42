package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// Items the engine adds to the precheck package's own; vocab says what each checks.
const (
	ItemObjects     = vocab.ItemObjects
	ItemTableFields = vocab.ItemTableFields
	ItemETL         = vocab.ItemETL
	// ItemDestinationValueRange alerts on values an AnalyticDB destination keeps only in
	// part (valuerange.go).
	ItemDestinationValueRange = vocab.ItemDestinationValueRange
	ItemSchemaObjects         = vocab.ItemSchemaObjects
)

// PrecheckError is returned by Run when the precheck blocks the task: a failed item, or an
// alert the task does not ignore.
type PrecheckError struct {
	Results  []precheck.Result
	Blocking []precheck.Result
}

func (e *PrecheckError) Error() string {
	return "precheck failed: " + precheck.Summarize(e.Blocking)
}

// runPrecheck runs every precheck item for the task and returns a *PrecheckError when any
// blocks it. resolveErr and schemaErr are what resolving the objects and rendering the
// destination schema said; they become items of their own, so that every problem shows in
// one precheck. extra are items the caller already judged (destination_capabilities);
// they are reported after the others.
func runPrecheck(ctx context.Context, src, dst *sql.DB, task Task, maps []tablemap.Table, resolveErr, schemaErr error, report func([]precheck.Result), extra ...precheck.Result) error {
	in := precheck.Input{
		Source: src, Destination: dst,
		SourceType: task.Source.Type, DestinationType: task.Destination.Type,
		SourceEndpoint: task.Source, DestinationEndpoint: task.Destination,
		Incremental:      slices.Contains(task.MigrationTypes, MigrationIncremental),
		Schema:           slices.Contains(task.MigrationTypes, MigrationSchema),
		ConflictHandling: task.ConflictHandling,
		MergeTables:      task.MergeTables,
		RetryWindow:      task.RetryWindow,
		Tables:           maps,
	}
	results := precheck.Run(ctx, precheck.Checkers(in))
	var etlErr error
	if e, ok := errors.AsType[*ETLError](resolveErr); ok {
		etlErr, resolveErr = e.Err, nil
	}
	withETL := 0
	for _, m := range maps {
		if m.ETL != nil {
			withETL++
		}
	}
	results = append(results, engineItem(ItemETL, etlErr,
		fmt.Sprintf("the etl expressions of %d tables type-check against their source columns", withETL),
		"Fix the expressions named above: use the table's column names (row.<column>) and functions that take the columns' types; see the provider's documentation of etl for the CEL type of each column type."))
	results = append(results, engineItem(ItemObjects, resolveErr,
		fmt.Sprintf("%d tables selected", len(maps)), "Fix the object blocks: name databases, tables and columns the source has."))
	if resolveErr == nil {
		schemaErr = errors.Join(schemaErr, requirePrimaryKey(ctx, dst, task, maps))
	}
	results = append(results, engineItem(ItemTableFields, schemaErr,
		"the destination can create every selected table"+indexChanges(task, maps, resolveErr), "Change or remove the table fields named above, or choose a destination type that supports them."))
	if task.Destination.Type == dialect.ADBMySQL && task.Source.Type != dialect.ADBMySQL && resolveErr == nil {
		results = append(results, valueRangeItem(ctx, src, task, maps))
	}
	if len(task.SchemaObjects) > 0 {
		results = append(results, engineItem(ItemSchemaObjects, checkSchemaObjects(ctx, src, task, maps),
			fmt.Sprintf("the source's %v can be read and created on the destination", task.SchemaObjects),
			"Remove the kinds named above from schema_objects, or grant the source user what it needs to read their definitions."))
	}
	results = append(results, extra...)
	report(results)
	if blocking := precheck.Blocking(results, task.IgnorePrecheckAlerts); len(blocking) > 0 {
		return &PrecheckError{Results: results, Blocking: blocking}
	}
	return nil
}

// indexChanges is what destination_table_fields adds to its passed message when the schema
// phase will create tables whose source indexes the destination cannot keep as they are
// (dialect.IndexNotes: on AnalyticDB, one single-column index per column, no uniqueness
// but the primary key's), naming each table and index; "" when there are none. The notes
// are not a failure: the table is created, and the user sees what changes before it is.
func indexChanges(task Task, maps []tablemap.Table, resolveErr error) string {
	if resolveErr != nil || !slices.Contains(task.MigrationTypes, MigrationSchema) {
		return ""
	}
	var notes []string
	for _, m := range maps {
		if t, err := destinationTable(m, task.Source.Type, task.Destination.Type); err == nil {
			notes = append(notes, dialect.IndexNotes(t, task.Destination.Type)...)
		} // an unreadable definition fails the item through schemaErr
	}
	if len(notes) == 0 {
		return ""
	}
	return "; indexes the destination does not keep as on the source: " + strings.Join(notes, "; ")
}

// Precheck runs the precheck of a task that was not created, for a dry run: it reads both
// servers and writes nothing to either. It returns every item and those that would block the
// task; it fails only when ctx ends.
func Precheck(ctx context.Context, task Task) (results, blocking []precheck.Result, err error) {
	src, dst, err := openServers(task, false)
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	defer dst.Close()
	maps, resolveErr := resolve(ctx, src, task)
	var schemaErr error
	if resolveErr == nil && slices.Contains(task.MigrationTypes, MigrationSchema) {
		_, schemaErr = renderSchema(task, maps)
	}
	err = runPrecheck(ctx, src, dst, task, maps, resolveErr, schemaErr, func(r []precheck.Result) { results = r })
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if pe, ok := errors.AsType[*PrecheckError](err); ok {
		return pe.Results, pe.Blocking, nil
	}
	return results, nil, err
}

func engineItem(name string, err error, ok, remedy string) precheck.Result {
	if err == nil {
		return precheck.Result{Name: name, State: precheck.Passed, Message: ok}
	}
	return precheck.Result{Name: name, State: precheck.Failed, Message: err.Error(), Remedy: remedy}
}

// checkSchemaObjects says why the task's schema objects cannot be migrated, or nil.
func checkSchemaObjects(ctx context.Context, src *sql.DB, task Task, maps []tablemap.Table) error {
	if !slices.Contains(task.MigrationTypes, MigrationSchema) {
		return fmt.Errorf("schema_objects %v needs schema migration: add \"schema\" to migration_types", task.SchemaObjects)
	}
	if task.Destination.Type == dialect.ADBMySQL {
		for _, k := range task.SchemaObjects {
			if k != ObjectViews {
				return fmt.Errorf("schema_objects lists %s, which %s destinations do not have: only views can be migrated to AnalyticDB", k, dialect.ADBMySQL)
			}
		}
	}
	_, err := objectsFor(ctx, src, task, maps, ObjectViews, ObjectRoutines, ObjectTriggers, ObjectEvents)
	return err
}

// requirePrimaryKey fails, for a MySQL destination with sql_require_primary_key = ON (8.0.13
// and later), when the schema phase would create a table without a primary key: MySQL
// refuses such a CREATE TABLE with error 3750. A server without the variable (MariaDB, older
// MySQL) never refuses one.
func requirePrimaryKey(ctx context.Context, dst *sql.DB, task Task, maps []tablemap.Table) error {
	if task.Destination.Type != dialect.MySQL || !slices.Contains(task.MigrationTypes, MigrationSchema) {
		return nil
	}
	var on sql.NullString
	if err := dst.QueryRowContext(ctx, "SELECT @@sql_require_primary_key").Scan(&on); err != nil || !(on.String == "1" || strings.EqualFold(on.String, "ON")) {
		return nil
	}
	return withoutPrimaryKey(task, maps)
}

// withoutPrimaryKey names the destination tables the schema phase would create without a
// primary key: those whose source rows are identified by a NOT NULL unique key.
func withoutPrimaryKey(task Task, maps []tablemap.Table) error {
	var names []string
	for _, m := range maps {
		if t, err := destinationTable(m, task.Source.Type, task.Destination.Type); err == nil && len(t.PrimaryKey) == 0 {
			names = append(names, m.DestDatabase+"."+m.DestTable)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("the destination has sql_require_primary_key = ON, and table(s) %s would be created without a primary key (their rows are identified by a NOT NULL unique key), "+
		"which MySQL refuses with error 3750: add a primary key to these source tables (the unique key's columns), or SET GLOBAL sql_require_primary_key = OFF on the destination",
		strings.Join(names, ", "))
}
