// Package binlog names a place in a source server's binary log, the one position type of the
// engine: the cut recorded before the full copy, the applied positions of incremental
// migration, the drain target of a cut-over and the position a task reports are all a
// Location. Current is the only reader of a source's current position.
package binlog

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
)

// Location is a place in the source's binlog: the end of an event, by file and offset, and
// the GTID set executed up to there ("" when the source has no GTIDs or it was not read).
// The zero Location is "no binlog".
type Location struct {
	File    string
	Pos     uint64
	GTIDSet string
}

// IsZero reports whether l names no place (a source without a binlog).
func (l Location) IsZero() bool { return l == Location{} }

// String is "file:offset", as logs and errors name a position.
func (l Location) String() string { return l.File + ":" + strconv.FormatUint(l.Pos, 10) }

// Compare orders two locations of the same source's binlog by file, then offset: -1 when l
// is earlier than o, 0 when equal, +1 when later. With slices.MinFunc it gives where reading
// must resume so that nothing is missed.
//
// GTID sets are not compared. Every Location the engine compares comes from one source's
// binlog stream, in which file and offset grow together with the executed GTID set, so the
// file and offset alone order them; a GTID set orders only partially (two sets may each hold
// transactions the other lacks), and TiDB DM's CompareLocation, which compares them when
// asked, falls back to file and offset when they do not. Locations of different servers (a
// failover) cannot be ordered by Compare.
//
// Files of one base name compare by their numeric extension, so that mysql-bin.999999 is
// before mysql-bin.1000000 after the extension outgrows its zero padding; other names
// compare as strings.
func (l Location) Compare(o Location) int {
	if c := compareFiles(l.File, o.File); c != 0 {
		return c
	}
	return cmp.Compare(l.Pos, o.Pos)
}

func compareFiles(a, b string) int {
	ab, an, aok := splitFile(a)
	bb, bn, bok := splitFile(b)
	if aok && bok && ab == bb {
		return cmp.Compare(an, bn)
	}
	return strings.Compare(a, b)
}

// splitFile splits "base.000042" into "base" and 42; ok is false for another form.
func splitFile(name string) (base string, n uint64, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(name[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return name[:i], n, true
}

// Current reads the source's current binlog location: the file and offset of SHOW MASTER
// STATUS (SHOW BINARY LOG STATUS on MySQL 8.2 and later), and the executed GTID set
// (@@gtid_binlog_pos on MariaDB, @@gtid_executed on MySQL with gtid_mode = ON; left empty
// otherwise, and when the server has none to give). A source without a binlog
// (log_bin = 0) gives the zero Location and no error.
func Current(ctx context.Context, src *sql.DB) (Location, error) {
	var version string
	var logBin int
	if err := src.QueryRowContext(ctx, "SELECT VERSION(), @@log_bin").Scan(&version, &logBin); err != nil {
		return Location{}, fmt.Errorf("reading source variables: %w", err)
	}
	if logBin == 0 {
		return Location{}, nil
	}
	l, err := masterStatus(ctx, src, version)
	if err != nil {
		return Location{}, err
	}
	gtidVar := "@@gtid_binlog_pos"
	if dbconn.FlavorOf(version) == dbconn.TypeMySQL {
		// MySQL's executed set says where a replica is only with gtid_mode = ON: under
		// OFF or the ON_PERMISSIVE/OFF_PERMISSIVE steps, transactions may be anonymous,
		// and a set without them would not place the task.
		var mode sql.NullString
		if err := src.QueryRowContext(ctx, "SELECT @@gtid_mode").Scan(&mode); err != nil || !strings.EqualFold(mode.String, "ON") {
			return l, nil
		}
		gtidVar = "@@gtid_executed"
	}
	var gtid sql.NullString
	if err := src.QueryRowContext(ctx, "SELECT "+gtidVar).Scan(&gtid); err == nil {
		l.GTIDSet = gtid.String
	}
	return l, nil
}

// StatusStatement is the statement that shows a server's binlog file and offset: SHOW
// BINARY LOG STATUS from MySQL 8.2 on (8.4 removed SHOW MASTER STATUS, "What Is New in
// MySQL 8.4"), SHOW MASTER STATUS on MariaDB and older MySQL.
func StatusStatement(version string) string {
	if dbconn.FlavorOf(version) == dbconn.TypeMySQL {
		var major, minor int
		if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err == nil && (major > 8 || major == 8 && minor >= 2) {
			return "SHOW BINARY LOG STATUS"
		}
	}
	return "SHOW MASTER STATUS"
}

// errAccessDenied is ER_SPECIFIC_ACCESS_DENIED_ERROR: the user lacks the privilege.
const errAccessDenied = 1227

// masterStatus reads the file and offset of SHOW MASTER STATUS. Its columns differ between
// versions after the first two (File, Position), so they are read as raw bytes.
func masterStatus(ctx context.Context, src *sql.DB, version string) (Location, error) {
	stmt := StatusStatement(version)
	rows, err := src.QueryContext(ctx, stmt)
	if err != nil {
		var myErr *mysql.MySQLError
		if errors.As(err, &myErr) && myErr.Number == errAccessDenied {
			return Location{}, fmt.Errorf("reading the source binlog position with %s: the source user needs the REPLICATION CLIENT privilege (BINLOG MONITOR on MariaDB): %w", stmt, err)
		}
		return Location{}, fmt.Errorf("reading the source binlog position with %s (server %s): %w", stmt, version, err)
	}
	defer rows.Close()
	var l Location
	if rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return Location{}, fmt.Errorf("reading the source binlog position: %w", err)
		}
		if len(cols) < 2 {
			return Location{}, fmt.Errorf("reading the source binlog position: %s gave %d columns, want File and Position first", stmt, len(cols))
		}
		vals := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return Location{}, fmt.Errorf("reading the source binlog position: %w", err)
		}
		l.File = string(vals[0])
		if l.Pos, err = strconv.ParseUint(string(vals[1]), 10, 64); err != nil {
			return Location{}, fmt.Errorf("reading the source binlog position: %s gave position %q: %w", stmt, vals[1], err)
		}
	}
	if err := rows.Err(); err != nil {
		return Location{}, fmt.Errorf("reading the source binlog position: %w", err)
	}
	return l, nil
}
