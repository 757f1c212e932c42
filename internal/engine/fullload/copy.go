package fullload

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// MySQL error numbers that mean the destination refuses the bulk load from a client stream.
const (
	errLocalInfileDisabled = 1148 // ER_NOT_ALLOWED_COMMAND
	errLocalInfileRefused  = 3948 // ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8)
	errLocalInfileMariaDB  = 4166 // ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB)
	errDuplicateEntry      = 1062
)

// insertBatchRows and insertBatchBytes bound one multi-row INSERT of the fallback writer.
const (
	insertBatchRows  = 1000
	insertBatchBytes = 4 << 20
)

// writerMode remembers, for all workers of a run, that the destination refused the bulk
// load, so they write multi-row INSERTs instead.
type writerMode struct {
	insertOnly atomic.Bool
}

func newWriterMode() *writerMode { return &writerMode{} }

var readerSeq atomic.Int64

// copyChunk copies one chunk and marks it done in the same destination transaction,
// returning the rows written.
func copyChunk(ctx context.Context, src, dst *sql.DB, j tablemap.Table, c checkpoint.Chunk, def string, opts Options, w *writerMode) (int64, error) {
	// Direct writes go as multi-row REPLACE: a chunk written again must replace its rows
	// by key, and the LOAD DATA clauses AnalyticDB documents cannot carry every value.
	if !w.insertOnly.Load() && !opts.Fence.Direct() {
		n, err := inChunkTx(ctx, src, dst, j, c, def, opts, loadRows)
		var myErr *mysql.MySQLError
		if errors.As(err, &myErr) && (myErr.Number == errLocalInfileDisabled || myErr.Number == errLocalInfileRefused || myErr.Number == errLocalInfileMariaDB) {
			// The destination does not allow the bulk load: fall back for good.
			w.insertOnly.Store(true)
		} else {
			return n, err
		}
	}
	return inChunkTx(ctx, src, dst, j, c, def, opts, insertRows)
}

// chunkWriter writes the rows of a chunk's source query inside tx and returns how many
// rows the destination took.
type chunkWriter func(ctx context.Context, tx checkpoint.Writer, rows *sql.Rows, j tablemap.Table, opts Options) (int64, error)

// inChunkTx runs write over the chunk's source rows in one destination transaction that
// also marks the chunk done, after checking that no DDL changed the source table meanwhile.
// With direct writes (no transaction) the rows replace any an earlier attempt wrote, and the
// chunk is marked done only after its last row.
func inChunkTx(ctx context.Context, src, dst *sql.DB, j tablemap.Table, c checkpoint.Chunk, def string, opts Options, write chunkWriter) (int64, error) {
	tx, err := opts.Fence.Begin(ctx, dst)
	if err != nil {
		return 0, err
	}
	defer tx.Close()
	rows, err := sourceRows(ctx, src, j, c, opts)
	if err != nil {
		return 0, changedOr(ctx, src, j, def, opts, err)
	}
	defer rows.Close()
	written, err := write(ctx, tx, rows, j, opts)
	if ve, ok := errors.AsType[*dbconn.ValueError](err); ok {
		rows.Close()
		where, args, perr := chunkPredicate(j, c)
		if perr == nil {
			locate(ctx, src, j, where, args, opts, ve)
		}
		return 0, ve
	}
	if err != nil {
		return 0, changedOr(ctx, src, j, def, opts, err)
	}
	if err := checkpoint.MarkChunkDone(ctx, tx, opts.TaskID, j.Source.Database, j.Source.Name, c.No, written, opts.Fence.EpochOf()); err != nil {
		return 0, err
	}
	if err := checkDefinition(ctx, src, j.Source, def, opts.FollowDDL); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("committing into %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	return written, nil
}

// sourceRows starts the chunk's source query.
func sourceRows(ctx context.Context, src *sql.DB, j tablemap.Table, c checkpoint.Chunk, opts Options) (*sql.Rows, error) {
	where, args, err := chunkPredicate(j, c)
	if err != nil {
		return nil, err
	}
	return sourceRowsWhere(ctx, src, j, where, args, opts)
}

// sourceRowsWhere reads the job's columns of the source rows that where (" WHERE ...", or
// "" for all) selects.
func sourceRowsWhere(ctx context.Context, src *sql.DB, j tablemap.Table, where string, args []any, opts Options) (*sql.Rows, error) {
	reads := j.Reads()
	exprs := make([]string, len(reads))
	for i, c := range reads {
		exprs[i] = tablemap.SelectExpr(c)
	}
	if err := opts.Limits.WaitQueries(ctx, 1); err != nil {
		return nil, err
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + dialect.QuoteTable(j.Source.Database, j.Source.Name) + where
	rows, err := src.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s.%s: %w", j.Source.Database, j.Source.Name, err)
	}
	return rows, nil
}

// enumErrorValue reports whether a value read by tablemap.SelectExpr is an ENUM's error value
// (index 0), which the destination can store only with a "Data truncated" warning.
func enumErrorValue(c schema.Column, v []byte) bool {
	return c.DataType == "enum" && len(v) == 1 && v[0] == '0'
}

// enumErrorText reports whether a computed value for an ENUM column is its error value: ""
// where "" is not a member.
func enumErrorText(c schema.Column, v any) bool {
	return c.DataType == "enum" && v == "" && !slices.Contains(c.Members, "")
}

// loadRows streams the rows into the destination's bulk load through a pipe.
func loadRows(ctx context.Context, tx checkpoint.Writer, rows *sql.Rows, j tablemap.Table, opts Options) (int64, error) {
	name := fmt.Sprintf("adbm-%d", readerSeq.Add(1))
	pr, pw := io.Pipe()
	mysql.RegisterReaderHandler(name, func() io.Reader { return pr })
	defer mysql.DeregisterReaderHandler(name)

	var sent, enumErrors int64
	produced := make(chan error, 1)
	go func() {
		n, e, err := encodeRows(ctx, rows, j, opts, pw)
		sent, enumErrors = n, e
		pw.CloseWithError(err)
		produced <- err
	}()
	res, err := tx.ExecContext(ctx, opts.Dialect.BulkLoad(load(j, opts.IgnoreConflicts), name))
	// Unblock the producer whatever happened, then collect its verdict.
	pr.CloseWithError(errors.New("load finished"))
	perr := <-produced
	if err != nil {
		return 0, fmt.Errorf("loading into %s.%s: %w", j.DestDatabase, j.DestTable, err)
	}
	if perr != nil {
		return 0, fmt.Errorf("reading %s.%s: %w", j.Source.Database, j.Source.Name, perr)
	}
	affected, _ := res.RowsAffected()
	if err := checkWritten(ctx, tx, j, opts, sent, affected, enumErrors); err != nil {
		return 0, err
	}
	return affected, nil
}

// load describes the table's rows to the destination's dialect: binary columns travel as
// hex, copied numeric columns (ENUM, SET, YEAR) and computed YEAR values as numbers.
func load(j tablemap.Table, ignore bool) dialect.Load {
	l := dialect.Load{Database: j.DestDatabase, Table: j.DestTable, Ignore: ignore}
	for i, cm := range j.Outputs() {
		l.Columns = append(l.Columns, dialect.LoadColumn{Name: cm.Dest, Kind: loadKind(j, i, cm)})
	}
	if j.SourceTag != "" {
		l.Constant.Name, l.Constant.Value = tablemap.SourceColumn, j.SourceTag
	}
	return l
}

// loadKind says how output column i of j travels.
func loadKind(j tablemap.Table, i int, cm tablemap.ColumnMap) dialect.LoadKind {
	switch {
	case cm.Source.Binary():
		return dialect.LoadHex
	case cm.Source.Numeric() && (i < len(j.Columns) || cm.Source.DataType == "year"):
		// Copied ENUM and SET values are read as numbers; computed ones are text.
		return dialect.LoadNumber
	}
	return dialect.LoadText
}

// encodeRows writes the rows in the bulk-load stream's format, honouring the row and byte
// throttles, and returns how many rows it wrote and how many ENUM error values among them.
func encodeRows(ctx context.Context, rows *sql.Rows, j tablemap.Table, opts Options, w io.Writer) (n, enumErrors int64, err error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	src, err := newRowReader(j)
	if err != nil {
		return 0, 0, err
	}
	var line []byte
	for rows.Next() {
		keep, err := src.next(rows)
		if err != nil {
			return n, enumErrors, err
		}
		if !keep {
			continue
		}
		line = line[:0]
		for i, cm := range j.Columns {
			if i > 0 {
				line = append(line, '\t')
			}
			v := src.copied(i)
			line = dialect.AppendLoadField(line, v, kind(cm.Source))
			if enumErrorValue(cm.Source, v) {
				enumErrors++
			}
		}
		for i, cm := range j.Computed {
			if i > 0 || len(j.Columns) > 0 {
				line = append(line, '\t')
			}
			line = appendValue(line, src.computed[i], kind(cm.Source))
			if enumErrorText(cm.Source, src.computed[i]) {
				enumErrors++
			}
		}
		line = append(line, '\n')
		if err := throttleRow(ctx, opts, len(line)); err != nil {
			return n, enumErrors, err
		}
		if _, err := bw.Write(line); err != nil {
			return n, enumErrors, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, enumErrors, err
	}
	return n, enumErrors, bw.Flush()
}

// rowReader scans a job's source rows and, with ETL, filters them and computes the
// computed columns.
type rowReader struct {
	j       tablemap.Table
	raw     []sql.RawBytes // by read column
	dest    []any
	copyIdx []int // for each copied column, its read column
	// copyRead and copyWritten are each copied column as the query reads it and as the
	// copy writes it (tablemap.CopiedValue).
	copyRead, copyWritten []schema.Column
	tableIdx              []int // for each read column, its table column
	values                []any // by table column, for ETL
	row                   *etl.Row
	computed              []any
}

func newRowReader(j tablemap.Table) (*rowReader, error) {
	reads := j.Reads()
	r := &rowReader{j: j, raw: make([]sql.RawBytes, len(reads)), dest: make([]any, len(reads))}
	for i := range r.raw {
		r.dest[i] = &r.raw[i]
	}
	for _, cm := range j.Columns {
		k := slices.IndexFunc(reads, func(c schema.Column) bool { return c.Name == cm.Source.Name })
		if k < 0 {
			return nil, fmt.Errorf("column %s of %s.%s is not read", cm.Source.Name, j.Source.Database, j.Source.Name)
		}
		r.copyIdx = append(r.copyIdx, k)
		r.copyRead, r.copyWritten = append(r.copyRead, reads[k]), append(r.copyWritten, cm.Source)
	}
	if j.ETL != nil {
		for _, c := range reads {
			r.tableIdx = append(r.tableIdx, slices.IndexFunc(j.Source.Columns, func(t schema.Column) bool { return t.Name == c.Name }))
		}
		r.values = make([]any, len(j.Source.Columns))
		r.row = j.ETL.NewRow()
		r.computed = make([]any, len(j.Computed))
	}
	return r, nil
}

// next scans the current row and reports whether it is migrated.
func (r *rowReader) next(rows *sql.Rows) (bool, error) {
	if err := rows.Scan(r.dest...); err != nil {
		return false, err
	}
	if r.row == nil {
		return true, nil
	}
	for k, v := range r.raw {
		if v == nil {
			r.values[r.tableIdx[k]] = nil
		} else {
			r.values[r.tableIdx[k]] = []byte(v)
		}
	}
	r.row.Reset(r.values)
	keep, err := r.j.ETL.Keep(r.row)
	if err != nil || !keep {
		return false, err
	}
	for i := range r.computed {
		if r.computed[i], err = r.j.ETL.Value(r.row, i); err != nil {
			return false, err
		}
	}
	return true, nil
}

// describe returns the current row's source key as "column=value, ..." and the length of
// the value written into destination column dest (-1 when it is not one of the row's).
func (r *rowReader) describe(dest string) (string, int) {
	reads := r.j.Reads()
	var key []string
	for _, k := range r.j.Source.Key {
		for i, c := range reads {
			if strings.EqualFold(c.Name, k) {
				key = append(key, k+"="+tablemap.Display(c, r.raw[i]))
			}
		}
	}
	size := -1
	for i, cm := range r.j.Columns {
		if strings.EqualFold(cm.Dest, dest) {
			size = len(r.copied(i))
		}
	}
	for i, cm := range r.j.Computed {
		if strings.EqualFold(cm.Dest, dest) && i < len(r.computed) {
			size = argSize(r.computed[i])
		}
	}
	return strings.Join(key, ", "), size
}

// copied is the value of copied column i in the current row as it is written.
func (r *rowReader) copied(i int) []byte {
	return tablemap.CopiedValue(r.copyRead[i], r.copyWritten[i], r.raw[r.copyIdx[i]])
}

// kind is how a value of column c travels in the bulk-load stream: binary values as hex,
// everything else as its text.
func kind(c schema.Column) dialect.LoadKind {
	if c.Binary() {
		return dialect.LoadHex
	}
	return dialect.LoadText
}

// appendValue appends a computed value to the bulk-load stream, like
// dialect.AppendLoadField.
func appendValue(dst []byte, v any, k dialect.LoadKind) []byte {
	switch x := v.(type) {
	case nil:
		return dialect.AppendLoadNull(dst)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case string:
		return dialect.AppendLoadField(dst, []byte(x), k)
	case []byte:
		return dialect.AppendLoadField(dst, x, k)
	}
	return dialect.AppendLoadField(dst, fmt.Append(nil, v), k)
}

func throttleRow(ctx context.Context, opts Options, size int) error {
	if opts.Written != nil {
		opts.Written.Add(int64(size))
	}
	if err := opts.Limits.WaitRows(ctx, 1); err != nil {
		return err
	}
	return opts.Limits.WaitBytes(ctx, float64(size))
}

// checkWritten fails the chunk when the server changed or dropped values (warnings) or
// skipped rows other than by a kept conflict. The enumErrors ENUM error values written are
// expected to raise one "Data truncated" warning each: that is how the value is stored. A
// value that does not fit its column is a *dbconn.ValueError naming the column and the row
// of the statement.
func checkWritten(ctx context.Context, tx checkpoint.Writer, j tablemap.Table, opts Options, sent, affected, enumErrors int64) error {
	var count int64
	if err := tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&count); err != nil {
		return err
	}
	// Expected: one warning per ENUM error value, and under ignore_errors_and_proceed one
	// duplicate-key warning per row the destination kept instead of the written one.
	expected := enumErrors
	if opts.IgnoreConflicts {
		expected += sent - affected
	}
	if count > 0 && count == expected {
		count = 0
	}
	if count > 0 {
		rows, err := tx.QueryContext(ctx, "SHOW WARNINGS")
		if err != nil {
			return err
		}
		defer rows.Close()
		enums := enumErrors
		var msgs []string
		for rows.Next() {
			var level, msg string
			var code int
			if err := rows.Scan(&level, &code, &msg); err != nil {
				return err
			}
			if code == errDuplicateEntry {
				if opts.IgnoreConflicts {
					continue
				}
				return conflictError(j, sent, affected, msg)
			}
			ve := dbconn.AsValueError(j.DestDatabase+"."+j.DestTable, code, msg)
			if ve != nil && enums > 0 && isEnumOutput(j, ve.Column) {
				enums-- // an ENUM error value, stored as the source has it
				continue
			}
			if ve != nil {
				return ve
			}
			if len(msgs) < 5 {
				msgs = append(msgs, fmt.Sprintf("%s %d: %s", level, code, msg))
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(msgs) > 0 || count > expected {
			return fmt.Errorf("the destination changed or refused values while writing %s.%s (%d warnings), so nothing of this chunk was kept: %s. "+
				"Check that the destination table's columns match the source's",
				j.DestDatabase, j.DestTable, count, strings.Join(msgs, "; "))
		}
	}
	if affected != sent && !opts.IgnoreConflicts {
		return conflictError(j, sent, affected, "")
	}
	return nil
}

// isEnumOutput reports whether the destination column named dest is written from an ENUM.
func isEnumOutput(j tablemap.Table, dest string) bool {
	for _, cm := range j.Outputs() {
		if strings.EqualFold(cm.Dest, dest) {
			return cm.Source.DataType == "enum"
		}
	}
	return false
}

// locate fills in a value error's key and value size: it reads the source rows that where
// selects again, in the same order, and takes the row ve.Row of what was written.
func locate(ctx context.Context, src *sql.DB, j tablemap.Table, where string, args []any, opts Options, ve *dbconn.ValueError) {
	if ve.Row <= 0 || ve.Key != "" {
		return
	}
	rows, err := sourceRowsWhere(ctx, src, j, where, args, opts)
	if err != nil {
		return
	}
	defer rows.Close()
	r, err := newRowReader(j)
	if err != nil {
		return
	}
	for n := 0; rows.Next(); {
		keep, err := r.next(rows)
		if err != nil {
			return
		}
		if !keep {
			continue
		}
		if n++; n == ve.Row {
			ve.Key, ve.Size = r.describe(ve.Column)
			return
		}
	}
}

func conflictError(j tablemap.Table, sent, affected int64, detail string) error {
	if detail != "" {
		detail = " (" + detail + ")"
	}
	return fmt.Errorf("the destination kept %d of %d rows written into %s.%s: rows with the same key already exist there%s, so nothing of this chunk was kept. "+
		"Empty the destination table, or set conflict_handling = \"ignore_errors_and_proceed\" to keep existing destination rows",
		affected, sent, j.DestDatabase, j.DestTable, detail)
}

// insertValue is textValue for multi-row INSERT: numeric columns go as numbers, so that
// ENUM and SET take them as index and bitmask.
func insertValue(c schema.Column, b []byte) any {
	if b != nil && c.Numeric() {
		if n, err := strconv.ParseUint(string(b), 10, 64); err == nil {
			return n
		}
	}
	return tablemap.TextValue(c, b)
}

// execWriting runs a statement that writes rows; one that writes ENUM error values runs in
// the relaxed SQL mode, the only one that stores them.
func execWriting(ctx context.Context, tx checkpoint.Writer, relaxed bool, stmt string, args []any) (sql.Result, error) {
	if !relaxed {
		return tx.ExecContext(ctx, stmt, args...)
	}
	if _, err := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+dbconn.RelaxedSQLMode+"'"); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, stmt, args...)
	if _, rerr := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+dbconn.WriterSQLMode+"'"); err == nil && rerr != nil {
		return nil, rerr
	}
	return res, err
}

// insertRows is the fallback writer: multi-row INSERT statements.
func insertRows(ctx context.Context, tx checkpoint.Writer, rows *sql.Rows, j tablemap.Table, opts Options) (int64, error) {
	l := load(j, opts.IgnoreConflicts)
	l.Replace = opts.Fence.Direct()
	src, err := newRowReader(j)
	if err != nil {
		return 0, err
	}
	var written, enumErrors int64
	var before int64 // rows sent by the earlier statements
	var args []any
	var n, size int
	flush := func() error {
		if n == 0 {
			return nil
		}
		res, err := execWriting(ctx, tx, enumErrors > 0, opts.Dialect.Insert(l, n), args)
		if ve := dbconn.ValueErrorOf(j.DestDatabase+"."+j.DestTable, err); ve != nil {
			err = ve
		}
		if err == nil {
			affected, _ := res.RowsAffected()
			if l.Replace && !l.Ignore {
				// A replaced row counts twice, a row written again as it was once.
				affected = int64(n)
			}
			if err = checkWritten(ctx, tx, j, opts, int64(n), affected, enumErrors); err == nil {
				written += affected
				before += int64(n)
			}
		}
		if ve, ok := errors.AsType[*dbconn.ValueError](err); ok && ve.Row > 0 {
			ve.Row += int(before) // the row of the chunk, for locate
			return ve
		}
		if err != nil {
			return fmt.Errorf("writing rows into %s.%s: %w", j.DestDatabase, j.DestTable, err)
		}
		args, n, size, enumErrors = args[:0], 0, 0, 0
		return nil
	}
	for rows.Next() {
		keep, err := src.next(rows)
		if err != nil {
			return 0, err
		}
		if !keep {
			continue
		}
		rowSize := 0
		for i, cm := range j.Columns {
			v := src.copied(i)
			args = append(args, insertValue(cm.Source, v))
			rowSize += len(v)
			if enumErrorValue(cm.Source, v) {
				enumErrors++
			}
		}
		for i, v := range src.computed {
			if b, ok := v.([]byte); ok {
				v = slices.Clone(b) // the scan buffer is reused
			}
			if enumErrorText(j.Computed[i].Source, v) {
				enumErrors++
			}
			args = append(args, v)
			rowSize += argSize(v)
		}
		if err := throttleRow(ctx, opts, rowSize); err != nil {
			return 0, err
		}
		n++
		size += rowSize
		if n >= insertBatchRows || size >= insertBatchBytes {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reading %s.%s: %w", j.Source.Database, j.Source.Name, err)
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return written, nil
}

// argSize is the size of a computed value, for the byte throttle.
func argSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	case nil:
		return 0
	}
	return 8
}
