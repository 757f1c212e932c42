// Package precheck decides whether a migration task may start. Each item is a small Checker
// with a stable name; Run runs them concurrently and Blocking says which results stop the
// task. Prechecks only read: they never change anything on either server.
//
// Item names, as users write them in ignore_precheck_alerts (only alerts can be ignored;
// a failure always blocks):
//
//   - source_connectivity: the source answers a ping.
//   - destination_connectivity: the destination answers a ping.
//   - source_privileges: the source user can SELECT every selected table and, for
//     incremental migration from MySQL or MariaDB, read the binlog (REPLICATION SLAVE and
//     REPLICATION CLIENT, or BINLOG MONITOR on MariaDB).
//   - destination_privileges: the destination user can CREATE, SELECT, INSERT, UPDATE,
//     DELETE, DROP and ALTER the destination tables, and keep its progress in the
//     adbmigrate_meta database.
//   - destination_disk_space: the destination has more free space than the source data,
//     and stays below 80% disk use after the copy.
//   - binlog_enabled: the binlog is on (per table on an adb_mysql3 source). Incremental only.
//   - binlog_format: binlog_format is ROW. Incremental from MySQL or MariaDB only.
//   - binlog_row_image: binlog_row_image is FULL. Incremental from MySQL or MariaDB only.
//   - server_id: server_id is not 0. Incremental from MySQL or MariaDB only.
//   - binlog_retention: binlogs are kept longer than the connection retry window and at
//     least a day (binlog_ttl per table on an adb_mysql3 source). Incremental only.
//   - source_engine_version: an adb_mysql3 source runs kernel 3.2.1.0 or later, and no
//     selected table is a XUANWU_V2 table, which has no binlog. Incremental from adb_mysql3
//     only.
//   - adb_source_incremental: an alert that incremental migration from adb_mysql3 is not
//     verified: AnalyticDB's binlog protocol is not public, and no test here reads it.
//   - source_tables: every selected source table exists and is a base table.
//   - primary_key: every source table has a primary key or a unique key whose columns are all
//     NOT NULL.
//   - adb_auto_id: no source table carries the __adb_auto_id__ column AnalyticDB adds to
//     tables without a primary key.
//   - destination_conflict: destination tables do not exist yet (or, with
//     ignore_errors_and_proceed, match the source's columns); without schema migration they
//     must exist.
//   - destination_backup: whether a destination backup is running (not detectable in SQL;
//     reported honestly as such).
//   - charset_support: the destination knows every character set and collation the source
//     tables use, or the equivalent the schema phase gives it between MySQL and MariaDB
//     (dialect.CollationFor).
//   - where_filter: every WHERE filter is a single condition on the table's own columns.
//     Only when a table has a filter.
package precheck

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// Item names: stable identifiers, used in ignore_precheck_alerts. They are defined in
// vocab, which the provider reads without linking the engine.
const (
	SourceConnectivity      = vocab.ItemSourceConnectivity
	DestinationConnectivity = vocab.ItemDestinationConnectivity
	SourcePrivileges        = vocab.ItemSourcePrivileges
	DestinationPrivileges   = vocab.ItemDestinationPrivileges
	DestinationDiskSpace    = vocab.ItemDestinationDiskSpace
	BinlogEnabled           = vocab.ItemBinlogEnabled
	BinlogFormat            = vocab.ItemBinlogFormat
	BinlogRowImage          = vocab.ItemBinlogRowImage
	ServerID                = vocab.ItemServerID
	BinlogRetention         = vocab.ItemBinlogRetention
	SourceEngineVersion     = vocab.ItemSourceEngineVersion
	ADBSourceIncremental    = vocab.ItemADBSourceIncremental
	SourceTables            = vocab.ItemSourceTables
	PrimaryKey              = vocab.ItemPrimaryKey
	ADBAutoID               = vocab.ItemADBAutoID
	DestinationConflict     = vocab.ItemDestinationConflict
	DestinationBackup       = vocab.ItemDestinationBackup
	CharsetSupport          = vocab.ItemCharsetSupport
	WhereFilter             = vocab.ItemWhereFilter
)

// ConflictMode is conflict_handling: what happens to destination tables and rows that are
// there already.
type ConflictMode = vocab.ConflictHandling

// Conflict handling modes (Input.ConflictHandling).
const (
	PrecheckAndReportErrors = vocab.ConflictReport
	IgnoreErrorsAndProceed  = vocab.ConflictIgnore
)

// State is the outcome of one item.
type State = vocab.PrecheckStatus

// States of a Result. Failed always blocks the task; Alert blocks unless ignored.
const (
	Passed = vocab.PrecheckPassed
	Alert  = vocab.PrecheckAlert
	Failed = vocab.PrecheckFailed
)

// Result is the outcome of one item. Message names the objects concerned; Remedy says what
// to do, and is empty when the item passed.
type Result struct {
	Name    string
	State   State
	Message string
	Remedy  string
}

// Checker is one precheck item. Check must honour ctx and must not change anything on
// either server. Checkers may be called concurrently with each other.
type Checker interface {
	Name() string
	Check(ctx context.Context) Result
}

// Input is what the prechecks look at.
type Input struct {
	// Source and Destination are open pools (text protocol). Prechecks only read from them.
	Source, Destination *sql.DB
	// SourceType and DestinationType are "mysql", "mariadb" or "adb_mysql3".
	SourceType, DestinationType dialect.DatabaseType
	// SourceEndpoint and DestinationEndpoint are optional: when set, they name the servers in
	// messages and let connection errors be explained (dbconn.Explain).
	SourceEndpoint, DestinationEndpoint dbconn.Endpoint
	// DestinationHost is the destination's host name or address; the free space of a
	// destination on a loopback address is measured on this machine. When empty,
	// DestinationEndpoint.Host is used.
	DestinationHost string
	// Incremental is true when incremental migration is selected.
	Incremental bool
	// Schema is true when schema migration is selected (destination tables are created).
	Schema bool
	// ConflictHandling is PrecheckAndReportErrors (also when "") or IgnoreErrorsAndProceed.
	ConflictHandling ConflictMode
	// Tables are the selected tables, with databases already expanded into their tables.
	Tables []Table
	// MergeTables is true when the selected tables are merged into one destination table on
	// purpose (merge_tables), so several tables going to one destination is no conflict.
	MergeTables bool
	// RetryWindow is retry_time_for_failed_connections: binlogs must outlive it.
	RetryWindow time.Duration
}

// Table is the plan of one selected table, as the task resolved it. The precheck reads
// its names, Where, AllTables (a table without a usable key then gets an auto-increment
// key on the destination: an alert, not a failure) and DestColumns; a plan that only
// names its tables is enough.
type Table = tablemap.Table

// Checkers returns the items that apply to in, in a stable order (binlog items only for
// incremental migration, where_filter only when a table has a filter, ...). The checkers of
// one call share what they read, such as the first ping of each server and the source's
// table list, so build a new list for every run.
func Checkers(in Input) []Checker {
	e := newEnv(in)
	cs := []Checker{
		connectivityCheck{name: SourceConnectivity, side: e.src},
		connectivityCheck{name: DestinationConnectivity, side: e.dst},
		sourcePrivilegeCheck{e},
		destinationPrivilegeCheck{e},
		diskSpaceCheck{e},
	}
	if in.Incremental {
		if in.SourceType == dbconn.TypeADBMySQL3 {
			cs = append(cs,
				adbBinlogCheck{e},
				adbRetentionCheck{e},
				engineVersionCheck{e},
				adbIncrementalCheck{},
			)
		} else {
			cs = append(cs,
				binlogEnabledCheck{e},
				sourceVariableCheck{e: e, name: BinlogFormat, variable: "binlog_format", want: "ROW", why: "ROW events"},
				rowImageCheck{sourceVariableCheck{e: e, name: BinlogRowImage, variable: "binlog_row_image", want: "FULL", why: "every column of every changed row (FULL)"}},
				serverIDCheck{e},
				retentionCheck{e},
			)
		}
	}
	cs = append(cs,
		sourceTablesCheck{e},
		primaryKeyCheck{e},
		autoIDCheck{e},
		conflictCheck{e},
		backupCheck{e},
		charsetCheck{e},
	)
	for _, t := range in.Tables {
		if strings.TrimSpace(t.Where) != "" {
			cs = append(cs, whereCheck{e})
			break
		}
	}
	return cs
}

// concurrency bounds how many items run at once.
const concurrency = 4

// Run runs the checkers concurrently, at most four at a time, and returns one result per
// checker in checker order, each named after its checker. A checker that panics, or that
// has not finished when ctx ends, yields a Failed result naming it; Run returns as soon as
// ctx ends, without waiting for checkers that ignore it.
func Run(ctx context.Context, checkers []Checker) []Result {
	results := make([]Result, len(checkers))
	done := make([]chan Result, len(checkers))
	for i := range done {
		done[i] = make(chan Result, 1)
	}
	// Items start in their order, at most concurrency at a time; once ctx ends no more start.
	go func() {
		sem := make(chan struct{}, concurrency)
		for i, c := range checkers {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				defer func() { <-sem }()
				done[i] <- runOne(ctx, c)
			}()
		}
	}()
	for i, c := range checkers {
		select {
		case r := <-done[i]:
			results[i] = r
		case <-ctx.Done():
			// A result that is ready still counts.
			select {
			case r := <-done[i]:
				results[i] = r
			default:
				results[i] = Result{
					Name:    c.Name(),
					State:   Failed,
					Message: fmt.Sprintf("precheck item %s did not finish: %v", c.Name(), context.Cause(ctx)),
					Remedy:  "run the precheck again; if it keeps timing out, check that both servers answer queries promptly",
				}
			}
		}
	}
	return results
}

func runOne(ctx context.Context, c Checker) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Result{
				Name:    c.Name(),
				State:   Failed,
				Message: fmt.Sprintf("precheck item %s crashed: %v", c.Name(), p),
				Remedy:  "report this as a bug in terraform-provider-adbmigrate, with the message",
			}
		}
	}()
	r = c.Check(ctx)
	r.Name = c.Name()
	return r
}

// Blocking returns the results that stop the task, in their order: every Failed result, and
// every Alert whose Name is not in ignored.
func Blocking(results []Result, ignored []string) []Result {
	var out []Result
	for _, r := range results {
		switch r.State {
		case Failed:
			out = append(out, r)
		case Alert:
			if !slices.Contains(ignored, r.Name) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Summarize describes blocking results in one text, one item per line, for a task's error.
// It returns "" when nothing blocks.
func Summarize(blocking []Result) string {
	if len(blocking) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "precheck: %d item(s) block the task", len(blocking))
	for _, r := range blocking {
		fmt.Fprintf(&b, "\n- %s (%s): %s", r.Name, r.State, r.Message)
		if r.Remedy != "" {
			fmt.Fprintf(&b, " Remedy: %s", r.Remedy)
		}
		if r.State == Alert {
			fmt.Fprintf(&b, " (to accept this alert, add %q to ignore_precheck_alerts)", r.Name)
		}
	}
	return b.String()
}

// env is shared by the checkers of one Checkers call.
type env struct {
	in       Input
	src, dst *side

	srcCatOnce, dstCatOnce sync.Once
	srcCat, dstCat         catalog
	srcCatErr, dstCatErr   error

	srcDDLOnce sync.Once
	srcDDL     map[tableRef]string
	srcDDLErr  error
}

func newEnv(in Input) *env {
	if in.ConflictHandling == "" {
		in.ConflictHandling = PrecheckAndReportErrors
	}
	if in.DestinationHost == "" {
		in.DestinationHost = in.DestinationEndpoint.Host
	}
	return &env{
		in:  in,
		src: &side{role: "source", db: in.Source, typ: in.SourceType, ep: in.SourceEndpoint},
		dst: &side{role: "destination", db: in.Destination, typ: in.DestinationType, ep: in.DestinationEndpoint},
	}
}

// sourceCatalog returns what the source says about the selected tables, read once.
func (e *env) sourceCatalog(ctx context.Context) (catalog, error) {
	e.srcCatOnce.Do(func() {
		refs := make([]tableRef, 0, len(e.in.Tables))
		for _, t := range e.in.Tables {
			refs = append(refs, tableRef{t.SourceDatabase, t.SourceTable})
		}
		e.srcCat, e.srcCatErr = readCatalog(ctx, e.src.db, refs)
	})
	return e.srcCat, e.srcCatErr
}

// destCatalog returns what the destination says about the destination tables, read once.
func (e *env) destCatalog(ctx context.Context) (catalog, error) {
	e.dstCatOnce.Do(func() {
		refs := make([]tableRef, 0, len(e.in.Tables))
		for _, t := range e.in.Tables {
			refs = append(refs, tableRef{t.DestDatabase, t.DestTable})
		}
		e.dstCat, e.dstCatErr = readCatalog(ctx, e.dst.db, refs)
	})
	return e.dstCat, e.dstCatErr
}

// sourceDDL returns SHOW CREATE TABLE of every selected source table that exists, keyed by
// the names in Input.Tables, read once.
func (e *env) sourceDDL(ctx context.Context) (map[tableRef]string, error) {
	e.srcDDLOnce.Do(func() {
		cat, err := e.sourceCatalog(ctx)
		if err != nil {
			e.srcDDLErr = err
			return
		}
		e.srcDDL = map[tableRef]string{}
		for _, t := range e.in.Tables {
			info := cat.lookup(t.SourceDatabase, t.SourceTable)
			if info == nil || info.Type == "VIEW" {
				continue
			}
			ddl, err := showCreateTable(ctx, e.src.db, info.Database, info.Name)
			if err != nil {
				e.srcDDLErr = err
				return
			}
			e.srcDDL[tableRef{t.SourceDatabase, t.SourceTable}] = ddl
		}
	})
	return e.srcDDL, e.srcDDLErr
}

// queryFailed is the result of an item whose query failed.
func queryFailed(s *side, what string, err error) Result {
	return Result{
		State:   Failed,
		Message: fmt.Sprintf("cannot %s on %s: %v", what, s.label(), err),
		Remedy:  "check that the user may read information_schema and the selected tables, and that the server is healthy; then run the precheck again",
	}
}

func passed(format string, args ...any) Result {
	return Result{State: Passed, Message: fmt.Sprintf(format, args...)}
}
