// Chunk planning: a table's copy plan and the key ranges of its chunks.

package fullload

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"sync"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// planTable returns the table's stored plan, or plans its chunks and stores them, holding
// saving while it stores them. A new plan of a table of at least deferIndexRows rows into
// an empty destination table drops the table's plain secondary indexes, after the plan
// that names them is stored; restoreIndexes adds them back after the copy.
func planTable(ctx context.Context, src, dst *sql.DB, j tablemap.Table, opts Options, saving sync.Locker) (checkpoint.TablePlan, error) {
	plan, estimate, save, err := makePlan(ctx, src, dst, j, opts)
	if err != nil || !save {
		return plan, err
	}
	saving.Lock()
	defer saving.Unlock()
	var drop string
	if estimate >= deferIndexRows {
		if plan.Deferred, drop, err = deferrable(ctx, dst, j, opts); err != nil {
			return plan, err
		}
	}
	t := j.Source
	if err := checkpoint.SavePlan(ctx, dst, opts.Fence, opts.TaskID, t.Database, t.Name, plan); err != nil {
		return plan, err
	}
	if drop == "" {
		return plan, nil
	}
	if err := opts.Fence.Guard(ctx, dst); err != nil {
		return plan, err
	}
	// A failed drop changes nothing (its indexes go together or not at all) but the
	// speed: the copy then writes through the indexes, and restoreIndexes finds them.
	_, _ = dst.ExecContext(ctx, drop)
	return plan, nil
}

// makePlan returns the table's stored plan, or plans its chunks; save says whether the plan
// is new and must be stored, and estimate is then the source's row estimate.
func makePlan(ctx context.Context, src, dst *sql.DB, j tablemap.Table, opts Options) (plan checkpoint.TablePlan, estimate int64, save bool, err error) {
	t := j.Source
	plan, ok, err := checkpoint.LoadPlan(ctx, dst, opts.TaskID, t.Database, t.Name)
	if err != nil || ok {
		if err == nil {
			err = checkDefinition(ctx, src, t, plan.Definition, opts.FollowDDL)
		}
		return plan, 0, false, err
	}
	plan.Definition = fingerprint(t.Shown) + ":" + columnsFingerprint(t.Shown, t.Columns)
	estimate = tablemap.EstimateRows(ctx, src, t)
	if len(t.Key) == 0 {
		// Without a key there is no range to split on: one chunk, one transaction, still
		// all or nothing on a restart.
		plan.Chunks = []checkpoint.Chunk{{No: 0}}
		return plan, estimate, true, nil
	}
	keyCols, err := tablemap.KeyColumns(t)
	if err != nil {
		return plan, 0, false, err
	}
	if len(keyCols) == 1 && keyCols[0].Integer() {
		plan.Chunks, err = splitIntegerRange(ctx, src, t, estimate, opts)
		return plan, estimate, err == nil, err
	}
	// Walk the key index only, one boundary every chunkRows keys.
	q := fmt.Sprintf("SELECT %s FROM %s%%s ORDER BY %s LIMIT 1 OFFSET %d",
		dialect.QuoteIdents(t.Key), dialect.QuoteTable(t.Database, t.Name), dialect.QuoteIdents(t.Key), chunkRows(opts, estimate)-1)
	var lo [][]byte
	for no := 0; ; no++ {
		where, args := "", []any(nil)
		if lo != nil {
			var pred string
			pred, args = tablemap.After(t.Key, tablemap.KeyArgs(keyCols, lo))
			where = " WHERE " + pred
		}
		if err := opts.Limits.WaitQueries(ctx, 1); err != nil {
			return plan, 0, false, err
		}
		hi, err := tablemap.ReadKey(ctx, src, fmt.Sprintf(q, where), args, len(t.Key))
		if err != nil {
			return plan, 0, false, fmt.Errorf("planning the copy of %s.%s: %w", t.Database, t.Name, err)
		}
		plan.Chunks = append(plan.Chunks, checkpoint.Chunk{No: no, Lo: lo, Hi: hi})
		if hi == nil {
			break
		}
		lo = hi
	}
	return plan, estimate, true, nil
}

// splitIntegerRange plans a table with a one-column integer key without reading its rows:
// the key's range is cut into as many equal spans as the row estimate needs chunks. Gaps in
// the keys only make some chunks smaller; the last chunk is open-ended.
func splitIntegerRange(ctx context.Context, src *sql.DB, t *schema.Table, estimate int64, opts Options) ([]checkpoint.Chunk, error) {
	if err := opts.Limits.WaitQueries(ctx, 1); err != nil {
		return nil, err
	}
	var lo, hi sql.NullString
	k := dialect.QuoteIdent(t.Key[0])
	err := src.QueryRowContext(ctx, "SELECT MIN("+k+"), MAX("+k+") FROM "+dialect.QuoteTable(t.Database, t.Name)).Scan(&lo, &hi)
	if err != nil {
		return nil, fmt.Errorf("planning the copy of %s.%s: %w", t.Database, t.Name, err)
	}
	bounds, err := integerBounds(lo, hi, estimate, int64(chunkRows(opts, estimate)))
	if err != nil {
		return nil, fmt.Errorf("planning the copy of %s.%s: %w", t.Database, t.Name, err)
	}
	chunks := make([]checkpoint.Chunk, 0, len(bounds)+1)
	var prev [][]byte
	for i, b := range bounds {
		key := [][]byte{[]byte(b)}
		chunks = append(chunks, checkpoint.Chunk{No: i, Lo: prev, Hi: key})
		prev = key
	}
	return append(chunks, checkpoint.Chunk{No: len(bounds), Lo: prev}), nil
}

// integerBounds returns the inclusive upper bounds of all chunks but the last, in decimal,
// for keys from lo to hi (NULL when the table is empty) and about estimate rows (0 when
// unknown).
func integerBounds(lo, hi sql.NullString, estimate, chunkRows int64) ([]string, error) {
	if !lo.Valid || !hi.Valid {
		return nil, nil
	}
	first, ok1 := new(big.Int).SetString(lo.String, 10)
	last, ok2 := new(big.Int).SetString(hi.String, 10)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("key range %q..%q is not integer", lo.String, hi.String)
	}
	span := new(big.Int).Sub(last, first)
	span.Add(span, big.NewInt(1))
	n := big.NewInt(max(1, (estimate+chunkRows-1)/chunkRows))
	if estimate <= 0 {
		// No estimate (statistics never gathered, or stale at 0 on MySQL 8, whose
		// information_schema caches them for a day): the key range bounds the rows, so cut
		// it as if it were dense, up to maxUnknownChunks; a sparse range only makes chunks
		// smaller, never one transaction of the whole table.
		dense := new(big.Int).Div(new(big.Int).Add(span, big.NewInt(chunkRows-1)), big.NewInt(chunkRows))
		n = dense.Set(bigMin(dense, big.NewInt(maxUnknownChunks)))
	}
	if n.Cmp(span) > 0 {
		n.Set(span)
	}
	step := new(big.Int).Div(new(big.Int).Add(span, new(big.Int).Sub(n, big.NewInt(1))), n) // ceil(span / n)
	var out []string
	b := new(big.Int).Set(first)
	for i := int64(1); i < n.Int64(); i++ {
		b.Add(b, step)
		bound := new(big.Int).Sub(b, big.NewInt(1))
		if bound.Cmp(last) >= 0 {
			break
		}
		out = append(out, bound.String())
	}
	return out, nil
}

// maxUnknownChunks bounds the chunks of an integer key range planned without a row estimate.
const maxUnknownChunks = 10_000

// bigMin is the smaller of a and b.
func bigMin(a, b *big.Int) *big.Int {
	if a.Cmp(b) < 0 {
		return a
	}
	return b
}

// chunkRows is the chunk size for a table of about estimate rows: Options.ChunkRows when
// set, else a quarter of the table's share per worker, within MinChunkRows..MaxChunkRows.
func chunkRows(opts Options, estimate int64) int {
	if opts.ChunkRows > 0 {
		return opts.ChunkRows
	}
	return int(min(MaxChunkRows, max(MinChunkRows, estimate/int64(4*opts.Workers))))
}

// chunkPredicate returns the WHERE clause selecting the chunk's keys and the job's filter.
func chunkPredicate(j tablemap.Table, c checkpoint.Chunk) (string, []any, error) {
	keyCols, err := tablemap.KeyColumns(j.Source)
	if err != nil {
		return "", nil, err
	}
	pred, args := tablemap.RangePredicate(j.Source.Key, keyCols, c.Lo, c.Hi, j.Where)
	if pred == "" {
		return "", nil, nil
	}
	return " WHERE " + pred, args, nil
}
