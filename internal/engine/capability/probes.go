package capability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/go-sql-driver/mysql"
)

// MySQL error numbers the probes tell apart.
const (
	errDuplicateKey    = 1062
	errLockWaitTimeout = 1205
	errOutOfRange      = 1264
)

func errorNumber(err error) uint16 {
	if e, ok := errors.AsType[*mysql.MySQLError](err); ok {
		return e.Number
	}
	return 0
}

func probeTransactions(ctx context.Context, s *scratch) Verdict {
	c, err := s.setup(ctx, "v VARCHAR(16)")
	if err != nil {
		return unknown(err)
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return no("START TRANSACTION", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+s.name()+" VALUES (1, 'rolled back')"); err != nil {
		_ = tx.Rollback()
		return unknown(fmt.Errorf("INSERT inside the transaction: %w", err))
	}
	if err := tx.Rollback(); err != nil {
		return no("ROLLBACK", err)
	}
	_, kept, err := s.value(ctx, "v", 1)
	if err != nil {
		return unknown(fmt.Errorf("reading the scratch table back: %w", err))
	}
	if kept {
		return Verdict{Answer: No, Detail: "START TRANSACTION and ROLLBACK were accepted, but the row inserted between them is still there: each statement commits on its own"}
	}
	return Verdict{Answer: Yes, Detail: "ROLLBACK undid the INSERT"}
}

func probeLockingParse(ctx context.Context, s *scratch) Verdict {
	c, err := s.setup(ctx, "v VARCHAR(16)", "(1, 'a')")
	if err != nil {
		return unknown(err)
	}
	for _, clause := range []string{"FOR UPDATE", "LOCK IN SHARE MODE"} {
		var id int
		if err := c.QueryRowContext(ctx, "SELECT id FROM "+s.name()+" WHERE id = 1 "+clause).Scan(&id); err != nil {
			return no("SELECT ... "+clause, err)
		}
	}
	return Verdict{Answer: Yes, Detail: "SELECT ... FOR UPDATE and SELECT ... LOCK IN SHARE MODE returned the row"}
}

func probeLockingBlock(ctx context.Context, s *scratch) Verdict {
	holder, err := s.setup(ctx, "v VARCHAR(16)", "(1, 'a')")
	if err != nil {
		return unknown(err)
	}
	writer, err := s.conn(ctx)
	if err != nil {
		return unknown(err)
	}
	// The server's lock wait timeout is whole seconds: 1, so that the waiting UPDATE
	// ends soon after the probe stops waiting for it.
	if _, err := writer.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 1"); err != nil {
		return unknown(fmt.Errorf("setting the second connection's lock wait timeout: %w", err))
	}
	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		return no("START TRANSACTION (a locking read outside a transaction holds nothing)", err)
	}
	defer func() { _ = tx.Rollback() }()
	var id int
	if err := tx.QueryRowContext(ctx, "SELECT id FROM "+s.name()+" WHERE id = 1 FOR UPDATE").Scan(&id); err != nil {
		return no("SELECT ... FOR UPDATE inside a transaction", err)
	}
	// The second write waits for the lock; the probe waits for it LockWait. Its
	// connection, cut off mid-statement, is discarded with the others.
	wctx, cancel := context.WithTimeout(ctx, s.opts.LockWait)
	defer cancel()
	_, err = writer.ExecContext(wctx, "UPDATE "+s.name()+" SET v = 'b' WHERE id = 1")
	switch {
	case err == nil:
		return Verdict{Answer: No, Detail: "a second connection's UPDATE of the row went through while the first held it with SELECT ... FOR UPDATE in a transaction"}
	case errorNumber(err) == errLockWaitTimeout:
		return Verdict{Answer: Yes, Detail: "a second connection's UPDATE of the row waited and failed: " + oneLine(err.Error())}
	case wctx.Err() != nil && ctx.Err() == nil:
		return Verdict{Answer: Yes, Detail: fmt.Sprintf("a second connection's UPDATE of the row was still waiting after %s", s.opts.LockWait)}
	}
	return unknown(fmt.Errorf("the second connection's UPDATE: %w", err))
}

// loadCase is one LOAD DATA probe: the statement around the stream (%s is the reader name,
// %t the scratch table), the stream, and the row it must leave.
type loadCase struct {
	stmt, data string
	seed       []string // rows inserted before
	id         int
	want       string
}

var (
	loadLocal        = loadCase{stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE %t LINES TERMINATED BY '\\n' (id, v)", data: "1\tplain\n", id: 1, want: "plain"}
	loadCharacterSet = loadCase{stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE %t CHARACTER SET utf8mb4 LINES TERMINATED BY '\\n' (id, v)", data: "1\tcaf\u00e9\n", id: 1, want: "caf\u00e9"}
	loadEscapedBy    = loadCase{stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE %t FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (id, v)", data: "1\ta\\tb\n", id: 1, want: "a\tb"}
	loadSet          = loadCase{stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE %t LINES TERMINATED BY '\\n' (id, @v0) SET v = UNHEX(@v0)", data: "1\t6869\n", id: 1, want: "hi"}
	loadFields       = loadCase{stmt: "LOAD DATA LOCAL INFILE '%s' INTO TABLE %t FIELDS TERMINATED BY ',' ENCLOSED BY '\"' LINES TERMINATED BY '\\n' (id, v)", data: "1,\"x,y\"\n", id: 1, want: "x,y"}
	loadReplace      = loadCase{stmt: "LOAD DATA LOCAL INFILE '%s' REPLACE INTO TABLE %t LINES TERMINATED BY '\\n' (id, v)", data: "1\tnew\n", seed: []string{"(1, 'old')"}, id: 1, want: "new"}
	loadIgnore       = loadCase{stmt: "LOAD DATA LOCAL INFILE '%s' IGNORE INTO TABLE %t LINES TERMINATED BY '\\n' (id, v)", data: "1\tnew\n", seed: []string{"(1, 'old')"}, id: 1, want: "old"}
)

// loadProbe returns the probe that runs lc through the driver's reader handler.
func loadProbe(lc loadCase) func(context.Context, *scratch) Verdict {
	return func(ctx context.Context, s *scratch) Verdict {
		c, err := s.conn(ctx)
		if err != nil {
			return unknown(err)
		}
		if err := s.create(ctx, c, "v VARCHAR(16)", lc.seed...); err != nil {
			return unknown(err)
		}
		reader := "capprobe_" + randomHex(8)
		mysql.RegisterReaderHandler(reader, func() io.Reader { return strings.NewReader(lc.data) })
		defer mysql.DeregisterReaderHandler(reader)
		stmt := strings.NewReplacer("%s", "Reader::"+reader, "%t", s.name()).Replace(lc.stmt)
		shown := strings.NewReplacer("%s", "file", "%t", "t").Replace(lc.stmt)
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			return no(shown, err)
		}
		got, ok, err := s.value(ctx, "v", lc.id)
		if err != nil {
			return unknown(fmt.Errorf("reading the scratch table back: %w", err))
		}
		if !ok || got.String != lc.want {
			return Verdict{Answer: No, Detail: fmt.Sprintf("%s was accepted, but row %d holds %q (present: %t), not %q", shown, lc.id, got.String, ok, lc.want)}
		}
		return Verdict{Answer: Yes, Detail: shown}
	}
}

func probeDuplicate(ctx context.Context, s *scratch) Verdict {
	c, err := s.setup(ctx, "v VARCHAR(16)", "(1, 'first')")
	if err != nil {
		return unknown(err)
	}
	_, err = c.ExecContext(ctx, "INSERT INTO "+s.name()+" (id, v) VALUES (1, 'second')")
	switch {
	case errorNumber(err) == errDuplicateKey:
		return Verdict{Answer: Yes, Detail: "error 1062: " + oneLine(err.Error())}
	case err != nil:
		return unknown(fmt.Errorf("INSERT of a repeated key failed with another error: %w", err))
	}
	got, _, rerr := s.value(ctx, "v", 1)
	if rerr != nil {
		return unknown(rerr)
	}
	return Verdict{Answer: No, Detail: fmt.Sprintf("INSERT of a repeated key succeeded; the row holds %q: a duplicate is dropped silently", got.String)}
}

func probeStrict(ctx context.Context, s *scratch) Verdict {
	c, err := s.setup(ctx, "n TINYINT")
	if err != nil {
		return unknown(err)
	}
	if _, err := c.ExecContext(ctx, "SET SESSION sql_mode = 'STRICT_ALL_TABLES'"); err != nil {
		return no("SET SESSION sql_mode = 'STRICT_ALL_TABLES'", err)
	}
	_, err = c.ExecContext(ctx, "INSERT INTO "+s.name()+" (id, n) VALUES (1, 1000)")
	switch {
	case errorNumber(err) == errOutOfRange:
		return Verdict{Answer: Yes, Detail: "INSERT of 1000 into a TINYINT failed: " + oneLine(err.Error())}
	case err != nil:
		return unknown(fmt.Errorf("INSERT of 1000 into a TINYINT failed with another error: %w", err))
	}
	got, _, rerr := s.value(ctx, "n", 1)
	if rerr != nil {
		return unknown(rerr)
	}
	return Verdict{Answer: No, Detail: fmt.Sprintf("with sql_mode STRICT_ALL_TABLES, INSERT of 1000 into a TINYINT succeeded and stored %s", got.String)}
}

func probeWarnings(ctx context.Context, s *scratch) Verdict {
	c, err := s.setup(ctx, "n TINYINT")
	if err != nil {
		return unknown(err)
	}
	for _, set := range []string{"SET SESSION sql_mode = ''", "SET SESSION max_error_count = 65535"} {
		if _, err := c.ExecContext(ctx, set); err != nil {
			return no(set, err)
		}
	}
	var maxErrors int64
	if err := c.QueryRowContext(ctx, "SELECT @@max_error_count").Scan(&maxErrors); err != nil {
		return no("SELECT @@max_error_count", err)
	}
	if maxErrors != 65535 {
		return Verdict{Answer: No, Detail: fmt.Sprintf("SET SESSION max_error_count = 65535 left it at %d", maxErrors)}
	}
	if _, err := c.ExecContext(ctx, "INSERT INTO "+s.name()+" (id, n) VALUES (1, 1000)"); err != nil {
		return unknown(fmt.Errorf("INSERT of 1000 into a TINYINT with sql_mode '' failed: %w", err))
	}
	var count int64
	if err := c.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&count); err != nil {
		return no("SELECT @@warning_count", err)
	}
	shown, err := warningCodes(ctx, c)
	if err != nil {
		return no("SHOW WARNINGS", err)
	}
	if count < 1 || !strings.Contains(shown, fmt.Sprint(errOutOfRange)) {
		return Verdict{Answer: No, Detail: fmt.Sprintf("INSERT of 1000 into a TINYINT with sql_mode '' gave @@warning_count %d and SHOW WARNINGS codes [%s], not warning %d", count, shown, errOutOfRange)}
	}
	return Verdict{Answer: Yes, Detail: fmt.Sprintf("max_error_count kept; @@warning_count %d and SHOW WARNINGS [%s] after a clipped INSERT", count, shown)}
}

// warningCodes reads SHOW WARNINGS on c: its codes, comma-separated.
func warningCodes(ctx context.Context, c *sql.Conn) (string, error) {
	rows, err := c.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var level, code, msg string
		if err := rows.Scan(&level, &code, &msg); err != nil {
			return "", err
		}
		codes = append(codes, code)
	}
	return strings.Join(codes, ","), rows.Err()
}

// emoji is the 4-byte character FourByteUTF8 writes (U+1F600).
const emoji = "\U0001F600"

func probeFourByte(ctx context.Context, s *scratch) Verdict {
	c, err := s.setup(ctx, "v VARCHAR(16) CHARACTER SET utf8mb4")
	if err != nil {
		return unknown(err)
	}
	// Strict, so that a server that cannot store the character says so rather than
	// storing '?'.
	if _, err := c.ExecContext(ctx, "SET SESSION sql_mode = 'STRICT_ALL_TABLES'"); err != nil {
		return unknown(fmt.Errorf("SET SESSION sql_mode: %w", err))
	}
	if _, err := c.ExecContext(ctx, "INSERT INTO "+s.name()+" (id, v) VALUES (1, ?)", "a"+emoji); err != nil {
		return no("INSERT of U+1F600 into a utf8mb4 VARCHAR", err)
	}
	got, _, err := s.value(ctx, "v", 1)
	if err != nil {
		return unknown(fmt.Errorf("reading the scratch table back: %w", err))
	}
	if got.String != "a"+emoji {
		return Verdict{Answer: No, Detail: fmt.Sprintf("INSERT of %q read back as %q", "a"+emoji, got.String)}
	}
	return Verdict{Answer: Yes, Detail: "U+1F600 read back as written"}
}

// killForms are the KILL statements the Kill probe tries, in order.
var killForms = []string{"KILL CONNECTION", "KILL", "KILL PROCESS"}

func probeKill(ctx context.Context, s *scratch) Verdict {
	killer, err := s.conn(ctx)
	if err != nil {
		return unknown(err)
	}
	var works, lines []string
	for _, form := range killForms {
		victim, err := s.conn(ctx)
		if err != nil {
			return unknown(err)
		}
		var id int64
		if err := victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
			return unknown(fmt.Errorf("SELECT CONNECTION_ID(): %w", err))
		}
		listed, err := inProcessList(ctx, killer, id)
		if err != nil {
			return unknown(fmt.Errorf("SHOW PROCESSLIST: %w", err))
		}
		if !listed {
			return unknown(fmt.Errorf("CONNECTION_ID() %d of a second connection is not in SHOW PROCESSLIST: the ids differ, so no KILL can be aimed", id))
		}
		if _, err := killer.ExecContext(ctx, fmt.Sprintf("%s %d", form, id)); err != nil {
			lines = append(lines, form+": "+oneLine(err.Error()))
			continue
		}
		if err := victim.PingContext(ctx); err == nil {
			var one int
			err = victim.QueryRowContext(ctx, "SELECT 1").Scan(&one)
			if err == nil {
				lines = append(lines, form+": accepted, but the connection still answers")
				continue
			}
		}
		works = append(works, form)
		lines = append(lines, form+": ended the connection")
	}
	if len(works) == 0 {
		return Verdict{Answer: No, Detail: strings.Join(lines, "; ")}
	}
	return Verdict{Answer: Yes, Value: strings.Join(works, ", "), Detail: strings.Join(lines, "; ")}
}

// inProcessList says whether SHOW PROCESSLIST, read on c, lists id.
func inProcessList(ctx context.Context, c *sql.Conn, id int64) (bool, error) {
	ids, err := dbconn.ProcessIDs(ctx, c)
	return slices.Contains(ids, strconv.FormatInt(id, 10)), err
}
