// Package checkpoint keeps a task's progress on the destination server, in the database
// MetaDatabase, so that it commits in the same transaction as the rows it describes: a task
// that restarts reads it back and resumes exactly where its last commit left it.
//
// The statements that differ between destinations (the tables' DDL, the upsert of a
// position) come from the destination's dialect; the plain INSERT, UPDATE, DELETE and SELECT
// read the same on every destination.
package checkpoint

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/binlog"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// MetaDatabase is the destination database that holds checkpoints. Object selection never
// includes it (vocab defines the name; taskrules refuses it).
const MetaDatabase = vocab.MetaDatabase

// tables are the checkpoint tables; the destination's dialect renders them.
var tables = []dialect.MetaTable{
	{Database: MetaDatabase, Name: "task_cut", PrimaryKey: []string{"task_id"}, Columns: []dialect.MetaColumn{
		{Name: "task_id", Type: dialect.MetaName},
		{Name: "binlog_file", Type: dialect.MetaFile}, {Name: "binlog_pos", Type: dialect.MetaOffset}, {Name: "gtid_set", Type: dialect.MetaText},
		{Name: "schema_done", Type: dialect.MetaFlag}, {Name: "full_done", Type: dialect.MetaFlag},
		{Name: "recorded_at", Type: dialect.MetaCreatedAt},
	}},
	{Database: MetaDatabase, Name: "copy_tables", PrimaryKey: []string{"task_id", "source_db", "source_table"}, Columns: []dialect.MetaColumn{
		{Name: "task_id", Type: dialect.MetaName}, {Name: "source_db", Type: dialect.MetaName}, {Name: "source_table", Type: dialect.MetaName},
		{Name: "definition", Type: dialect.MetaName}, {Name: "deferred_indexes", Type: dialect.MetaNullLongText},
	}},
	{Database: MetaDatabase, Name: "copy_chunks", PrimaryKey: []string{"task_id", "source_db", "source_table", "chunk_no"}, Columns: []dialect.MetaColumn{
		{Name: "task_id", Type: dialect.MetaName}, {Name: "source_db", Type: dialect.MetaName}, {Name: "source_table", Type: dialect.MetaName},
		{Name: "chunk_no", Type: dialect.MetaInt}, {Name: "lo", Type: dialect.MetaNullLongText}, {Name: "hi", Type: dialect.MetaNullLongText},
		{Name: "rows_copied", Type: dialect.MetaBigint}, {Name: "done", Type: dialect.MetaFlag},
		{Name: "epoch", Type: dialect.MetaBigint},
	}},
	{Database: MetaDatabase, Name: "cdc_position", PrimaryKey: []string{"task_id"}, Columns: appliedColumns("task_id")},
	{Database: MetaDatabase, Name: "cdc_workers", PrimaryKey: []string{"task_id", "worker"},
		Columns: append(appliedColumns("task_id", "worker"), dialect.MetaColumn{Name: "epoch", Type: dialect.MetaBigint})},
	// The fence (fence.go): the epoch of the task's owner, and the connections owners write
	// through.
	{Database: MetaDatabase, Name: "task_owner", PrimaryKey: []string{"task_id"}, Columns: []dialect.MetaColumn{
		{Name: "task_id", Type: dialect.MetaName}, {Name: "epoch", Type: dialect.MetaBigint}, {Name: "owner", Type: dialect.MetaName},
		{Name: "updated_at", Type: dialect.MetaUpdatedAt},
	}},
	{Database: MetaDatabase, Name: "task_owner_conns", PrimaryKey: []string{"task_id", "conn_id"}, Columns: []dialect.MetaColumn{
		{Name: "task_id", Type: dialect.MetaName}, {Name: "conn_id", Type: dialect.MetaBigint}, {Name: "epoch", Type: dialect.MetaBigint},
	}},
}

// appliedColumns are the columns of a table of applied positions, after its key columns.
func appliedColumns(key ...string) []dialect.MetaColumn {
	var cols []dialect.MetaColumn
	for _, k := range key {
		t := dialect.MetaName
		if k == "worker" {
			t = dialect.MetaInt
		}
		cols = append(cols, dialect.MetaColumn{Name: k, Type: t})
	}
	return append(cols,
		dialect.MetaColumn{Name: "binlog_file", Type: dialect.MetaFile}, dialect.MetaColumn{Name: "binlog_pos", Type: dialect.MetaOffset},
		dialect.MetaColumn{Name: "gtid_set", Type: dialect.MetaText},
		dialect.MetaColumn{Name: "event_time", Type: dialect.MetaBigint}, dialect.MetaColumn{Name: "tables", Type: dialect.MetaLongText},
		dialect.MetaColumn{Name: "changes_applied", Type: dialect.MetaBigint},
		dialect.MetaColumn{Name: "updated_at", Type: dialect.MetaUpdatedAt})
}

// Ensure creates the checkpoint tables on the destination if they are missing, with the
// statements of the destination's dialect d.
func Ensure(ctx context.Context, dst *sql.DB, d dialect.Dialect) error {
	stmts := []string{d.CreateDatabase(MetaDatabase)}
	for _, t := range tables {
		stmts = append(stmts, d.CreateMetaTable(t))
	}
	for _, stmt := range stmts {
		if _, err := dst.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating checkpoint tables in destination database %s (the destination user needs CREATE and write privileges on it): %w", MetaDatabase, err)
		}
	}
	return addMissingColumns(ctx, dst, d)
}

// addedColumns are the columns added to a checkpoint table after it was first released; a
// table created by an earlier version gets them.
var addedColumns = []struct {
	table  string
	column dialect.MetaColumn
}{
	{"cdc_position", dialect.MetaColumn{Name: "changes_applied", Type: dialect.MetaBigint}},
	{"cdc_workers", dialect.MetaColumn{Name: "epoch", Type: dialect.MetaBigint}},
	{"copy_chunks", dialect.MetaColumn{Name: "epoch", Type: dialect.MetaBigint}},
	{"copy_tables", dialect.MetaColumn{Name: "deferred_indexes", Type: dialect.MetaNullLongText}},
}

func addMissingColumns(ctx context.Context, dst *sql.DB, d dialect.Dialect) error {
	for _, c := range addedColumns {
		var n int
		err := dst.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
			MetaDatabase, c.table, c.column.Name).Scan(&n)
		if err != nil {
			return fmt.Errorf("checking checkpoint table %s.%s: %w", MetaDatabase, c.table, err)
		}
		if n > 0 {
			continue
		}
		if _, err := dst.ExecContext(ctx, d.AddMetaColumn(MetaDatabase, c.table, c.column)); err != nil {
			return fmt.Errorf("adding column %s to checkpoint table %s.%s (the destination user needs ALTER on it): %w", c.column.Name, MetaDatabase, c.table, err)
		}
	}
	return nil
}

// Cut is the source binlog position recorded before the full copy started: the point from
// which incremental migration replays without a gap.
type Cut struct {
	binlog.Location
	SchemaDone bool
	// FullDone is set once the full copy of every table committed.
	FullDone bool
}

// LoadCut returns the task's recorded cut; ok is false when none was recorded yet.
func LoadCut(ctx context.Context, dst *sql.DB, taskID string) (c Cut, ok bool, err error) {
	err = dst.QueryRowContext(ctx, "SELECT binlog_file, binlog_pos, gtid_set, schema_done, full_done FROM `"+MetaDatabase+"`.`task_cut` WHERE task_id = ?", taskID).
		Scan(&c.File, &c.Pos, &c.GTIDSet, &c.SchemaDone, &c.FullDone)
	if errors.Is(err, sql.ErrNoRows) {
		return Cut{}, false, nil
	}
	if err != nil {
		return Cut{}, false, fmt.Errorf("reading the recorded binlog position of task %s: %w", taskID, err)
	}
	return c, true, nil
}

// SaveCut records the task's cut, replacing any earlier one, as the owner f fences (nil
// for a single runner).
func SaveCut(ctx context.Context, dst *sql.DB, d dialect.Dialect, f *Fence, taskID string, c Cut) error {
	tx, err := f.Begin(ctx, dst)
	if err != nil {
		return err
	}
	defer tx.Close()
	_, err = tx.ExecContext(ctx, d.Upsert(MetaDatabase, "task_cut", []string{"task_id", "binlog_file", "binlog_pos", "gtid_set", "schema_done", "full_done"}, 1),
		taskID, c.File, c.Pos, c.GTIDSet, c.SchemaDone, c.FullDone)
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("recording the binlog position of task %s: %w", taskID, err)
	}
	return nil
}

// Chunk is one key range of a table's full copy: keys after Lo up to and including Hi. A nil
// Lo starts at the table's first key, a nil Hi runs to its end (rows added after planning
// included). A chunk commits in one transaction with its rows, so Done says all or nothing.
type Chunk struct {
	No         int
	Lo, Hi     [][]byte
	RowsCopied int64
	Done       bool
}

// TablePlan is a table's planned full copy.
type TablePlan struct {
	// Definition fingerprints the source definition the plan was made for; a change means
	// DDL ran on the source during the migration.
	Definition string
	Chunks     []Chunk
	// Deferred are the destination table's secondary indexes that the copy dropped before
	// its first row, to add them back after its last (dialect.Dialect's DeferIndexes).
	Deferred []DeferredIndex
}

// DeferredIndex is a destination index a copy builds after its rows.
type DeferredIndex struct {
	Name string
	// Line is the index as the destination's SHOW CREATE TABLE printed it.
	Line string
}

// LoadPlan returns a table's copy plan; ok is false when it was not planned yet.
func LoadPlan(ctx context.Context, dst *sql.DB, taskID, db, table string) (p TablePlan, ok bool, err error) {
	var deferred sql.NullString
	err = dst.QueryRowContext(ctx, "SELECT definition, deferred_indexes FROM `"+MetaDatabase+"`.`copy_tables` WHERE task_id = ? AND source_db = ? AND source_table = ?",
		taskID, db, table).Scan(&p.Definition, &deferred)
	if errors.Is(err, sql.ErrNoRows) {
		return TablePlan{}, false, nil
	}
	if err != nil {
		return TablePlan{}, false, fmt.Errorf("reading the copy plan of %s.%s: %w", db, table, err)
	}
	if deferred.Valid {
		if err := json.Unmarshal([]byte(deferred.String), &p.Deferred); err != nil {
			return TablePlan{}, false, fmt.Errorf("copy plan of %s.%s holds damaged deferred indexes: %w", db, table, err)
		}
	}
	rows, err := dst.QueryContext(ctx, "SELECT chunk_no, lo, hi, rows_copied, done FROM `"+MetaDatabase+"`.`copy_chunks` "+
		"WHERE task_id = ? AND source_db = ? AND source_table = ? ORDER BY chunk_no", taskID, db, table)
	if err != nil {
		return TablePlan{}, false, fmt.Errorf("reading the copy plan of %s.%s: %w", db, table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Chunk
		var lo, hi sql.NullString
		if err := rows.Scan(&c.No, &lo, &hi, &c.RowsCopied, &c.Done); err != nil {
			return TablePlan{}, false, err
		}
		if c.Lo, err = decodeNullKey(lo); err == nil {
			c.Hi, err = decodeNullKey(hi)
		}
		if err != nil {
			return TablePlan{}, false, fmt.Errorf("copy plan of %s.%s holds a damaged key: %w", db, table, err)
		}
		p.Chunks = append(p.Chunks, c)
	}
	return p, true, rows.Err()
}

// SavePlan records a table's copy plan, all chunks not done, in one transaction, as the
// owner f fences (nil for a single runner).
func SavePlan(ctx context.Context, dst *sql.DB, f *Fence, taskID, db, table string, p TablePlan) error {
	tx, err := f.Begin(ctx, dst)
	if err != nil {
		return err
	}
	defer tx.Close()
	// Delete and insert rather than upsert: they read the same on every destination, so
	// the full copy needs no dialect here. The copy_tables row goes first and comes back
	// last: with direct writes (no transaction) a crash in between leaves no plan, never
	// a plan with part of its chunks, and the next run plans again.
	if _, err := tx.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`copy_tables` WHERE task_id = ? AND source_db = ? AND source_table = ?", taskID, db, table); err != nil {
		return fmt.Errorf("recording the copy plan of %s.%s: %w", db, table, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`copy_chunks` WHERE task_id = ? AND source_db = ? AND source_table = ?", taskID, db, table); err != nil {
		return fmt.Errorf("recording the copy plan of %s.%s: %w", db, table, err)
	}
	for _, c := range p.Chunks {
		if _, err := tx.ExecContext(ctx, "INSERT INTO `"+MetaDatabase+"`.`copy_chunks` (task_id, source_db, source_table, chunk_no, lo, hi, rows_copied, done) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
			taskID, db, table, c.No, encodeNullKey(c.Lo), encodeNullKey(c.Hi)); err != nil {
			return fmt.Errorf("recording the copy plan of %s.%s: %w", db, table, err)
		}
	}
	var deferred sql.NullString
	if len(p.Deferred) > 0 {
		b, err := json.Marshal(p.Deferred)
		if err != nil {
			return err
		}
		deferred = sql.NullString{String: string(b), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO `"+MetaDatabase+"`.`copy_tables` (task_id, source_db, source_table, definition, deferred_indexes) VALUES (?, ?, ?, ?, ?)",
		taskID, db, table, p.Definition, deferred); err != nil {
		return fmt.Errorf("recording the copy plan of %s.%s: %w", db, table, err)
	}
	return tx.Commit()
}

// MarkChunkDone records inside tx, the transaction that wrote the chunk's rows, that the
// chunk is copied, by the owner of epoch (0 for a single runner).
func MarkChunkDone(ctx context.Context, tx Writer, taskID, db, table string, no int, rows, epoch int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE `"+MetaDatabase+"`.`copy_chunks` SET rows_copied = ?, done = 1, epoch = ? "+
		"WHERE task_id = ? AND source_db = ? AND source_table = ? AND chunk_no = ?", rows, epoch, taskID, db, table, no)
	if err != nil {
		return fmt.Errorf("recording copy progress of %s.%s chunk %d: %w", db, table, no, err)
	}
	return nil
}

// Applied is how far incremental migration got: the end of the last source transaction
// whose changes are committed on the destination, and the source columns of each migrated
// table at that point (the schema history that decodes the events after it).
type Applied struct {
	binlog.Location
	EventTime int64 // unix seconds of the last applied event
	// Tables maps "db.table" to its source column names in order, as JSON.
	Tables string
	// Changes counts the row changes applied up to here, over every run.
	Changes int64
}

// Earliest is the earliest of applied positions (by binlog.Location.Compare): where reading
// must resume so that no worker misses a change. It panics on an empty slice.
func Earliest(as []Applied) Applied {
	return slices.MinFunc(as, func(a, b Applied) int { return a.Location.Compare(b.Location) })
}

// LoadWorkers returns the applied position of each apply worker of the task (see
// SaveWorker); ok is false before incremental migration first committed. A task last run by
// a version without workers has its one position as worker 0's.
func LoadWorkers(ctx context.Context, dst *sql.DB, taskID string) (workers []Applied, ok bool, err error) {
	rows, err := dst.QueryContext(ctx, "SELECT worker, binlog_file, binlog_pos, gtid_set, event_time, tables, changes_applied FROM `"+MetaDatabase+"`.`cdc_workers` WHERE task_id = ? ORDER BY worker", taskID)
	if err != nil {
		return nil, false, fmt.Errorf("reading the incremental position of task %s: %w", taskID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var w int
		var a Applied
		if err := rows.Scan(&w, &a.File, &a.Pos, &a.GTIDSet, &a.EventTime, &a.Tables, &a.Changes); err != nil {
			return nil, false, err
		}
		if w != len(workers) {
			return nil, false, fmt.Errorf("incremental positions of task %s are damaged: worker %d follows worker %d", taskID, w, len(workers)-1)
		}
		workers = append(workers, a)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(workers) > 0 {
		return workers, true, nil
	}
	a, ok, err := LoadApplied(ctx, dst, taskID)
	if !ok || err != nil {
		return nil, ok, err
	}
	return []Applied{a}, true, nil
}

// SaveWorker records inside tx, the transaction that applied a worker's share of the
// changes up to a, that worker's position, written by the owner of epoch (0 for a single
// runner).
func SaveWorker(ctx context.Context, tx Writer, d dialect.Dialect, taskID string, worker int, a Applied, epoch int64) error {
	_, err := tx.ExecContext(ctx, d.Upsert(MetaDatabase, "cdc_workers", []string{"task_id", "worker", "binlog_file", "binlog_pos", "gtid_set", "event_time", "tables", "changes_applied", "epoch"}, 1),
		taskID, worker, a.File, a.Pos, a.GTIDSet, a.EventTime, a.Tables, a.Changes, epoch)
	if err != nil {
		return fmt.Errorf("recording the incremental position of task %s: %w", taskID, err)
	}
	return nil
}

// ResetWorkers records, inside tx, a for workers 0..n-1 and forgets any other worker.
func ResetWorkers(ctx context.Context, tx Writer, d dialect.Dialect, taskID string, n int, a Applied, epoch int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`cdc_workers` WHERE task_id = ? AND worker >= ?", taskID, n); err != nil {
		return fmt.Errorf("recording the incremental position of task %s: %w", taskID, err)
	}
	for w := range n {
		if err := SaveWorker(ctx, tx, d, taskID, w, a, epoch); err != nil {
			return err
		}
	}
	return nil
}

// LoadApplied returns the task's incremental position as versions without apply workers
// recorded it; ok is false when there is none.
func LoadApplied(ctx context.Context, dst *sql.DB, taskID string) (a Applied, ok bool, err error) {
	err = dst.QueryRowContext(ctx, "SELECT binlog_file, binlog_pos, gtid_set, event_time, tables, changes_applied FROM `"+MetaDatabase+"`.`cdc_position` WHERE task_id = ?", taskID).
		Scan(&a.File, &a.Pos, &a.GTIDSet, &a.EventTime, &a.Tables, &a.Changes)
	if errors.Is(err, sql.ErrNoRows) {
		return Applied{}, false, nil
	}
	if err != nil {
		return Applied{}, false, fmt.Errorf("reading the incremental position of task %s: %w", taskID, err)
	}
	return a, true, nil
}

// Forget removes everything recorded for a task.
func Forget(ctx context.Context, dst *sql.DB, taskID string) error {
	for _, table := range []string{"task_cut", "copy_tables", "copy_chunks", "cdc_position", "cdc_workers", "task_owner", "task_owner_conns"} {
		if _, err := dst.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`"+table+"` WHERE task_id = ?", taskID); err != nil {
			return fmt.Errorf("removing checkpoints of task %s: %w", taskID, err)
		}
	}
	return nil
}

func encodeNullKey(key [][]byte) any {
	if key == nil {
		return nil
	}
	return encodeKey(key)
}

func decodeNullKey(s sql.NullString) ([][]byte, error) {
	if !s.Valid {
		return nil, nil
	}
	return decodeKey(s.String)
}

// Key values are arbitrary bytes (binary keys), so each is base64 in a JSON array.
func encodeKey(key [][]byte) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = base64.StdEncoding.EncodeToString(k)
	}
	b, _ := json.Marshal(parts) // a []string always marshals
	return string(b)
}

func decodeKey(s string) ([][]byte, error) {
	var parts []string
	if err := json.Unmarshal([]byte(s), &parts); err != nil {
		return nil, err
	}
	key := make([][]byte, len(parts))
	for i, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return nil, err
		}
		key[i] = b
	}
	return key, nil
}
