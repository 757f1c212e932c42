// Package checkpoint keeps a task's progress on the destination server, in the database
// MetaDatabase, so that it commits in the same transaction as the rows it describes: a task
// that restarts reads it back and resumes exactly where its last commit left it.
package checkpoint

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// MetaDatabase is the destination database that holds checkpoints. Object selection never
// includes it.
const MetaDatabase = "adbmigrate_meta"

var ddl = []string{
	"CREATE DATABASE IF NOT EXISTS `" + MetaDatabase + "`",
	"CREATE TABLE IF NOT EXISTS `" + MetaDatabase + "`.`task_cut` (" +
		"task_id VARCHAR(64) NOT NULL PRIMARY KEY, " +
		"binlog_file VARCHAR(255) NOT NULL, binlog_pos BIGINT UNSIGNED NOT NULL, gtid_set TEXT NOT NULL, " +
		"schema_done TINYINT NOT NULL DEFAULT 0, " +
		"recorded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))",
	"CREATE TABLE IF NOT EXISTS `" + MetaDatabase + "`.`copy_progress` (" +
		"task_id VARCHAR(64) NOT NULL, source_db VARCHAR(64) NOT NULL, source_table VARCHAR(64) NOT NULL, " +
		"last_key TEXT NULL, rows_copied BIGINT NOT NULL, done TINYINT NOT NULL, " +
		"PRIMARY KEY (task_id, source_db, source_table))",
}

// Ensure creates the checkpoint tables on the destination if they are missing.
func Ensure(ctx context.Context, dst *sql.DB) error {
	for _, stmt := range ddl {
		if _, err := dst.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating checkpoint tables in destination database %s (the destination user needs CREATE and write privileges on it): %w", MetaDatabase, err)
		}
	}
	return nil
}

// Cut is the source binlog position recorded before the full copy started: the point from
// which incremental migration replays without a gap.
type Cut struct {
	File       string
	Pos        uint64
	GTIDSet    string
	SchemaDone bool
}

// LoadCut returns the task's recorded cut; ok is false when none was recorded yet.
func LoadCut(ctx context.Context, dst *sql.DB, taskID string) (c Cut, ok bool, err error) {
	err = dst.QueryRowContext(ctx, "SELECT binlog_file, binlog_pos, gtid_set, schema_done FROM `"+MetaDatabase+"`.`task_cut` WHERE task_id = ?", taskID).
		Scan(&c.File, &c.Pos, &c.GTIDSet, &c.SchemaDone)
	if errors.Is(err, sql.ErrNoRows) {
		return Cut{}, false, nil
	}
	if err != nil {
		return Cut{}, false, fmt.Errorf("reading the recorded binlog position of task %s: %w", taskID, err)
	}
	return c, true, nil
}

// SaveCut records the task's cut, replacing any earlier one.
func SaveCut(ctx context.Context, dst *sql.DB, taskID string, c Cut) error {
	_, err := dst.ExecContext(ctx, "REPLACE INTO `"+MetaDatabase+"`.`task_cut` (task_id, binlog_file, binlog_pos, gtid_set, schema_done) VALUES (?, ?, ?, ?, ?)",
		taskID, c.File, c.Pos, c.GTIDSet, c.SchemaDone)
	if err != nil {
		return fmt.Errorf("recording the binlog position of task %s: %w", taskID, err)
	}
	return nil
}

// Copy is the progress of one table's full copy.
type Copy struct {
	// LastKey holds the key values of the last copied row, nil before the first batch.
	LastKey    [][]byte
	RowsCopied int64
	Done       bool
}

// LoadCopy returns a table's copy progress, the zero Copy when it has none.
func LoadCopy(ctx context.Context, dst *sql.DB, taskID, db, table string) (Copy, error) {
	var c Copy
	var key sql.NullString
	err := dst.QueryRowContext(ctx, "SELECT last_key, rows_copied, done FROM `"+MetaDatabase+"`.`copy_progress` WHERE task_id = ? AND source_db = ? AND source_table = ?",
		taskID, db, table).Scan(&key, &c.RowsCopied, &c.Done)
	if errors.Is(err, sql.ErrNoRows) {
		return Copy{}, nil
	}
	if err != nil {
		return Copy{}, fmt.Errorf("reading copy progress of %s.%s: %w", db, table, err)
	}
	if key.Valid {
		if c.LastKey, err = decodeKey(key.String); err != nil {
			return Copy{}, fmt.Errorf("copy progress of %s.%s holds a damaged key: %w", db, table, err)
		}
	}
	return c, nil
}

// SaveCopy records a table's copy progress inside tx, the transaction that wrote its rows.
func SaveCopy(ctx context.Context, tx *sql.Tx, taskID, db, table string, c Copy) error {
	var key any
	if c.LastKey != nil {
		key = encodeKey(c.LastKey)
	}
	_, err := tx.ExecContext(ctx, "REPLACE INTO `"+MetaDatabase+"`.`copy_progress` (task_id, source_db, source_table, last_key, rows_copied, done) VALUES (?, ?, ?, ?, ?, ?)",
		taskID, db, table, key, c.RowsCopied, c.Done)
	if err != nil {
		return fmt.Errorf("recording copy progress of %s.%s: %w", db, table, err)
	}
	return nil
}

// Forget removes everything recorded for a task.
func Forget(ctx context.Context, dst *sql.DB, taskID string) error {
	for _, table := range []string{"task_cut", "copy_progress"} {
		if _, err := dst.ExecContext(ctx, "DELETE FROM `"+MetaDatabase+"`.`"+table+"` WHERE task_id = ?", taskID); err != nil {
			return fmt.Errorf("removing checkpoints of task %s: %w", taskID, err)
		}
	}
	return nil
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
