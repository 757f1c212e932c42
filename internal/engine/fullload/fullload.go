// Package fullload copies the rows of source tables to the destination in key order, in
// batches, each batch committed together with the checkpoint that says how far it got.
package fullload

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// DefaultBatchRows is how many rows one batch reads and commits unless a Job says otherwise.
const DefaultBatchRows = 1000

// Job is the copy of one table.
type Job struct {
	TaskID       string
	Table        *schema.Table
	DestDatabase string
	DestTable    string
	BatchRows    int
}

// Copy copies the job's table from src to dst, resuming from the checkpoint on dst. It calls
// progress after each committed batch with the table's total of copied rows, and returns that
// total. Memory holds one batch at a time, whatever the table's size.
func Copy(ctx context.Context, src, dst *sql.DB, job Job, progress func(rows int64)) (int64, error) {
	t := job.Table
	if len(t.Key) == 0 {
		return 0, fmt.Errorf("table %s.%s has no primary key and no unique key with only NOT NULL columns: add a primary key on the source so rows can be copied in key order and resumed", t.Database, t.Name)
	}
	batch := job.BatchRows
	if batch <= 0 {
		batch = DefaultBatchRows
	}
	cp, err := checkpoint.LoadCopy(ctx, dst, job.TaskID, t.Database, t.Name)
	if err != nil {
		return 0, err
	}
	if cp.Done {
		return cp.RowsCopied, nil
	}
	cols := t.Copied()
	keyPos, err := keyPositions(cols, t.Key)
	if err != nil {
		return 0, fmt.Errorf("table %s.%s: %w", t.Database, t.Name, err)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	selectHead := "SELECT " + dialect.QuoteIdents(names) + " FROM " + dialect.QuoteTable(t.Database, t.Name)
	orderBy := " ORDER BY " + dialect.QuoteIdents(t.Key) + fmt.Sprintf(" LIMIT %d", batch)
	insertHead := "INSERT INTO " + dialect.QuoteTable(job.DestDatabase, job.DestTable) + " (" + dialect.QuoteIdents(names) + ") VALUES "
	rowMarks := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"

	for {
		query := selectHead
		var args []any
		if cp.LastKey != nil {
			var where string
			where, args = after(t.Key, keyArgs(cols, keyPos, cp.LastKey))
			query += " WHERE " + where
		}
		values, n, lastKey, err := readBatch(ctx, src, query+orderBy, args, cols, keyPos)
		if err != nil {
			return cp.RowsCopied, fmt.Errorf("reading %s.%s: %w", t.Database, t.Name, err)
		}
		next := checkpoint.Copy{LastKey: cp.LastKey, RowsCopied: cp.RowsCopied + int64(n), Done: n < batch}
		if n > 0 {
			next.LastKey = lastKey
		}
		tx, err := dst.BeginTx(ctx, nil)
		if err != nil {
			return cp.RowsCopied, fmt.Errorf("writing %s.%s: %w", job.DestDatabase, job.DestTable, err)
		}
		if n > 0 {
			stmt := insertHead + strings.TrimSuffix(strings.Repeat(rowMarks+",", n), ",")
			if _, err := tx.ExecContext(ctx, stmt, values...); err != nil {
				tx.Rollback()
				return cp.RowsCopied, fmt.Errorf("writing rows into %s.%s: %w", job.DestDatabase, job.DestTable, err)
			}
		}
		if err := checkpoint.SaveCopy(ctx, tx, job.TaskID, t.Database, t.Name, next); err != nil {
			tx.Rollback()
			return cp.RowsCopied, err
		}
		if err := tx.Commit(); err != nil {
			return cp.RowsCopied, fmt.Errorf("committing rows into %s.%s: %w", job.DestDatabase, job.DestTable, err)
		}
		cp = next
		if progress != nil {
			progress(cp.RowsCopied)
		}
		if cp.Done {
			return cp.RowsCopied, nil
		}
	}
}

// readBatch runs one batch query and returns its values flattened row after row, the row
// count and the key of the last row.
func readBatch(ctx context.Context, src *sql.DB, query string, args []any, cols []schema.Column, keyPos []int) ([]any, int, [][]byte, error) {
	rows, err := src.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	var values []any
	var lastKey [][]byte
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, nil, err
		}
		for i, c := range cols {
			values = append(values, textValue(c, raw[i]))
		}
		lastKey = make([][]byte, len(keyPos))
		for i, p := range keyPos {
			lastKey[i] = append([]byte{}, raw[p]...)
		}
		n++
	}
	return values, n, lastKey, rows.Err()
}

// textValue turns a value read in the text protocol into an argument that writes the same
// bytes back: binary columns as bytes, others as strings in the connection's utf8mb4, which
// the server converts to the column's character set.
func textValue(c schema.Column, b sql.RawBytes) any {
	if b == nil {
		return nil
	}
	if c.Binary() {
		return append([]byte{}, b...)
	}
	return string(b)
}

func keyPositions(cols []schema.Column, key []string) ([]int, error) {
	pos := make([]int, len(key))
	for i, k := range key {
		pos[i] = -1
		for j, c := range cols {
			if c.Name == k {
				pos[i] = j
			}
		}
		if pos[i] < 0 {
			return nil, fmt.Errorf("key column %q is generated or missing; copy needs a stored key column", k)
		}
	}
	return pos, nil
}

func keyArgs(cols []schema.Column, keyPos []int, key [][]byte) []any {
	out := make([]any, len(key))
	for i, p := range keyPos {
		out[i] = textValue(cols[p], key[i])
	}
	return out
}

// after returns the predicate "key > last" for a composite key, expanded as
// (k1 > ?) OR (k1 = ? AND k2 > ?) ..., which the optimizer turns into index ranges.
func after(key []string, last []any) (string, []any) {
	var terms []string
	var args []any
	for i := range key {
		var parts []string
		for j := 0; j < i; j++ {
			parts = append(parts, dialect.QuoteIdent(key[j])+" = ?")
			args = append(args, last[j])
		}
		parts = append(parts, dialect.QuoteIdent(key[i])+" > ?")
		args = append(args, last[i])
		terms = append(terms, "("+strings.Join(parts, " AND ")+")")
	}
	return strings.Join(terms, " OR "), args
}
