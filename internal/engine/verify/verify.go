// Package verify proves that destination tables hold what their source tables hold. It walks
// each table in key-ordered chunks, compares per chunk the row count and the sums of per-row
// hashes and of their squares computed by each server (a sum, unlike an XOR fold, does not let duplicated rows
// cancel out), and narrows a chunk that differs down to its rows, each reported by key
// as missing on the destination, extra on the destination, or differing. With repair, a
// differing chunk is rewritten from the source and compared again.
//
// A row's hash covers every migrated column (each server computes it with its dialect's
// RowText, RowHash and ChunkChecksum), so renames, column subsets, filters and merged tables
// compare exactly what the migration wrote. A table with an etl block is compared by rows
// hashed in Go instead (see etl.go). A table that cannot be compared is listed in
// Result.Unverified with the reason, never skipped silently.
package verify

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/throttle"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// Kinds of mismatch.
const (
	Missing = vocab.MismatchMissing // the source row is not on the destination
	Extra   = vocab.MismatchExtra   // the destination row is not on the source
	Differs = vocab.MismatchDiffers // both have the row, with different values
)

const (
	maxNoted = 100 // mismatches kept in Result.Mismatched
	// maxSuspects bounds the differing chunks held until the settle delay has passed.
	maxSuspects = 256
)

// Mismatch is one row that differs.
type Mismatch struct {
	Table string // source "db.table"
	Key   string // "col=value, ..." of the source key
	Kind  vocab.MismatchKind
	// source is the source row's hash when it was found ("" when the source has none):
	// a row whose source changed between two checks is in flight, not a mismatch.
	source string
}

// Result is what verification found so far.
type Result struct {
	Chunks     int64
	Rows       int64 // source rows in the chunks compared
	Mismatches int64 // rows found to differ (after repair, those that still differ)
	Repaired   int64 // rows rewritten by repair
	// Mismatched are the first mismatches found, at most maxNoted.
	Mismatched []Mismatch
	// Unverified are the tables that could not be compared, with the reason.
	Unverified []Unverified
}

// Unverified is a table verification could not compare.
type Unverified struct {
	Table  string // source "db.table"
	Reason string
}

// Options tune a run.
type Options struct {
	// ChunkRows is the number of source rows per chunk; 1000 when 0.
	ChunkRows int
	// SamplePercent compares this share of the chunks, picked at random; all when 0 or 100.
	SamplePercent int
	// Repair rewrites the chunks found to differ from the source with Rewrite, then compares
	// them again.
	Repair bool
	// Rewrite writes repairs; it must be set when Repair is.
	Rewrite Rewriter
	// Settle, when positive, compares a differing chunk's rows again after this delay and
	// reports only the rows that still differ while the source row stayed the same: changes
	// in flight through incremental migration are no mismatch.
	Settle time.Duration
	// Limits throttles the queries sent to the source; nil means unlimited.
	Limits *throttle.Limits
	// Progress receives the result after each chunk.
	Progress func(Result)
	// Workers is how many chunks are compared at once; 4 when 0.
	Workers int
	// WideChunks is how many consecutive chunks one query per server compares first; only
	// a wide chunk that differs is compared again chunk by chunk, and then row by row. 20
	// when 0. It is 1 (every chunk on its own) when SamplePercent samples, and for tables
	// with an etl block, which are compared row by row.
	WideChunks int
}

// Server is one side of a comparison: a database and the dialect its SQL is written in.
type Server struct {
	DB      *sql.DB
	Dialect dialect.Dialect
}

// Rewriter replaces, in one destination transaction, the destination rows of t that dstPred
// selects (with dstArgs; "" for all of t's rows) with the source rows that srcPred selects
// (srcPred includes t's filter), and returns how many rows it wrote.
type Rewriter func(ctx context.Context, t tablemap.Table, srcPred string, srcArgs []any, dstPred string, dstArgs []any) (int64, error)

// Run compares every job's destination table with its source table. It returns the result
// and the first error; a mismatch is no error.
func Run(ctx context.Context, src, dst Server, jobs []tablemap.Table, opts Options) (Result, error) {
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = 1000
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.WideChunks <= 0 {
		opts.WideChunks = 20
	}
	if p := opts.SamplePercent; p > 0 && p < 100 {
		opts.WideChunks = 1
	}
	if opts.Repair && opts.Rewrite == nil {
		return Result{}, errors.New("verify: Repair needs a Rewrite")
	}
	v := &verifier{src: src, dst: dst, opts: opts}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return v.res, ctx.Err()
		}
		if err := v.table(ctx, j); err != nil {
			return v.res, err
		}
	}
	err := v.settle(ctx)
	return v.res, err
}

type verifier struct {
	src, dst Server
	opts     Options
	mu       sync.Mutex // guards res, suspects and since; chunks are compared concurrently
	res      Result
	// suspects are the chunks that differed, to compare again once Settle has passed
	// since the first was found.
	suspects []suspect
	since    time.Time
}

// suspect is a chunk whose rows differed when first compared.
type suspect struct {
	j        tablemap.Table
	name     string
	src, dst side
	keyCols  []schema.Column
	lo, hi   [][]byte
	found    []Mismatch
}

// settle compares the suspect chunks again once Settle has passed, and counts (and
// repairs) the rows that still differ with their source row unchanged.
func (v *verifier) settle(ctx context.Context) error {
	v.mu.Lock()
	suspects, since := v.suspects, v.since
	v.suspects = nil
	v.mu.Unlock()
	if len(suspects) == 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(since.Add(v.opts.Settle))):
	}
	for _, s := range suspects {
		again, _, err := v.narrow(ctx, s.src, s.dst, s.keyCols, s.lo, s.hi, s.name)
		if err != nil {
			return err
		}
		if err := v.settled(ctx, s, persisting(s.found, again)); err != nil {
			return err
		}
	}
	v.progress()
	return nil
}

// progress reports the result so far.
func (v *verifier) progress() {
	if v.opts.Progress == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.res
	r.Mismatched = slices.Clone(r.Mismatched)
	r.Unverified = slices.Clone(r.Unverified)
	v.opts.Progress(r)
}

// settled counts a chunk's mismatches, repairing them first if asked.
func (v *verifier) settled(ctx context.Context, s suspect, found []Mismatch) error {
	if len(found) > 0 && v.opts.Repair {
		if err := v.rewriteRange(ctx, s.j, s.keyCols, s.lo, s.hi); err != nil {
			return err
		}
		v.mu.Lock()
		v.res.Repaired += int64(len(found))
		v.mu.Unlock()
		var err error
		if found, _, err = v.narrow(ctx, s.src, s.dst, s.keyCols, s.lo, s.hi, s.name); err != nil {
			return err
		}
	}
	v.note(found)
	return nil
}

// rewriteRange repairs the rows of t whose keys are after lo and at most hi (either nil for
// no bound).
func (v *verifier) rewriteRange(ctx context.Context, t tablemap.Table, keyCols []schema.Column, lo, hi [][]byte) error {
	dstPred, dstArgs := tablemap.RangePredicate(t.DestKey(), keyCols, lo, hi)
	srcPred, srcArgs := tablemap.RangePredicate(t.Source.Key, keyCols, lo, hi, t.Where)
	_, err := v.opts.Rewrite(ctx, t, srcPred, srcArgs, dstPred, dstArgs)
	return err
}

// side is how one server's rows of a job are selected and hashed.
type side struct {
	db    *sql.DB
	sql   dialect.Dialect
	table string   // quoted db.table
	key   []string // key column names on this side
	row   string   // a row's columns as one string (Dialect.RowText)
	hash  string   // Dialect.RowHash of row
	where string   // the job's filter (source) or its merged-table tag (destination)
	// etl, for a table with an etl block, reads and hashes the rows in Go: the expected
	// rows on the source side, the stored ones on the destination side.
	etl    *etlTable
	source bool
}

func (v *verifier) table(ctx context.Context, j tablemap.Table) error {
	name := j.Name()
	src, dst, reason, err := prepare(ctx, v.src, v.dst, j)
	if err != nil {
		return err
	}
	if reason != "" {
		v.mu.Lock()
		v.res.Unverified = append(v.res.Unverified, Unverified{Table: name, Reason: reason})
		v.mu.Unlock()
		v.progress()
		return nil
	}
	if len(j.Source.Key) == 0 {
		return v.unkeyed(ctx, j, name, src, dst)
	}
	keyCols, err := tablemap.KeyColumns(j.Source)
	if err != nil {
		return err
	}
	wide := v.opts.WideChunks
	if src.etl != nil {
		wide = 1
	}
	// Chunk bounds are read in order; the chunks are compared by Workers goroutines.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, v.opts.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	var lo [][]byte
	for {
		// The chunk ends at the (wide × ChunkRows)-th source row after lo; the last one is
		// open.
		hi, err := v.bound(ctx, src, keyCols, lo, nil, wide*v.opts.ChunkRows)
		if err != nil {
			return cmp.Or(context.Cause(ctx), fmt.Errorf("verifying %s: %w", name, err))
		}
		if v.sampled() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			lo, hi := lo, hi
			wg.Go(func() {
				defer func() { <-sem }()
				if err := v.chunk(ctx, j, name, src, dst, keyCols, lo, hi, wide); err != nil {
					cancel(err)
				}
			})
		}
		if hi == nil {
			wg.Wait()
			if err := context.Cause(ctx); err != nil {
				return err
			}
			return nil
		}
		lo = hi
	}
}

// bound returns the key of the rows-th source row of s after lo, up to hi (either nil for
// no bound), or nil when there are fewer rows.
func (v *verifier) bound(ctx context.Context, s side, keyCols []schema.Column, lo, hi [][]byte, rows int) ([][]byte, error) {
	quotedKey := make([]string, len(s.key))
	for i, k := range s.key {
		quotedKey[i] = dialect.QuoteIdent(k)
	}
	pred, args := tablemap.RangePredicate(s.key, keyCols, lo, hi, s.where)
	q := "SELECT " + strings.Join(quotedKey, ", ") + " FROM " + s.table + tablemap.Where(pred) +
		" ORDER BY " + strings.Join(quotedKey, ", ") + " LIMIT 1 OFFSET " + strconv.Itoa(rows-1)
	if err := v.opts.Limits.WaitQueries(ctx, 1); err != nil {
		return nil, err
	}
	return tablemap.ReadKey(ctx, v.src.DB, q, args, len(s.key))
}

// sampled reports whether the next chunk is compared.
func (v *verifier) sampled() bool {
	p := v.opts.SamplePercent
	return p <= 0 || p >= 100 || rand.IntN(100) < p
}

// prepare describes the job's source and destination rows, or says why the job's table
// cannot be compared.
func prepare(ctx context.Context, srcDB, dstDB Server, j tablemap.Table) (side, side, string, error) {
	nullable, err := nullableColumns(ctx, dstDB.DB, j.DestDatabase, j.DestTable)
	if err != nil {
		return side{}, side{}, "", fmt.Errorf("verifying %s: reading the destination's columns: %w", j.Name(), err)
	}
	src, dst := sides(srcDB, dstDB, j, nullable)
	if j.ETL == nil {
		return src, dst, "", nil
	}
	// Compared as the copy writes it for this destination: ENUM and SET as text into
	// AnalyticDB, BIT as its number (tablemap.CopiedValue).
	e, reason, err := newETLTable(ctx, dstDB.DB, j.ForDestination(dstDB.Dialect.Name()))
	if err != nil || reason != "" {
		return src, dst, reason, err
	}
	src.etl, dst.etl = e, e
	src.source = true
	return src, dst, "", nil
}

// nullableColumns returns the lower-case names of the columns of database.table that may
// hold NULL.
func nullableColumns(ctx context.Context, db *sql.DB, database, table string) (map[string]bool, error) {
	r, err := db.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND IS_NULLABLE = 'YES'", database, table)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := map[string]bool{}
	for r.Next() {
		var name string
		if err := r.Scan(&name); err != nil {
			return nil, err
		}
		out[strings.ToLower(name)] = true
	}
	return out, r.Err()
}

// sides describes the job's source and destination rows; destNullable holds the lower-case
// names of the destination columns that may hold NULL.
func sides(srcDB, dstDB Server, j tablemap.Table, destNullable map[string]bool) (side, side) {
	src := side{db: srcDB.DB, sql: srcDB.Dialect, table: dialect.QuoteTable(j.Source.Database, j.Source.Name), where: j.Where}
	dst := side{db: dstDB.DB, sql: dstDB.Dialect, table: dialect.QuoteTable(j.DestDatabase, j.DestTable)}
	if j.SourceTag != "" {
		dst.where = dialect.QuoteIdent(tablemap.SourceColumn) + " = " + dialect.QuoteString(j.SourceTag)
	}
	var srcCols, dstCols []dialect.RowColumn
	for _, cm := range j.Columns {
		// Both sides take the source column's type, so they build the same text; a BIT
		// column the destination stores as its number is compared as that number on both.
		num := dialect.BitsAsNumber(dstDB.Dialect.Name(), cm.Source.DataType)
		free := freeText(cm.Source.DataType) && !num
		byteLen := cm.Source.Binary() || strings.HasPrefix(cm.Source.Charset, "utf8")
		// NULL flags where either side may hold NULL, so that both build the same text.
		null := cm.Source.Nullable || destNullable[strings.ToLower(cm.Dest)]
		srcCols = append(srcCols, dialect.RowColumn{Name: cm.Source.Name, Free: free, Bytes: byteLen, Nullable: null, Number: num})
		dstCols = append(dstCols, dialect.RowColumn{Name: cm.Dest, Free: free, Bytes: byteLen, Nullable: null, Number: num})
	}
	src.row, dst.row = src.sql.RowText(srcCols), dst.sql.RowText(dstCols)
	src.hash, dst.hash = src.sql.RowHash(src.row), dst.sql.RowHash(dst.row)
	src.key, dst.key = slices.Clone(j.Source.Key), j.DestKey()
	return src, dst
}

// freeText reports whether values of a column of this information_schema DATA_TYPE may
// hold any character (see dialect.RowColumn.Free): everything but numbers and temporal
// values.
func freeText(dataType string) bool {
	switch dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric",
		"float", "double", "real", "date", "datetime", "timestamp", "time", "year":
		return false
	}
	return true
}

// aggregate is a chunk's row count and the sums of its rows' hashes and of their squares.
type aggregate struct{ count, hi, lo string }

func (s side) aggregate(ctx context.Context, keyCols []schema.Column, lo, hi [][]byte) (aggregate, error) {
	pred, args := tablemap.RangePredicate(s.key, keyCols, lo, hi, s.where)
	q := s.sql.ChunkChecksum(s.row, s.table+tablemap.Where(pred))
	var a aggregate
	err := s.db.QueryRowContext(ctx, q, args...).Scan(&a.count, &a.hi, &a.lo)
	return a, err
}

// rows returns a chunk's rows by key.
func (s side) rows(ctx context.Context, keyCols []schema.Column, lo, hi [][]byte) (map[string]keyedRow, error) {
	pred, args := tablemap.RangePredicate(s.key, keyCols, lo, hi, s.where)
	return s.keyed(ctx, keyCols, pred, args)
}

// keyed reads the key and hash of the rows pred selects, by the key's bytes.
func (s side) keyed(ctx context.Context, keyCols []schema.Column, pred string, args []any) (map[string]keyedRow, error) {
	switch {
	case s.etl != nil && s.source:
		return s.etl.expected(ctx, s, keyCols, pred, args)
	case s.etl != nil:
		return s.etl.stored(ctx, s, keyCols, pred, args)
	}
	cols := make([]string, len(s.key))
	for i, k := range s.key {
		cols[i] = dialect.QuoteIdent(k)
	}
	r, err := s.db.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+", "+s.hash+" FROM "+s.table+tablemap.Where(pred), args...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := map[string]keyedRow{}
	raw := make([]sql.RawBytes, len(cols)+1)
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	for r.Next() {
		if err := r.Scan(dest...); err != nil {
			return nil, err
		}
		id, kr := keyOf(keyCols, raw[:len(cols)])
		kr.hash = string(raw[len(cols)])
		out[id] = kr
	}
	return out, r.Err()
}

// keyOf identifies a row by its key values as read (raw): the map key that finds it among
// the rows read from either server (each value with its length), and the row without its
// hash.
func keyOf(keyCols []schema.Column, raw []sql.RawBytes) (string, keyedRow) {
	var id []byte
	key := make([][]byte, len(keyCols))
	for i := range keyCols {
		id = strconv.AppendInt(id, int64(len(raw[i])), 10)
		id = append(id, ':')
		id = append(id, raw[i]...)
		id = append(id, ';')
		key[i] = append([]byte{}, raw[i]...)
	}
	return string(id), keyedRow{key: key}
}

// keyedRow is one row read by keyed.
type keyedRow struct {
	hash string
	key  [][]byte // the key's values as read
}

// shown is the row's key as mismatches name it: "col=value, ...".
func (r keyedRow) shown(keyCols []schema.Column) string {
	var b strings.Builder
	for i, c := range keyCols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name + "=" + tablemap.Display(c, r.key[i]))
	}
	return b.String()
}

// args is the key as arguments that select the row again.
func (r keyedRow) args(keyCols []schema.Column) []any { return tablemap.KeyArgs(keyCols, r.key) }

// chunk compares one chunk of wide chunks, narrows it to chunks and then rows when it
// differs, and repairs it if asked.
func (v *verifier) chunk(ctx context.Context, j tablemap.Table, name string, src, dst side, keyCols []schema.Column, lo, hi [][]byte, wide int) error {
	if err := v.opts.Limits.WaitQueries(ctx, 1); err != nil {
		return err
	}
	if src.etl != nil {
		// The rows are compared one by one whatever happens: no aggregate first.
		found, n, err := v.narrow(ctx, src, dst, keyCols, lo, hi, name)
		if err != nil {
			return err
		}
		v.mu.Lock()
		v.res.Chunks++
		v.res.Rows += n
		v.mu.Unlock()
		return v.differing(ctx, suspect{j: j, name: name, src: src, dst: dst, keyCols: keyCols, lo: lo, hi: hi, found: found})
	}
	sa, same, err := v.compare(ctx, src, dst, keyCols, lo, hi, name)
	if err != nil {
		return err
	}
	n, _ := strconv.ParseInt(sa.count, 10, 64)
	// Chunks counts chunks of ChunkRows rows: a closed wide chunk holds wide of them, the
	// open last one as many as its rows start.
	chunks := int64(1)
	switch {
	case wide == 1 || !same:
	case hi != nil:
		chunks = int64(wide)
	default:
		chunks = n/int64(v.opts.ChunkRows) + 1
	}
	v.mu.Lock()
	if same || wide == 1 {
		v.res.Chunks += chunks
	}
	v.res.Rows += n
	v.mu.Unlock()
	switch {
	case same:
		v.progress()
		return nil
	case wide > 1:
		return v.narrowWide(ctx, j, name, src, dst, keyCols, lo, hi)
	}
	found, _, err := v.narrow(ctx, src, dst, keyCols, lo, hi, name)
	if err != nil {
		return err
	}
	return v.differing(ctx, suspect{j: j, name: name, src: src, dst: dst, keyCols: keyCols, lo: lo, hi: hi, found: found})
}

// compare computes a chunk's aggregate on both servers at once and reports the source's
// and whether the destination's is the same.
func (v *verifier) compare(ctx context.Context, src, dst side, keyCols []schema.Column, lo, hi [][]byte, name string) (aggregate, bool, error) {
	var da aggregate
	var derr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		da, derr = dst.aggregate(ctx, keyCols, lo, hi)
	}()
	sa, err := src.aggregate(ctx, keyCols, lo, hi)
	<-done
	if err != nil {
		return sa, false, fmt.Errorf("verifying %s on the source: %w", name, err)
	}
	if derr != nil {
		return sa, false, fmt.Errorf("verifying %s on the destination: %w", name, derr)
	}
	return sa, sa == da, nil
}

// narrowWide compares a wide chunk that differs again chunk by chunk (ChunkRows source rows
// each), and narrows each chunk that differs to its rows.
func (v *verifier) narrowWide(ctx context.Context, j tablemap.Table, name string, src, dst side, keyCols []schema.Column, lo, hi [][]byte) error {
	for {
		next, err := v.bound(ctx, src, keyCols, lo, hi, v.opts.ChunkRows)
		if err != nil {
			return fmt.Errorf("verifying %s: %w", name, err)
		}
		last := next == nil || (hi != nil && slices.EqualFunc(next, hi, bytes.Equal))
		if last {
			next = hi
		}
		_, same, err := v.compare(ctx, src, dst, keyCols, lo, next, name)
		if err != nil {
			return err
		}
		v.mu.Lock()
		v.res.Chunks++
		v.mu.Unlock()
		if !same {
			found, _, err := v.narrow(ctx, src, dst, keyCols, lo, next, name)
			if err != nil {
				return err
			}
			if err := v.differing(ctx, suspect{j: j, name: name, src: src, dst: dst, keyCols: keyCols, lo: lo, hi: next, found: found}); err != nil {
				return err
			}
		}
		if last {
			v.progress()
			return nil
		}
		lo = next
	}
}

// differing handles the rows of a chunk found to differ: held for the settle delay, or
// counted (and repaired) at once.
func (v *verifier) differing(ctx context.Context, s suspect) error {
	switch {
	case len(s.found) == 0:
	case v.opts.Settle > 0:
		// Changes in flight settle: the chunk is compared again at the end.
		v.mu.Lock()
		if len(v.suspects) == 0 {
			v.since = time.Now()
		}
		v.suspects = append(v.suspects, s)
		full := len(v.suspects) >= maxSuspects
		v.mu.Unlock()
		if full {
			// Bounded memory: settle what is held before going on.
			if err := v.settle(ctx); err != nil {
				return err
			}
		}
	default:
		if err := v.settled(ctx, s, s.found); err != nil {
			return err
		}
	}
	v.progress()
	return nil
}

// narrow compares a chunk row by row. It returns the rows that differ and how many source
// rows (expected rows, for an ETL table) the chunk has.
func (v *verifier) narrow(ctx context.Context, src, dst side, keyCols []schema.Column, lo, hi [][]byte, name string) ([]Mismatch, int64, error) {
	if err := v.opts.Limits.WaitQueries(ctx, 1); err != nil {
		return nil, 0, err
	}
	// Both servers read at once.
	var dh map[string]keyedRow
	var derr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		dh, derr = dst.rows(ctx, keyCols, lo, hi)
	}()
	sh, err := src.rows(ctx, keyCols, lo, hi)
	<-done
	if err != nil {
		return nil, 0, fmt.Errorf("verifying %s on the source: %w", name, err)
	}
	if derr != nil {
		return nil, 0, fmt.Errorf("verifying %s on the destination: %w", name, derr)
	}
	var out []Mismatch
	for k, r := range sh {
		switch d, ok := dh[k]; {
		case !ok:
			out = append(out, Mismatch{Table: name, Key: r.shown(keyCols), Kind: Missing, source: r.hash})
		case d.hash != r.hash:
			out = append(out, Mismatch{Table: name, Key: r.shown(keyCols), Kind: Differs, source: r.hash})
		}
	}
	for k, d := range dh {
		if _, ok := sh[k]; !ok {
			out = append(out, Mismatch{Table: name, Key: d.shown(keyCols), Kind: Extra})
		}
	}
	return out, int64(len(sh)), nil
}

// persisting keeps the mismatches of first that again has too, with the source row
// unchanged in between: a row the source changed meanwhile is in flight and is left to the
// next sweep.
func persisting(first, again []Mismatch) []Mismatch {
	still := map[Mismatch]bool{}
	for _, m := range again {
		still[m] = true
	}
	var out []Mismatch
	for _, m := range first {
		if still[m] {
			out = append(out, m)
		}
	}
	return out
}

func (v *verifier) note(found []Mismatch) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.res.Mismatches += int64(len(found))
	for _, m := range found {
		if len(v.res.Mismatched) < maxNoted {
			v.res.Mismatched = append(v.res.Mismatched, m)
		}
	}
}

// unkeyed compares a table without key as multisets of row hashes, streamed in hash order
// from both servers: a duplicated or missing row shows as a count that differs. Its rows
// have no key to report by: a mismatch names the row's hash. Repair rewrites the rows of
// each hash that differs (the whole table when more than maxRepairHashes differ).
func (v *verifier) unkeyed(ctx context.Context, j tablemap.Table, name string, src, dst side) error {
	found, hashes, rows, err := v.multisets(ctx, src, dst, name)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.res.Chunks++
	v.res.Rows += rows
	v.mu.Unlock()
	if len(hashes) > 0 && v.opts.Repair {
		if len(hashes) > maxRepairHashes {
			hashes = nil // the whole table
		}
		if err := v.rewriteHashes(ctx, j, src, dst, hashes); err != nil {
			return err
		}
		v.mu.Lock()
		v.res.Repaired += int64(len(found))
		v.mu.Unlock()
		if found, _, _, err = v.multisets(ctx, src, dst, name); err != nil {
			return err
		}
	}
	v.note(found)
	v.progress()
	return nil
}

// maxRepairHashes bounds the row hashes of a table without key that repair rewrites one by
// one.
const maxRepairHashes = 10000

// rewriteHashes rewrites the destination rows of each hash from the source's rows with that
// hash; with no hashes, every row of the table.
func (v *verifier) rewriteHashes(ctx context.Context, j tablemap.Table, src, dst side, hashes []string) error {
	if hashes == nil {
		_, err := v.opts.Rewrite(ctx, j, src.where, nil, "", nil)
		return err
	}
	for _, h := range hashes {
		srcPred := src.hash + " = ?"
		if src.where != "" {
			srcPred = "(" + src.where + ") AND " + srcPred
		}
		if _, err := v.opts.Rewrite(ctx, j, srcPred, []any{h}, dst.hash+" = ?", []any{h}); err != nil {
			return err
		}
	}
	return nil
}

// multisets compares the two sides' row hashes with their counts. It returns the
// mismatches, the hashes that differ (at most maxRepairHashes+1) and the source rows.
func (v *verifier) multisets(ctx context.Context, src, dst side, name string) ([]Mismatch, []string, int64, error) {
	query := func(s side) string {
		return "SELECT " + s.hash + " AS h, COUNT(*) FROM " + s.table + tablemap.Where(s.where) + " GROUP BY h ORDER BY h"
	}
	if err := v.opts.Limits.WaitQueries(ctx, 1); err != nil {
		return nil, nil, 0, err
	}
	sr, err := v.src.DB.QueryContext(ctx, query(src))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("verifying %s on the source: %w", name, err)
	}
	defer sr.Close()
	dr, err := v.dst.DB.QueryContext(ctx, query(dst))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("verifying %s on the destination: %w", name, err)
	}
	defer dr.Close()
	type entry struct {
		hash string
		n    int64
		ok   bool
	}
	next := func(r *sql.Rows) (entry, error) {
		var e entry
		if !r.Next() {
			return e, r.Err()
		}
		e.ok = true
		return e, r.Scan(&e.hash, &e.n)
	}
	var found []Mismatch
	var hashes []string
	var rows int64
	differ := func(hash string, n int64, kind vocab.MismatchKind) {
		if len(found) < maxNoted {
			found = append(found, Mismatch{Table: name, Key: fmt.Sprintf("row md5=%s (x%d)", hash, n), Kind: kind})
		}
		if len(hashes) <= maxRepairHashes {
			hashes = append(hashes, hash)
		}
	}
	s, err := next(sr)
	if err != nil {
		return nil, nil, 0, err
	}
	d, err := next(dr)
	if err != nil {
		return nil, nil, 0, err
	}
	for s.ok || d.ok {
		switch {
		case d.ok && (!s.ok || d.hash < s.hash):
			differ(d.hash, d.n, Extra)
			d, err = next(dr)
		case s.ok && (!d.ok || s.hash < d.hash):
			rows += s.n
			differ(s.hash, s.n, Missing)
			s, err = next(sr)
		default:
			rows += s.n
			switch {
			case s.n > d.n:
				differ(s.hash, s.n-d.n, Missing)
			case d.n > s.n:
				differ(s.hash, d.n-s.n, Extra)
			}
			if s, err = next(sr); err == nil {
				d, err = next(dr)
			}
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("verifying %s: %w", name, err)
		}
	}
	return found, hashes, rows, nil
}
