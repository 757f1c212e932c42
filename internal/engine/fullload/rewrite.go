// Rewrite: the source rows of a key range written again over the destination's.

package fullload

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// Rewrite deletes the destination rows of j that dstPred selects (within j's merged-table
// tag) and writes the source rows that srcPred selects, in one destination transaction,
// and returns how many rows it wrote. srcPred must include j's filter. With direct writes
// (no transaction) a table with a key gets its source rows first, replacing by key, and
// then loses the rows dstPred selects that the source no longer has, so that the range
// never has a gap.
func Rewrite(ctx context.Context, src, dst *sql.DB, j tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any, opts Options) (int64, error) {
	if j.SourceTag != "" {
		tag := dialect.QuoteIdent(tablemap.SourceColumn) + " = " + dialect.QuoteString(j.SourceTag)
		dstPred = strings.Join(slices.DeleteFunc([]string{dstPred, tag}, func(p string) bool { return p == "" }), " AND ")
	}
	if opts.Fence.Direct() && len(j.Source.Key) > 0 {
		return rewriteDirect(ctx, src, dst, j, srcPred, srcArgs, dstPred, dstArgs, opts)
	}
	tx, err := opts.Fence.Begin(ctx, dst)
	if err != nil {
		return 0, err
	}
	defer tx.Close()
	del := "DELETE FROM " + dialect.QuoteTable(j.DestDatabase, j.DestTable)
	if dstPred != "" {
		del += " WHERE " + dstPred
	}
	if _, err := tx.ExecContext(ctx, del, dstArgs...); err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	where := ""
	if srcPred != "" {
		where = " WHERE " + srcPred
	}
	rows, err := sourceRowsWhere(ctx, src, j, where, srcArgs, opts)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	opts.IgnoreConflicts = false
	n, err := insertRows(ctx, tx, rows, j, opts)
	if ve, ok := errors.AsType[*dbconn.ValueError](err); ok {
		rows.Close()
		locate(ctx, src, j, where, srcArgs, opts, ve)
		return 0, ve
	}
	if err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	return n, nil
}

// rewriteDirect is Rewrite with direct writes: the source rows replace the destination's by
// key, then each destination row dstPred selects whose key the source rows srcPred selects
// do not hold is deleted by key.
func rewriteDirect(ctx context.Context, src, dst *sql.DB, j tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any, opts Options) (int64, error) {
	where := ""
	if srcPred != "" {
		where = " WHERE " + srcPred
	}
	tx, err := opts.Fence.Begin(ctx, dst)
	if err != nil {
		return 0, err
	}
	defer tx.Close()
	rows, err := sourceRowsWhere(ctx, src, j, where, srcArgs, opts)
	if err != nil {
		return 0, err
	}
	opts.IgnoreConflicts = false
	n, err := insertRows(ctx, tx, rows, j, opts)
	rows.Close()
	if ve, ok := errors.AsType[*dbconn.ValueError](err); ok {
		locate(ctx, src, j, where, srcArgs, opts, ve)
		return 0, ve
	}
	if err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	extras, err := destinationExtras(ctx, src, tx, j, where, srcArgs, dstPred, dstArgs)
	if err != nil {
		return 0, fmt.Errorf("repairing %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	destKey := j.DestKey()
	for len(extras) > 0 {
		batch := extras[:min(len(extras), repairDeleteRows)]
		extras = extras[len(batch):]
		var args []any
		for _, k := range batch {
			args = append(args, k...)
		}
		stmt := opts.Dialect.DeleteByKey(j.DestDatabase, j.DestTable, destKey, len(batch))
		if head, terms, ok := strings.Cut(stmt, " WHERE "); ok && j.SourceTag != "" {
			stmt = head + " WHERE " + dialect.QuoteIdent(tablemap.SourceColumn) + " = " + dialect.QuoteString(j.SourceTag) + " AND (" + terms + ")"
		}
		if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
			return 0, fmt.Errorf("repairing %s.%s: deleting rows the source does not have: %w", j.DestDatabase, j.DestTable, err)
		}
	}
	return n, nil
}

// repairDeleteRows bounds the keys of one DELETE of a direct repair.
const repairDeleteRows = 500

// destinationExtras returns the keys (destination key order) of the destination rows that
// dstPred selects and no source row that where selects has. Each key is looked up on the
// source by itself: the two servers may render a key's value differently (AnalyticDB's
// millisecond DATETIME), so the source compares.
func destinationExtras(ctx context.Context, src *sql.DB, dst checkpoint.Writer, j tablemap.Table, where string, srcArgs []any, dstPred string, dstArgs []any) ([][]any, error) {
	destKey := j.DestKey()
	q := "SELECT " + dialect.QuoteIdents(destKey) + " FROM " + dialect.QuoteTable(j.DestDatabase, j.DestTable)
	if dstPred != "" {
		q += " WHERE " + dstPred
	}
	rows, err := dst.QueryContext(ctx, q, dstArgs...)
	if err != nil {
		return nil, err
	}
	var keys [][]any
	for rows.Next() {
		raw := make([]sql.RawBytes, len(destKey))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, err
		}
		k := make([]any, len(raw))
		for i, b := range raw {
			k[i] = slices.Clone([]byte(b))
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	match := make([]string, len(j.Source.Key))
	for i, k := range j.Source.Key {
		match[i] = dialect.QuoteIdent(k) + " = ?"
	}
	cond := strings.Join(match, " AND ")
	if where == "" {
		where = " WHERE " + cond
	} else {
		where += " AND " + cond
	}
	lookup := "SELECT COUNT(*) FROM " + dialect.QuoteTable(j.Source.Database, j.Source.Name) + where
	var extras [][]any
	for _, k := range keys {
		var n int64
		if err := src.QueryRowContext(ctx, lookup, append(slices.Clone(srcArgs), k...)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("looking a destination key up on the source: %w", err)
		}
		if n == 0 {
			extras = append(extras, k)
		}
	}
	return extras, nil
}
