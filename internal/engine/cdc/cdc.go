// Package cdc is incremental migration: it reads the source's binlog from a position (GTID
// set, or file and offset), turns row events of the migrated tables into row changes, and
// applies them to the destination in batches, each batch committed in one transaction with
// the position it reaches. A run that stops at any moment resumes from that committed
// position: nothing is lost and, since every change is applied as REPLACE or DELETE by key,
// a replayed change leaves the row as the source has it.
//
// Run reads the events (cdc.go); the applier (applier.go) drives three stages: decode
// (decode.go: rows events to changes, no database access), batch (batch.go and filter.go:
// where filters evaluated per batch by the destination, coalescing, split by row key among
// the workers) and apply (apply.go: statements from each table's plan, plan.go, committed
// with the checkpoint; status and lag). Destination statements come from its dialect.
package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// ErrDrained is returned by Run when it stopped after applying everything the source had
// written when the drain was asked for (the cut-over).
var ErrDrained = errors.New("drained to the source's position")

// ErrYielded is returned by Run when it stopped as Config.Yield asked: the batch in flight
// committed, and everything after it is left for the next run.
var ErrYielded = errors.New("yielded after the transaction in flight")

// ErrBinlogPurged wraps the error of a start position the source no longer has.
var ErrBinlogPurged = errors.New("binlog expired")

// Table is one migrated table as incremental migration needs it: the table's plan, and its
// live state as followed from the binlog.
//
// From the plan, incremental migration reads the names (RENAME TABLE changes them), Where,
// ETLSpec (compiled again against the live columns), Ops and Subset. The plan's Columns,
// Source and ETL describe the table as the task resolved it, before any DDL: Columns below
// shadows the plan's, and Dest and Key replace what the plan says of them. A table the
// binlog created, or one restored from the schema history, has a plan with its names, ops
// and what the history kept.
type Table struct {
	tablemap.Table

	// Columns are the source columns in order, generated ones included: the schema the
	// events at the start position were written with. ADD and DROP COLUMN change it.
	Columns []schema.Column
	// Dest maps source column names to destination names; a column missing from it is not
	// migrated. Nil migrates every column under its own name.
	Dest map[string]string
	// Key are the source key columns (primary key, or NOT NULL unique key).
	Key []string
	// OrderSensitive is true when the table has a UNIQUE key besides Key: changes to
	// different rows may then conflict, and are applied in their source order.
	OrderSensitive bool

	// plan is how the table's changes are decoded and written, for its current Columns.
	plan *tablePlan
	// def is the source definition the table was created with, for a CREATE TABLE ...
	// LIKE of it; nil until definition reads it. altered is set by the first ALTER, after
	// which def no longer says what the table is.
	def     *schema.Definition
	altered bool
}

// definition returns the table's source definition as it is at this point of the binlog,
// or nil when that is not known: after an ALTER, or when the schema history (after a
// restart) has other columns than the definition the task was planned with.
func (t *Table) definition() *schema.Definition {
	if t.altered {
		return nil
	}
	if t.def == nil && t.Source != nil && t.Source.CreateSQL != "" {
		if def, err := schema.ParseCreateTable(t.Source.CreateSQL); err == nil {
			t.def = def
		}
	}
	if t.def == nil || len(t.def.Columns) != len(t.Columns) {
		return nil
	}
	for i, c := range t.def.Columns {
		if !strings.EqualFold(c.Name, t.Columns[i].Name) || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.Definition)), t.Columns[i].DataType) {
			return nil
		}
	}
	return t.def
}

// Database is a source database selected whole, and what its new tables become.
type Database struct {
	SourceDatabase, DestDatabase string
	// Ops are the task's operations, given to each table created in the database.
	Ops []vocab.Operation
}

// Config is one incremental run.
type Config struct {
	TaskID string
	// sourceOffersTLS, for a source of TLS mode preferred, says the source offered TLS to
	// the SQL connection, so the binlog stream is encrypted too (Run sets it).
	sourceOffersTLS bool
	// Fence, in a runner cluster, makes every apply transaction check that this runner
	// still owns the task (checkpoint.Fence); nil for a single runner.
	Fence    *checkpoint.Fence
	Source   dbconn.Endpoint
	ServerID uint32
	// Start is where to read from: its GTID set when set, else file and offset.
	Start checkpoint.Applied
	// Workers is how many transactions apply a batch at once (1 when 0).
	Workers int
	// Done are, after a restart, the positions each worker committed (Start is the
	// earliest): a worker skips the changes up to its own. Positions recorded for another
	// number of workers are not used; the changes after Start are then all applied again,
	// which leaves every row as the source has it.
	Done []checkpoint.Applied
	// Dialect renders the destination's statements.
	Dialect dialect.Dialect
	// Tables are the migrated tables, with their schema at Start.
	Tables []*Table
	// Databases are the source databases selected whole: a table created in one, or renamed
	// into one, is migrated from then on (with create_table in its Ops).
	Databases []Database
	// Copy, when set, creates and copies a table renamed into the selection (its rows
	// existed before the rename), returning it as Table with its current columns; the
	// binlog after the rename is then applied over the copy. Without it such a rename
	// fails the run.
	Copy func(ctx context.Context, db Database, table string) (*Table, error)
	// Limits throttles rows and bytes written; it may change while Run runs. Nil is unlimited.
	Limits *throttle.Limits
	// Drain, when closed, makes Run apply everything the source has written by then and
	// return ErrDrained.
	Drain <-chan struct{}
	// Yield, when closed, makes Run let the batch in flight commit and return ErrYielded
	// at once, without applying what it has read since: a graceful hand-off to another
	// runner, which resumes from that commit.
	Yield <-chan struct{}
	// Changed, when set, receives after each commit the keys of (at most 1000 of) the rows
	// it changed, table by table: data verification checks them again.
	Changed func(t *Table, keys [][]any)
	// Report receives the status after each commit and when idle.
	Report func(Status)
	Log    *slog.Logger
}

// Status is what a running incremental migration reports.
type Status struct {
	// Position is the last position committed on the destination.
	Position binlog.Location
	// RowsApplied counts the row changes applied, over every run of the task.
	RowsApplied int64
	// BytesApplied counts the bytes of the row values committed.
	BytesApplied int64
	// Latency is how far the applied changes lag behind the source, in seconds: the age of
	// the oldest change not yet applied.
	Latency float64
	// BehindSince is the source time the lag counts from; zero when caught up. The lag
	// keeps growing from it while nothing is reported.
	BehindSince time.Time
	// CaughtUp is true when everything read has been applied and the source is idle.
	CaughtUp bool
	// Notices are DDL statements on migrated tables that were reported, not applied.
	Notices []string
}

// batch limits: a batch commits when it holds this many row changes, or this long after its
// first complete source transaction.
const (
	batchRows   = 20000
	batchLinger = 100 * time.Millisecond
)

// Run applies the binlog from cfg.Start until ctx ends (returning ctx's error), the drain
// completes (ErrDrained), or an error that retrying cannot fix.
func Run(ctx context.Context, src, dst *sql.DB, cfg Config) error {
	a := &applier{follower: &follower{cfg: cfg, dst: dst, tables: map[string]*Table{}, aside: map[string]*Table{}}, pos: cfg.Start, applied: cfg.Start.Changes}
	if len(cfg.Done) == a.workers() && len(cfg.Done) > 1 {
		a.done = cfg.Done
	}
	a.workerRows = len(cfg.Done) == a.workers()
	if cfg.Dialect == nil {
		return errors.New("incremental migration needs the destination's dialect (cdc.Config.Dialect is nil)")
	}
	var err error
	if a.shadows, err = restoreShadows(cfg.Start.Tables); err != nil {
		return err
	}
	for _, t := range cfg.Tables {
		a.tables[strings.ToLower(t.SourceDatabase+"."+t.SourceTable)] = t
		if err := t.replan(cfg.Dialect); err != nil {
			return err
		}
	}
	if a.cfg.Log == nil {
		a.cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := checkAvailable(ctx, src, cfg); err != nil {
		return err
	}
	if cfg.Source.TLSMode == dbconn.TLSPreferred {
		cfg.sourceOffersTLS = offersTLS(ctx, src)
	}
	syncer, stream, err := open(cfg)
	if err != nil {
		return err
	}
	defer syncer.Close()

	var target *binlog.Location
	drain := cfg.Drain
	lastEvent := time.Now()
	// A batch still in flight when Run returns finishes first; its outcome matters no more.
	defer a.wait()
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	events := readEvents(readCtx, stream)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-cfg.Yield:
			if err := a.wait(); err != nil {
				return err
			}
			a.cfg.Log.Info("yielded after the transaction in flight", "file", a.pos.File, "pos", a.pos.Pos)
			return ErrYielded
		default:
		}
		if drain != nil {
			select {
			case <-drain:
				drain = nil
				p, err := binlog.Current(ctx, src)
				if err != nil {
					return err
				}
				target = &p
				a.cfg.Log.Info("draining to the source's position", "file", p.File, "pos", p.Pos)
			default:
			}
		}
		if target != nil && a.pending.empty() && a.inflight == nil && !a.inTxn && (a.pos.Compare(*target) >= 0 || a.read.Compare(*target) >= 0) {
			// Everything up to the target is applied; events after the last applied
			// transaction changed no migrated row, so the position moves past them.
			if a.pos.Compare(*target) < 0 {
				if err := a.commitRead(ctx); err != nil {
					return err
				}
			}
			return ErrDrained
		}
		wait := time.Second
		if !a.pending.empty() || a.inflight != nil {
			wait = batchLinger
		}
		ev, err := events.next(ctx, timer, wait, cfg.Yield)
		if errors.Is(err, errYield) {
			continue // the loop's first step yields
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			// Quiet: commit what is complete.
			if err := a.flush(ctx); err != nil {
				return err
			}
			a.idle(time.Since(lastEvent) > time.Second)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return explainStreamError(cfg, err)
		}
		lastEvent = time.Now()
		if err := a.handle(ctx, ev); err != nil {
			return err
		}
		if a.pending.rows >= batchRows || (!a.pending.empty() && time.Since(a.pending.since) >= batchLinger) {
			if err := a.start(ctx); err != nil {
				return err
			}
		}
	}
}

// eventReader reads the stream in its own goroutine, so that waiting for an event with a
// timeout costs a timer reset rather than a context per event.
type eventReader struct {
	events chan *replication.BinlogEvent
	err    chan error
}

func readEvents(ctx context.Context, stream *replication.BinlogStreamer) *eventReader {
	r := &eventReader{events: make(chan *replication.BinlogEvent, 64), err: make(chan error, 1)}
	go func() {
		for {
			ev, err := stream.GetEvent(ctx)
			if err != nil {
				r.err <- err
				return
			}
			select {
			case r.events <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return r
}

// errYield is what eventReader.next returns when yield was closed first.
var errYield = errors.New("yield asked")

// next returns the next event, context.DeadlineExceeded when none came within wait, or
// errYield once yield is closed.
func (r *eventReader) next(ctx context.Context, timer *time.Timer, wait time.Duration, yield <-chan struct{}) (*replication.BinlogEvent, error) {
	select {
	case ev := <-r.events:
		return ev, nil
	default:
	}
	timer.Reset(wait)
	defer timer.Stop()
	select {
	case ev := <-r.events:
		return ev, nil
	case err := <-r.err:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-yield:
		return nil, errYield
	case <-timer.C:
		return nil, context.DeadlineExceeded
	}
}

// open starts reading the binlog at the configured position.
func open(cfg Config) (*replication.BinlogSyncer, *replication.BinlogStreamer, error) {
	sc := syncerConfig(cfg)
	syncer := replication.NewBinlogSyncer(sc)
	var stream *replication.BinlogStreamer
	var err error
	if cfg.Start.GTIDSet != "" {
		var set mysql.GTIDSet
		if set, err = mysql.ParseGTIDSet(sc.Flavor, cfg.Start.GTIDSet); err != nil {
			syncer.Close()
			return nil, nil, fmt.Errorf("recorded GTID set %q: %w", cfg.Start.GTIDSet, err)
		}
		stream, err = syncer.StartSyncGTID(set)
	} else {
		stream, err = syncer.StartSync(mysql.Position{Name: cfg.Start.File, Pos: uint32(cfg.Start.Pos)})
	}
	if err != nil {
		syncer.Close()
		return nil, nil, explainStreamError(cfg, err)
	}
	return syncer, stream, nil
}

// syncerConfig is how the binlog of cfg's source is read and decoded. JSON values are
// rendered as MySQL renders them (RenderJSONAsMySQLText: 1.0 stays 1.0, a DECIMAL in a
// document is a number), so a replicated row holds the text the full load copied; MariaDB
// stores JSON as text, which is read as it is.
func syncerConfig(cfg Config) replication.BinlogSyncerConfig {
	ep := cfg.Source
	flavor := mysql.MySQLFlavor
	if ep.Type == dbconn.TypeMariaDB {
		flavor = mysql.MariaDBFlavor
	}
	sc := replication.BinlogSyncerConfig{
		ServerID: cfg.ServerID, Flavor: flavor,
		Host: ep.Host, Port: uint16(ep.Port), User: ep.User, Password: ep.Password,
		Charset: "utf8mb4", UseDecimal: true, ParseTime: false, TimestampStringLocation: time.UTC,
		RenderJSONAsMySQLText: true,
		// A dead connection shows within seconds: the source sends a heartbeat every second
		// when idle, and a read waits at most ten.
		HeartbeatPeriod: time.Second, ReadTimeout: 10 * time.Second,
		MaxReconnectAttempts: 3,
		Logger:               slog.New(slog.DiscardHandler),
		Dialer:               dialLazyDeadline,
		RowsEventDecodeFunc:  decodeSelected(sourceDatabases(cfg)),
	}
	// The binlog stream is encrypted as the SQL connections are (dbconn.TLSConfig, with
	// ca_pem): required and verify_identity always, preferred when the source offered TLS
	// to the SQL connection (Run reads it).
	if ep.TLSMode != dbconn.TLSPreferred || cfg.sourceOffersTLS {
		sc.TLSConfig, _ = dbconn.TLSConfig(ep) // its error stopped the SQL connection first
	}
	return sc
}

// offersTLS reports whether the source encrypted this SQL connection: a preferred
// connection is encrypted exactly when the source offers TLS.
func offersTLS(ctx context.Context, src *sql.DB) bool {
	var name, cipher string
	err := src.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher)
	return err == nil && cipher != ""
}

// explainStreamError says what a binlog read error means; a purged start position is
// ErrBinlogPurged, which no retry can fix.
//
// Error 1236 (ER_MASTER_FATAL_ERROR_READING_BINLOG) has several causes, told apart by its
// message: a purged binlog, an event larger than the source's max_allowed_packet, and, on
// MySQL, anonymous transactions under GTID auto-positioning. Each has its own remedy.
func explainStreamError(cfg Config, err error) error {
	var myErr *mysql.MyError
	msg := err.Error()
	lower := strings.ToLower(msg)
	is1236 := (errors.As(err, &myErr) && myErr.Code == 1236) || strings.Contains(msg, "1236")
	switch {
	case is1236 && strings.Contains(lower, "max_allowed_packet"):
		return fmt.Errorf("%w: the source refused to send a binlog event larger than its max_allowed_packet (from %s): "+
			"raise max_allowed_packet on the source (SET GLOBAL max_allowed_packet = 1073741824, and in its configuration), then start the task again: %w",
			ErrSourceSetting, cfg.Start.Location, err)
	case is1236 && strings.Contains(lower, "anonymous"):
		return fmt.Errorf("%w: the source's binlog holds anonymous transactions (gtid_mode is not ON everywhere), which a GTID position cannot place (from %s): "+
			"set gtid_mode = ON and enforce_gtid_consistency = ON on the source, or clear the task's GTID position, then create a new task: %w",
			ErrSourceSetting, cfg.Start.Location, err)
	case is1236 && !purgedMessage(lower):
		return fmt.Errorf("the source could not send its binlog from %s (error 1236), for a reason other than an expired binlog: %w", cfg.Start.Location, err)
	case is1236 || purgedMessage(lower):
		return fmt.Errorf("%w: the source no longer has the binlog from %s (GTID %q); it was purged while the task was stopped or behind. "+
			"The task cannot resume: create a new task (a new full migration), and keep binlogs longer than the task may be stopped: %w",
			ErrBinlogPurged, cfg.Start.Location, cfg.Start.GTIDSet, err)
	}
	return fmt.Errorf("reading the source binlog: %w", err)
}

// purgedMessage reports whether a binlog read error's message (lower case) says the start
// position is gone: "Could not find first log file name in binary log index file", MySQL's
// "...the master has purged binary logs containing GTIDs...", MariaDB's "...requested to
// start from GTID ..., which is not in the master's binlog".
func purgedMessage(lower string) bool {
	return strings.Contains(lower, "purged") || strings.Contains(lower, "could not find first log file") ||
		strings.Contains(lower, "not in the master's binlog") || strings.Contains(lower, "could not find gtid state")
}

// checkAvailable fails with ErrBinlogPurged when the source no longer has the binlog file
// of the start position: reading on from a later file would skip the changes in between.
// (A GTID request alone does not always make the server refuse: check the file too.)
func checkAvailable(ctx context.Context, src *sql.DB, cfg Config) error {
	if cfg.Start.File == "" {
		return nil
	}
	rows, err := src.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return fmt.Errorf("listing the source's binlogs (the source user needs the REPLICATION CLIENT or BINLOG MONITOR privilege): %w", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if string(vals[0]) == cfg.Start.File {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return explainStreamError(cfg, errors.New("binlog file "+cfg.Start.File+" was purged"))
}

func (t *Table) allows(op vocab.Operation) bool { return t.Ops == nil || slices.Contains(t.Ops, op) }
