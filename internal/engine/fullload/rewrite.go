// Rewrite: the source rows of a key range written again over the destination's.

package fullload

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// Rewrite deletes the destination rows of j that dstPred selects (within j's merged-table
// tag) and writes the source rows that srcPred selects, in one destination transaction,
// and returns how many rows it wrote. srcPred must include j's filter.
func Rewrite(ctx context.Context, src, dst *sql.DB, j tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any, opts Options) (int64, error) {
	if j.SourceTag != "" {
		tag := dialect.QuoteIdent(tablemap.SourceColumn) + " = " + dialect.QuoteString(j.SourceTag)
		dstPred = strings.Join(slices.DeleteFunc([]string{dstPred, tag}, func(p string) bool { return p == "" }), " AND ")
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
	n, err := insertRows(ctx, tx.Tx, rows, j, opts)
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
