// Index deferral: secondary indexes dropped before a big copy and restored after it.

package fullload

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// deferIndexRows is the smallest table, by the source's row estimate, whose destination
// secondary indexes a copy builds after the rows: below it the two extra DDL statements
// cost about what the load gains. Measured on a local MariaDB 10.11 with sysbench rows: at
// 10,000 rows, 0.08 CPU-seconds loading with the index against 0.05 dropping it, loading
// and adding it; at 30,000 rows, 0.15 against 0.13.
const deferIndexRows = 10_000

// deferrable returns the destination table's plain secondary indexes (KEY on columns) and
// the statement that drops them, when the dialect builds indexes after a load and the
// table is empty; nothing otherwise. Unique keys stay: they decide conflicts during the
// load. A table with foreign keys keeps its indexes, which the keys may need.
func deferrable(ctx context.Context, dst *sql.DB, j tablemap.Table, opts Options) ([]checkpoint.DeferredIndex, string, error) {
	if _, _, ok := opts.Dialect.DeferIndexes(j.DestDatabase, j.DestTable, nil, nil); !ok {
		return nil, "", nil
	}
	var one int
	err := dst.QueryRowContext(ctx, "SELECT 1 FROM "+dialect.QuoteTable(j.DestDatabase, j.DestTable)+" LIMIT 1").Scan(&one)
	if err == nil {
		return nil, "", nil // rows are there already
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("reading destination table %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	def, err := destinationDefinition(ctx, dst, j)
	if err != nil || len(def.ForeignKeys) > 0 {
		return nil, "", err
	}
	var deferred []checkpoint.DeferredIndex
	var names []string
	for _, ix := range def.Indexes {
		if ix.Kind == "KEY" && ix.Columns != nil && ix.Name != "" {
			deferred = append(deferred, checkpoint.DeferredIndex{Name: ix.Name, Line: ix.Raw})
			names = append(names, ix.Name)
		}
	}
	if len(deferred) == 0 {
		return nil, "", nil
	}
	drop, _, _ := opts.Dialect.DeferIndexes(j.DestDatabase, j.DestTable, names, nil)
	return deferred, drop, nil
}

// errDuplicateKeyName is ER_DUP_KEYNAME: an index of that name exists.
const errDuplicateKeyName = 1061

// restoreIndexes adds back, in one statement, the deferred indexes that the destination
// table lacks. A run killed during that statement may leave the server running it: when
// this one then finds an index added meanwhile, it looks again and adds the rest.
func restoreIndexes(ctx context.Context, dst *sql.DB, j tablemap.Table, deferred []checkpoint.DeferredIndex, opts Options) error {
	for attempt := 0; len(deferred) > 0; attempt++ {
		def, err := destinationDefinition(ctx, dst, j)
		if err != nil {
			return err
		}
		var lines []string
		for _, d := range deferred {
			if !slices.ContainsFunc(def.Indexes, func(ix schema.IndexDef) bool { return strings.EqualFold(ix.Name, d.Name) }) {
				lines = append(lines, d.Line)
			}
		}
		if len(lines) == 0 {
			return nil
		}
		_, add, _ := opts.Dialect.DeferIndexes(j.DestDatabase, j.DestTable, nil, lines)
		if err := opts.Fence.Guard(ctx, dst); err != nil {
			return err
		}
		_, err = dst.ExecContext(ctx, add)
		if myErr, ok := errors.AsType[*mysql.MySQLError](err); ok && myErr.Number == errDuplicateKeyName && attempt == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("adding back the secondary indexes of %s.%s after copying its rows: %w (statement: %.300s)", j.DestDatabase, j.DestTable, err, add)
		}
		return nil
	}
	return nil
}

// destinationDefinition reads and parses the job's destination table's definition.
func destinationDefinition(ctx context.Context, dst *sql.DB, j tablemap.Table) (*schema.Definition, error) {
	var name, create string
	if err := dst.QueryRowContext(ctx, "SHOW CREATE TABLE "+dialect.QuoteTable(j.DestDatabase, j.DestTable)).Scan(&name, &create); err != nil {
		return nil, fmt.Errorf("reading the definition of destination table %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	return schema.ParseCreateTable(create)
}
