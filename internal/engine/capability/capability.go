// Package capability measures what a destination server does where MySQL-compatible
// servers differ (AnalyticDB for MySQL 3.0 above all, whose documentation leaves several
// points open): each probe runs a few statements on scratch tables in the meta database
// (vocab.MetaDatabase) and returns a Verdict, yes, no or unknown.
//
// Contracts:
//   - Probes create, write and drop only their own scratch tables, named
//     adbmigrate_meta.capprobe_<probe>_<random>; they never read or write any other table.
//     Each drops its table when it ends, also when it failed or ran out of time.
//   - Each probe has its own deadline (Options.Timeout); one that runs out is unknown.
//   - Probes change session settings (sql_mode, lock wait timeout) and kill sessions, so
//     every connection a probe takes from the pool is closed afterwards, never returned to
//     it: the caller's pool keeps its sessions as they were.
//   - A yes always comes from what the server did and what was read back, never from the
//     absence of an error alone.
package capability

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

// Answer is a probe's verdict.
type Answer = vocab.CapabilityAnswer

// Answers of a Verdict.
const (
	Yes     = vocab.CapabilityYes
	No      = vocab.CapabilityNo
	Unknown = vocab.CapabilityUnknown
)

// Probe names: stable identifiers, the keys of a task's capabilities.
const (
	// Transactions: BEGIN ... ROLLBACK undoes an INSERT.
	Transactions = "transactions"
	// LockingReadsParse: SELECT ... FOR UPDATE and SELECT ... LOCK IN SHARE MODE run.
	LockingReadsParse = "locking_reads_parse"
	// LockingReadsBlock: while one connection holds a FOR UPDATE read in a transaction, a
	// second connection's UPDATE of that row waits (until its lock wait timeout).
	LockingReadsBlock = "locking_reads_block"
	// LoadDataLocal: LOAD DATA LOCAL INFILE with LINES TERMINATED BY and a column list, the
	// form every other LOAD DATA probe adds one clause to.
	LoadDataLocal = "load_data_local"
	// LoadDataCharacterSet, LoadDataEscapedBy, LoadDataSet, LoadDataFields, LoadDataReplace,
	// LoadDataIgnore: LOAD DATA LOCAL with CHARACTER SET utf8mb4; FIELDS ... ESCAPED BY
	// '\\'; a user variable in the column list and SET col = f(@var); FIELDS TERMINATED BY
	// ',' ENCLOSED BY '"'; REPLACE (a repeated key replaces the row); IGNORE (a repeated
	// key keeps the row). Each loads a row and reads it back.
	LoadDataCharacterSet = "load_data_character_set"
	LoadDataEscapedBy    = "load_data_escaped_by"
	LoadDataSet          = "load_data_set"
	LoadDataFields       = "load_data_fields"
	LoadDataReplace      = "load_data_replace"
	LoadDataIgnore       = "load_data_ignore"
	// InsertDuplicateFails: a plain INSERT of a key that exists fails (error 1062) rather
	// than being dropped silently.
	InsertDuplicateFails = "insert_duplicate_fails"
	// StrictSQLMode: after SET SESSION sql_mode = 'STRICT_ALL_TABLES', an INSERT of a value
	// out of its column's range fails.
	StrictSQLMode = "strict_sql_mode"
	// Warnings: SET SESSION max_error_count is kept, and after a non-strict INSERT that
	// clips a value, @@warning_count and SHOW WARNINGS report it.
	Warnings = "warnings"
	// FourByteUTF8: a 4-byte character (an emoji) in a utf8mb4 VARCHAR column reads back as
	// written.
	FourByteUTF8 = "four_byte_utf8"
	// Kill: some KILL form ends another connection of the same user, whose id came from
	// CONNECTION_ID() and shows in SHOW PROCESSLIST. Verdict.Value lists the forms that
	// did, in the order KILL CONNECTION, KILL, KILL PROCESS.
	Kill = "kill"
)

// Names returns every probe name in the order Run runs them.
func Names() []string {
	names := make([]string, len(probes))
	for i, p := range probes {
		names[i] = p.name
	}
	return names
}

// Verdict is what one probe found.
type Verdict struct {
	Probe  string
	Answer Answer
	// Value is what the probe measured beyond yes or no: for Kill, the forms that work.
	Value string
	// Detail says what the server did: for no, what went differently (the server's error
	// text when a statement failed); for unknown, why the probe could not tell.
	Detail string
}

// Report is the verdicts of one Run, in probe order.
type Report []Verdict

// Get returns the verdict of probe name; ok is false when the report has none.
func (r Report) Get(name string) (v Verdict, ok bool) {
	for _, v := range r {
		if v.Probe == name {
			return v, true
		}
	}
	return Verdict{}, false
}

// Options tune Run. The zero value is the default.
type Options struct {
	// Timeout is each probe's deadline (default 15s).
	Timeout time.Duration
	// LockWait is how long the locking probe lets its second connection wait for the row
	// lock before it counts the write as blocked (default 500ms).
	LockWait time.Duration
	// Only, when set, names the probes to run; the others are left out of the report.
	Only []string
}

// Run creates the meta database if needed and runs every probe on db, one after another.
// db must reach the destination as the task's writer would (OpenWriter). Run fails only
// when the meta database cannot be created or ctx ends; a probe that fails is a verdict.
func Run(ctx context.Context, db *sql.DB, opts Options) (Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.LockWait <= 0 {
		opts.LockWait = 500 * time.Millisecond
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+dialect.QuoteIdent(vocab.MetaDatabase)); err != nil {
		return nil, fmt.Errorf("capability probes: creating database %s on the destination: %w; grant the destination user CREATE on %s.*", vocab.MetaDatabase, err, vocab.MetaDatabase)
	}
	var report Report
	for _, p := range probes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if opts.Only != nil && !slices.Contains(opts.Only, p.name) {
			continue
		}
		report = append(report, runOne(ctx, db, opts, p))
	}
	return report, nil
}

// probe is one entry of the probe table: its name and the function that measures it on a
// fresh scratch table s.
type probe struct {
	name string
	run  func(ctx context.Context, s *scratch) Verdict
}

// probes is every probe in the order Run runs them.
var probes = []probe{
	{Transactions, probeTransactions},
	{LockingReadsParse, probeLockingParse},
	{LockingReadsBlock, probeLockingBlock},
	{LoadDataLocal, loadProbe(loadLocal)},
	{LoadDataCharacterSet, loadProbe(loadCharacterSet)},
	{LoadDataEscapedBy, loadProbe(loadEscapedBy)},
	{LoadDataSet, loadProbe(loadSet)},
	{LoadDataFields, loadProbe(loadFields)},
	{LoadDataReplace, loadProbe(loadReplace)},
	{LoadDataIgnore, loadProbe(loadIgnore)},
	{InsertDuplicateFails, probeDuplicate},
	{StrictSQLMode, probeStrict},
	{Warnings, probeWarnings},
	{FourByteUTF8, probeFourByte},
	{Kill, probeKill},
}

// runOne runs p with its own deadline on a scratch table it drops afterwards.
func runOne(ctx context.Context, db *sql.DB, opts Options, p probe) Verdict {
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	s := &scratch{db: db, opts: opts, table: "capprobe_" + p.name + "_" + randomHex(4)}
	defer s.close()
	v := p.run(pctx, s)
	if v.Answer != Yes && pctx.Err() != nil && ctx.Err() == nil {
		v = Verdict{Answer: Unknown, Detail: fmt.Sprintf("the probe did not finish within %s (%s)", opts.Timeout, v.Detail)}
	}
	v.Probe = p.name
	return v
}

// scratch is one probe's scratch table and the connections it took.
type scratch struct {
	db    *sql.DB
	opts  Options
	table string // in vocab.MetaDatabase
	conns []*sql.Conn
	made  bool
}

// name is the scratch table's quoted, database-qualified name.
func (s *scratch) name() string { return dialect.QuoteTable(vocab.MetaDatabase, s.table) }

// conn takes a connection of its own from the pool; close discards it.
func (s *scratch) conn(ctx context.Context) (*sql.Conn, error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s.conns = append(s.conns, c)
	return c, nil
}

// setup takes a connection and creates the scratch table on it (see create).
func (s *scratch) setup(ctx context.Context, columns string, rows ...string) (*sql.Conn, error) {
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	return c, s.create(ctx, c, columns, rows...)
}

// create creates the scratch table with columns (an INT PRIMARY KEY id first) in
// utf8mb4, and inserts rows (SQL value lists) on c.
func (s *scratch) create(ctx context.Context, c *sql.Conn, columns string, rows ...string) error {
	if _, err := c.ExecContext(ctx, "CREATE TABLE "+s.name()+" (id INT NOT NULL PRIMARY KEY, "+columns+") DEFAULT CHARSET=utf8mb4"); err != nil {
		return fmt.Errorf("creating scratch table %s.%s: %w", vocab.MetaDatabase, s.table, err)
	}
	s.made = true
	for _, r := range rows {
		if _, err := c.ExecContext(ctx, "INSERT INTO "+s.name()+" VALUES "+r); err != nil {
			return fmt.Errorf("filling scratch table %s.%s: %w", vocab.MetaDatabase, s.table, err)
		}
	}
	return nil
}

// value reads column col of row id of the scratch table on a fresh connection, so that
// nothing of the probe's sessions (an open transaction) colours it; ok is false when the
// row is missing.
func (s *scratch) value(ctx context.Context, col string, id int) (v sql.NullString, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, "SELECT "+dialect.QuoteIdent(col)+" FROM "+s.name()+" WHERE id = ?", id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	return v, err == nil, err
}

// close discards the probe's connections and drops its table, with a deadline of its own
// (the probe's may have run out).
func (s *scratch) close() {
	for _, c := range s.conns {
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
		_ = c.Close()
	}
	if !s.made {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = s.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+s.name())
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// unknown is the verdict of a probe that could not get as far as the point it measures.
func unknown(err error) Verdict { return Verdict{Answer: Unknown, Detail: oneLine(err.Error())} }

// no is the verdict of a probe whose statement failed: what was tried and the server's
// error.
func no(what string, err error) Verdict {
	return Verdict{Answer: No, Detail: what + ": " + oneLine(err.Error())}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
